"""Give LibCST only the top-level statements that can hold a finding or change one.

LibCST's parse is nearly all of what linting a file costs, and most of a real file is code no
rule reports on and the graph-code judgement never reads. The stdlib tree the syntax check
builds anyway (ten times cheaper) tells which top-level `def` and `class` statements to keep;
every other one is replaced by as many empty rows as it spans, so the kept code keeps its rows
and columns and the positions, fixes and suppressions computed on the pruned text hold for the
real file.

What is kept (an over-approximation: when in doubt a statement is kept):
- every top-level statement that is not a `def` or `class` (imports, assignments, loops,
  `if __name__ == "__main__":` blocks): module-level code is what the anywhere-rules and
  graph.keras_use read, and it is usually small;
- a `def` or `class` whose text holds one of the words every graph root or anywhere-rule needs
  (`_SEED`: `function`, the methods Keras traces, Dataset transformations, `compile`, `Lambda`,
  `run_eagerly`, tensor factories, `Loss`/`Metric`, ...): the seeds;
- then, to a fixed point, the statements connected to a kept "active" one by a module-level
  name, in either direction: a statement that binds a name an active one uses (what graph code
  can reach: helpers, classes through their method names, module-level state it mutates), and
  one that uses a name an active one binds (call sites of a tf.function for TF401, uses of a
  Keras class for keras_use, functions decorated with a same-module wrapper, subclasses).
  Imported names connect nothing: imports are always kept.
- the first statement after the docstring and `__future__` imports (where a fix's
  `import tensorflow` goes).

A file is not pruned where other modules make some of its functions graph code (the project
link step's external roots), where it is not UTF-8, or where pruning would change the indent
LibCST takes as the file's default. bench/prune_equivalence.py lints files both ways and
diffs the diagnostics; tests/test_prune.py runs it over the rule examples and fixtures.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


@dataclass
class _Unit:
    """Top-level statements sharing rows (`a = 1; def ...` cannot be cut apart)."""

    first: int  # rows, 1-based, inclusive
    last: int
    statements: list[ast.stmt]
    prunable: bool
    seed: bool
    used: frozenset[str]
    bound: frozenset[str]
    called: frozenset[str]


# Off only to compare: bench/prune_equivalence.py and tests/test_prune.py lint both ways.
ENABLED = True


def pruned_source(source: bytes, tree: ast.Module) -> bytes | None:
    """`source` with the statements no rule needs blanked (rows kept), or None where nothing
    is pruned."""
    units = _units(source, tree)
    keep = _kept(units, _first_code_statement(tree))
    _keep_default_indent(source, units, keep)
    blank = [unit for unit, kept in zip(units, keep, strict=True) if not kept]
    if not blank:
        return None
    return _blanked(source, [(unit.first, unit.last) for unit in blank])


def _units(source: bytes, tree: ast.Module) -> list[_Unit]:
    units: list[_Unit] = []
    for statement in tree.body:
        decorators = getattr(statement, "decorator_list", [])
        first = min([statement.lineno, *(decorator.lineno for decorator in decorators)])
        last = statement.end_lineno or statement.lineno
        if units and first <= units[-1].last:
            units[-1].statements.append(statement)
            units[-1].last = max(units[-1].last, last)
        else:
            units.append(_Unit(first, last, [statement], True, False, *(frozenset(),) * 3))
    scans = []
    aliases: dict[str, str] = {}
    for unit in units:
        unit.prunable = all(isinstance(s, _DEFINITIONS) for s in unit.statements)
        scan = _Scan()
        for statement in unit.statements:
            scan.statement(statement)
        scans.append(scan)
        aliases.update(scan.aliases)
    seed_names = _SEED_NAMES | {alias for alias, word in aliases.items() if word in _SEED_NAMES}
    factories = _FACTORIES | {alias for alias, word in aliases.items() if word in _FACTORIES}
    for unit, scan in zip(units, scans, strict=True):
        unit.seed = scan.seed or bool(scan.names & seed_names or scan.factory_calls & factories)
        unit.used, unit.bound, unit.called = (
            frozenset(scan.used),
            frozenset(scan.bound - scan.imported),
            frozenset(scan.called - scan.imported),
        )
    return units


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)

# Names whose use makes a statement a seed, wherever they appear as a name or an attribute:
# tf.function in its spellings (roots, wrappers, TF402), what Keras and pfor trace, TF407,
# and what makes a function exempt (graph.index: py_function and its kin, do_not_convert),
# which the whole-project link step reads from the file's summary.
_SEED_NAMES = frozenset(
    {
        "function", "def_function", "Lambda", "vectorized_map", "compile", "run_eagerly",
        "run_functions_eagerly", "experimental_run_functions_eagerly", "py_function",
        "numpy_function", "py_func", "eager_py_func", "do_not_convert",
    }
)  # fmt: skip
# Attributes that make a seed: Dataset transformations (graph.vocabulary.DATASET_TRANSFORMS).
_SEED_ATTRIBUTES = frozenset({"map", "filter", "flat_map", "interleave", "reduce", "scan"})
# TF204's tensor factories: a seed where their first argument is a call.
_FACTORIES = frozenset({"constant", "convert_to_tensor", "Variable"})
# Methods Keras traces (graph.vocabulary.TRACED_METHODS): a def of one is a seed.
_TRACED = frozenset({"call", "train_step", "test_step", "predict_step", "update_state", "result"})
# TF303: a class deriving from a Loss or a Metric.
_CONFIG_BASES = frozenset({"Loss", "Metric", "losses", "metrics"})


def _walk(root: ast.AST) -> Iterator[ast.AST]:
    """ast.walk, faster (no generator per node), in another order."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, ast.AST):
                stack.append(value)
            elif isinstance(value, list):
                stack.extend(item for item in value if isinstance(item, ast.AST))


