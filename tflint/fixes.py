"""Applying fixes (`--fix`, `--diff`): text edits in, fixed text out, written only when safe.

`apply_fixes` is the pure core (also used per notebook cell): it applies every selected fix whose
edits do not overlap one already taken, in file order. `fix_until_stable` repeats
fix → re-lint like ruff, because a skipped (overlapping) fix, or one the first round made
possible, only shows up after re-linting. `fix_file` does one file: it refuses to write a result
that does not parse, writes atomically, and keeps the file's encoding, newlines and mode.
"""

from __future__ import annotations

import ast
import difflib
import itertools
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from tflint.diagnostics import (
    Diagnostic,
    FileFix,
    FileResult,
    FixMode,
    Location,
    is_applicable,
)
from tflint.engine import Linter, guarded, line_starts, lint_source
from tflint.files import source_encoding, write_atomically

MAX_FIX_ROUNDS = 10


class FixError(Exception):
    """The fixes could not be applied safely; the file is left as it was."""


@dataclass(frozen=True)
class FixedText:
    text: str
    fixed: int
    remaining: list[Diagnostic]
    notes: tuple[str, ...] = ()  # FileResult.notes


def apply_fixes(
    text: str, diagnostics: Iterable[Diagnostic], include_unsafe: bool
) -> tuple[str, int]:
    """Apply the fixes that may run, in file order, to `text`; returns (new text, fixes applied).

    Identical edits from different fixes (each wanting `import tensorflow as tf`) are made once.
    A fix with an edit that overlaps an edit already taken is skipped whole: it is still reported
    after re-linting, where `fix_until_stable` gets to it.
    """
    starts = line_starts(text)
    taken: set[tuple[int, int, str]] = set()
    applied = 0
    for diagnostic in sorted(diagnostics, key=lambda d: d.sort_key):
        fix = diagnostic.fix
        if fix is None or not is_applicable(diagnostic, include_unsafe):
            continue
        edits = {
            (
                _offset(starts, edit.location),
                _offset(starts, edit.end_location),
                edit.content,
            )
            for edit in fix.edits
        }
        new = sorted(edits - taken)
        if _overlapping(new) or any(_overlap(a, b) for a in new for b in taken):
            continue
        taken.update(new)
        applied += 1
    for start, end, content in sorted(taken, reverse=True):
        text = text[:start] + content + text[end:]
    return text, applied


def _offset(starts: list[int], location: Location) -> int:
    if not 1 <= location.row < len(starts):
        raise FixError(f"fix edit at row {location.row} is outside the file")
    offset = starts[location.row - 1] + location.column - 1
    if not starts[location.row - 1] <= offset <= starts[location.row]:
        raise FixError(f"fix edit at {location.row}:{location.column} is outside its line")
    return offset


