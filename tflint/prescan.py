"""The pre-scan: decide from a file's bytes alone that no rule can report on it, so it is not
parsed at all.

Parsing and walking a file with LibCST is what linting costs, and most files of a TensorFlow
code base hold no graph code. Every rule either looks only inside graph code or is one of the
anywhere-rules, and each needs some text to be present (names are resolved through imports,
names.ImportMap, so a qualified name is reachable only from an import of its package):

- a tf.function (decorator or wrapper; also what TF401/TF402 look for): the word `function` and
  an import from which tf.function in one of its spellings (graph.vocabulary.TF_FUNCTION) is
  reachable;
- a method Keras traces (graph.vocabulary.TRACED_METHODS): a `def` of one and an import
  reaching `keras.`;
- a Dataset transformation (graph.vocabulary.DATASET_TRANSFORMS) on something graph.datasets
  accepts: `.map` etc. and a dataset-like name (`ds`, `*_ds`, `*dataset`) or `tensorflow.data.` /
  `keras.utils.*dataset*` reachable;
- a function Keras or pfor traces: `.compile(...)` naming a function the file defines (or a
  `lambda`) among its arguments, `Lambda`, or `vectorized_map`, with Keras (or TensorFlow)
  reachable;
- TF204: a tensor factory (`tensorflow.constant/convert_to_tensor/Variable`) and NumPy reachable;
- TF303: a Keras import, `def __init__` and a Loss or Metric;
- TF407: `run_eagerly` / `run_functions_eagerly` and `True`.

The patterns allow what Python allows between tokens (spaces, line continuations, comments
inside brackets). tests/test_prescan.py proves the scan never skips a file with findings.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from tflint.graph.vocabulary import TF_FUNCTION, KerasKind, keras_kind
from tflint.names import _CANONICAL_PREFIXES, canonical

# Between two tokens of one logical line: blanks and backslash continuations...
_LINE_GAP = rb"(?:[ \t\f]|\\\r?\n)"
# ...and, inside brackets, also newlines and comments (possessive: no backtracking blow-up).
_ANY_GAP = rb"(?:\s|\\|#[^\r\n]*+)*+"
_DOTTED = rb"\w+(?:" + _LINE_GAP + rb"*\." + _LINE_GAP + rb"*\w+)*"
# Every pattern starts with a literal (re then skips ahead fast); word boundaries in front are
# checked by look-behinds after it, or dropped where matching more costs only a parse.
_FROM_IMPORT = re.compile(
    rb"from" + _LINE_GAP + rb"+(" + _DOTTED + rb")" + _LINE_GAP + rb"+import" + _LINE_GAP
    + rb"*(?:\(((?:[^)#]|#[^\r\n]*+)*+)\)|((?:[^\r\n;#\\]|\\\r?\n)*+))"
)  # fmt: skip
_PLAIN_IMPORT = re.compile(rb"import" + _LINE_GAP + rb"+((?:[^\r\n;#\\]|\\\r?\n)*+)")
_COMMENT = re.compile(rb"#[^\r\n]*+")
_GAPS = re.compile(_LINE_GAP)

_FUNCTION_WORD = re.compile(rb"function\b(?<!\wfunction)")
_KERAS_TRACED_DEF = re.compile(
    rb"def" + _LINE_GAP + rb"+(?:call|train_step|test_step|predict_step|update_state|result)\b"
)
_INIT_DEF = re.compile(rb"def" + _LINE_GAP + rb"+__init__\b")
_TRANSFORM = re.compile(rb"\." + _ANY_GAP + rb"(?:map|filter|flat_map|interleave|reduce|scan)\b")
# graph.datasets's names, matched in the lower-cased source: `ds`, `*_ds`, `*dataset`.
_DATASET_LIKE_NAME = re.compile(rb"ds\b(?<![a-z0-9]ds)|dataset\b")
_COMPILE = re.compile(rb"\." + _ANY_GAP + rb"compile" + _ANY_GAP + rb"\(")
_DEF_NAME = re.compile(rb"def" + _LINE_GAP + rb"+(\w+)")
_WORD = re.compile(rb"\w+")
_LAMBDA_LAYER = re.compile(rb"Lambda\b(?<!\wLambda)")
_VECTORIZED_MAP = re.compile(rb"vectorized_map\b(?<!\wvectorized_map)")
_DATA_WORD = re.compile(rb"data\b(?<!\wdata)")
_TRUE = re.compile(rb"True\b(?<!\wTrue)")

# Qualified names, each with a final `.`: "this name or one below it".
_TF_FUNCTION = tuple(sorted(f"{qualname}." for qualname in TF_FUNCTION))
_TF_DATA = ("tensorflow.data.",)
_KERAS = ("keras.",)
_KERAS_UTILS = ("keras.utils.",)
_KERAS_LAMBDA = ("keras.layers.Lambda.",)
_TF_VECTORIZED_MAP = ("tensorflow.vectorized_map.",)
_KERAS_LOSS_METRIC = ("keras.Loss.", "keras.losses.", "keras.Metric.", "keras.metrics.")
_TENSOR_FACTORIES = (
    "tensorflow.constant.",
    "tensorflow.convert_to_tensor.",
    "tensorflow.Variable.",
)
_NUMPY = ("numpy.",)
_CONFIG_KINDS = frozenset({KerasKind.LOSS, KerasKind.METRIC})  # TF303's


@dataclass(frozen=True)
class _Imports:
    """What a file's imports can make its names mean.

    `spaces`: prefixes (each ending in `.`) of every canonical qualified name an import binds.
    `keras_kinds`: the Keras component kinds its classes derive from; None when unknown.
    """

    spaces: frozenset[str]
    keras_kinds: frozenset[KerasKind] | None = None

    def reach(self, prefixes: tuple[str, ...]) -> bool:
        """Whether a name under one of `prefixes` can be bound."""
        return any(
            wanted.startswith(space) or space.startswith(wanted)
            for space in self.spaces
            for wanted in prefixes
        )

    def may_derive(self, kinds: frozenset[KerasKind]) -> bool:
        if self.keras_kinds is not None:
            return bool(self.keras_kinds & kinds)
        prefixes = _KERAS_LOSS_METRIC if kinds <= _CONFIG_KINDS else _KERAS
        return self.reach(prefixes)


def may_have_findings(source: bytes) -> bool:
    """False only for files no rule can report on.

    Two stages: patterns over the text (imports found anywhere, docstrings included), then, for
    files that pass, the real import statements and class bases from the stdlib's `ast` (a
    tenth of LibCST's parse time). The stdlib tree of a file that passes is kept for
    engine.python_tree (taken_tree), which would parse the same bytes again.
    """
    global _passed
    _passed = None
    utf8 = _as_utf8(source)
    if not _could_report(utf8, _imports_in_text(utf8)):
        return False
    found = _imports_in_tree(utf8)
    if found is None:
        return True
    imports, tree = found
    if not _could_report(utf8, imports):
        return False
    if utf8 is source:
        _passed = (source, tree)
    return True


# The source the last scan passed and its stdlib tree (a worker lints one file at a time).
_passed: tuple[bytes, ast.Module] | None = None


def taken_tree(source: bytes) -> ast.Module | None:
    """The stdlib tree of `source` when the last scan passed these very bytes (the same
    object), once; else None."""
    global _passed
    found, _passed = _passed, None
    return found[1] if found is not None and found[0] is source else None


def _could_report(source: bytes, imports: _Imports) -> bool:
    if (b"run_eagerly" in source or b"run_functions_eagerly" in source) and _TRUE.search(source):
        return True  # TF407: `run_eagerly=True`, `run_functions_eagerly(True)`
    if _TRANSFORM.search(source) and (
        _DATASET_LIKE_NAME.search(source.lower())
        or (_DATA_WORD.search(source) and imports.reach(_TF_DATA))
        or (b"dataset" in source and imports.reach(_KERAS_UTILS))
    ):
        return True
    if _FUNCTION_WORD.search(source) and imports.reach(_TF_FUNCTION):
        return True
    if imports.may_derive(frozenset(KerasKind)) and _KERAS_TRACED_DEF.search(source):
        return True
    if _keras_or_pfor_traces(source, imports):
        return True
    if (
        any(word in source for word in (b"Loss", b"losses", b"Metric", b"metrics"))
        and imports.may_derive(_CONFIG_KINDS)
        and _INIT_DEF.search(source)
    ):
        return True  # TF303
    return (
        any(word in source for word in (b"constant", b"convert_to_tensor", b"Variable"))
        and imports.reach(_TENSOR_FACTORIES)
        and imports.reach(_NUMPY)
    )  # TF204


def _keras_or_pfor_traces(source: bytes, imports: _Imports) -> bool:
    """Functions handed to `model.compile(loss=..., metrics=...)`, `keras.layers.Lambda` or
    `tf.vectorized_map` (graph.judgement's call roots)."""
    if _compile_hands_a_function(source) and imports.reach(_KERAS):
        return True
    if _LAMBDA_LAYER.search(source) and imports.reach(_KERAS_LAMBDA):
        return True
    return bool(_VECTORIZED_MAP.search(source)) and imports.reach(_TF_VECTORIZED_MAP)


def _compile_hands_a_function(source: bytes) -> bool:
    """Some `.compile(...)` call's arguments name a function the file defines, or hold a
    `lambda` (the text up to its closing bracket, 4 KB at most)."""
    calls = list(_COMPILE.finditer(source))
    if not calls:
        return False
    defined = set(_DEF_NAME.findall(source)) | {b"lambda"}
    for call in calls:
        depth, end = 1, call.end()
        limit = min(len(source), end + 4096)
        while end < limit and depth:
            depth += {40: 1, 41: -1}.get(source[end], 0)  # ( and )
            end += 1
        if defined.intersection(_WORD.findall(source, call.end(), end)):
            return True
    return False


def _as_utf8(source: bytes) -> bytes:
    """The patterns are ASCII; a file declared in another encoding (PEP 263) may spell its
    names in other bytes, so it is scanned decoded."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError:
        return source
    if encoding in ("utf-8", "utf-8-sig"):
        return source
    return source.decode(encoding, errors="replace").encode("utf-8")


def _imports_in_text(source: bytes) -> _Imports:
    """Over-approximated from the text: `from a.b import c [as d]` binds `a.b.c`,
    `import a.b as c` binds `a.b` and `import a.b` binds `a`."""
    targets = set()
    for match in _FROM_IMPORT.finditer(source):
        module = _GAPS.sub(b"", match[1]).decode()
        names = match[2] if match[2] is not None else match[3]
        for clause in _COMMENT.sub(b"", names).split(b","):
            name = clause.split()[0].decode("utf-8", "replace") if clause.split() else "*"
            targets.add(module if name == "*" else f"{module}.{name}")
    for match in _PLAIN_IMPORT.finditer(source):
        for clause in match[1].split(b","):
            words = _GAPS.sub(b" ", clause).decode("utf-8", "replace").split()
            if words:
                aliased = len(words) > 1 and words[1] == "as"
                targets.add(words[0] if aliased else words[0].split(".")[0])
    return _Imports(_spaces(targets))


def _imports_in_tree(source: bytes) -> tuple[_Imports, ast.Module] | None:
    """Exactly what names.ImportMap binds (imports at any depth, relative and star imports
    skipped) and the Keras kinds of every class's bases, with the tree; None if `ast` cannot
    parse it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes: not ours to show
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    aliases: dict[str, str] = {}
    bases: list[ast.expr] = []
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname is not None:
                    aliases[alias.asname] = canonical(alias.name)
                else:
                    head = alias.name.split(".")[0]
                    aliases[head] = head
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module is not None:
                for alias in node.names:
                    if alias.name != "*":
                        target = canonical(f"{node.module}.{alias.name}")
                        aliases[alias.asname or alias.name] = target
        else:
            if isinstance(node, ast.ClassDef):
                bases.extend(node.bases)
            pending.extend(
                child for child in ast.iter_child_nodes(node) if isinstance(child, _BLOCKS)
            )
    kinds = {keras_kind(qualname) for qualname in _resolve_all(bases, aliases)}
    found = frozenset(k for k in kinds if k is not None)
    return _Imports(_spaces(set(aliases.values())), found), tree


_BLOCKS = (ast.stmt, ast.excepthandler, ast.match_case)


def _resolve_all(expressions: list[ast.expr], aliases: dict[str, str]) -> Iterator[str]:
    """Canonical qualified names of imported dotted names (as names.ImportMap.resolve)."""
    for expression in expressions:
        parts = []
        while isinstance(expression, ast.Attribute):
            parts.append(expression.attr)
            expression = expression.value
        if isinstance(expression, ast.Name) and expression.id in aliases:
            yield canonical(".".join([aliases[expression.id], *reversed(parts)]))


def _spaces(targets: set[str]) -> frozenset[str]:
    """The prefix of each bound target and, through names.canonical, those its longer
    spellings map to (`tensorflow` → `tensorflow.keras.` → `keras.`)."""
    spaces = set()
    for target in targets:
        spaces.add(canonical(target) + ".")
        spaces.update(new for old, new in _CANONICAL_PREFIXES if old.startswith(target + "."))
    return frozenset(spaces)