class _Scan:
    """What one top-level statement can reach and what can reach it through module-level
    names, and whether it is a seed.

    `used`: names it loads and the (non-dunder) attributes it reads: what graph code in it
    can reach. `bound`: the names it can bind for the module (its own name, a class's
    members, `global` names, any name assigned outside a definition) and the names its
    functions assign (GraphContext.assignments holds every scope's: TF105 and TF206 read
    them). `called`: the names a use of it goes through (a def's or class's name, a class's
    decorated methods, `global` names, names a statement outside a definition binds). Names
    bound by imports connect nothing. `names`, `factory_calls` and `aliases` decide, once
    every statement's imports are known, whether an alias makes it a seed."""

    def __init__(self) -> None:
        self.seed = False
        self.used: set[str] = set()
        self.bound: set[str] = set()
        self.called: set[str] = set()
        self.imported: set[str] = set()
        self.names: set[str] = set()  # every Name, loaded or not
        self.factory_calls: set[str] = set()  # names called with a call as first argument
        self.aliases: dict[str, str] = {}  # `import ... as alias` of a seed or factory name

    def statement(self, statement: ast.stmt) -> None:
        definition = isinstance(statement, _DEFINITIONS)
        if isinstance(statement, _DEFINITIONS):
            self.bound.add(statement.name)
            self.called.add(statement.name)
        if isinstance(statement, ast.ClassDef):
            for member in statement.body:
                if isinstance(member, _DEFINITIONS):
                    self.bound.add(member.name)
                    if member.decorator_list:
                        self.called.add(member.name)
        for node in _walk(statement):
            self._node(node, definition)

    def _node(self, node: ast.AST, in_definition: bool) -> None:
        if isinstance(node, ast.Name):
            self.names.add(node.id)
            if isinstance(node.ctx, ast.Load):
                self.used.add(node.id)
            elif not in_definition:
                self._binds(node.id)
            else:
                self.bound.add(node.id)
        elif isinstance(node, ast.Attribute):
            self.seed = self.seed or node.attr in _SEED_NAMES or node.attr in _SEED_ATTRIBUTES
            if not node.attr.startswith("__") or node.attr == "__call__":
                self.used.add(node.attr)
        elif isinstance(node, ast.Call):
            if node.args and isinstance(node.args[0], ast.Call):  # TF204: `tf.constant(np...)`
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                self.factory_calls.add(name)
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, str) and len(value) < 80 and _IDENTIFIER.fullmatch(value):
                self.used.add(value)
        elif isinstance(node, ast.keyword):
            self.seed = self.seed or node.arg == "run_eagerly"
        elif isinstance(node, ast.Global | ast.Nonlocal):
            for name in node.names:
                self._binds(name)
        elif isinstance(node, _DEFINITIONS):
            self.used.add(node.name)
            self.seed = self.seed or node.name in _TRACED or _config_class(node)
            if not in_definition:
                self._binds(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            self._imports(node)

    def _imports(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            self.imported.add((alias.asname or alias.name).split(".")[0])
            last = alias.name.split(".")[-1]
            if alias.asname and (last in _SEED_NAMES or last in _FACTORIES):
                self.aliases[alias.asname] = last

    def _binds(self, name: str) -> None:
        self.bound.add(name)
        self.called.add(name)


def _config_class(node: ast.AST) -> bool:
    if not isinstance(node, ast.ClassDef):
        return False
    return any(
        isinstance(part, ast.Name | ast.Attribute)
        and (part.id if isinstance(part, ast.Name) else part.attr) in _CONFIG_BASES
        for base in node.bases
        for part in ast.walk(base)
    )


def _kept(units: list[_Unit], first_code: int | None) -> list[bool]:
    """Which units to keep: see the module docstring."""
    keep = [not unit.prunable or unit.seed for unit in units]
    active = [unit.seed for unit in units]
    for index, unit in enumerate(units):
        if first_code is not None and unit.first <= first_code <= unit.last:
            keep[index] = True
    changed = True
    while changed:
        changed = False
        used = _union(unit.used for unit, on in zip(units, active, strict=True) if on)
        called = _union(unit.called for unit, on in zip(units, active, strict=True) if on)
        for index, unit in enumerate(units):
            if active[index]:
                continue
            if unit.bound & used or unit.used & called:
                active[index] = keep[index] = changed = True
    return keep


def _keep_default_indent(source: bytes, units: list[_Unit], keep: list[bool]) -> None:
    """LibCST takes the file's first indentation as its default indent (blocks that use it
    store None): where the first indented row is pruned and the first kept one is indented
    differently, the unit holding the first one is kept too."""
    rows = _row_offsets(source)
    first: bytes | None = None
    first_index = 0
    for index, unit in enumerate(units):
        indent = _first_indent(source, rows, unit)
        if indent is None:
            continue
        if first is None:
            first = indent
            if keep[index]:
                return
            first_index = index
        if keep[index]:
            if indent != first:
                keep[first_index] = True
            return


def _first_indent(source: bytes, rows: list[int], unit: _Unit) -> bytes | None:
    """The leading blanks of the unit's first row that starts an indented statement."""
    found: tuple[int, bytes] | None = None
    for statement in unit.statements:
        for node in ast.walk(statement):
            if not isinstance(node, ast.stmt) or node.col_offset == 0:
                continue
            if found is not None and node.lineno >= found[0]:
                continue
            lead = source[rows[node.lineno - 1] : rows[node.lineno - 1] + node.col_offset]
            if lead.strip(b" \t\f") == b"":
                found = (node.lineno, lead)
    return None if found is None else found[1]


def _union(sets: Iterable[frozenset[str]]) -> set[str]:
    result: set[str] = set()
    for names in sets:
        result |= names
    return result


def _first_code_statement(tree: ast.Module) -> int | None:
    """The row of the first statement that is neither the docstring nor a `__future__`
    import: engine._import_row puts a fix's `import tensorflow` there."""
    for index, statement in enumerate(tree.body):
        is_docstring = (
            index == 0
            and isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str | bytes)
        )
        is_future = isinstance(statement, ast.ImportFrom) and statement.module == "__future__"
        if not (is_docstring or is_future):
            return statement.lineno
    return None


def _row_offsets(source: bytes) -> list[int]:
    """Offset of each row's first byte, and the end of the source."""
    return [0, *(match.end() for match in _LINE_BREAK.finditer(source)), len(source)]


def _blanked(source: bytes, spans: list[tuple[int, int]]) -> bytes:
    """Each span of rows reduced to its line breaks (a BOM stays)."""
    rows = _row_offsets(source)
    pieces: list[bytes] = []
    position = 0
    for first, last in spans:
        begin = rows[first - 1]
        if begin == 0 and source.startswith(_BOM):
            begin = len(_BOM)
        end = rows[last] if last < len(rows) - 1 else len(source)
        pieces.append(source[position:begin])
        pieces.append(b"".join(_LINE_BREAK.findall(source, begin, end)))
        position = end
    pieces.append(source[position:])
    return b"".join(pieces)
