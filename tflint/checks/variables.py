"""TF301–TF303: variables and component state created where they cannot live."""

from __future__ import annotations

import libcst as cst

from tflint.checks.base import Check, FileContext
from tflint.checks.state import creates_variable, self_attribute
from tflint.context import KerasKind

_VARIABLE_FACTORIES = frozenset({"tensorflow.Variable", "keras.Variable"})
# Constructor parameters the Loss/Metric base classes already save in their config.
_BASE_PARAMETERS = {
    KerasKind.LOSS: frozenset({"self", "name", "reduction", "dtype"}),
    KerasKind.METRIC: frozenset({"self", "name", "dtype"}),
}
# Wrappers whose get_config already saves the keyword arguments passed through them.
_CONFIG_SAVING_BASES = frozenset(
    {"keras.losses.LossFunctionWrapper", "keras.metrics.MeanMetricWrapper"}
)


def _under_none_guard(ctx: FileContext) -> bool:
    """Inside `if <something> is None:` — the create-once idiom for variables in tf.function."""
    for ancestor in ctx.enclosing():
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            return False
        if isinstance(ancestor, cst.If) and _tests_is_none(ancestor.test):
            return True
    return False


def _tests_is_none(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.BooleanOperation):
        return _tests_is_none(test.left) or _tests_is_none(test.right)
    return isinstance(test, cst.Comparison) and any(
        isinstance(target.operator, cst.Is)
        and isinstance(target.comparator, cst.Name)
        and target.comparator.value == "None"
        for target in test.comparisons
    )


def _in_keras_call(ctx: FileContext) -> bool:
    method = ctx.enclosing_method()
    return (
        method is not None
        and method[1].name.value == "call"
        and (ctx.class_kind() is KerasKind.LAYER)
    )


def _assigned_to_self(ctx: FileContext) -> bool:
    parent = ctx.parent()
    if isinstance(parent, cst.Assign):
        return any(self_attribute(t.target, ctx) is not None for t in parent.targets)
    return isinstance(parent, cst.AnnAssign) and self_attribute(parent.target, ctx) is not None


class VariableInGraphCheck(Check):
    codes = frozenset({"TF301"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if not ctx.in_graph or ctx.qualname(node.func) not in _VARIABLE_FACTORIES:
            return
        if _under_none_guard(ctx) or (_in_keras_call(ctx) and _assigned_to_self(ctx)):
            return  # the create-once idiom; or TF302's case
        ctx.report(
            node,
            "TF301",
            f"`tf.Variable` created in graph code ({ctx.where()}) is created again on every "
            "trace: `ValueError: tf.function only supports singleton tf.Variables created on "
            "the first call`; create it once in `__init__`/`build` or under an "
            "`if self.v is None:` guard",
        )


class WeightsInCallCheck(Check):
    codes = frozenset({"TF302"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if not _in_keras_call(ctx) or not ctx.in_graph:
            return
        is_add_weight = creates_variable(node, ctx) and isinstance(node.func, cst.Attribute)
        is_self_variable = ctx.qualname(node.func) in _VARIABLE_FACTORIES and _assigned_to_self(ctx)
        if not (is_add_weight or is_self_variable):
            return
        ctx.report(
            node,
            "TF302",
            f"weights created in `{ctx.frame.symbol}` are created while the layer is being "
            "called: Keras raises `ValueError: You cannot add new elements of state` once the "
            "layer is built, and eagerly they are recreated and never train; create them in "
            "`build()`",
        )


class ConfigLostCheck(Check):
    codes = frozenset({"TF303"})

    def visit_ClassDef(self, node: cst.ClassDef, ctx: FileContext) -> None:
        name = node.name.value
        info = ctx.graph.classes.get(name)
        if info is None or info.node is not node or info.kind not in _BASE_PARAMETERS:
            return
        if any(base in _CONFIG_SAVING_BASES for base in info.base_qualnames):
            return
        init = info.methods.get("__init__")
        if init is None or ctx.graph.find_method(name, "get_config") is not None:
            return
        params = init.params
        extra = [
            p.name.value
            for p in (*params.posonly_params, *params.params, *params.kwonly_params)
            if p.name.value not in _BASE_PARAMETERS[info.kind]
        ]
        if not extra:
            return
        listed = ", ".join(f"`{p}`" for p in extra)
        ctx.report(
            node,
            "TF303",
            f"`{name}` ({info.kind.value} subclass) takes {listed} but defines no `get_config`: "
            "a saved model reloads it with the default values, silently; return them from "
            "`get_config()`",
        )
