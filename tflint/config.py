"""`[tool.tflint]` in pyproject.toml (or `--config PATH`) → a frozen Settings object.

Every key is validated; a bad one is a ConfigError naming it, which the CLI turns into exit 2.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePath
from typing import Any, Protocol

from tflint.rules import is_known_prefix, select_codes

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", ".eggs", "__pycache__",
    "__pypackages__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".tflint_cache",
    ".ipynb_checkpoints", "build", "dist", "node_modules", "site-packages",
)  # fmt: skip
_LIST_KEYS = ("select", "ignore", "extend-select", "exclude", "extend-exclude")
_KNOWN_KEYS = frozenset((*_LIST_KEYS, "per-file-ignores", "force-exclude", "respect-gitignore"))


class ConfigError(Exception):
    """A configuration problem the user must fix; the message names the file and key."""


@dataclass(frozen=True)
class Settings:
    root: Path = field(default_factory=Path.cwd)
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    force_exclude: bool = False  # apply excludes to paths named on the command line too
    respect_gitignore: bool = True  # skip what .gitignore files ignore, as ruff does
    source: Path | None = None

    @cached_property
    def enabled(self) -> frozenset[str]:
        return select_codes(self.select + self.extend_select, self.ignore)

    def codes_for(self, path: str) -> frozenset[str]:
        """Enabled codes for one file, after per-file-ignores."""
        enabled = self.enabled
        relative = self.relative(path)
        for pattern, codes in self.per_file_ignores:
            if _glob_matches(relative, pattern):
                enabled = enabled - select_codes(codes, ())
        return enabled

    def is_excluded(self, path: str) -> bool:
        """ruff's semantics: a pattern without `/` matches the entry's own name anywhere in the
        tree; one with `/` matches the path relative to the config's directory. Walks prune
        excluded directories, so their contents are never reached."""
        relative = self.relative(path)
        name = PurePath(path).name
        return any(
            fnmatch.fnmatchcase(relative if "/" in pattern else name, pattern.rstrip("/"))
            for pattern in self.exclude + self.extend_exclude
        )

    def relative(self, path: str) -> str:
        """The path relative to the config's directory (as written, outside it). Plain string
        work on absolute paths: resolving symlinks for every file walked cost seconds on big
        trees and is not what a user's patterns mean anyway."""
        absolute = str(Path(path).absolute())
        root = self._absolute_root
        if absolute.startswith(root):
            return PurePath(absolute[len(root) :]).as_posix()
        return PurePath(path).as_posix()

    @cached_property
    def _absolute_root(self) -> str:
        return str(self.root.absolute()) + os.sep

    def fingerprint(self) -> str:
        """A stable digest of everything that changes lint results (for the cache key)."""
        data = [sorted(self.enabled), [list(p) for p in self.per_file_ignores]]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]


def _glob_matches(relative: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(
        PurePath(relative).name, pattern
    )


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.tflint] table, from `start` upwards."""
    start = start.resolve()
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        # os.path.isfile: False, not PermissionError, under an unsearchable directory
        if os.path.isfile(candidate) and _tflint_table(candidate) is not None:  # noqa: PTH113
            return candidate
    return None


def _tflint_table(path: Path) -> object | None:
    """A pyproject's [tool.tflint] (None when it has none). A pyproject that cannot be read, or
    whose `tool` is not a table, is a ConfigError naming it: it may hold our table, and
    silently linting with other settings would be worse. One that is not UTF-8 or not TOML is
    an error when it mentions tflint; without that word it is not our config."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror or error}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        if b"tflint" not in raw:
            return None
        raise ConfigError(
            f"{path}: not UTF-8 (byte 0x{raw[error.start : error.start + 1].hex()} "
            f"at offset {error.start}); TOML files must be UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as error:
        if b"tflint" not in raw:
            return None  # a broken pyproject without our table is not our config
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: `tool` must be a table, got {tool!r}")
    return tool.get("tflint")


def load_settings(config_path: Path | None, start: Path) -> Settings:
    """Settings from an explicit file, else from the nearest pyproject.toml, else defaults."""
    if config_path is not None:
        return load_config_file(config_path)
    path = find_config(start)
    return Settings(root=start.resolve()) if path is None else load_config_file(path)


def load_config_file(path: Path) -> Settings:
    """Settings from a pyproject.toml's [tool.tflint], or a TOML file with the keys at top level."""
    if path.name == "pyproject.toml":
        table = _tflint_table(path)
        if table is None:
            raise ConfigError(f"{path}: no [tool.tflint] table")
        return settings_from_table(table, path)  # type: ignore[arg-type]  # checked there
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror or error}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    return settings_from_table(data, path)


