"""`# noqa`, `# noqa: TF101,TF105` on the reported line, and file-level `# tflint: noqa`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tflint.diagnostics import Diagnostic

_CODES = r"[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*"
_LINE_NOQA = re.compile(rb"#\s*noqa(?::\s*(?P<codes>" + _CODES.encode() + rb"))?", re.IGNORECASE)
_FILE_NOQA = re.compile(
    rb"^\s*#\s*tflint\s*:\s*noqa(?::\s*(?P<codes>" + _CODES.encode() + rb"))?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_ALL = frozenset({"*"})


def _codes(match: re.Match[bytes]) -> frozenset[str]:
    codes = match.group("codes")
    if codes is None:
        return _ALL
    return frozenset(re.split(r"[\s,]+", codes.decode().strip().upper()))


def _suppresses(codes: frozenset[str], code: str) -> bool:
    return codes is _ALL or code in codes


def file_suppressions(source: bytes) -> frozenset[str]:
    """Codes silenced for the whole file (`*` for all)."""
    matches = list(_FILE_NOQA.finditer(source))
    if any(m.group("codes") is None for m in matches):
        return _ALL
    return frozenset(code for m in matches for code in _codes(m))


def line_suppressions(source: bytes) -> dict[int, frozenset[str]]:
    """1-based row → codes silenced on that line."""
    table: dict[int, frozenset[str]] = {}
    if b"noqa" not in source.lower():
        return table
    for row, line in enumerate(source.splitlines(), start=1):
        match = _LINE_NOQA.search(line)
        if match is not None and not _FILE_NOQA.match(line):
            table[row] = _codes(match)
    return table


def apply_suppressions(diagnostics: Iterable[Diagnostic], source: bytes) -> list[Diagnostic]:
    whole_file = file_suppressions(source)
    by_line = line_suppressions(source)
    return [
        d
        for d in diagnostics
        if not _suppresses(whole_file, d.code)
        and not _suppresses(by_line.get(d.location.row, frozenset()), d.code)
    ]
