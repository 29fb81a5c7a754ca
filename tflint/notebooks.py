"""Jupyter notebooks (.ipynb) ↔ Python code: lint the code cells as one module, report per cell.

Each code cell is first turned into the Python IPython runs for it (tflint.ipython_syntax:
magics, shell escapes, help, dedented cells, `%%time` bodies), row for row. A cell that is
still not Python is one TF001 in that cell and is left out; a cell in another language
(`%%bash`, `%%R`, ...) is skipped, with a note for `--verbose`. The remaining cells are joined
into one source, in order, so graph-code detection sees functions and imports defined in
earlier cells. Findings are mapped back to (cell, row, column in the cell's own text), with
the cell numbered from 1 among all the notebook's cells, as an editor shows them.

The notebook is read with the standard json module (nbformat stays optional). `--fix` edits the
file's JSON text in place: only the `source` values of the cells it changed are rewritten, and
inside a list-of-lines source only the lines the fix touched, so outputs, metadata, key order,
duplicate keys, number spellings (`1E100`), escapes (`\\/`), CRLF line breaks and a BOM all stay
byte for byte as they were.
"""

from __future__ import annotations

import bisect
import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from tflint.diagnostics import Diagnostic, Edit, FileResult, Fix, Location, is_applicable
from tflint.engine import guarded
from tflint.engine import lint_source as lint_python
from tflint.files import Unreadable, unreadable_diagnostic
from tflint.fixes import MAX_FIX_ROUNDS, FixedText, FixError, apply_fixes
from tflint.ipython_syntax import CellCode, cell_code, common_prefix, syntax_error

NOTEBOOK_SUFFIX = ".ipynb"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DECODER = json.JSONDecoder()


def is_notebook(filename: str) -> bool:
    return filename.endswith(NOTEBOOK_SUFFIX)


@dataclass(frozen=True)
class CodeCell:
    """A code cell: its 1-based position among all cells and its source as the file has it."""

    number: int
    source: str


@dataclass(frozen=True)
class Notebook:
    """The JSON text (kept for rewriting in place), its parsed form, and the code cells."""

    text: str  # the file decoded, without its BOM
    bom: bool
    data: dict[str, Any]
    cells: tuple[CodeCell, ...]
    language: str  # the kernel's language, lower case ("python" when the file does not say)


