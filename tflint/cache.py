"""Per-file lint results on disk, in the user's cache directory, so unchanged files are not
parsed again.

Where: `$XDG_CACHE_HOME/tflint/<hash of the project root>/` (`~/.cache/...` without it; the
platform's cache directory on macOS and Windows). Never inside the project: a repository could
otherwise commit entries that answer "no findings" for its files in every fresh clone, or plant
a `.tflint_cache` symlink that makes tflint write wherever it points.

An entry is keyed by everything its findings depend on: the file's bytes (sha256), its name
(findings carry it, and test files are treated differently), the codes enabled for it, and the
build that linted it — tflint's own source files (hashed: a development install keeps its
version number across changes), the LibCST release and the Python interpreter. One JSON file per
entry, in sharded directories, written via a temporary file and os.replace: concurrent runs
never see half an entry. Entries are checked field by field when read. The cache is an
optimisation only: an unreadable, corrupt, ill-typed or unwritable entry is a miss, never an
error and never a finding.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import astuple
from functools import cache
from pathlib import Path
from typing import Any

from tflint import __version__
from tflint.diagnostics import Diagnostic, FileResult
from tflint.files import write_atomically
from tflint.project.summary import ModuleSummary, Reason
from tflint.rules import RULES

_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by tflint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
# Only these mean "the entry is damaged"; anything else is a bug worth seeing.
_DAMAGED = (OSError, ValueError, KeyError, TypeError, AttributeError)


def user_cache_directory() -> Path | None:
    """The user's cache directory for tflint, or None when there is no home to put it in."""
    if os.environ.get("XDG_CACHE_HOME"):
        base = Path(os.environ["XDG_CACHE_HOME"])
    elif sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    else:
        try:
            home = Path.home()
        except RuntimeError:  # no HOME and no passwd entry
            return None
        base = home / ("Library/Caches" if sys.platform == "darwin" else ".cache")
    return base / "tflint"


def project_cache_directory(project_root: Path) -> Path | None:
    """This project's directory in the user's cache: one per project path."""
    base = user_cache_directory()
    if base is None:
        return None
    digest = hashlib.sha256(str(project_root.resolve()).encode("utf-8", "surrogateescape"))
    return base / digest.hexdigest()[:16]


