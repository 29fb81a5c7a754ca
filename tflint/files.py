"""Which files to lint, and reading them without ever crashing on what we find.

Paths given on the command line are always linted (excludes apply to what walks find, or to
everything with force-exclude); directories are walked for `.py`/`.pyi`/`.ipynb` files with
excludes pruned early; and every problem — a missing path, an unreadable directory, a broken
symlink, a binary or huge file, an undecodable one — becomes a one-line TF002 for that path
while the run goes on.
"""

from __future__ import annotations

import io
import os
import tempfile
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tflint.config import Settings
from tflint.diagnostics import Diagnostic, Location

SOURCE_SUFFIXES = frozenset({".py", ".pyi", ".ipynb"})
MAX_FILE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Unreadable:
    """A path that could not be linted, with the reason in words."""

    path: str
    reason: str


def discover(paths: list[Path], settings: Settings) -> Iterator[Path | Unreadable]:
    """Files to lint in a deterministic order, and problems met on the way."""
    for path in paths:
        if path.is_symlink() and not path.exists():
            yield Unreadable(str(path), "broken symbolic link")
        elif path.is_dir():
            yield from _walk(path, settings)
        elif path.exists():
            # Named on the command line: linted even if excluded, like ruff, unless
            # force-exclude says otherwise (pre-commit names every file it passes).
            if not (settings.force_exclude and settings.is_excluded(str(path))):
                yield path
        else:
            yield Unreadable(str(path), "no such file or directory")


def _walk(directory: Path, settings: Settings) -> Iterator[Path | Unreadable]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as error:
        yield Unreadable(str(directory), f"cannot read directory: {error.strerror}")
        return
    for entry in entries:
        path = Path(entry.path)
        if settings.is_excluded(entry.path):
            continue
        try:
            is_dir = entry.is_dir()
            is_file = entry.is_file()
        except OSError as error:
            yield Unreadable(entry.path, f"cannot stat: {error.strerror}")
            continue
        if is_dir:
            yield from _walk(path, settings)
        elif path.suffix in SOURCE_SUFFIXES:
            if is_file:
                yield path
            elif entry.is_symlink():
                yield Unreadable(entry.path, "broken symbolic link")


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
    return data


def source_encoding(data: bytes) -> str:
    """The encoding Python reads these source bytes with (PEP 263 cookie, BOM, else UTF-8);
    `--fix` encodes the fixed text back with it."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return encoding


def write_atomically(
    path: Path, data: bytes, mode: int | None = None, durable: bool = False
) -> None:
    """Write via a temporary file in the same directory and a rename, so no reader (another run,
    an editor) and no crash ever sees a half-written file. `durable` also flushes it to disk
    first (user files, not cache entries); `mode` sets its permission bits."""
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
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def unreadable_diagnostic(problem: Unreadable) -> Diagnostic:
    """TF002: the file could not be read or decoded as Python source."""
    location = Location(1, 1)
    return Diagnostic("TF002", problem.reason, problem.path, location, location)
