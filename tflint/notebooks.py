"""Jupyter notebooks (.ipynb) ↔ Python code: lint the code cells as one module, report per cell.

The code cells are joined into one source, in order, so graph-code detection sees functions and
imports defined in earlier cells. IPython syntax that is not Python — `%line` and `!shell`
magics, `obj?` help, and whole `%%cell` magics — becomes `pass`/blank lines of the same
indentation, so every row keeps its number. Findings are mapped back to (cell, row in cell),
with the cell numbered from 1 among all the notebook's cells, as an editor shows them.

The notebook is read with the standard json module (nbformat stays optional), and `--fix`
rewrites only the sources of the cells it changed, keeping outputs, metadata, key order, the
indentation and the trailing newline as they were.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from tflint.diagnostics import Diagnostic, Edit, Fix, Location, is_applicable
from tflint.engine import SyntaxProblem, parse
from tflint.engine import lint_source as lint_python
from tflint.files import Unreadable, unreadable_diagnostic
from tflint.fixes import MAX_FIX_ROUNDS, FixedText, FixError, apply_fixes

NOTEBOOK_SUFFIX = ".ipynb"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# `name?`, `name??`, `?name`, `??name`: IPython's help, never valid Python.
_HELP = re.compile(r"\s*(\?{1,2}[\w.]+|[\w.]+\?{1,2})\s*")
_TOP_LEVEL_AWAIT = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


def is_notebook(filename: str) -> bool:
    return filename.endswith(NOTEBOOK_SUFFIX)


@dataclass(frozen=True)
class CodeCell:
    """A code cell: its 1-based position among all cells and its source as the file has it."""

    number: int
    source: str


@dataclass(frozen=True)
class Notebook:
    """The parsed JSON (kept whole for rewriting) and the code cells to lint."""

    data: dict[str, Any]
    cells: tuple[CodeCell, ...]
    is_python: bool


def parse_notebook(data: bytes) -> Notebook | str:
    """The notebook, or a one-line reason why the bytes are not an nbformat 4 notebook."""
    try:
        document = json.loads(data)
    except UnicodeDecodeError as error:
        return f"invalid notebook: not UTF-8 ({error.reason} at byte {error.start})"
    except json.JSONDecodeError as error:
        return f"invalid notebook: not valid JSON ({error.msg}, line {error.lineno})"
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
        if cell["cell_type"] == "code":
            code_cells.append(CodeCell(number, source))
    return Notebook(document, tuple(code_cells), _is_python(document))


def _is_python(document: dict[str, Any]) -> bool:
    """False for notebooks of other kernels (R, Julia, ...): their cells are not Python."""
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return True
    for key, field in (("language_info", "name"), ("kernelspec", "language")):
        info = metadata.get(key)
        if isinstance(info, dict) and isinstance(info.get(field), str):
            return info[field].lower() == "python"
    return True


def split_rows(text: str) -> list[str]:
    """Rows as LibCST counts them (\\r\\n, \\r or \\n), without their line breaks."""
    rows = _LINE_BREAK.split(text)
    return rows[:-1] if rows and rows[-1] == "" else rows


def python_rows(source: str) -> list[str]:
    """The cell's rows with IPython-only syntax neutralized, one row for each source row."""
    rows = split_rows(source)
    first = next((row for row in rows if row.strip()), "")
    if first.lstrip().startswith("%%"):
        return [""] * len(rows)  # a cell magic: the cell is not Python (%%bash, %%writefile)
    if _compiles(source):
        return rows  # plain Python: a row starting with `%` continues an expression
    python = []
    in_magic = False  # a magic continued with a trailing backslash
    for row in rows:
        stripped = row.lstrip()
        if in_magic or stripped.startswith(("%", "!")) or _HELP.fullmatch(row):
            indent = row[: len(row) - len(stripped)]
            python.append(f"{indent}pass")
            in_magic = row.rstrip().endswith("\\")
        else:
            python.append(row)
    return python


