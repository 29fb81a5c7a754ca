"""Keras components a module only ever runs eagerly: their methods are not Keras-traced there.

`fit`/`evaluate`/`predict` trace `train_step` and `call`, a functional model traces `call` on
symbolic inputs, and a library exports its layers for others to fit: so a Keras method counts
as traced unless the module itself shows otherwise. It shows otherwise only when it
instantiates the class in its own top-level code (a script or notebook, not a library that
merely defines it), and every use of the class and of the names its instances are bound to is
evidently eager:

- `model.train_step(batch)`, `metric.update_state(...)`: a direct method call runs the method as
  plain Python (observed on TF 2.21 / Keras 3.15: `.numpy()` works there);
- `layer(x)` on eager values (literals, NumPy, `tf.*`/`keras.ops.*` results) runs `call` eagerly,
  but only when the class defines `build`: without one, Keras 3 builds a layer with unbuilt
  sub-layers on the first call by running `call` once in a symbolic scope (observed: a `print`
  of a sub-layer's output there showed a SymbolicTensor), so `call` is still traced once;
- attribute reads (`model.logs`, `model.variables`).

Anything else keeps the method traced: a tracing API (`compile`, `fit`, `predict`, `save`, ...),
the instance or class handed on (an argument, a list, a Sequential, `return`), a subclass, a use
in graph code or under `with graph.as_default():`, a call on anything not evidently eager (a
`keras.Input`, a parameter). Class names are matched as names, so a class defined twice shares
its uses: conservative, as the later definition usually replaces the first in the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from tflint.graph.index import ClassInfo
from tflint.graph.vocabulary import FunctionNode, KerasKind
from tflint.names import dotted_name
from tflint.traverse import walk

if TYPE_CHECKING:
    from tflint.graph.judgement import GraphContext

# Methods of a model or layer object that trace (or serialise by tracing) its Keras methods.
_TRACING_APIS = frozenset(
    {
        "compile", "fit", "evaluate", "predict", "train_on_batch", "test_on_batch",
        "predict_on_batch", "fit_generator", "evaluate_generator", "predict_generator",
        "save", "export", "make_train_function", "make_test_function",
        "make_predict_function", "get_concrete_function", "__call__", "call",
    }
)  # fmt: skip
# Namespaces whose calls return eager values when run outside graph code.
_EAGER_FACTORIES = ("tensorflow.", "numpy.", "keras.ops.", "keras.random.")


@dataclass
class _Use:
    """What the module does with one Keras class and its instances."""

    traced: bool = False  # a tracing API, a use in graph code, or the object handed on
    # `obj(...)`, `C(...)(...)`, with the function they sit in (None: top-level code)
    calls: list[tuple[cst.Call, FunctionNode | None]] = field(default_factory=list)
    handles: set[str] = field(default_factory=set)


class _Occurrences(cst.CSTVisitor):
    """Every Name/Attribute chain spelling one of `wanted`, with its ancestors."""

    def __init__(self, wanted: set[str]) -> None:
        self.wanted = wanted
        self.stack: list[cst.CSTNode] = []
        self.found: list[tuple[str, list[cst.CSTNode]]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        parent = self.stack[-1] if self.stack else None
        is_attr = isinstance(parent, cst.Attribute) and parent.attr is node  # `obj.<name>`
        if isinstance(node, cst.Name | cst.Attribute) and not is_attr:
            name = dotted_name(node)
            if name in self.wanted:
                self.found.append((name, [*self.stack, node]))
        self.stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()


def eager_only_methods(
    context: GraphContext, module: cst.Module, traced_methods: Callable[[ClassInfo], Iterable[str]]
) -> set[FunctionNode]:
    """The Keras methods of this module's classes that the module evidently runs eagerly only."""
    candidates = _candidates(context)
    if not candidates:
        return set()
    uses = {name: _Use() for name in candidates}
    for name, path in _occurrences(module, set(uses)):
        _class_use(context, uses[name], path)
    by_handle: dict[str, list[_Use]] = {}
    for use in uses.values():
        for handle in use.handles:
            by_handle.setdefault(handle, []).append(use)
    for handle, path in _occurrences(module, set(by_handle)):
        for use in by_handle[handle]:  # a name bound to instances of several classes
            _handle_use(context, use, path)
    eager: set[FunctionNode] = set()
    for name, use in uses.items():
        if use.traced:
            continue
        for info in candidates[name]:
            eager.update(_eager_methods(context, info, use, traced_methods(info)))
    return eager