class Excludes(Protocol):
    """What path discovery asks of the configuration (Settings, or a ConfigTree per path)."""

    @property
    def force_exclude(self) -> bool: ...

    @property
    def respect_gitignore(self) -> bool: ...

    def is_excluded(self, path: str) -> bool: ...


class ConfigTree:
    """Each file's Settings from its nearest pyproject.toml with [tool.tflint], as ruff's
    hierarchical configuration: results never depend on which paths are named together or in
    what order. With `fixed` (an explicit --config, or tests), every file gets those Settings.
    Lookups are memoised per directory, so a walk reads each pyproject once.

    `adjust` applies the command line's options on top of whatever a file's config says.
    """

    def __init__(
        self,
        fixed: Settings | None = None,
        adjust: Callable[[Settings], Settings] = lambda settings: settings,
        default_root: Path | None = None,
    ) -> None:
        self._adjust = adjust
        self._fixed = None if fixed is None else adjust(fixed)
        self._default = adjust(Settings(root=(default_root or Path.cwd()).resolve()))
        self._config_of: dict[Path, Path | None] = {}  # directory → its config file
        self._settings_of: dict[Path, Settings] = {}  # config file → its settings

    def for_directory(self, directory: Path) -> Settings:
        if self._fixed is not None:
            return self._fixed
        config = self._config_for(directory.absolute())
        if config is None:
            return self._default
        if config not in self._settings_of:
            self._settings_of[config] = self._adjust(load_config_file(config))
        return self._settings_of[config]

    def for_path(self, path: str | Path) -> Settings:
        """The settings of a file (or of a directory met in a walk): its directory's."""
        return self.for_directory(Path(path).absolute().parent)

    def _config_for(self, directory: Path) -> Path | None:
        """Memoised under the directory as met (absolute) and as resolved (`..`, links)."""
        if directory in self._config_of:
            return self._config_of[directory]
        resolved = directory.resolve()
        if resolved in self._config_of:
            found = self._config_of[resolved]
        else:
            candidate = resolved / "pyproject.toml"
            is_file = os.path.isfile(candidate)  # noqa: PTH113  (False when unsearchable)
            if is_file and _tflint_table(candidate) is not None:
                found = candidate
            elif resolved.parent == resolved:
                found = None
            else:
                found = self._config_for(resolved.parent)
            self._config_of[resolved] = found
        self._config_of[directory] = found
        return found

    @property
    def force_exclude(self) -> bool:
        return self.for_directory(Path.cwd()).force_exclude

    @property
    def respect_gitignore(self) -> bool:
        return self.for_directory(Path.cwd()).respect_gitignore

    def is_excluded(self, path: str) -> bool:
        return self.for_path(path).is_excluded(path)

    def codes_for(self, path: str) -> frozenset[str]:
        return self.for_path(path).codes_for(path)


def settings_from_table(table: dict[str, Any], path: Path) -> Settings:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.tflint] must be a table")
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key `{unknown[0]}` in [tool.tflint] "
            f"(known: {', '.join(sorted(_KNOWN_KEYS))})"
        )
    values: dict[str, tuple[str, ...]] = {}
    for key in _LIST_KEYS:
        if key in table:
            values[key] = _string_list(table[key], key, path)
    for key in ("select", "ignore", "extend-select"):
        for prefix in values.get(key, ()):
            if not is_known_prefix(prefix):
                raise ConfigError(f"{path}: `{key}` has unknown rule code or prefix `{prefix}`")
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"{path}: `per-file-ignores` must be a table of pattern = [codes]")
    per_file_ignores = []
    for pattern, codes in per_file.items():
        listed = _string_list(codes, f"per-file-ignores.{pattern}", path)
        for prefix in listed:
            if not is_known_prefix(prefix):
                raise ConfigError(
                    f"{path}: `per-file-ignores.{pattern}` has unknown rule code `{prefix}`"
                )
        per_file_ignores.append((pattern, listed))
    return Settings(
        root=path.parent.resolve(),
        force_exclude=_boolean(table, "force-exclude", False, path),
        respect_gitignore=_boolean(table, "respect-gitignore", True, path),
        select=values.get("select", ("ALL",)),
        ignore=values.get("ignore", ()),
        extend_select=values.get("extend-select", ()),
        exclude=values.get("exclude", DEFAULT_EXCLUDE),
        extend_exclude=values.get("extend-exclude", ()),
        per_file_ignores=tuple(per_file_ignores),
        source=path,
    )


def _boolean(table: dict[str, Any], key: str, default: bool, path: Path) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: `{key}` must be true or false, got {value!r}")
    return value


def _string_list(value: object, key: str, path: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: `{key}` must be a list of strings, got {value!r}")
    return tuple(value)