def _compiles(source: str) -> bool:
    try:
        compile(source, "<cell>", "exec", flags=_TOP_LEVEL_AWAIT, dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class CellMap:
    """Where each code cell's rows sit in the joined source."""

    first_rows: tuple[int, ...]  # 1-based row in the joined source of each cell's first row
    numbers: tuple[int, ...]  # the cell numbers, in the same order

    def locate(self, row: int) -> tuple[int, int]:
        """(cell number, row within the cell) of a row of the joined source."""
        index = max(bisect.bisect_right(self.first_rows, row) - 1, 0)
        return self.numbers[index], row - self.first_rows[index] + 1

    def to_cell(self, diagnostic: Diagnostic) -> Diagnostic:
        """The finding in cell coordinates. A fix with an edit in another cell (an import
        added to the first cell) is dropped: the finding is reported, not fixed."""
        cell, _ = self.locate(diagnostic.location.row)
        fix = diagnostic.fix
        if fix is not None:
            edits = [self._edit_in(cell, edit) for edit in fix.edits]
            fix = None if None in edits else Fix(fix.message, fix.applicability, tuple(edits))
        return replace(
            diagnostic,
            location=self._in_cell(diagnostic.location),
            end_location=self._in_cell(diagnostic.end_location),
            fix=fix,
            cell=cell,
        )

    def _in_cell(self, location: Location) -> Location:
        return Location(self.locate(location.row)[1], location.column)

    def _edit_in(self, cell: int, edit: Edit) -> Edit | None:
        same_cell = all(
            self.locate(loc.row)[0] == cell for loc in (edit.location, edit.end_location)
        )
        if not same_cell:
            return None
        return Edit(edit.content, self._in_cell(edit.location), self._in_cell(edit.end_location))


def python_source(notebook: Notebook) -> tuple[str, CellMap]:
    """The code cells joined into one module, and the map back to cells."""
    rows: list[str] = []
    first_rows, numbers = [], []
    for cell in notebook.cells:
        cell_rows = python_rows(cell.source)
        if cell_rows:
            first_rows.append(len(rows) + 1)
            numbers.append(cell.number)
            rows.extend(cell_rows)
    return "".join(f"{row}\n" for row in rows), CellMap(tuple(first_rows), tuple(numbers))


def lint_notebook(source: bytes, filename: str, enabled: frozenset[str]) -> list[Diagnostic]:
    """Findings for a notebook's code cells; a broken notebook is one TF002."""
    notebook = parse_notebook(source)
    if isinstance(notebook, str):
        reason = Unreadable(filename, notebook)
        return [unreadable_diagnostic(reason)] if "TF002" in enabled else []
    return _lint_cells(notebook, filename, enabled)


def _lint_cells(notebook: Notebook, filename: str, enabled: frozenset[str]) -> list[Diagnostic]:
    if not notebook.is_python:
        return []
    code, cells = python_source(notebook)
    return [cells.to_cell(d) for d in lint_python(code.encode("utf-8"), filename, enabled)]


def fix_notebook(
    source: bytes, filename: str, enabled: frozenset[str], include_unsafe: bool
) -> tuple[bytes, FixedText]:
    """`--fix` for a notebook: fix, re-lint, repeat (like fixes.fix_until_stable), editing each
    cell's own source; returns the new file bytes (the input when nothing was fixed)."""
    notebook = parse_notebook(source)
    if isinstance(notebook, str):
        remaining = lint_notebook(source, filename, enabled)
        return source, FixedText(source.decode("utf-8", "replace"), 0, remaining)
    text = source.decode("utf-8")
    layout = JsonLayout.of(text)
    if layout.dumps(notebook.data) != text:
        raise FixError("the notebook's JSON layout cannot be reproduced, so it is left as it was")
    originally_parses = not isinstance(parse(python_source(notebook)[0]), SyntaxProblem)
    diagnostics = _lint_cells(notebook, filename, enabled)
    fixed = 0
    for _ in range(MAX_FIX_ROUNDS):
        notebook, applied = _apply_to_cells(notebook, diagnostics, include_unsafe)
        if applied == 0:
            break
        if originally_parses and isinstance(parse(python_source(notebook)[0]), SyntaxProblem):
            raise FixError("a fix produced invalid code")
        fixed += applied
        diagnostics = _lint_cells(notebook, filename, enabled)
    else:
        if any(is_applicable(d, include_unsafe) for d in diagnostics):
            raise FixError(f"fixes did not converge after {MAX_FIX_ROUNDS} rounds")
    if fixed == 0:
        return source, FixedText(text, 0, diagnostics)
    new_text = layout.dumps(notebook.data)
    return new_text.encode("utf-8"), FixedText(new_text, fixed, diagnostics)


def _apply_to_cells(
    notebook: Notebook, diagnostics: list[Diagnostic], include_unsafe: bool
) -> tuple[Notebook, int]:
    """Apply each cell's fixes to that cell's source; returns the notebook with new sources."""
    applied = 0
    new_sources: dict[int, str] = {}
    for cell in notebook.cells:
        in_cell = [d for d in diagnostics if d.cell == cell.number]
        if not any(is_applicable(d, include_unsafe) for d in in_cell):
            continue
        text, count = apply_fixes(cell.source, in_cell, include_unsafe)
        if count:
            new_sources[cell.number] = text
            applied += count
    if not applied:
        return notebook, 0
    return _with_sources(notebook, new_sources), applied


def _with_sources(notebook: Notebook, new_sources: dict[int, str]) -> Notebook:
    """A copy of the notebook with some cells' sources replaced, each stored in the form it had
    (a list of lines, or one string)."""
    raw_cells = list(notebook.data["cells"])
    for number, text in new_sources.items():
        raw = dict(raw_cells[number - 1])
        raw["source"] = text.splitlines(keepends=True) if isinstance(raw["source"], list) else text
        raw_cells[number - 1] = raw
    data = {**notebook.data, "cells": raw_cells}
    cells = tuple(
        CodeCell(cell.number, new_sources.get(cell.number, cell.source)) for cell in notebook.cells
    )
    return Notebook(data, cells, notebook.is_python)


@dataclass(frozen=True)
class JsonLayout:
    """How a notebook file was serialized, so a rewrite matches it byte for byte elsewhere.

    Jupyter and nbformat write `json.dumps(indent=1, ensure_ascii=False)` plus a newline;
    other tools indent differently or escape non-ASCII; all of it is read off the file.
    """

    indent: str | None
    ensure_ascii: bool
    trailing_newline: bool

    @classmethod
    def of(cls, text: str) -> JsonLayout:
        match = re.match(r"\s*[{\[]\r?\n([ \t]*)", text)
        return cls(
            indent=match.group(1) if match else None,
            ensure_ascii=text.isascii(),
            trailing_newline=text.endswith("\n"),
        )

    def dumps(self, data: Any) -> str:
        text = json.dumps(data, indent=self.indent, ensure_ascii=self.ensure_ascii)
        return text + "\n" if self.trailing_newline else text