def _candidates(context: GraphContext) -> dict[str, list[ClassInfo]]:
    """Keras classes the module instantiates in its top-level code and does not subclass."""
    instantiated = context.top_level_call_names
    subclassed = {base for info in context.class_infos for base in info.local_bases}
    found: dict[str, list[ClassInfo]] = {}
    for info in context.class_infos:
        name = info.node.name.value
        if info.kind is not None and name in instantiated and name not in subclassed:
            found.setdefault(name, []).append(info)
    return found


def _occurrences(module: cst.Module, wanted: set[str]) -> list[tuple[str, list[cst.CSTNode]]]:
    visitor = _Occurrences(wanted)
    walk(module, visitor)
    return visitor.found


def _class_use(context: GraphContext, use: _Use, path: list[cst.CSTNode]) -> None:
    """`handle = C(...)`, `C(...)(x)`; the class statement itself and uses inside the class
    (`super(C, self)`) say nothing; anything else hands the class on."""
    node, parent = path[-1], path[-2]
    assert isinstance(node, cst.Name | cst.Attribute)
    name = dotted_name(node)
    if isinstance(parent, cst.ClassDef) or any(
        isinstance(a, cst.ClassDef) and a.name.value == name for a in path[:-1]
    ):
        return
    if not (isinstance(parent, cst.Call) and parent.func is node) or _in_graph(context, path):
        use.traced = True
        return
    outer = path[-3]
    if isinstance(outer, cst.Assign) and outer.value is parent and len(outer.targets) == 1:
        handle = dotted_name(outer.targets[0].target)
        if handle is not None:
            use.handles.add(handle)
            return
    if isinstance(outer, cst.Call) and outer.func is parent:
        use.calls.append((outer, _enclosing_function(path)))
        return
    use.traced = True


def _handle_use(context: GraphContext, use: _Use, path: list[cst.CSTNode]) -> None:
    node, parent = path[-1], path[-2]
    if isinstance(parent, cst.AssignTarget) and parent.target is node:
        return  # rebinding the name
    function = _enclosing_function(path)
    if isinstance(node, cst.Name) and function and context.binds_locally(function, node.value):
        return  # a function's own local of the same name
    if _in_graph(context, path):
        use.traced = True
    elif isinstance(parent, cst.Call) and parent.func is node:
        use.calls.append((parent, function))
    elif isinstance(parent, cst.Attribute) and parent.value is node:
        if parent.attr.value in _TRACING_APIS:
            use.traced = True
    elif not isinstance(parent, cst.Del):
        use.traced = True  # handed on: an argument, a list element, returned, ...


def _enclosing_function(path: list[cst.CSTNode]) -> FunctionNode | None:
    return next((a for a in reversed(path) if isinstance(a, cst.FunctionDef | cst.Lambda)), None)


def _in_graph(context: GraphContext, path: list[cst.CSTNode]) -> bool:
    """Inside graph code, or under `with <graph>.as_default():` (TF 1 style graph building)."""
    for ancestor in path:
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda) and ancestor in context.graph:
            return True
        if isinstance(ancestor, cst.With) and any(
            isinstance(item.item, cst.Call)
            and isinstance(item.item.func, cst.Attribute)
            and item.item.func.attr.value == "as_default"
            for item in ancestor.items
        ):
            return True
    return False


