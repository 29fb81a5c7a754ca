"""One file's summary for the whole-project link step, built with the stdlib `ast`.

The summary is small and JSON-able (it is cached by content): the module's imports as written,
its top-level functions and the methods of its top-level classes by dotted name (`record`,
`Accumulator.add`) with the references that leave each body, its classes' bases, and which of
its functions its own GraphContext found to be graph code (and why) or exempt.

A reference is a name the body starts from, attributes after it, and what is done with the
object it reaches: called (`record(x)`, `utils.record(x)`, `C()` → `C.__init__`) or a method
of an instance of it called (`C().h()`, `acc.add(v)` where `acc = Accumulator()`,
`self.block(x)` where `self.block = Block()` → `Block.__call__`/`call`). The link step resolves
names through the project's files; a name that leads outside the project stays opaque.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from tflint.tensor_vocabulary import FLAG_PARAMETERS, TENSOR_ATTRIBUTES, returns_tensor

CALL = "__call__"  # the member of a reference that calls the instance itself
# TensorFlow's ops that trace (or call while tracing) the functions handed to them:
# tf.map_fn(record, x), tf.cond(p, f, g), tf.nest.map_structure(f, ...).
HIGHER_ORDER = frozenset(
    {
        "map_fn", "cond", "while_loop", "case", "switch_case", "vectorized_map", "scan",
        "foldl", "foldr", "map_structure", "custom_gradient", "recompute_grad", "function",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Reason:
    """Why a function is graph code (context.GraphReason's fields; kept free of LibCST, which
    a run answered from the cache never imports)."""

    text: str
    autograph: bool = True
    converts_print: bool = False
    # Of a function another module traces: the parameters a caller there passes a tensor,
    # sorted (None: all of them, as where a TF op is handed the function).
    tensors: tuple[str, ...] | None = None


Fed = tuple[int | str, ...] | None


@dataclass(frozen=True)
class Ref:
    """`name.path...` reached from a function body; `member` is the method called on an
    instance of it (None: the object itself is called); `decorator` when it decorates. `fed`:
    the arguments of the call that evidently carry tensors, by position and by keyword, as
    judged in a function whose parameters are tensors (a traced one); empty where nothing is
    known, None where a TF op is handed the function (it passes tensors to every parameter)."""

    name: str
    path: tuple[str, ...]
    member: str | None
    row: int
    decorator: bool = False
    fed: Fed = ()
    # The object's class is only declared (`sampler: Sampler`): it may be any project subclass,
    # so the method called is the class's or any override of it (class-hierarchy analysis).
    dispatch: bool = False


@dataclass(frozen=True)
class FunctionEntry:
    """A function: where it starts, its positional parameters (a static method's with an
    empty name first, so that a bound call's arguments line up), what it reaches."""

    row: int
    refs: tuple[Ref, ...]
    params: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportEntry:
    """`import a.b` binds `a` to (0, "a", None); `from ..x import y` binds `y` to (2, "x", "y")."""

    level: int
    module: str
    name: str | None


@dataclass(frozen=True)
class ModuleSummary:
    imports: dict[str, ImportEntry] = field(default_factory=dict)
    functions: dict[str, FunctionEntry] = field(default_factory=dict)
    classes: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = field(default_factory=dict)
    # Module-level functions that return tf.function of their parameter (decorator wrappers).
    wrappers: tuple[str, ...] = ()
    # The module's own graph code: qualname → (reason, autograph, converts_print).
    graph: dict[str, tuple[str, bool, bool]] = field(default_factory=dict)
    exempt: tuple[str, ...] = ()
    rows: tuple[int, ...] = ()  # notebooks: first joined-source row of each cell, for display
    cells: tuple[int, ...] = ()  # notebooks: the cell numbers of those rows

    def reason(self, qualname: str) -> Reason | None:
        found = self.graph.get(qualname)
        return None if found is None else Reason(*found)

    def where(self, row: int) -> str:
        """`40`, or `cell 3:4` in a notebook."""
        if not self.rows:
            return str(row)
        index = max(i for i, first in enumerate(self.rows) if first <= row or i == 0)
        return f"cell {self.cells[index]}:{row - self.rows[index] + 1}"

    def to_json(self) -> dict[str, Any]:
        return {
            "imports": {k: [v.level, v.module, v.name] for k, v in self.imports.items()},
            "functions": {
                k: [v.row, [_ref_json(r) for r in v.refs], list(v.params)]
                for k, v in self.functions.items()
            },
            "classes": {k: [[n, list(p)] for n, p in v] for k, v in self.classes.items()},
            "wrappers": list(self.wrappers),
            "graph": {k: list(v) for k, v in self.graph.items()},
            "exempt": list(self.exempt),
            "rows": list(self.rows),
            "cells": list(self.cells),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModuleSummary:
        """The summary written by to_json (a damaged one raises KeyError/TypeError/ValueError)."""
        functions = {
            str(k): FunctionEntry(
                int(row), tuple(_ref(*ref) for ref in refs), tuple(map(str, params))
            )
            for k, (row, refs, params) in data["functions"].items()
        }
        imports = data["imports"].items()
        return cls(
            imports={str(k): ImportEntry(int(lv), str(m), n) for k, (lv, m, n) in imports},
            functions=functions,
            classes={
                str(k): tuple((str(n), tuple(map(str, p))) for n, p in v)
                for k, v in data["classes"].items()
            },
            wrappers=tuple(map(str, data["wrappers"])),
            graph={str(k): (str(t), bool(a), bool(c)) for k, (t, a, c) in data["graph"].items()},
            exempt=tuple(map(str, data["exempt"])),
            rows=tuple(map(int, data["rows"])),
            cells=tuple(map(int, data["cells"])),
        )


def _ref_json(ref: Ref) -> list[Any]:
    fed = None if ref.fed is None else list(ref.fed)
    return [ref.name, list(ref.path), ref.member, ref.row, ref.decorator, fed, ref.dispatch]


def _ref(
    name: str,
    path: list[str],
    member: str | None,
    row: int,
    decorator: bool,
    fed: list[int | str] | None,
    dispatch: bool,
) -> Ref:
    arguments = None if fed is None else tuple(a if isinstance(a, int) else str(a) for a in fed)
    return Ref(
        str(name),
        tuple(map(str, path)),
        member,
        int(row),
        bool(decorator),
        arguments,
        bool(dispatch),
    )


def summarize(
    tree: ast.Module | None,
    graph: tuple[dict[str, tuple[str, bool, bool]], tuple[str, ...]] = ({}, ()),
    cells: tuple[tuple[int, ...], tuple[int, ...]] = ((), ()),
) -> ModuleSummary:
    """The summary of a module parsed by `ast` (None: a file that does not parse, which
    contributes nothing), with its own graph code and exempt functions by dotted name
    (project.own_graph; none for a file the pre-scan passes over)."""
    if tree is None:
        return ModuleSummary()
    builder = _Builder({name for name, (text, *_) in graph[0].items() if _traced(text)})
    builder.module(tree)
    return ModuleSummary(
        imports=builder.imports,
        functions=builder.functions,
        classes=builder.classes,
        wrappers=tuple(builder.wrappers),
        graph=graph[0],
        exempt=graph[1],
        rows=cells[0],
        cells=cells[1],
    )


def _traced(text: str) -> bool:
    """Whether a graph reason says the function is traced itself (its parameters are what
    TensorFlow passes), not called from graph code (its parameters are what the caller passes)."""
    return not text.startswith("called from")


def dotted(node: ast.expr) -> tuple[str, tuple[str, ...]] | None:
    """(`a`, (`b`, `c`)) for `a.b.c`, else None."""
    path: list[str] = []
    while isinstance(node, ast.Attribute):
        path.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return node.id, tuple(reversed(path))


Dotted = tuple[str, tuple[str, ...]]
Bound = tuple[Dotted, bool]  # `self.<attr>`'s class, and whether it is only declared
Function = ast.FunctionDef | ast.AsyncFunctionDef


class _Builder:
    def __init__(self, traced: set[str]) -> None:
        self.traced = traced  # the module's own traced functions (their parameters: tensors)
        self.imports: dict[str, ImportEntry] = {}
        self.functions: dict[str, FunctionEntry] = {}
        self.classes: dict[str, tuple[Dotted, ...]] = {}
        self.wrappers: list[str] = []
        self.instances: dict[str, Bound] = {}  # module-level `acc = Accumulator()`
        self._scans: dict[ast.AST, tuple[list[ast.Assign], list[ast.Call]]] = {}
        self._annotations: dict[ast.AST, list[ast.AnnAssign]] = {}
        self._module_functions: set[str] = set()
        self._methods: dict[str, set[str]] = {}  # class → the methods its body defines

    def module(self, tree: ast.Module) -> None:
        """One walk of each definition collects its assignments and calls (and every import
        on the way); references are built once all imports are known."""
        functions: list[tuple[str, Function, str | None, dict[str, Bound]]] = []
        for statement in tree.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                self._scan(statement)
                functions.append((statement.name, statement, None, {}))
            elif isinstance(statement, ast.ClassDef):
                functions.extend(self._class(statement))
            else:
                self._scan(statement)
        self.instances = _instances(tree.body)
        self._module_functions = {name for name, _, owner, _ in functions if owner is None}
        for qualname, node, class_name, attributes in functions:
            self._function(qualname, node, class_name, attributes)
            if class_name is None and self._is_wrapper(node):
                self.wrappers.append(qualname)

    def _scan(self, node: ast.AST) -> tuple[list[ast.Assign], list[ast.Call]]:
        """A function's body (its decorators, defaults and annotations run where it is
        defined, not when it is called), or any other statement whole."""
        assigns: list[ast.Assign] = []
        calls: list[ast.Call] = []
        annotations: list[ast.AnnAssign] = []
        parts = node.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else [node]
        for inner in (found for part in parts for found in ast.walk(part)):
            if isinstance(inner, ast.Call):
                calls.append(inner)
            elif isinstance(inner, ast.Assign):
                assigns.append(inner)
            elif isinstance(inner, ast.AnnAssign):
                annotations.append(inner)
            elif isinstance(inner, ast.Import | ast.ImportFrom):
                self._import(inner)
        self._scans[node] = (assigns, calls)
        self._annotations[node] = annotations
        return assigns, calls

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.imports.setdefault(alias.asname, ImportEntry(0, alias.name, None))
                else:
                    head = alias.name.split(".")[0]
                    self.imports.setdefault(head, ImportEntry(0, head, None))
            return
        for alias in node.names:
            if alias.name != "*":
                entry = ImportEntry(node.level, node.module or "", alias.name)
                self.imports.setdefault(alias.asname or alias.name, entry)

    def _class(
        self, node: ast.ClassDef
    ) -> list[tuple[str, Function, str | None, dict[str, Bound]]]:
        bases = tuple(d for d in map(dotted, node.bases) if d is not None)
        self.classes[node.name] = bases
        attributes: dict[str, Bound] = {}
        for statement in node.body:  # `sampler: Sampler` in the class body
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                kind = dotted(statement.annotation)
                if kind is not None:
                    attributes[statement.target.id] = (kind, True)
        methods: list[tuple[str, Function, str | None, dict[str, Bound]]] = []
        defined = self._methods.setdefault(node.name, set())
        for statement in node.body:
            if not isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                self._scan(statement)
                continue
            defined.add(statement.name)
            methods.append((f"{node.name}.{statement.name}", statement, node.name, attributes))
            self._attributes(statement, attributes)
        return methods

    def _attributes(self, method: Function, attributes: dict[str, Bound]) -> None:
        """`self.block = Block(...)` (that class), `self.sampler = sampler` where the parameter
        is `sampler: Sampler`, and `self.sampler: Sampler = ...` (declared: any subclass)."""
        parameters = _annotated(method)
        for assign in self._scan(method)[0]:
            value = assign.value
            found: Bound | None = None
            if isinstance(value, ast.Call):
                made = dotted(value.func)
                found = None if made is None else (made, False)
            elif isinstance(value, ast.Name) and value.id in parameters:
                found = (parameters[value.id], True)
            for target in assign.targets:
                if found and isinstance(target, ast.Attribute) and _is_self(target.value):
                    attributes[target.attr] = found
        for annotated in self._annotations[method]:
            target, kind = annotated.target, dotted(annotated.annotation)
            if kind and isinstance(target, ast.Attribute) and _is_self(target.value):
                attributes[target.attr] = (kind, True)

    def _function(
        self,
        qualname: str,
        node: Function,
        class_name: str | None,
        attributes: dict[str, Bound],
    ) -> None:
        assigns, calls = self._scans[node]
        declared = {name: (kind, True) for name, kind in _annotated(node).items()}
        instances = {**self.instances, **_instances(assigns), **declared}
        refs: list[Ref] = []
        for decorator in node.decorator_list:
            target = dotted(decorator.func if isinstance(decorator, ast.Call) else decorator)
            if target is not None:
                refs.append(Ref(*target, None, decorator.lineno, decorator=True))
        tensors = (
            _Tensors(self, node, class_name)
            if qualname in self.traced or node.decorator_list
            else None
        )
        for call in calls:
            fed = () if tensors is None else tensors.fed(call)
            leaves = () if tensors is None else tensors.leaves(call)
            refs.extend(self._call_refs(call, class_name, attributes, instances, (fed, leaves)))
        self.functions[qualname] = FunctionEntry(node.lineno, tuple(refs), _params(node))

    def _call_refs(
        self,
        call: ast.Call,
        class_name: str | None,
        attributes: dict[str, Bound],
        instances: dict[str, Bound],
        passed: tuple[tuple[int | str, ...], tuple[int, ...]],
    ) -> list[Ref]:
        """What one call reaches, each with the arguments it passes tensors (`passed`: the
        call's arguments that hold tensors, and, were it `tf.nest.map_structure`, the
        positions of the handed function's parameters whose structures hold them)."""
        fed, leaves = passed
        row = call.lineno
        func = call.func
        refs: list[Ref] = []
        target = dotted(func)
        if target is not None:
            name, path = target
            if name in ("self", "cls") and class_name is not None and path:
                if len(path) == 1:
                    refs.append(Ref(class_name, (), path[0], row, fed=fed))
                    if path[0] in attributes:
                        kind, declared = attributes[path[0]]
                        refs.append(Ref(*kind, CALL, row, fed=fed, dispatch=declared))
                elif len(path) == 2 and path[0] in attributes:
                    kind, declared = attributes[path[0]]
                    refs.append(Ref(*kind, path[1], row, fed=fed, dispatch=declared))
            elif name in instances and len(path) <= 1:
                kind, declared = instances[name]
                member = path[0] if path else CALL
                refs.append(Ref(*kind, member, row, fed=fed, dispatch=declared))
            else:
                refs.append(Ref(name, path, None, row, fed=fed))
                if path and path[-1] in HIGHER_ORDER and self._is_tensorflow(name):
                    refs.extend(self._handed(call, path, leaves))
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
            made = dotted(func.value.func)  # C().h()
            if made is not None:
                refs.append(Ref(*made, func.attr, row, fed=fed))
        return refs

    def _handed(self, call: ast.Call, path: tuple[str, ...], leaves: tuple[int, ...]) -> list[Ref]:
        """Functions handed to a TensorFlow op: it passes them tensors (fed None), except
        `tf.nest.map_structure(f, a, b)`, which passes f the leaves of a and b."""
        mapped = path[-2:] == ("nest", "map_structure")
        handed = [a for a in call.args if not isinstance(a, ast.Starred)]
        refs: list[Ref] = []
        for index, arg in enumerate([*handed, *(k.value for k in call.keywords)]):
            passed = dotted(arg)
            if passed is None:
                continue
            if mapped and index == 0:
                refs.append(Ref(*passed, None, call.lineno, fed=leaves))
            else:
                refs.append(Ref(*passed, None, call.lineno, fed=None))
        return refs

    def _is_tensorflow(self, name: str) -> bool:
        entry = self.imports.get(name)
        if entry is None or entry.level:
            return False
        module = entry.module if entry.name is None else f"{entry.module}.{entry.name}"
        return module.split(".")[0] == "tensorflow"

    def _is_wrapper(self, node: Function) -> bool:
        """`def relaxed(f): return tf.function(f, ...)` (or `tf.function(...)(f)`, or through
        a local name): it applies tf.function to its first parameter."""
        params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
        if not params:
            return False
        for call in self._scans[node][1]:
            handed = call.args[0] if call.args else None
            if not (isinstance(handed, ast.Name) and handed.id == params[0]):
                continue
            applied = call.func.func if isinstance(call.func, ast.Call) else call.func
            target = dotted(applied)
            if target is not None and self._names_tf_function(*target):
                return True
        return False

    def _names_tf_function(self, name: str, path: tuple[str, ...]) -> bool:
        qualname = self.qualname(name, path)
        return qualname in ("tensorflow.function", "tensorflow.compat.v1.function")

    def qualname(self, name: str, path: tuple[str, ...]) -> str | None:
        """`tensorflow.math.add` for `tf.math.add`: where an absolute import leads (None for a
        name the module does not import)."""
        entry = self.imports.get(name)
        if entry is None or entry.level:
            return None
        return ".".join([entry.module, *([entry.name] if entry.name else []), *path])


def _instances(nodes: Any) -> dict[str, Bound]:
    """`name = Something(...)` among these nodes: the name holds an instance of Something."""
    found: dict[str, Bound] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            made = dotted(node.value.func)
            if made is None:
                continue
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = (made, False)
    return found


def _annotated(node: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, Dotted]:
    """Parameters annotated with a class: `acc: Accumulator`."""
    found: dict[str, Dotted] = {}
    every = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
    for arg in every:
        if arg.annotation is not None:
            kind = dotted(arg.annotation)
            if kind is not None:
                found[arg.arg] = kind
    return found


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def _params(node: Function) -> tuple[str, ...]:
    """Positional parameter names; a static method's with an empty first name, standing for
    the instance a bound call would pass."""
    names = tuple(a.arg for a in [*node.args.posonlyargs, *node.args.args])
    static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
    return ("", *names) if static else names


class _Tensors:
    """Which values evidently hold tensors in a traced function, read with `ast` the way the
    checks read them with LibCST (checks.base.FileContext.is_tensor, flow-insensitive): its
    parameters (flags, defaulted ones and `self` aside), `tf.*` results, values computed from
    them, and names assigned from those."""

    def __init__(self, builder: _Builder, node: Function, class_name: str | None) -> None:
        self.builder = builder
        self.class_name = class_name
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        keywords = zip(args.kwonlyargs, args.kw_defaults, strict=True)
        pairs = [*zip(positional, defaults, strict=True), *keywords]
        if class_name is not None and positional:
            pairs = [pair for pair in pairs if pair[0] is not positional[0]]
        self.names = {
            arg.arg
            for arg, default in pairs
            if arg.arg not in FLAG_PARAMETERS and not _literal(default)
        }
        assigns = builder._scans[node][0]
        for _ in range(2):
            for assign in assigns:
                if self.holds(assign.value):
                    self.names.update(_target_names(assign.targets))

    def leaves(self, call: ast.Call) -> tuple[int, ...]:
        """`tf.nest.map_structure(f, a, b)`: the positions of f's parameters whose structure
        holds a tensor (a tensor, or a literal list, tuple or dict with one among its leaves)."""
        found: list[int] = []
        for index, arg in enumerate(call.args[1:]):
            if isinstance(arg, ast.Starred):
                break
            if self.structure_holds(arg):
                found.append(index)
        return tuple(found)

    def structure_holds(self, node: ast.expr) -> bool:
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return any(self.structure_holds(element) for element in node.elts)
        if isinstance(node, ast.Dict):
            return any(self.structure_holds(value) for value in node.values)
        return self.holds(node)

    def fed(self, call: ast.Call) -> tuple[int | str, ...]:
        """The call's arguments that hold tensors: positions (up to the first `*args`, after
        which positions are unknown) and keywords."""
        found: list[int | str] = []
        for index, arg in enumerate(call.args):
            if isinstance(arg, ast.Starred):
                break
            if self.holds(arg):
                found.append(index)
        found.extend(k.arg for k in call.keywords if k.arg is not None and self.holds(k.value))
        return tuple(found)

    def holds(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.names
        if isinstance(node, ast.Attribute):
            return node.attr in TENSOR_ATTRIBUTES and self.holds(node.value)
        if isinstance(node, ast.Subscript):
            return self.holds(node.value)
        if isinstance(node, ast.BinOp):
            return self.holds(node.left) or self.holds(node.right)
        if isinstance(node, ast.UnaryOp):
            return self.holds(node.operand)
        if isinstance(node, ast.Call):
            return self._call_holds(node)
        return False

    def _call_holds(self, call: ast.Call) -> bool:
        """A `tf.*` result; a sub-layer's (`self.dense(x)`) or same-module function's result
        when it is fed a tensor."""
        target = dotted(call.func)
        if target is None:
            return False
        name, path = target
        qualname = self.builder.qualname(name, path)
        if qualname is not None:
            return returns_tensor(qualname)
        local = not path and name in self.builder._module_functions
        methods = self.builder._methods.get(self.class_name or "", set())
        layer = name == "self" and len(path) == 1 and path[0] not in methods
        return (local or layer) and any(self.holds(arg) for arg in call.args)


def _literal(default: ast.expr | None) -> bool:
    """A number, string, None, True or False default: the parameter carries a Python value."""
    if isinstance(default, ast.UnaryOp):
        default = default.operand
    return isinstance(default, ast.Constant) and not isinstance(default.value, bytes)


def _target_names(targets: list[ast.expr]) -> list[str]:
    names: list[str] = []
    for target in targets:
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            names.extend(_target_names(target.elts))
    return names
