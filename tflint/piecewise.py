"""Parse a big file one top-level statement at a time: the same LibCST tree, a fraction of the
peak memory.

LibCST's native parser holds its tokens and its own tree for the whole input while it builds the
Python nodes. That transient memory is about 0.9 MB per KB of source: keras'
`ops/numpy_test.py` (437 KB) peaks at 394 MB for a finished tree of about 21 MB. Parsing the
top-level statements in separate pieces and joining their nodes bounds the peak by the largest
piece (190 MB there).

The joined module is the tree `parse_module` gives for the whole file (`deep_equals`, checked
over every file of the TensorFlow, Keras and standard-library sources), because each piece is
parsed in the file's context:
- a block in front (`if 1:` and the file's first indent) makes LibCST take the file's default
  indent and newline, not the piece's own, so blocks that use them store `None` as the whole
  parse does;
- a `pass` after every piece but the last receives the comments and blank lines that follow
  the piece's last statement, as the next statement does in the whole parse (left in a module
  footer, LibCST 1.9 drops the first of several indented comments);
- the first statement's leading lines become the module header.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

import libcst as cst

# Rows as Python's parser and LibCST count them (str.splitlines also splits on \f, \v, ...).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LIBCST_DEFAULT_INDENT = "    "

# Statements are grouped into pieces of at least this many characters: one LibCST call per
# statement made a file of a million one-line assignments take minutes, while a piece's
# transient memory (about 0.9 MB per KB) stays small.
PIECE_CHARS = 32 * 1024


def parse_in_pieces(
    source: bytes, starts: list[int], piece_chars: int = PIECE_CHARS
) -> cst.Module | None:
    """The LibCST module of `source`, built piece by piece (`starts`: statement_starts of
    Python's parse of it; a piece holds statements up to `piece_chars`, 0: one each); None
    where that cannot be done faithfully: the caller then parses the file whole. Raises
    cst.ParserSyntaxError where LibCST rejects a piece (its position is the piece's, not the
    file's)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    text = source.decode(encoding)
    indent = _first_indent(text)
    if indent is None or len(starts) < 2:
        return None
    first_break = _LINE_BREAK.search(text)
    newline = first_break.group() if first_break else "\n"
    context = f"if 1:{newline}{indent}pass{newline}"
    row_offsets = [0, *(match.end() for match in _LINE_BREAK.finditer(text))]
    cuts = _cuts([row_offsets[row - 1] for row in starts[1:]], piece_chars)
    if not cuts:
        return None

    body: list[cst.SimpleStatementLine | cst.BaseCompoundStatement] = []
    carried: list[cst.EmptyLine] = []
    for begin, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
        last = end == len(text)
        piece = cst.parse_module(context + text[begin:end] + ("" if last else f"pass{newline}"))
        statements = list(piece.body[1:] if last else piece.body[1:-1])
        statements[0] = statements[0].with_changes(
            leading_lines=[*carried, *statements[0].leading_lines]
        )
        body.extend(statements)
        carried = list(piece.footer if last else piece.body[-1].leading_lines)
    module = cst.Module(
        body=[body[0].with_changes(leading_lines=()), *body[1:]],
        header=body[0].leading_lines,
        footer=carried,
        encoding=encoding,
        default_indent=indent,
        default_newline=newline,
        has_trailing_newline=piece.has_trailing_newline,
    )
    return module if module.code == text else None  # a guard: never a different tree


def _cuts(offsets: list[int], piece_chars: int) -> list[int]:
    """The statement offsets where a new piece begins: the first at or past `piece_chars`
    from the last cut."""
    cuts: list[int] = []
    last = 0
    for offset in offsets:
        if offset - last >= piece_chars:
            cuts.append(offset)
            last = offset
    return cuts


def statement_starts(tree: ast.Module) -> list[int]:
    """The first row of each top-level statement (its first decorator's), one per row."""
    starts: list[int] = []
    for statement in tree.body:
        decorators = getattr(statement, "decorator_list", [])
        row = min([statement.lineno, *(decorator.lineno for decorator in decorators)])
        if not starts or row > starts[-1]:
            starts.append(row)
    return starts


def _first_indent(text: str) -> str | None:
    """The file's first block indentation: what LibCST takes as the default indent."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.INDENT:
                return token.string
    except (tokenize.TokenError, SyntaxError):
        return None
    return _LIBCST_DEFAULT_INDENT
