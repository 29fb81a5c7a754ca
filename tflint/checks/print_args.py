"""`print(...)` arguments rewritten as `tf.print(...)` arguments (the TF101 fix).

`tf.print("x =", x)` prints the value of `x` on every call. `tf.print(f"x = {x}")` does not: the
f-string is formatted once, while tracing, into the text `x = Tensor("x:0", ...)`, and that
frozen text is what every call prints. So text built from tensors (f-strings, `"%s" % x`,
`"{}".format(x)`) is taken apart: each tensor becomes an argument of its own, and the text
around it stays text. Where that cannot be done exactly there is no fix.

What stays text is exact: an f-string keeps the expressions that are not tensors (a shape, a
layer's name, a loop index: Python values, formatted while tracing exactly as `print` formatted
them), so only the tensors move. A tensor with a format spec or a `!r` conversion has no exact
`tf.print` spelling (and fails while tracing anyway: TF203): no fix.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Literal, cast

import libcst as cst

from tflint.checks.base import STATIC_ATTRIBUTES, FileContext
from tflint.traverse import nodes

# A piece of the printed text: literal text (str) or an f-string expression kept as text.
_Atom = str | cst.FormattedStringExpression


@dataclass
class _Text:
    """Literal text of the output. `quote` is the quote of the f-string its kept expressions
    came from (None while it has none): the rebuilt f-string must use it."""

    atoms: list[_Atom] = field(default_factory=list)
    quote: str | None = None

    def append(self, atom: _Atom) -> None:
        if isinstance(atom, str) and self.atoms and isinstance(self.atoms[-1], str):
            self.atoms[-1] += atom
        elif atom != "":
            self.atoms.append(atom)

    def joined(self, other: _Text) -> _Text:
        if self.quote is not None and other.quote is not None and self.quote != other.quote:
            raise NoExactFix  # expressions quoted for two different f-strings
        text = _Text(list(self.atoms), self.quote or other.quote)
        for atom in other.atoms:
            text.append(atom)
        return text


_Piece = _Text | cst.BaseExpression


class NoExactFix(Exception):
    """The arguments cannot be rewritten exactly: the finding gets no fix."""


def tf_print_arguments(call: cst.Call, ctx: FileContext) -> list[cst.Arg] | None:
    """The arguments of the `tf.print` call that prints what `call` (a `print`) meant to print,
    on every call; None when the arguments can stay as they are. Raises NoExactFix."""
    positional = [arg for arg in call.args if arg.keyword is None]
    splits = [None if arg.star else _split(arg.value, ctx) for arg in positional]
    if all(split is None for split in splits):
        return None
    separator = _separator(call)
    if separator is None or any(arg.star for arg in positional):
        raise NoExactFix
    if any(isinstance(node, cst.Comment) for node in nodes(call)):
        raise NoExactFix  # the call is rebuilt whole: comments inside it would be lost
    pieces: list[_Piece] = []
    for index, (arg, split) in enumerate(zip(positional, splits, strict=True)):
        if index:
            pieces.append(_Text([separator]))
        pieces.extend(split if split is not None else [arg.value])
    merged = _merged(pieces)
    spaced = _spaced(merged)
    args = [cst.Arg(_expression(p)) for p in (spaced if spaced is not None else merged)]
    if spaced is None:
        args.append(_keyword("sep", cst.SimpleString('""')))
    args.extend(a for a in call.args if a.keyword is not None and a.keyword.value == "end")
    return args


def _separator(call: cst.Call) -> str | None:
    """print's `sep=` as text (a space by default), or None when it is not a literal."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "sep":
            if isinstance(arg.value, cst.Name) and arg.value.value == "None":
                return " "
            if isinstance(arg.value, cst.SimpleString):
                value = arg.value.evaluated_value
                return value if isinstance(value, str) else None
            return None
    return " "