@cache
def build_fingerprint() -> str:
    """What linted an entry: tflint's own sources, LibCST's release, the interpreter."""
    digest = hashlib.sha256(f"{__version__}\n{sys.version}\n".encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    spec = importlib.util.find_spec("libcst")  # finds it without importing it
    if spec is not None and spec.origin is not None:
        with suppress(OSError):
            digest.update((Path(spec.origin).parent / "_version.py").read_bytes())
    return digest.hexdigest()


class LintCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._prepared = False
        # A source's sha256 by the identity of its bytes object (kept alive here): the result
        # key and the summary key of one file hash it once.
        self._digests: dict[int, tuple[bytes, str]] = {}

    def _digest(self, source: bytes) -> str:
        known = self._digests.get(id(source))
        if known is not None and known[0] is source:
            return known[1]
        digest = hashlib.sha256(source).hexdigest()
        self._digests[id(source)] = (source, digest)
        return digest

    def key(
        self,
        filename: str,
        source: bytes,
        enabled: frozenset[str],
        roots: Mapping[str, Reason] | None = None,
    ) -> str:
        """A result's key: also the functions other modules make graph code in the file (with
        their reasons, which messages quote), so that a change elsewhere that changes them
        re-judges the file, and any other change does not."""
        parts = [
            build_fingerprint(),
            filename,
            sorted(enabled),
            self._digest(source),
            sorted((name, astuple(reason)) for name, reason in (roots or {}).items()),
        ]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def summary_key(self, filename: str, source: bytes, enabled: frozenset[str]) -> str:
        """A summary's key: the content (and how it is read: a notebook or not), not the name."""
        parts = [
            "summary",
            build_fingerprint(),
            filename.endswith(".ipynb"),
            sorted(enabled),
            self._digest(source),
        ]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def get_summary(self, key: str) -> ModuleSummary | None:
        try:
            data = json.loads(self._entry(key, "summaries").read_bytes())
            if not isinstance(data, dict) or data.get("key") != key:
                return None
            return ModuleSummary.from_json(data["summary"])
        except _DAMAGED:
            return None

    def has_summary(self, key: str) -> bool:
        return self._entry(key, "summaries").is_file()

    def put_summary(self, key: str, summary: ModuleSummary) -> None:
        self._write(self._entry(key, "summaries"), {"key": key, "summary": summary.to_json()})

    def roots_hint(self, filename: str) -> dict[str, Reason]:
        """The external roots the file got in the last run (a guess that saves analysing it
        twice when it changed: once to summarise it, once with its roots)."""
        key = hashlib.sha256(json.dumps(["roots", filename]).encode()).hexdigest()
        try:
            data = json.loads(self._entry(key, "roots").read_bytes())
            return {str(k): _reason(*v) for k, v in data.items()}
        except _DAMAGED:
            return {}

    def put_roots_hint(self, filename: str, roots: Mapping[str, Reason]) -> None:
        key = hashlib.sha256(json.dumps(["roots", filename]).encode()).hexdigest()
        self._write(self._entry(key, "roots"), {k: list(astuple(r)) for k, r in roots.items()})

    def link_key(self, summary_keys: Mapping[str, str], roots: list[Path]) -> str:
        """The link step's key: every file of the run by name and summary key, the command-line
        roots and the working directory (imports resolve from both)."""
        parts = [
            "link",
            build_fingerprint(),
            sorted(summary_keys.items()),
            [str(root) for root in roots],
            str(Path.cwd()),
        ]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def get_link(self, key: str) -> tuple[list[str], dict[str, dict[str, Reason]]] | None:
        """The project's files and each file's external roots, as the link step last found
        them for exactly these files: a warm run then reads no summary at all."""
        try:
            data = json.loads(self._entry(key, "links").read_bytes())
            if not isinstance(data, dict) or data.get("key") != key:
                return None
            external = {
                str(filename): {str(name): _reason(*reason) for name, reason in roots.items()}
                for filename, roots in data["external"].items()
            }
            return [str(name) for name in data["files"]], external
        except _DAMAGED:
            return None

    def put_link(
        self, key: str, files: list[str], external: Mapping[str, Mapping[str, Reason]]
    ) -> None:
        roots = {
            filename: {name: list(astuple(reason)) for name, reason in by_name.items()}
            for filename, by_name in external.items()
        }
        self._write(self._entry(key, "links"), {"key": key, "files": files, "external": roots})

    def _entry(self, key: str, kind: str = "entries") -> Path:
        """Results in `entries/`, summaries in `summaries/`, last roots in `roots/`,
        link results in `links/`."""
        return self.directory / kind / key[:2] / f"{key[2:]}.json"

    def get(self, key: str, filename: str) -> FileResult | None:
        """The cached result for `filename` (findings, and the --verbose notes such as a
        notebook's skipped cells), or None on a miss (a damaged entry included)."""
        try:
            data = json.loads(self._entry(key).read_bytes())
            if not isinstance(data, dict) or data.get("key") != key:
                return None
            items = data["diagnostics"]
            if not isinstance(items, list) or not all(_well_formed(i, filename) for i in items):
                return None
            notes = data.get("notes", [])
            if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
                return None
            found = tuple(Diagnostic.from_dict(item) for item in items)
            return FileResult(filename, found, notes=tuple(notes))
        except _DAMAGED:
            return None

    def put(self, key: str, result: FileResult) -> None:
        data = {
            "key": key,
            "diagnostics": [d.to_dict() for d in result.diagnostics],
            "notes": list(result.notes),
        }
        self._write(self._entry(key), data)

    def _write(self, entry: Path, data: Any) -> None:
        with suppress(OSError):
            self._prepare()
            entry.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(entry, json.dumps(data).encode())

    def _prepare(self) -> None:
        """Create the directory with a CACHEDIR.TAG, so backup tools skip it."""
        if self._prepared:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        tag = self.directory / "CACHEDIR.TAG"
        if not tag.is_file():
            write_atomically(tag, _CACHEDIR_TAG.encode())
        self._prepared = True


def _well_formed(item: Any, filename: str) -> bool:
    """An entry's finding as tflint writes it: the file's own name, a known code, text where
    text belongs and positions that are positive integers; nothing verified (verdicts are never
    cached)."""
    return (
        isinstance(item, dict)
        and item.get("code") in RULES
        and item.get("filename") == filename
        and isinstance(item.get("message"), str)
        and _position(item.get("location"))
        and _position(item.get("end_location"))
        and _optional(item.get("symbol"), str)
        and (item.get("cell") is None or _positive(item.get("cell")))
        and item.get("verification") is None
        and (item.get("fix") is None or _well_formed_fix(item["fix"]))
    )


def _well_formed_fix(fix: Any) -> bool:
    return (
        isinstance(fix, dict)
        and isinstance(fix.get("message"), str)
        and fix.get("applicability") in ("safe", "unsafe")
        and isinstance(fix.get("edits"), list)
        and all(
            isinstance(edit, dict)
            and isinstance(edit.get("content"), str)
            and _position(edit.get("location"))
            and _position(edit.get("end_location"))
            for edit in fix["edits"]
        )
    )


def _position(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"row", "column"}
        and all(_positive(value[name]) for name in ("row", "column"))
    )


def _positive(value: Any) -> bool:
    return type(value) is int and value >= 1


def _optional(value: Any, kind: type) -> bool:
    return value is None or isinstance(value, kind)


def _reason(text: str, autograph: bool, converts_print: bool, tensors: list[str] | None) -> Reason:
    names = None if tensors is None else tuple(map(str, tensors))
    return Reason(str(text), bool(autograph), bool(converts_print), names)
