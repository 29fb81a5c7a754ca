"""Which files to lint, and reading them without ever crashing on what we find.

Python files named on the command line are always linted (excludes and .gitignore apply to
what walks find, or excludes to everything with force-exclude); directories are walked for
`.py`/`.pyi`/`.ipynb` files with excludes and git-ignored paths pruned early, never through a
link to a directory; and every problem — a missing path, an unreadable file or directory, a
broken symlink, a FIFO or device (never opened: reading one can block forever), a binary or
huge file, an undecodable one — becomes a one-line TF002 for that path while the run goes on.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from tflint.config import Excludes
from tflint.diagnostics import Diagnostic, Location

SOURCE_SUFFIXES = frozenset({".py", ".pyi", ".ipynb"})
MAX_FILE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Unreadable:
    """A path that could not be linted, with the reason in words."""

    path: str
    reason: str


def discover(paths: list[Path], settings: Excludes) -> Iterator[Path | Unreadable]:
    """Files to lint in a deterministic order, and problems met on the way.

    Directories are walked without following symbolic links to directories (as ruff does):
    a link to `..` would otherwise be walked forever, and a link to a sibling lints the same
    files twice. Each directory is entered once, by (device, inode), however it is named.
    """
    walk = _Walk(settings)
    for path in paths:
        yield from walk.named(path)


class _Walk:
    """One discovery: the directories already entered, and the ignore files met on the way."""

    def __init__(self, settings: Excludes) -> None:
        self.settings = settings
        self.visited: set[tuple[int, int]] = set()

    def named(self, path: Path) -> Iterator[Path | Unreadable]:
        """A path from the command line: a directory is walked; a file is linted even if
        excluded (like ruff, unless force-exclude: pre-commit names every file it passes)."""
        try:
            status = path.stat()
        except OSError as error:
            yield Unreadable(str(path), _stat_problem(path, error))
            return
        if stat.S_ISDIR(status.st_mode):
            ignores = gitignores_above(path) if self.settings.respect_gitignore else ()
            if is_ignored(str(path), True, ignores):
                ignores = ()  # a folder named inside an ignored one is linted: it was asked for
            yield from self.directory(path, status, ignores)
        elif not stat.S_ISREG(status.st_mode):
            yield Unreadable(str(path), f"not a regular file ({_kind(status.st_mode)})")
        elif is_python_file(path) and not (
            self.settings.force_exclude and self.settings.is_excluded(str(path))
        ):
            yield path

    def directory(
        self, directory: Path, status: os.stat_result, ignores: tuple[Gitignore, ...]
    ) -> Iterator[Path | Unreadable]:
        identity = (status.st_dev, status.st_ino)
        if identity in self.visited:
            return
        self.visited.add(identity)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as error:
            yield Unreadable(str(directory), f"cannot read directory: {error.strerror}")
            return
        if self.settings.respect_gitignore:
            ignores = (*ignores, *Gitignore.load(directory))
        for entry in entries:
            yield from self.entry(entry, ignores)

    def entry(
        self, entry: os.DirEntry[str], ignores: tuple[Gitignore, ...]
    ) -> Iterator[Path | Unreadable]:
        if self.settings.is_excluded(entry.path):
            return
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError as error:
            yield Unreadable(str(Path(entry.path)), f"cannot stat: {error.strerror}")
            return
        if is_ignored(entry.path, is_dir, ignores):
            return
        if is_dir:
            try:
                status = entry.stat(follow_symlinks=False)
            except OSError as error:
                yield Unreadable(str(Path(entry.path)), f"cannot stat: {error.strerror}")
                return
            yield from self.directory(Path(entry.path), status, ignores)
        elif Path(entry.name).suffix in SOURCE_SUFFIXES:
            yield from _source_entry(entry, is_link)


def _source_entry(entry: os.DirEntry[str], is_link: bool) -> Iterator[Path | Unreadable]:
    """A `.py`/`.pyi`/`.ipynb` name met in a walk (a link to a directory is not followed)."""
    try:
        status = entry.stat()
    except FileNotFoundError:
        if is_link:
            yield Unreadable(str(Path(entry.path)), "broken symbolic link")
        return
    except OSError as error:
        yield Unreadable(str(Path(entry.path)), f"cannot stat: {error.strerror}")
        return
    if stat.S_ISREG(status.st_mode):
        yield Path(entry.path)
    elif not stat.S_ISDIR(status.st_mode):
        yield Unreadable(str(Path(entry.path)), f"not a regular file ({_kind(status.st_mode)})")


def _stat_problem(path: Path, error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "broken symbolic link" if path.is_symlink() else "no such file or directory"
    return f"cannot read: {error.strerror or error}"


def _kind(mode: int) -> str:
    """Words for a file that is neither a regular file nor a directory (reading a FIFO or a
    character device could block forever, so they are never opened)."""
    kinds = (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((words for test, words in kinds if test(mode)), "not a file")


def is_python_file(path: Path) -> bool:
    """A file named on the command line is linted when it is Python source by its suffix, or
    has no suffix and a `python` shebang (a script, as pre-commit's `python` type counts it);
    any other (a README.txt) is skipped as ruff skips it."""
    if path.suffix in SOURCE_SUFFIXES:
        return True
    if path.suffix:
        return False
    try:
        with path.open("rb") as handle:
            first = handle.readline(256)
    except OSError:
        return True  # linted, so the reason it cannot be read is reported
    return first.startswith(b"#!") and b"python" in first


class Gitignore:
    """One `.gitignore` (or `.git/info/exclude`): git's patterns, matched by `pathspec`,
    relative to the directory they apply to."""

    def __init__(self, base: Path, spec: pathspec.GitIgnoreSpec) -> None:
        self.base = os.path.abspath(base)  # noqa: PTH100 (no symlinks resolved)
        self.spec = spec

    @classmethod
    def load(cls, directory: Path, name: str = ".gitignore") -> tuple[Gitignore, ...]:
        """The ignore file in `directory` (none when it is missing or unreadable)."""
        try:
            lines = (directory / name).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ()
        return (cls(directory, pathspec.GitIgnoreSpec.from_lines(lines)),)

    def decision(self, path: str, is_dir: bool) -> bool | None:
        """True: ignored; False: re-included by a `!pattern`; None: not mentioned."""
        relative = os.path.relpath(path, self.base)
        if relative.split(os.sep, 1)[0] == "..":
            return None
        relative = relative.replace(os.sep, "/") + ("/" if is_dir else "")
        return self.spec.check_file(relative).include


_GIT_EXCLUDE = ".git/info/exclude"


def is_ignored(path: str, is_dir: bool, ignores: tuple[Gitignore, ...]) -> bool:
    """git's rule: the deepest ignore file that mentions the path decides."""
    if not ignores:
        return False
    ignored = False
    absolute = os.path.abspath(path)  # noqa: PTH100 (as walked, no symlinks resolved)
    for ignore in ignores:
        decision = ignore.decision(absolute, is_dir)
        if decision is not None:
            ignored = decision
    return ignored


def gitignores_above(directory: Path) -> tuple[Gitignore, ...]:
    """The ignore files that apply to `directory` from above it: those of its parents up to
    the root of the git repository holding it (and that repository's `.git/info/exclude`).
    Outside a repository only the walked directories' own `.gitignore` files count."""
    chain = [Path(os.path.abspath(directory))]  # noqa: PTH100 (as named)
    chain += chain[0].parents
    # os.path.exists: a folder that cannot be searched is no repository root, not an error.
    root = next((folder for folder in chain if os.path.exists(folder / ".git")), None)  # noqa: PTH110
    if root is None:
        return ()
    found = Gitignore.load(root, _GIT_EXCLUDE)
    for parent in reversed(chain[1 : chain.index(root) + 1]):
        found += Gitignore.load(parent)
    return found


def read_source(path: Path) -> bytes | Unreadable:
    """The file's bytes, or why they cannot be linted."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Unreadable(str(path), f"file is {size / 1e6:.1f} MB, over the 10 MB limit")
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        return Unreadable(str(path), "is a directory")
    except OSError as error:
        return Unreadable(str(path), f"cannot read: {error.strerror or error}")
    return check_decodable(str(path), data)


def check_decodable(name: str, data: bytes) -> bytes | Unreadable:
    """Binary and undecodable files are reported, not parsed."""
    if len(data) > MAX_FILE_BYTES:
        return Unreadable(name, "file is over the 10 MB limit")
    if b"\x00" in data[:8192]:
        return Unreadable(name, "binary file (contains NUL bytes)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:  # an unknown cookie, or undecodable first lines
        encoding = "utf-8"
        if "unknown encoding" in str(error):
            return Unreadable(name, f"cannot decode: {str(error).split(' for ')[0]}")
    try:
        data.decode(encoding)
    except UnicodeDecodeError as error:
        byte = data[error.start : error.start + 1].hex()
        return Unreadable(
            name,
            f"cannot decode as {encoding}: byte 0x{byte} at offset {error.start} "
            "(add a `# -*- coding: ... -*-` line or save the file as UTF-8)",
        )
    except LookupError:  # a codec that is not a text encoding: rot13, base64, zlib, ...
        return Unreadable(name, f"cannot decode: `{encoding}` is not a text encoding")
    except UnicodeError as error:  # codecs such as punycode or undefined fail this way
        return Unreadable(name, f"cannot decode as {encoding}: {error}")
    return data


def source_encoding(data: bytes) -> str:
    """The encoding Python reads these source bytes with (PEP 263 cookie, BOM, else UTF-8);
    `--fix` encodes the fixed text back with it."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return encoding


def write_atomically(
    path: Path,
    data: bytes,
    mode: int | None = None,
    durable: bool = False,
    owner: tuple[int, int] | None = None,
    check: Callable[[], None] | None = None,
) -> None:
    """Write via a temporary file in the same directory and a rename, so no reader (another run,
    an editor) and no crash ever sees a half-written file. `durable` also flushes it to disk
    first (user files, not cache entries); `mode` sets its permission bits, `owner` its
    (uid, gid) where allowed; `check` runs just before the rename and may raise to abort it."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        if mode is not None:
            temporary.chmod(mode)
        if owner is not None:
            _chown(temporary, *owner)
        if check is not None:
            check()
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _chown(path: Path, uid: int, gid: int) -> None:
    """Give the file this owner and group (root may), else just the group (a member may);
    otherwise it keeps the writer's, as any editor's save would."""
    for user in (uid, -1):
        try:
            os.chown(path, user, gid)
        except OSError:
            continue
        return


def unreadable_diagnostic(problem: Unreadable) -> Diagnostic:
    """TF002: the file could not be read or decoded as Python source."""
    location = Location(1, 1)
    return Diagnostic("TF002", problem.reason, problem.path, location, location)