def _split(value: cst.BaseExpression, ctx: FileContext) -> list[_Piece] | None:
    """Pieces of text built from tensors, or None when `value` stays one argument."""
    if isinstance(value, cst.FormattedString):
        return _split_fstring(value, ctx)
    if (
        isinstance(value, cst.BinaryOperation)
        and isinstance(value.operator, cst.Modulo)
        and isinstance(value.left, cst.SimpleString)
    ):
        return _split_percent(value.left, value.right, ctx)
    func = value.func if isinstance(value, cst.Call) else None
    if (
        isinstance(value, cst.Call)
        and isinstance(func, cst.Attribute)
        and func.attr.value == "format"
        and isinstance(func.value, cst.SimpleString)
    ):
        return _split_format(func.value, value, ctx)
    return None


def _split_fstring(value: cst.FormattedString, ctx: FileContext) -> list[_Piece] | None:
    if "b" in value.prefix.lower():
        return None
    quote = value.end
    text = _Text()
    pieces: list[_Piece] = [text]
    moved = False
    for part in value.parts:
        if isinstance(part, cst.FormattedStringText):
            text.append(_literal_text(value.prefix, quote, part.value))
            continue
        assert isinstance(part, cst.FormattedStringExpression)
        expression = part.expression
        plain = part.format_spec is None and part.equal is None and part.conversion in (None, "s")
        if not ctx.is_tensor(expression) and (_is_static(expression) or not plain):
            text.append(part)  # a Python value: formatted while tracing, exactly as before
            text.quote = quote
            continue
        if not plain:
            raise NoExactFix  # a tensor with a format spec, `!r` or `=`: no exact tf.print spelling
        pieces.append(expression)
        text = _Text()
        pieces.append(text)
        moved = True
    return pieces if moved else None


def _literal_text(prefix: str, quote: str, source: str) -> str:
    """The characters a literal part of an f-string stands for."""
    unescaped = source.replace("{{", "{").replace("}}", "}")
    literal = cst.SimpleString(prefix.lower().replace("f", "") + quote + unescaped + quote)
    evaluated = literal.evaluated_value
    if not isinstance(evaluated, str):
        raise NoExactFix
    return evaluated


def _is_static(node: cst.BaseExpression) -> bool:
    """A value known while tracing: literals and static facts of tensors (`x.shape[0]`)."""
    if isinstance(node, cst.BaseNumber | cst.SimpleString):
        return True
    if isinstance(node, cst.Subscript):
        return _is_static(node.value)
    return isinstance(node, cst.Attribute) and node.attr.value in STATIC_ATTRIBUTES


def _split_percent(
    template: cst.SimpleString, values: cst.BaseExpression, ctx: FileContext
) -> list[_Piece] | None:
    """`"x = %s" % x` and `"%s, %s" % (x, y)`: only `%s` fields (and `%%`)."""
    text = _evaluated(template)
    if isinstance(values, cst.Tuple):
        arguments = [element.value for element in values.elements]
        if any(isinstance(element, cst.StarredElement) for element in values.elements):
            raise NoExactFix
    elif ctx.is_tensor(values):
        arguments = [values]  # a tensor is never a tuple
    else:
        return None
    literals = text.split("%s")
    if len(literals) != len(arguments) + 1 or any(
        "%" in literal.replace("%%", "") for literal in literals
    ):
        raise NoExactFix
    return _interleave([literal.replace("%%", "%") for literal in literals], arguments, ctx)


def _split_format(
    template: cst.SimpleString, call: cst.Call, ctx: FileContext
) -> list[_Piece] | None:
    """`"x = {}".format(x)`, `"{0} {1}"`, `"{name}"`: plain fields only, each argument once."""
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    if any(a.star for a in call.args):
        raise NoExactFix
    literals: list[str] = []
    arguments: list[cst.BaseExpression] = []
    automatic = 0
    pending = ""
    for literal, name, spec, conversion in string.Formatter().parse(_evaluated(template)):
        pending += literal
        if name is None:
            continue
        if spec or conversion not in (None, "s"):
            raise NoExactFix
        if name == "":
            name = str(automatic)
            automatic += 1
        if name.isdigit() and int(name) < len(positional):
            arguments.append(positional[int(name)])
        elif name in keywords:
            arguments.append(keywords[name])
        else:
            raise NoExactFix  # `{0.shape}`, `{x[0]}`, or a missing argument
        literals.append(pending)
        pending = ""
    literals.append(pending)
    used = {id(a) for a in arguments}
    every = [*positional, *keywords.values()]
    if len(used) != len(arguments) or len(used) != len(every):
        raise NoExactFix  # a field used twice or an argument never used: evaluation would change
    if not any(ctx.is_tensor(a) for a in arguments):
        return None
    return _interleave(literals, arguments, ctx)