def _eager_methods(
    context: GraphContext, info: ClassInfo, use: _Use, methods: Iterable[str]
) -> set[FunctionNode]:
    name = info.node.name.value
    found: set[FunctionNode] = set()
    for method_name in methods:
        method = context.find_method(name, method_name, info)
        if method is None:
            continue
        # `obj(...)` runs `call` (layers, losses) or `update_state`/`result` (metrics);
        # a layer's `train_step` runs only when called by name or by fit.
        runs_on_call = info.kind is not KerasKind.LAYER or method_name == "call"
        if runs_on_call and not all(_eager_call(context, *call) for call in use.calls):
            continue
        # Layer.__call__ builds a layer with sub-layers and no `build` by running `call` once
        # more (observed on Keras 3.15: twice for the first eager call, once without them).
        if (
            info.kind is KerasKind.LAYER
            and method_name == "call"
            and _builds_by_running(context, info)
        ):
            continue
        found.add(method)
    return found


def _drawn_from_dataset(context: GraphContext, call: cst.Call, scope: FunctionNode | None) -> bool:
    """`next(iter(ds))` on a tf.data Dataset: in plain Python code an eager element."""
    if not (isinstance(call.func, cst.Name) and call.func.value == "next" and call.args):
        return False
    inner = call.args[0].value
    return (
        isinstance(inner, cst.Call)
        and isinstance(inner.func, cst.Name)
        and inner.func.value == "iter"
        and bool(inner.args)
        and context.is_dataset(inner.args[0].value, scope)
    )


def _builds_by_running(context: GraphContext, info: ClassInfo) -> bool:
    """No `build`, and `__init__` keeps objects it makes on `self` (sub-layers, perhaps)."""
    name = info.node.name.value
    if context.find_method(name, "build", info) is not None:
        return False
    init = context.find_method(name, "__init__", info)
    return init is not None and any(
        a.scope is init and isinstance(a.value, cst.Call) and not _is_weight_call(a.value)
        for a in context.index.self_assignments
    )


def _is_weight_call(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_weight"


def _eager_call(context: GraphContext, call: cst.Call, scope: FunctionNode | None) -> bool:
    return all(_eager_value(context, arg.value, 4, scope) for arg in call.args)


def _eager_value(
    context: GraphContext, node: cst.BaseExpression, depth: int, scope: FunctionNode | None
) -> bool:
    """Evidently an eager value outside graph code: literals, NumPy and TensorFlow results,
    elements drawn from a tf.data Dataset in plain Python (`next(iter(ds))`), and names their
    scope only ever assigns such values to (top-level code: the module's own assignments)."""
    if depth <= 0:
        return False
    if isinstance(node, cst.BaseNumber | cst.BaseString):
        return True
    if isinstance(node, cst.Name):
        if node.value in ("True", "False", "None"):
            return True
        values = [
            a.value for a in context.index.assignments if a.scope is scope and node.value in a.names
        ]
        return bool(values) and all(_eager_value(context, v, depth - 1, scope) for v in values)
    if isinstance(node, cst.List | cst.Tuple | cst.Set):
        return all(_eager_value(context, e.value, depth, scope) for e in node.elements)
    if isinstance(node, cst.Subscript):
        return _eager_value(context, node.value, depth, scope)
    if isinstance(node, cst.UnaryOperation):
        return _eager_value(context, node.expression, depth, scope)
    if isinstance(node, cst.BinaryOperation):
        return _eager_value(context, node.left, depth, scope) and _eager_value(
            context, node.right, depth, scope
        )
    if isinstance(node, cst.Call):
        if _drawn_from_dataset(context, node, scope):
            return True
        qualname = context.imports.resolve(node.func)
        if qualname is not None and qualname.startswith(_EAGER_FACTORIES):
            return "placeholder" not in qualname  # tf.compat.v1.placeholder is symbolic
        if isinstance(node.func, cst.Attribute):  # `x.astype(...)`, `tf.ones(...).numpy()`
            return _eager_value(context, node.func.value, depth, scope)
    return False