def parse_notebook(data: bytes) -> Notebook | str:
    """The notebook, or a one-line reason why the bytes are not an nbformat 4 notebook."""
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        text = data[len(codecs.BOM_UTF8) if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError as error:
        return f"invalid notebook: not UTF-8 ({error.reason} at byte {error.start})"
    document = _load_json(text)
    if isinstance(document, str):
        return document
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        return "invalid notebook: no `cells` list (not an nbformat 4 notebook)"
    code_cells = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            return f"invalid notebook: cell {number} has no `cell_type`"
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            return f"invalid notebook: cell {number} has a `source` that is not text"
        if not _is_text(source):
            return f"invalid notebook: cell {number} has a lone surrogate escape in its `source`"
        if cell["cell_type"] == "code":
            code_cells.append(CodeCell(number, source))
    return Notebook(text, bom, document, tuple(code_cells), _language(document))


def _load_json(text: str) -> Any:
    """The parsed JSON, or the reason (a str) it is not JSON Python can hold."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        return f"invalid notebook: not valid JSON ({error.msg}, line {error.lineno})"
    except ValueError as error:  # an integer over Python's 4,300-digit conversion limit
        return f"invalid notebook: {str(error).split(';')[0]}"
    except RecursionError:
        return "invalid notebook: JSON nested too deeply"


def _is_text(source: str) -> bool:
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _language(document: dict[str, Any]) -> str:
    """The kernel's language: notebooks of other kernels (R, Julia, ...) are not Python."""
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return "python"
    for key, field in (("language_info", "name"), ("kernelspec", "language")):
        info = metadata.get(key)
        if isinstance(info, dict) and isinstance(info.get(field), str):
            return str(info[field]).lower()
    return "python"


def split_rows(text: str) -> list[str]:
    """Rows as LibCST counts them (\\r\\n, \\r or \\n), without their line breaks."""
    rows = _LINE_BREAK.split(text)
    return rows[:-1] if rows and rows[-1] == "" else rows


def python_rows(source: str) -> list[str]:
    """The Python IPython runs for the cell, one row for each source row."""
    return list(cell_code(split_rows(source)).rows)


@dataclass(frozen=True)
class CellMap:
    """Where each linted code cell's rows sit in the joined source, and how many columns were
    cut from the start of each of its rows (None: a rewritten magic row)."""

    first_rows: tuple[int, ...]  # 1-based row in the joined source of each cell's first row
    numbers: tuple[int, ...]  # the cell numbers, in the same order
    shifts: tuple[tuple[int | None, ...], ...]  # per cell, per row

    def locate(self, row: int) -> tuple[int, int]:
        """(index of the cell, row within the cell) of a row of the joined source."""
        index = max(bisect.bisect_right(self.first_rows, row) - 1, 0)
        return index, row - self.first_rows[index] + 1

    def to_cell(self, diagnostic: Diagnostic) -> Diagnostic:
        """The finding in cell coordinates. A fix that cannot be mapped exactly into the same
        cell's text (an import added to another cell, an edit in a rewritten magic row, a
        line break inserted into a dedented cell) is dropped: the finding is reported, not
        fixed."""
        index, _ = self.locate(diagnostic.location.row)
        fix = diagnostic.fix
        if fix is not None:
            edits = [self._edit_in(index, edit) for edit in fix.edits]
            mapped = tuple(edit for edit in edits if edit is not None)
            fix = Fix(fix.message, fix.applicability, mapped) if len(mapped) == len(edits) else None
        return replace(
            diagnostic,
            location=self._in_cell(diagnostic.location) or diagnostic.location,
            end_location=self._in_cell(diagnostic.end_location) or diagnostic.end_location,
            fix=fix,
            cell=self.numbers[index],
        )

    def _in_cell(self, location: Location) -> Location | None:
        index, row = self.locate(location.row)
        shifts = self.shifts[index]
        shift = shifts[row - 1] if row <= len(shifts) else 0
        return None if shift is None else Location(row, location.column + shift)

    def _edit_in(self, index: int, edit: Edit) -> Edit | None:
        ends = (edit.location, edit.end_location)
        if any(self.locate(loc.row)[0] != index for loc in ends):
            return None
        start, end = self._in_cell(edit.location), self._in_cell(edit.end_location)
        if start is None or end is None:
            return None
        if any(self.shifts[index]) and ("\n" in edit.content or "\r" in edit.content):
            return None  # its later lines would miss the margin the cell was dedented by
        return Edit(edit.content, start, end)


@dataclass(frozen=True)
class Prepared:
    """The code cells as one Python module, the map back, and what was left out."""

    code: str
    cells: CellMap
    broken: tuple[tuple[CodeCell, SyntaxError, CellCode], ...]  # cells IPython cannot run
    notes: tuple[str, ...]  # cells skipped, for --verbose


def python_source(notebook: Notebook) -> Prepared:
    """The code cells joined into one module (broken and foreign cells blank), with the map."""
    rows: list[str] = []
    first_rows, numbers, shifts = [], [], []
    broken, notes = [], []
    for cell in notebook.cells:
        code = cell_code(split_rows(cell.source))
        if code.skipped is not None:
            notes.append(f"cell {cell.number} skipped: {code.skipped}")
        else:
            error = None if code.compiles else syntax_error(code.text)
            if error is not None:
                broken.append((cell, error, code))
                code = CellCode(("",) * len(code.rows), code.shifts)
        if code.rows:
            first_rows.append(len(rows) + 1)
            numbers.append(cell.number)
            shifts.append(code.shifts)
            rows.extend(code.rows)
    text = "".join(f"{row}\n" for row in rows)
    cells = CellMap(tuple(first_rows), tuple(numbers), tuple(shifts))
    return Prepared(text, cells, tuple(broken), tuple(notes))


def _syntax_diagnostic(
    cell: CodeCell, error: SyntaxError, code: CellCode, filename: str
) -> Diagnostic:
    """TF001 in the broken cell, at Python's position mapped back to the cell's own text."""
    row = min(max(error.lineno or 1, 1), max(len(code.rows), 1))
    shift = code.shifts[row - 1] if row <= len(code.shifts) else 0
    column = max(error.offset or 1, 1) + shift if shift is not None else 1
    location = Location(row, column)
    message = f"syntax error: {str(error.msg).splitlines()[0] if error.msg else error}"
    return Diagnostic("TF001", message, filename, location, location, cell=cell.number)


def lint_notebook(source: bytes, filename: str, enabled: frozenset[str]) -> list[Diagnostic]:
    """Findings for a notebook's code cells; a broken notebook is one TF002."""
    return list(notebook_result(source, filename, enabled).diagnostics)


def notebook_result(source: bytes, filename: str, enabled: frozenset[str]) -> FileResult:
    """The findings and the --verbose notes of one notebook file."""
    notebook = parse_notebook(source)
    if isinstance(notebook, str):
        reason = Unreadable(filename, notebook)
        return FileResult(filename, (unreadable_diagnostic(reason),) if "TF002" in enabled else ())
    diagnostics, notes, _ = _lint_cells(notebook, filename, enabled)
    return FileResult(filename, tuple(diagnostics), notes=notes)


def lint_notebook_file(source: bytes, filename: str, enabled: frozenset[str]) -> FileResult:
    """notebook_result, never raising (a worker's entry point, like engine.lint_bytes)."""
    return guarded(filename, lambda: notebook_result(source, filename, enabled))


def _lint_cells(
    notebook: Notebook, filename: str, enabled: frozenset[str]
) -> tuple[list[Diagnostic], tuple[str, ...], frozenset[int]]:
    """(findings, notes, numbers of the broken cells)."""
    if notebook.language != "python":
        return [], (f"not linted: a {notebook.language} notebook, not Python",), frozenset()
    prepared = python_source(notebook)
    found = [
        prepared.cells.to_cell(d) for d in lint_python(prepared.code.encode(), filename, enabled)
    ]
    if "TF001" in enabled:
        found += [_syntax_diagnostic(*broken, filename) for broken in prepared.broken]
    broken = frozenset(cell.number for cell, _, _ in prepared.broken)
    return sorted(found, key=lambda d: d.sort_key), prepared.notes, broken


def fix_notebook(
    source: bytes, filename: str, enabled: frozenset[str], include_unsafe: bool
) -> tuple[bytes, FixedText]:
    """`--fix` for a notebook: fix, re-lint, repeat (like fixes.fix_until_stable), editing each
    cell's own source; returns the new file bytes (the input when nothing was fixed)."""
    notebook = parse_notebook(source)
    if isinstance(notebook, str):
        remaining = lint_notebook(source, filename, enabled)
        return source, FixedText(source.decode("utf-8", "replace"), 0, remaining)
    original = notebook
    diagnostics, notes, broken = _lint_cells(notebook, filename, enabled)
    fixed = 0
    for _ in range(MAX_FIX_ROUNDS):
        notebook, applied = _apply_to_cells(notebook, diagnostics, include_unsafe)
        if applied == 0:
            break
        diagnostics, notes, now_broken = _lint_cells(notebook, filename, enabled)
        if now_broken - broken:
            raise FixError(f"a fix produced invalid code in cell {min(now_broken - broken)}")
        fixed += applied
    else:
        if any(is_applicable(d, include_unsafe) for d in diagnostics):
            raise FixError(f"fixes did not converge after {MAX_FIX_ROUNDS} rounds")
    if fixed == 0:
        return source, FixedText(original.text, 0, diagnostics, notes)
    changed = {
        new.number: new.source
        for old, new in zip(original.cells, notebook.cells, strict=True)
        if new.source != old.source
    }
    text = rewrite_sources(original, changed)
    data = (codecs.BOM_UTF8 if original.bom else b"") + text.encode("utf-8")
    return data, FixedText(text, fixed, diagnostics, notes)


def _apply_to_cells(
    notebook: Notebook, diagnostics: list[Diagnostic], include_unsafe: bool
) -> tuple[Notebook, int]:
    """Apply each cell's fixes to that cell's source; returns the notebook with new sources."""
    applied = 0
    cells = []
    for cell in notebook.cells:
        in_cell = [d for d in diagnostics if d.cell == cell.number]
        if any(is_applicable(d, include_unsafe) for d in in_cell):
            text, count = apply_fixes(cell.source, in_cell, include_unsafe)
            applied += count
            cell = CodeCell(cell.number, text)
        cells.append(cell)
    return replace(notebook, cells=tuple(cells)), applied


# --- rewriting sources inside the JSON text ---


def rewrite_sources(notebook: Notebook, sources: dict[int, str]) -> str:
    """The notebook's JSON text with the `source` of the given cells (by number) replaced.
    Everything outside those values keeps its bytes; so do the lines of a list-of-lines source
    that the change did not touch. Raises FixError if the result does not read back as the
    same notebook with the new sources (a bug: nothing is written then)."""
    text = notebook.text
    ensure_ascii = text.isascii()
    cells = _elements(text, _member(text, _skip_blanks(text, 0), "cells"))
    pieces, done = [], 0
    for number in sorted(sources):
        start = _member(text, cells[number - 1][0], "source")
        end = _value_end(text, start)
        pieces += [text[done:start], _source_json(text, start, end, sources[number], ensure_ascii)]
        done = end
    new_text = "".join(pieces) + text[done:]
    _check_rewrite(notebook, new_text, sources)
    return new_text


def _check_rewrite(notebook: Notebook, new_text: str, sources: dict[int, str]) -> None:
    reread = parse_notebook(new_text.encode("utf-8"))
    expected = [sources.get(cell.number, cell.source) for cell in notebook.cells]
    if isinstance(reread, str) or [cell.source for cell in reread.cells] != expected:
        raise FixError("the rewritten notebook did not read back as expected")


def _skip_blanks(text: str, at: int) -> int:
    """The index of the first non-whitespace character (JSON's whitespace) from `at` on."""
    while at < len(text) and text[at] in " \t\n\r":
        at += 1
    return at


def _value_end(text: str, start: int) -> int:
    return _DECODER.raw_decode(text, start)[1]


def _member(text: str, start: int, name: str) -> int:
    """Where the value of the object's last `name` member starts (json.loads keeps the last of
    duplicate keys, so the value linted is the one rewritten)."""
    found = None
    for key, value_start in _members(text, start):
        if key == name:
            found = value_start
    if found is None:
        raise FixError(f"the notebook has no `{name}` where it had one")
    return found


def _members(text: str, start: int) -> Iterator[tuple[str, int]]:
    """(key, start of the value) of each member of the object starting at text[start]."""
    at = _skip_blanks(text, start + 1)
    while text[at] != "}":
        key, at = json.decoder.scanstring(text, at + 1)  # type: ignore[attr-defined]
        at = _skip_blanks(text, at) + 1  # past the colon
        value = _skip_blanks(text, at)
        yield key, value
        at = _skip_blanks(text, _value_end(text, value))
        if text[at] == ",":
            at = _skip_blanks(text, at + 1)


def _elements(text: str, start: int) -> list[tuple[int, int]]:
    """(start, end) of each element of the array starting at text[start]."""
    spans = []
    at = _skip_blanks(text, start + 1)
    while text[at] != "]":
        end = _value_end(text, at)
        spans.append((at, end))
        at = _skip_blanks(text, end)
        if text[at] == ",":
            at = _skip_blanks(text, at + 1)
    return spans


def _source_json(text: str, start: int, end: int, new: str, ensure_ascii: bool) -> str:
    """The JSON for a cell's new source, in the form the old one had (a string, or a list of
    lines whose untouched items keep their exact text and separators)."""
    items = _elements(text, start) if text[start] == "[" else None
    if items is None:
        return json.dumps(new, ensure_ascii=ensure_ascii)
    if not items:
        return json.dumps(_split_lines(new), ensure_ascii=ensure_ascii)
    old_lines = [json.loads(text[a:b]) for a, b in items]
    head, middle, tail = _changed_lines(old_lines, new)
    raw = [text[a:b] for a, b in items[:head]]
    raw += [json.dumps(line, ensure_ascii=ensure_ascii) for line in _split_lines(middle)]
    raw += [text[a:b] for a, b in items[len(items) - tail :]]
    separator = (
        text[items[0][1] : items[1][0]] if len(items) > 1 else "," + text[start + 1 : items[0][0]]
    )
    if not raw:
        return "[]"
    return text[start : items[0][0]] + separator.join(raw) + text[items[-1][1] : end]


def _changed_lines(old_lines: list[str], new: str) -> tuple[int, str, int]:
    """(lines kept at the start, the new text between, lines kept at the end): the kept lines
    lie wholly in the text the old and new sources share at their start and end."""
    old = "".join(old_lines)
    prefix = common_prefix(old, new)
    suffix = min(common_prefix(old[::-1], new[::-1]), min(len(old), len(new)) - prefix)
    head, start = 0, 0
    while head < len(old_lines) and start + len(old_lines[head]) <= prefix:
        start += len(old_lines[head])
        head += 1
    tail, stop = 0, len(old)
    while tail < len(old_lines) - head and stop - len(old_lines[-1 - tail]) >= len(old) - suffix:
        stop -= len(old_lines[-1 - tail])
        tail += 1
    return head, new[start : len(new) - (len(old) - stop)], tail


def _split_lines(text: str) -> list[str]:
    """Lines as Jupyter stores them, split after each \\n only (never at \\f or U+2028)."""
    return re.findall(r"[^\n]*\n|[^\n]+", text)