def _interleave(
    literals: list[str], arguments: list[cst.BaseExpression], ctx: FileContext
) -> list[_Piece]:
    pieces: list[_Piece] = [_Text([literals[0]] if literals[0] else [])]
    for argument, literal in zip(arguments, literals[1:], strict=True):
        if _is_static(argument) and not ctx.is_tensor(argument):
            raise NoExactFix  # `x.shape` would print as `TensorShape([2])`, not `(2,)`
        pieces.append(argument)
        pieces.append(_Text([literal] if literal else []))
    return pieces


def _evaluated(node: cst.SimpleString) -> str:
    value = node.evaluated_value
    if not isinstance(value, str):
        raise NoExactFix
    return value


def _merged(pieces: list[_Piece]) -> list[_Piece]:
    """Adjacent texts joined; empty texts dropped."""
    merged: list[_Piece] = []
    for piece in pieces:
        if isinstance(piece, _Text):
            if not piece.atoms:
                continue
            if merged and isinstance(merged[-1], _Text):
                merged[-1] = merged[-1].joined(piece)
                continue
        merged.append(piece)
    return merged


def _spaced(pieces: list[_Piece]) -> list[_Piece] | None:
    """The same output with tf.print's default separator (one space between arguments), or
    None when two neighbours are not separated by exactly one space of the text."""
    out: list[_Piece] = []
    separated: list[bool] = []  # whether a dropped " " already stands between out[k-1], out[k]
    pending = False
    for index, piece in enumerate(pieces):
        if isinstance(piece, _Text):
            if piece.atoms == [" "] and 0 < index < len(pieces) - 1:
                pending = True  # a text that is just the space between two arguments
                continue
            piece = _Text(list(piece.atoms), piece.quote)
        out.append(piece)
        separated.append(pending)
        pending = False
    for k in range(1, len(out)):
        left, right = out[k - 1], out[k]
        if separated[k]:
            continue
        if isinstance(left, _Text) and _strip_space(left, end=True):
            continue
        if isinstance(right, _Text) and _strip_space(right, end=False):
            continue
        return None
    return out


def _strip_space(text: _Text, end: bool) -> bool:
    """Remove one space from the text's end (or start); whether there was one. A text left
    empty stays: `tf.print("", x)` prints the leading space it stood for."""
    if not text.atoms:
        return False
    index = -1 if end else 0
    atom = text.atoms[index]
    if not isinstance(atom, str) or not (atom.endswith(" ") if end else atom.startswith(" ")):
        return False
    stripped = atom[:-1] if end else atom[1:]
    if stripped:
        text.atoms[index] = stripped
    else:
        del text.atoms[index]
    return True


def _expression(piece: _Piece) -> cst.BaseExpression:
    if not isinstance(piece, _Text):
        return piece
    quote = (piece.quote or '"')[0]
    if piece.quote is None:
        text = "".join(piece.atoms)  # type: ignore[arg-type]
        return cst.SimpleString(quote + _escape(text, quote, braces=False) + quote)
    parts: list[cst.BaseFormattedStringContent] = [
        cst.FormattedStringText(_escape(atom, quote, braces=True))
        if isinstance(atom, str)
        else atom
        for atom in piece.atoms
    ]
    end = cast(Literal['"', "'", '"""', "'''"], piece.quote)
    return cst.FormattedString(parts=parts, start="f" + end, end=end)


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(text: str, quote: str, braces: bool) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == quote:
            out.append("\\" + char)
        elif braces and char in "{}":
            out.append(char * 2)
        elif not char.isprintable():
            out.append(repr(char)[1:-1])
        else:
            out.append(char)
    return "".join(out)


def _keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
