"""TF105–TF106: Python state changed from graph code changes once per trace, not per call."""

from __future__ import annotations

import libcst as cst

from tflint.checks.base import Check, FileContext
from tflint.context import FunctionNode
from tflint.names import target_names

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
    params = function.params
    names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    return names


class OuterStateCheck(Check):
    codes = frozenset({"TF105"})

    def __init__(self) -> None:
        self._locals: dict[FunctionNode, _LocalNames] = {}

    def _local_names(self, function: FunctionNode) -> _LocalNames:
        if function not in self._locals:
            if len(self._locals) > 256:
                self._locals.clear()
            collector = _LocalNames()
            function.body.visit(collector)
            self._locals[function] = collector
        return self._locals[function]

    def _outer_kind(self, name: str, ctx: FileContext) -> str | None:
        """'parameter', 'module-level or closure variable', or None for a local name."""
        function = ctx.function
        if function is None:
            return None
        params = _parameters(function)
        if name in params:
            is_self = ctx.enclosing_method() is not None and params and params[0] == name
            return None if is_self else "parameter"
        local = self._local_names(function)
        if name in local.declared_outer:
            return "module-level or closure variable"
        if name in local.bound:
            return None
        return "module-level or closure variable" if name in ctx.graph.assigned_names else None

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        func = node.func
        if not (
            ctx.in_graph
            and isinstance(func, cst.Attribute)
            and func.attr.value in _MUTATORS
            and isinstance(func.value, cst.Name)
        ):
            return
        kind = self._outer_kind(func.value.value, ctx)
        if kind is not None:
            self._report(node, f"`{func.value.value}.{func.attr.value}(...)` on a {kind}", ctx)

    def visit_Subscript(self, node: cst.Subscript, ctx: FileContext) -> None:
        parent = ctx.parent()
        is_store = isinstance(parent, cst.AssignTarget | cst.Del) or (
            isinstance(parent, cst.AugAssign) and parent.target is node
        )
        if not (ctx.in_graph and is_store and isinstance(node.value, cst.Name)):
            return
        kind = self._outer_kind(node.value.value, ctx)
        if kind is not None:
            self._report(node, f"item assignment to `{node.value.value}`, a {kind},", ctx)

    def _visit_declaration(self, node: cst.Global | cst.Nonlocal, ctx: FileContext) -> None:
        function = ctx.function
        if not ctx.in_graph or function is None:
            return
        bound = self._local_names(function).bound
        rebound = [item.name.value for item in node.names if item.name.value in bound]
        if rebound:
            keyword = "global" if isinstance(node, cst.Global) else "nonlocal"
            self._report(node, f"rebinding `{keyword} {', '.join(rebound)}`", ctx)

    def visit_Global(self, node: cst.Global, ctx: FileContext) -> None:
        self._visit_declaration(node, ctx)

    def visit_Nonlocal(self, node: cst.Nonlocal, ctx: FileContext) -> None:
        self._visit_declaration(node, ctx)

    @staticmethod
    def _report(node: cst.CSTNode, what: str, ctx: FileContext) -> None:
        ctx.report(
            node,
            "TF105",
            f"{what} in graph code ({ctx.where()}) happens once per trace, not on every call, "
            "and can leak symbolic tensors; use a `tf.Variable`, return the value, or "
            "a `tf.TensorArray`",
        )


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
    codes = frozenset({"TF106"})

    def visit_Assign(self, node: cst.Assign, ctx: FileContext) -> None:
        if not ctx.in_graph or creates_variable(node.value, ctx):
            return
        for target in node.targets:
            attribute = self_attribute(target.target, ctx)
            if attribute is not None:
                self._report(target.target, f"assigning `self.{attribute}`", ctx)

    def visit_AnnAssign(self, node: cst.AnnAssign, ctx: FileContext) -> None:
        if not ctx.in_graph or node.value is None or creates_variable(node.value, ctx):
            return
        attribute = self_attribute(node.target, ctx)
        if attribute is not None:
            self._report(node.target, f"assigning `self.{attribute}`", ctx)

    def visit_AugAssign(self, node: cst.AugAssign, ctx: FileContext) -> None:
        if not ctx.in_graph:
            return
        attribute = self_attribute(node.target, ctx)
        if attribute is not None:
            self._report(node.target, f"updating `self.{attribute}` in place", ctx)

    @staticmethod
    def _report(node: cst.CSTNode, what: str, ctx: FileContext) -> None:
        ctx.report(
            node,
            "TF106",
            f"{what} in graph code ({ctx.where()}) runs once per trace: the attribute keeps a "
            "trace-time (symbolic) value and does not change on later calls; keep state in "
            "`self.add_weight(...)` / `tf.Variable` and update it with `.assign*()`",
        )