def _overlap(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    """Ranges that share characters, or two insertions at one point (their order is unknown)."""
    same_insertion_point = a[0] == a[1] == b[0] == b[1]
    return (a[0] < b[1] and b[0] < a[1]) or same_insertion_point


def _overlapping(edits: list[tuple[int, int, str]]) -> bool:
    return any(_overlap(a, b) for i, a in enumerate(edits) for b in edits[i + 1 :])


def fix_until_stable(
    text: str, lint: Callable[[str], list[Diagnostic]], include_unsafe: bool
) -> FixedText:
    """Fix, re-lint, repeat until no fix applies; every intermediate text must still parse.

    Raises FixError when a fix breaks the code or the fixes keep finding work after
    MAX_FIX_ROUNDS rounds (a fix that re-creates its finding: a bug, never written out).
    """
    original_compiles = _compiles(text)
    diagnostics = lint(text)
    fixed = 0
    for _ in range(MAX_FIX_ROUNDS):
        new_text, applied = apply_fixes(text, diagnostics, include_unsafe)
        if applied == 0:
            return FixedText(text, fixed, diagnostics)
        _check_parses(new_text, original_compiles)
        text, fixed = new_text, fixed + applied
        diagnostics = lint(text)
    if any(is_applicable(d, include_unsafe) for d in diagnostics):
        raise FixError(f"fixes did not converge after {MAX_FIX_ROUNDS} rounds")
    return FixedText(text, fixed, diagnostics)


def _compiles(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _check_parses(text: str, must_compile: bool) -> None:
    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        raise FixError(f"a fix produced invalid code ({error.message.splitlines()[0]})") from None
    if must_compile and not _compiles(text):
        raise FixError("a fix produced code Python cannot compile")


def fix_source(
    source: bytes, filename: str, enabled: frozenset[str], include_unsafe: bool
) -> tuple[bytes, FixedText]:
    """Fix one Python file's bytes; the result is encoded like the input (cookie, BOM, CRLF)."""
    encoding = source_encoding(source)

    def lint(text: str) -> list[Diagnostic]:
        return lint_source(text.encode(encoding), filename, enabled)

    fixed = fix_until_stable(source.decode(encoding), lint, include_unsafe)
    if fixed.fixed == 0:
        return source, fixed
    try:
        return fixed.text.encode(encoding), fixed
    except UnicodeEncodeError as error:
        raise FixError(f"the fixed text cannot be encoded as {encoding}: {error.reason}") from None


Fixer = Callable[[bytes, str, frozenset[str], bool], tuple[bytes, FixedText]]


def fix_file(
    source: bytes,
    filename: str,
    enabled: frozenset[str],
    mode: FixMode,
    fixer: Fixer = fix_source,
    lint: Linter = lint_source,
) -> FileFix:
    """Fix one file read as `source` (with `fixer`/`lint`: notebooks' for .ipynb): write it
    back (or diff it); never raises."""

    def work() -> FileFix:
        try:
            new_source, fixed = fixer(source, filename, enabled, mode.include_unsafe)
        except FixError as error:
            # Refused, the file is left as it was: its findings all remain, with the reason.
            original = FileResult(filename, tuple(lint(source, filename, enabled)))
            return FileFix(original, write_error=f"fixes not applied: {error}")
        result = FileResult(filename, tuple(fixed.remaining), notes=fixed.notes)
        if new_source == source:
            return FileFix(result)
        if not mode.write:
            encoding = source_encoding(source)
            diff = unified_diff(filename, source.decode(encoding), fixed.text)
            return FileFix(result, fixed.fixed, diff, fixed_source=new_source)
        try:
            write_fixed(Path(filename), source, new_source)
        except OSError as error:
            # The findings stay as they were on disk: report the original ones.
            original = FileResult(filename, tuple(lint(source, filename, enabled)))
            return FileFix(original, write_error=f"cannot write fixes: {error.strerror or error}")
        return FileFix(result, fixed.fixed)

    outcome = guarded(filename, work)
    return outcome if isinstance(outcome, FileFix) else FileFix(outcome)


def write_fixed(path: Path, expected: bytes, data: bytes) -> None:
    """Replace the file's content atomically, keeping its mode, owner and group, unless it is
    read-only, has other hard links (a rename would split them) or changed since it was read
    (an editor saved it meanwhile): then raise OSError and leave it alone. The last check runs
    after the new content is on disk, just before the rename."""
    target = Path(os.path.realpath(path))  # a symlink keeps pointing at the fixed file
    before = target.stat()
    mode = stat.S_IMODE(before.st_mode)
    # os.replace would happily swap out a read-only file (and root may write anything).
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        raise PermissionError(0, "file is read-only")
    if before.st_nlink > 1:
        raise OSError(
            0, f"file has {before.st_nlink} hard links, which writing by rename would split"
        )

    def unchanged() -> None:
        try:
            now = target.stat()
            same = _identity(now) == _identity(before) and target.read_bytes() == expected
        except FileNotFoundError:
            same = False
        if not same:
            raise OSError(0, "file changed while it was being fixed")

    unchanged()
    write_atomically(
        target, data, mode, durable=True, owner=(before.st_uid, before.st_gid), check=unchanged
    )


def _identity(status: os.stat_result) -> tuple[int, ...]:
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


def unified_diff(filename: str, before: str, after: str) -> str:
    """A unified diff like `ruff --diff`; line breaks are kept as they are in the file."""
    lines = difflib.unified_diff(_lines(before), _lines(after), fromfile=filename, tofile=filename)
    return "".join(
        line if line.endswith(("\n", "\r")) else f"{line}\n\\ No newline at end of file\n"
        for line in lines
    )


def _lines(text: str) -> list[str]:
    starts = line_starts(text)
    return [text[start:end] for start, end in itertools.pairwise(starts) if end > start]
