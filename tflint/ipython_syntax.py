"""A notebook cell as the Python that IPython runs for it, row for row.

IPython does not run a cell's text as it is: `IPython.core.inputtransformer2.TransformerManager`
first drops leading blank lines, dedents the whole cell (`textwrap.dedent`), strips `>>>` and
`In [1]:` prompts, turns a `%%magic` cell into one `run_cell_magic` call, and then, one at a
time and re-tokenizing after each, rewrites `x = %magic`, `x = !cmd`, escaped lines (`%magic`,
`!cmd`, `!!cmd`, `?obj`, `,f a b`, `;f a b`, `/f a b`, each continued by a trailing backslash
onto the next rows) and `obj?` into calls. This module does the same steps (IPython is not a
dependency), with one difference that matters for a linter: every source row keeps its row, so
a rewritten line that swallowed continuation rows leaves them blank, and each row records how
many columns were cut from its start (dedent, prompt) so findings map back exactly.

Cell magics whose body IPython runs as Python in this kernel (`%%time`, `%%capture`, ...) keep
their body, transformed again as IPython does; other cell magics (`%%bash`, `%%R`,
`%%writefile`, ...) are not Python and the cell is skipped.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, replace

# Cell magics whose body IPython runs as Python code of this kernel (each transforms the body
# again: `%%time` and `%%timeit` through `transform_cell`, `%%capture` and `%%prun` through
# `run_cell`). Every other cell magic hands its body to something else.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit"})

_TOP_LEVEL_AWAIT = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_ESCAPES = frozenset("!?%,;/")
_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")
_CLASSIC_PROMPT = re.compile(r"^\s*(>>>|\.\.\.)([ \t]|$)")
_CLASSIC_FIRST = re.compile(r"^\s*>>>([ \t]|$)")
_IPYTHON_PROMPT = re.compile(r"^(((\[nav\]|\[ins\])? )?In \[\d+\]: |\s*\.{3,}: ?)")
_HELP_END = re.compile(r"(%{0,2}(?!\d)[\w*]+(\.(?!\d)[\w*]+|\[-?[0-9]+\])*)(\?\??)$")
_MAX_TRANSFORMS = 500  # IPython's own bound on rewrites per cell


@dataclass(frozen=True)
class CellCode:
    """A cell as Python: one row per source row; `shifts[i]` columns were cut from the start of
    row i (None: the row was rewritten, its columns do not map); `skipped` says why the cell is
    not Python (its rows are then all blank)."""

    rows: tuple[str, ...]
    shifts: tuple[int | None, ...]
    skipped: str | None = None
    compiles: bool = False  # known to compile (not known: check)

    @property
    def text(self) -> str:
        return "".join(f"{row}\n" for row in self.rows)


def common_prefix(a: str, b: str) -> int:
    """How many characters `a` and `b` share at their start."""
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


def compiles(text: str) -> bool:
    return syntax_error(text) is None


def syntax_error(text: str) -> SyntaxError | None:
    """Python's complaint about `text` as a cell (top-level `await` allowed, as IPython does)."""
    try:
        compile(text, "<cell>", "exec", flags=_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as error:
        return error
    except (ValueError, RecursionError, MemoryError) as error:  # NUL bytes, deep nesting
        return SyntaxError(str(error) or type(error).__name__)
    return None


def cell_code(rows: list[str]) -> CellCode:
    """The Python IPython runs for a cell given as rows (without line breaks).

    IPython 9 dedents a cell by the margin all its rows share; IPython 7 and 8 (still what
    Colab runs) cut the first row's indent from the rows that start with it. A cell that only
    the older rule makes Python (an indented statement followed by an unindented one) runs
    there, so it is read that way rather than reported."""
    if compiles("".join(f"{row}\n" for row in rows)):
        return CellCode(tuple(rows), (0,) * len(rows), compiles=True)  # IPython changes nothing
    code = _transform(list(rows), [0] * len(rows), _dedent)
    if code.skipped is None and not compiles(code.text):
        older = _transform(list(rows), [0] * len(rows), _dedent_first_indent)
        if compiles(older.text):
            return replace(older, compiles=True)
    return code


Dedent = Callable[[list[str], list[int | None], int], None]


def _transform(rows: list[str], shifts: list[int | None], dedent: Dedent) -> CellCode:
    first = next((i for i, row in enumerate(rows) if row.strip()), None)
    if first is None:
        return CellCode(tuple(rows), tuple(shifts))
    dedent(rows, shifts, first)
    if _strip_prompts(rows, shifts, first):
        dedent(rows, shifts, first)
    if rows[first].startswith("%%") and not re.match(r"%%\w+\?", rows[first]):
        return _cell_magic(rows, shifts, first, dedent)
    _token_transforms(rows, shifts)
    return CellCode(tuple(rows), tuple(shifts))


def _dedent(rows: list[str], shifts: list[int | None], start: int) -> None:
    """textwrap.dedent, row by row: rows of only blanks become empty, the margin common to the
    other rows is cut from each."""
    indents = []
    for i in range(start, len(rows)):
        if rows[i].strip(" \t") == "":
            rows[i] = ""
        else:
            indents.append(rows[i][: len(rows[i]) - len(rows[i].lstrip(" \t"))])
    margin = min((common_prefix(indents[0], indent) for indent in indents), default=0)
    if margin:
        for i in range(start, len(rows)):
            if rows[i]:
                rows[i] = rows[i][margin:]
                shifts[i] = _shifted(shifts[i], margin)


def _dedent_first_indent(rows: list[str], shifts: list[int | None], start: int) -> None:
    """IPython 7 and 8's leading_indent: the first row's indent is cut from every row that
    starts with it."""
    indent = rows[start][: len(rows[start]) - len(rows[start].lstrip(" \t"))]
    if indent:
        for i in range(start, len(rows)):
            if rows[i].startswith(indent):
                rows[i] = rows[i][len(indent) :]
                shifts[i] = _shifted(shifts[i], len(indent))


def _shifted(shift: int | None, more: int) -> int | None:
    return None if shift is None else shift + more


def _strip_prompts(rows: list[str], shifts: list[int | None], first: int) -> bool:
    """Pasted `>>> `/`... ` (doctest) or `In [1]: `/`...: ` (IPython) prompts; True when some
    were stripped (the rows are then dedented again, as IPython does)."""
    head = rows[first : first + 2]
    if any(_CLASSIC_FIRST.match(row) for row in rows):
        pattern = _CLASSIC_PROMPT
    elif any(_IPYTHON_PROMPT.match(row) for row in head):
        pattern = _IPYTHON_PROMPT
    else:
        return False
    for i, row in enumerate(rows):
        match = pattern.match(row)
        if match:
            rows[i] = row[match.end() :]
            shifts[i] = _shifted(shifts[i], match.end())
    return True


def _cell_magic(rows: list[str], shifts: list[int | None], first: int, dedent: Dedent) -> CellCode:
    name = rows[first][2:].rstrip().partition(" ")[0]
    if name in PYTHON_CELL_MAGICS:  # the body runs as Python, transformed again
        body = _transform(rows[first + 1 :], shifts[first + 1 :], dedent)
        blank = [""] * (first + 1)
        return CellCode((*blank, *body.rows), (*[None] * (first + 1), *body.shifts), body.skipped)
    return CellCode(("",) * len(rows), (None,) * len(rows), f"`%%{name}` cell (not Python)")


# --- token transforms: one rewrite at a time, re-tokenizing after each, as IPython does ---


def _token_transforms(rows: list[str], shifts: list[int | None]) -> None:
    for _ in range(_MAX_TRANSFORMS):
        lines = _logical_lines(rows)
        for found in sorted(filter(None, (find(lines) for find in _FINDERS))):
            if found.rewrite(rows, shifts):
                break
        else:
            return


@dataclass(frozen=True, order=True)
class _Found:
    """A piece of IPython syntax at (row, column) (0-based); rewrite() replaces it by a call
    and returns False when the text turns out not to be that syntax (IPython then tries the
    next candidate)."""

    row: int
    column: int
    priority: int
    kind: str
    end_row: int = 0

    def rewrite(self, rows: list[str], shifts: list[int | None]) -> bool:
        if self.kind == "help":
            return _rewrite_help(self, rows, shifts)
        end = _end_of_continued_line(rows, self.row)
        text = _assemble(rows, self.row, self.column, end)
        head = rows[self.row][: self.column]
        call: str | None
        if self.kind == "magic-assign":
            name, _, args = text[1:].partition(" ")
            call = f"get_ipython().run_line_magic({name!r}, {args!r})"
        elif self.kind == "system-assign":
            call = f"get_ipython().getoutput({text[1:]!r})"
        else:
            call = _escaped_call(text)
        if call is None:
            return False
        _replace(rows, shifts, self.row, end, head + call)
        return True


def _replace(rows: list[str], shifts: list[int | None], start: int, end: int, text: str) -> None:
    rows[start : end + 1] = [text, *[""] * (end - start)]
    shifts[start : end + 1] = [None] * (end - start + 1)


def _end_of_continued_line(rows: list[str], start: int) -> int:
    end = start
    while rows[end].endswith("\\") and end + 1 < len(rows):
        end += 1
    return end


def _assemble(rows: list[str], start: int, column: int, end: int) -> str:
    """The escaped line with its backslash continuations joined by spaces, as IPython does."""
    parts = [rows[start][column:], *rows[start + 1 : end + 1]]
    return " ".join([part.rstrip()[:-1] for part in parts[:-1]] + [parts[-1].rstrip()])


def _escaped_call(line: str) -> str | None:
    escape = line[:2] if line[:2] in ("!!", "??") else line[:1]
    content = line[len(escape) :]
    if escape == "!":
        return f"get_ipython().system({content!r})"
    if escape == "!!":
        return f"get_ipython().getoutput({content!r})"
    if escape in ("?", "??"):
        return _help_call(content, escape) if content else "get_ipython().show_usage()"
    name, _, args = content.partition(" ")
    if escape == "%":
        return f"get_ipython().run_line_magic({name!r}, {args!r})"
    if escape == ",":
        return '{}("{}")'.format(name, '", "'.join(args.split()))
    if escape == ";":
        return f'{name}("{args}")'
    if escape == "/" and name:
        return "{}({})".format(name, ", ".join(args.split()))
    return None


def _help_call(target: str, escape: str) -> str:
    method = "pinfo2" if escape == "??" else "psearch" if "*" in target else "pinfo"
    return f"get_ipython().run_line_magic({method!r}, {target!r})"


def _rewrite_help(found: _Found, rows: list[str], shifts: list[int | None]) -> bool:
    piece = "\n".join(rows[found.row : found.end_row + 1])
    match = _HELP_END.search(piece[found.column :])
    if match is None:
        return False
    call = _help_call(match.group(1), match.group(3))
    _replace(rows, shifts, found.row, found.end_row, piece[: found.column] + call)
    return True


Line = list[tokenize.TokenInfo]


def _logical_lines(rows: list[str]) -> list[Line]:
    """Tokens grouped by logical line (a bracketed expression over several rows is one line);
    tokenizing stops quietly where the text stops being tokenizable, as IPython's does."""
    lines: list[Line] = [[]]
    depth = 0
    readline = io.StringIO("".join(f"{row}\n" for row in rows)).readline
    try:
        for token in tokenize.generate_tokens(readline):
            lines[-1].append(token)
            if token.type == tokenize.NEWLINE or (token.type == tokenize.NL and depth <= 0):
                lines.append([])
            elif token.type == tokenize.OP and token.string in _OPENING:
                depth += 1
            elif token.type == tokenize.OP and token.string in _CLOSING:
                depth = max(depth - 1, 0)
    except (tokenize.TokenError, SyntaxError):
        pass
    return [line for line in lines if line]


def _first_code(line: Line) -> int:
    index = 0
    while index < len(line) and line[index].type in (tokenize.INDENT, tokenize.DEDENT):
        index += 1
    return index


def _assignment(line: Line) -> int | None:
    """Index of the first `=` outside brackets."""
    depth = 0
    for index, token in enumerate(line):
        if token.string == "=" and depth == 0:
            return index
        if token.string in _OPENING:
            depth += 1
        elif token.string in _CLOSING and depth > 0:
            depth -= 1
    return None


def _find_magic_assign(lines: list[Line]) -> _Found | None:
    for line in lines:
        at = _assignment(line)
        if (
            at is not None
            and len(line) > at + 2
            and line[at + 1].string == "%"
            and line[at + 2].type == tokenize.NAME
        ):
            row, column = line[at + 1].start
            return _Found(row - 1, column, 10, "magic-assign")
    return None


def _find_system_assign(lines: list[Line]) -> _Found | None:
    for line in lines:
        at = _assignment(line)
        if at is None or line[at].line.strip().startswith("="):
            continue
        for token in line[at + 1 :]:  # `!` may come after blank error tokens (Python < 3.12)
            if token.string == "!":
                return _Found(token.start[0] - 1, token.start[1], 10, "system-assign")
            if token.type != tokenize.ERRORTOKEN or not token.string.isspace():
                break
    return None


def _find_escaped(lines: list[Line]) -> _Found | None:
    for line in lines:
        index = _first_code(line)
        if index < len(line) and line[index].string in _ESCAPES:
            row, column = line[index].start
            return _Found(row - 1, column, 10, "escaped")
    return None


def _find_help_end(lines: list[Line]) -> _Found | None:
    for line in lines:
        if len(line) > 2 and line[-2].string == "?":
            row, column = line[_first_code(line)].start
            return _Found(row - 1, column, 5, "help", end_row=line[-2].start[0] - 1)
    return None


_FINDERS = (_find_magic_assign, _find_system_assign, _find_escaped, _find_help_end)
