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


@dataclass(frozen=True)
class Ref:
    """`name.path...` reached from a function body; `member` is the method called on an
    instance of it (None: the object itself is called); `decorator` when it decorates."""

    name: str
    path: tuple[str, ...]
    member: str | None
    row: int
    decorator: bool = False


@dataclass(frozen=True)
class FunctionEntry:
    row: int
    refs: tuple[Ref, ...]


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
                k: [v.row, [[r.name, list(r.path), r.member, r.row, r.decorator] for r in v.refs]]
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
            str(k): FunctionEntry(int(row), tuple(_ref(*ref) for ref in refs))
            for k, (row, refs) in data["functions"].items()
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


def _ref(name: str, path: list[str], member: str | None, row: int, decorator: bool) -> Ref:
    return Ref(str(name), tuple(map(str, path)), member, int(row), bool(decorator))


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
    builder = _Builder()
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
Function = ast.FunctionDef | ast.AsyncFunctionDef


class _Builder:
    def __init__(self) -> None:
        self.imports: dict[str, ImportEntry] = {}
        self.functions: dict[str, FunctionEntry] = {}
        self.classes: dict[str, tuple[Dotted, ...]] = {}
        self.wrappers: list[str] = []
        self.instances: dict[str, Dotted] = {}  # module-level `acc = Accumulator()`
        self._scans: dict[ast.AST, tuple[list[ast.Assign], list[ast.Call]]] = {}

    def module(self, tree: ast.Module) -> None:
        """One walk of each definition collects its assignments and calls (and every import
        on the way); references are built once all imports are known."""
        functions: list[tuple[str, Function, str | None, dict[str, Dotted]]] = []
        for statement in tree.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                self._scan(statement)
                functions.append((statement.name, statement, None, {}))
            elif isinstance(statement, ast.ClassDef):
                functions.extend(self._class(statement))
            else:
                self._scan(statement)
        self.instances = _instances(tree.body)
        for qualname, node, class_name, attributes in functions:
            self._function(qualname, node, class_name, attributes)
            if class_name is None and self._is_wrapper(node):
                self.wrappers.append(qualname)

    def _scan(self, node: ast.AST) -> tuple[list[ast.Assign], list[ast.Call]]:
        assigns: list[ast.Assign] = []
        calls: list[ast.Call] = []
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call):
                calls.append(inner)
            elif isinstance(inner, ast.Assign):
                assigns.append(inner)
            elif isinstance(inner, ast.Import | ast.ImportFrom):
                self._import(inner)
        self._scans[node] = (assigns, calls)
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
    ) -> list[tuple[str, Function, str | None, dict[str, Dotted]]]:
        bases = tuple(d for d in map(dotted, node.bases) if d is not None)
        self.classes[node.name] = bases
        attributes: dict[str, Dotted] = {}
        methods: list[tuple[str, Function, str | None, dict[str, Dotted]]] = []
        for statement in node.body:
            if not isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                self._scan(statement)
                continue
            methods.append((f"{node.name}.{statement.name}", statement, node.name, attributes))
            for assign in self._scan(statement)[0]:  # `self.block = Block(...)`, any method
                made = dotted(assign.value.func) if isinstance(assign.value, ast.Call) else None
                for target in assign.targets:
                    if made and isinstance(target, ast.Attribute) and _is_self(target.value):
                        attributes[target.attr] = made
        return methods

    def _function(
        self,
        qualname: str,
        node: Function,
        class_name: str | None,
        attributes: dict[str, Dotted],
    ) -> None:
        assigns, calls = self._scans[node]
        instances = {**self.instances, **_instances(assigns), **_annotated(node)}
        refs: list[Ref] = []
        for decorator in node.decorator_list:
            target = dotted(decorator.func if isinstance(decorator, ast.Call) else decorator)
            if target is not None:
                refs.append(Ref(*target, None, decorator.lineno, decorator=True))
        for call in calls:
            refs.extend(self._call_refs(call, class_name, attributes, instances))
        self.functions[qualname] = FunctionEntry(node.lineno, tuple(refs))

    def _call_refs(
        self,
        call: ast.Call,
        class_name: str | None,
        attributes: dict[str, Dotted],
        instances: dict[str, Dotted],
    ) -> list[Ref]:
        row = call.lineno
        func = call.func
        refs: list[Ref] = []
        target = dotted(func)
        if target is not None:
            name, path = target
            if name in ("self", "cls") and class_name is not None and path:
                if len(path) == 1:
                    refs.append(Ref(class_name, (), path[0], row))
                    if path[0] in attributes:
                        refs.append(Ref(*attributes[path[0]], CALL, row))
                elif len(path) == 2 and path[0] in attributes:
                    refs.append(Ref(*attributes[path[0]], path[1], row))
            elif name in instances and len(path) <= 1:
                refs.append(Ref(*instances[name], path[0] if path else CALL, row))
            else:
                refs.append(Ref(name, path, None, row))
                if path and path[-1] in HIGHER_ORDER and self._is_tensorflow(name):
                    handed = [a for a in call.args if not isinstance(a, ast.Starred)]
                    for arg in [*handed, *(k.value for k in call.keywords)]:
                        passed = dotted(arg)
                        if passed is not None:
                            refs.append(Ref(*passed, None, row))
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
            made = dotted(func.value.func)  # C().h()
            if made is not None:
                refs.append(Ref(*made, func.attr, row))
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
        entry = self.imports.get(name)
        if entry is None or entry.level:
            return False
        parts = [*entry.module.split("."), *([entry.name] if entry.name else []), *path]
        return parts in (["tensorflow", "function"], ["tensorflow", "compat", "v1", "function"])


def _instances(nodes: Any) -> dict[str, Dotted]:
    """`name = Something(...)` among these nodes: the name holds an instance of Something."""
    found: dict[str, Dotted] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            made = dotted(node.value.func)
            if made is None:
                continue
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = made
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
