"""TF105-TF106: Python state changed from graph code changes once per trace, not per call."""

from __future__ import annotations

import libcst as cst

from tflint.checks.base import Check, FileContext, Frame
from tflint.context import FunctionNode, tf_function_call_options
from tflint.names import target_names
from tflint.traverse import nodes, walk

_MUTATORS = frozenset(
    {"append", "extend", "insert", "pop", "popitem", "remove", "update", "add", "discard",
     "setdefault", "clear"}
)  # fmt: skip
_VARIABLE_FACTORIES = frozenset({"tensorflow.Variable", "keras.Variable"})
_WEIGHT_METHODS = frozenset({"add_weight", "add_variable"})


class _LocalNames(cst.CSTVisitor):
    """Names a function binds itself (assignments, loops, with, imports), excluding nested
    functions' bodies; `global`/`nonlocal` names are recorded apart."""

    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.declared_outer: dict[str, cst.CSTNode] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.bound.add(node.name.value)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.bound.add(node.name.value)
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.bound.update(target_names(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.bound.update(target_names(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.bound.update(target_names(node.target))

    def visit_For(self, node: cst.For) -> None:
        self.bound.update(target_names(node.target))

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self.bound.update(target_names(node.target))

    def visit_AsName(self, node: cst.AsName) -> None:
        self.bound.update(target_names(node.name))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.bound.update(target_names(node.target))

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self.declared_outer[item.name.value] = node

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        for item in node.names:
            self.declared_outer[item.name.value] = node


def _parameters(function: FunctionNode) -> list[str]:
    """Named parameters, in order (not `*args`/`**kwargs`)."""
    params = function.params
    return [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]


def _star_parameters(function: FunctionNode) -> set[str]:
    """`*args` and `**kwargs`: fresh objects on every call, never the caller's."""
    params = function.params
    star = params.star_arg if isinstance(params.star_arg, cst.Param) else None
    return {p.name.value for p in (star, params.star_kwarg) if p is not None}


def _function_frames(ctx: FileContext) -> list[Frame]:
    """The functions the walk is inside, innermost first (a `with tf.init_scope():` region
    keeps its function's own frame)."""
    frames: dict[FunctionNode, Frame] = {}
    for frame in ctx.frames:
        if isinstance(frame.node, cst.FunctionDef | cst.Lambda):
            frames.setdefault(frame.node, frame)
    return list(reversed(frames.values()))


def _is_tf_function(function: FunctionNode, ctx: FileContext) -> bool:
    return isinstance(function, cst.FunctionDef) and any(
        tf_function_call_options(decorator.decorator, ctx.imports) is not None
        for decorator in function.decorators
    )


_MODULE_LEVEL = "module-level variable"
_CLOSURE = "closure variable of eager code"
_PARAMETER = "parameter"
# Objects made by TensorFlow/Keras whose mutating-named methods are graph ops
# (`tf.lookup.experimental.MutableHashTable.insert`), not Python state.
_TF_FACTORIES = ("tensorflow.", "keras.")


class OuterStateCheck(Check):
    codes = frozenset({"TF105"})

    def __init__(self) -> None:
        self._locals: dict[FunctionNode, _LocalNames] = {}

    def _local_names(self, function: FunctionNode) -> _LocalNames:
        if function not in self._locals:
            if len(self._locals) > 256:
                self._locals.clear()
            collector = _LocalNames()
            walk(function.body, collector)
            self._locals[function] = collector
        return self._locals[function]

    def _outer_kind(self, name: str, ctx: FileContext) -> str | None:
        """What `name` refers to from the current graph code: a parameter of a tf.function, a
        module-level variable or a closure variable of an eager function; None for anything
        that lives and dies with the trace (locals, the locals of an enclosing graph function,
        `*args`/`**kwargs`, parameters of Keras methods, tf.data functions and helpers, whose
        callers pass fresh structures)."""
        frames = _function_frames(ctx)
        if not frames:
            return None
        function = frames[0].node
        assert function is not None
        declaration = self._local_names(function).declared_outer.get(name)
        if isinstance(declaration, cst.Global):
            return _MODULE_LEVEL
        if declaration is None:
            if name in self._local_names(function).bound or name in _star_parameters(function):
                return None
            params = _parameters(function)
            if name in params:
                is_self = ctx.enclosing_method() is not None and params[0] == name
                return _PARAMETER if _is_tf_function(function, ctx) and not is_self else None
        return self._enclosing_kind(name, frames[1:], ctx)

    def _enclosing_kind(self, name: str, frames: list[Frame], ctx: FileContext) -> str | None:
        for frame in frames:
            function = frame.node
            assert function is not None
            local = self._local_names(function)
            declaration = local.declared_outer.get(name)
            if isinstance(declaration, cst.Global):
                return _MODULE_LEVEL
            binds = name in local.bound or name in _parameters(function)
            if declaration is None and (binds or name in _star_parameters(function)):
                return None if frame.reason is not None else _CLOSURE
        return _MODULE_LEVEL if name in ctx.graph.assigned_names else None

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        func = node.func
        if not (
            ctx.in_graph
            and isinstance(func, cst.Attribute)
            and func.attr.value in _MUTATORS
            and isinstance(func.value, cst.Name)
        ):
            return
        name = func.value.value
        if name in ctx.graph.names_assigned_from(_TF_FACTORIES):
            return
        kind = self._outer_kind(name, ctx)
        if kind is not None:
            self._report(node, f"`{name}.{func.attr.value}(...)`", name, kind, ctx)

    def visit_Subscript(self, node: cst.Subscript, ctx: FileContext) -> None:
        parent = ctx.parent()
        is_store = isinstance(parent, cst.AssignTarget | cst.Del) or (
            isinstance(parent, cst.AugAssign) and parent.target is node
        )
        if not (ctx.in_graph and is_store and isinstance(node.value, cst.Name)):
            return
        name = node.value.value
        kind = self._outer_kind(name, ctx)
        if kind is not None:
            self._report(node, f"item assignment to `{name}[...]`", name, kind, ctx)

    def _visit_declaration(self, node: cst.Global | cst.Nonlocal, ctx: FileContext) -> None:
        frames = _function_frames(ctx)
        if not ctx.in_graph or not frames:
            return
        function = frames[0].node
        assert function is not None
        bound = self._local_names(function).bound
        is_global = isinstance(node, cst.Global)
        rebound = [
            item.name.value
            for item in node.names
            if item.name.value in bound
            and (is_global or self._enclosing_kind(item.name.value, frames[1:], ctx) is not None)
        ]
        if rebound:
            keyword = "global" if is_global else "nonlocal"
            kind = _MODULE_LEVEL if is_global else _CLOSURE
            self._report(node, f"rebinding `{keyword} {', '.join(rebound)}`", None, kind, ctx)

    def visit_Global(self, node: cst.Global, ctx: FileContext) -> None:
        self._visit_declaration(node, ctx)

    def visit_Nonlocal(self, node: cst.Nonlocal, ctx: FileContext) -> None:
        self._visit_declaration(node, ctx)

    @staticmethod
    def _report(
        node: cst.CSTNode, what: str, name: str | None, kind: str, ctx: FileContext
    ) -> None:
        if kind == _PARAMETER:
            message = (
                f"{what} mutates `{name}`, an argument of a tf.function ({ctx.where()}): "
                "TensorFlow raises `ValueError: ... should not modify its Python input "
                "arguments`; modify a copy, or return the new value"
            )
        else:
            message = (
                f"{what} changes a {kind} from graph code ({ctx.where()}): it happens once per "
                "trace, not on every call, and can leak symbolic tensors; use a `tf.Variable`, "
                "return the value, or a `tf.TensorArray`"
            )
        ctx.report(node, "TF105", message)


def creates_variable(value: cst.BaseExpression, ctx: FileContext) -> bool:
    """`tf.Variable(...)`, `keras.Variable(...)` or `self.add_weight(...)`."""
    if not isinstance(value, cst.Call):
        return False
    if ctx.qualname(value.func) in _VARIABLE_FACTORIES:
        return True
    func = value.func
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value in _WEIGHT_METHODS
        and isinstance(func.value, cst.Name)
        and func.value.value == ctx.self_name()
    )


def self_attribute(target: cst.BaseExpression, ctx: FileContext) -> str | None:
    """`attr` when the target is `self.attr` in a method."""
    self_name = ctx.self_name()
    if (
        self_name is not None
        and isinstance(target, cst.Attribute)
        and isinstance(target.value, cst.Name)
        and target.value.value == self_name
    ):
        return target.attr.value
    return None


class AttributeStateCheck(Check):
    """`self.x += ...`, `self.x = <something of self.x>` and `self.x = <tensor>` in graph code.

    Plain Python values that do not evolve (`self.units = inputs.shape[-1]`, a flag) are set to
    the same thing on every trace and stay quiet, as does creating a variable (TF301/TF302)."""

    codes = frozenset({"TF106"})

    def visit_Assign(self, node: cst.Assign, ctx: FileContext) -> None:
        if ctx.in_graph and not creates_variable(node.value, ctx):
            for target in node.targets:
                for element, value in _paired(target.target, node.value):
                    self._check_assignment(element, value, ctx)

    def visit_AnnAssign(self, node: cst.AnnAssign, ctx: FileContext) -> None:
        if ctx.in_graph and node.value is not None and not creates_variable(node.value, ctx):
            self._check_assignment(node.target, node.value, ctx)

    def visit_AugAssign(self, node: cst.AugAssign, ctx: FileContext) -> None:
        attribute = self_attribute(node.target, ctx) if ctx.in_graph else None
        if attribute is not None:
            self._report(node.target, f"updating `self.{attribute}` in place", ctx)

    def _check_assignment(
        self, target: cst.BaseExpression, value: cst.BaseExpression, ctx: FileContext
    ) -> None:
        attribute = self_attribute(target, ctx)
        if attribute is None:
            return
        if any(_is_attribute(node, ctx.self_name(), attribute) for node in nodes(value)):
            self._report(target, f"`self.{attribute} = ...` computed from itself", ctx)
        elif ctx.is_tensor(value):
            self._report(target, f"storing a tensor in `self.{attribute}`", ctx)

    @staticmethod
    def _report(node: cst.CSTNode, what: str, ctx: FileContext) -> None:
        ctx.report(
            node,
            "TF106",
            f"{what} in graph code ({ctx.where()}) runs once per trace: the attribute keeps a "
            "trace-time value (a symbolic tensor, or a count of traces) instead of changing on "
            "every call; keep state in `self.add_weight(...)` / `tf.Variable` and update it "
            "with `.assign*()`",
        )


def _paired(
    target: cst.BaseExpression, value: cst.BaseExpression
) -> list[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """(target, value) pairs of an assignment, unpacking `self.a, self.b = x, y`."""
    if not isinstance(target, cst.Tuple | cst.List):
        return [(target, value)]
    elements = [element.value for element in target.elements]
    if isinstance(value, cst.Tuple | cst.List) and len(value.elements) == len(elements):
        values = [element.value for element in value.elements]
        return [pair for t, v in zip(elements, values, strict=True) for pair in _paired(t, v)]
    return [pair for element in elements for pair in _paired(element, value)]


def _is_attribute(node: cst.CSTNode, owner: str, attribute: str) -> bool:
    """`owner.attribute` (e.g. `self.count`)."""
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == owner
        and node.attr.value == attribute
    )
