"""TF301-TF303: variables and component state created where they cannot live."""

from __future__ import annotations

import libcst as cst

from tflint.checks.base import Check, FileContext
from tflint.checks.state import creates_variable, self_attribute
from tflint.context import KerasKind
from tflint.traverse import nodes

_VARIABLE_FACTORIES = frozenset({"tensorflow.Variable", "keras.Variable"})
# Constructor parameters the Loss/Metric base classes already save in their config.
_BASE_PARAMETERS = {
    KerasKind.LOSS: frozenset({"self", "name", "reduction", "dtype"}),
    KerasKind.METRIC: frozenset({"self", "name", "dtype"}),
}
# Wrappers whose get_config already saves the keyword arguments passed through them
# (`keras.losses.losses.LossFunctionWrapper`, `keras.metrics.MeanMetricWrapper`, ...).
_CONFIG_SAVING_WRAPPERS = ("LossFunctionWrapper", "MeanMetricWrapper")
# Built-ins whose own get_config drops a parameter (observed on Keras 3.15): forwarding it to
# them does not save it.
_BASES_LOSING = {"keras.losses.Huber": frozenset({"delta"}),
                 "keras.losses.CosineSimilarity": frozenset({"axis"})}  # fmt: skip


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


def _traced_because(ctx: FileContext) -> str | None:
    """Why the current function is graph code — also inside its `with tf.init_scope():` blocks,
    where a variable is still created once per trace (observed: the same singleton ValueError)."""
    for frame in reversed(ctx.frames):
        if frame.node is not ctx.frame.node:
            return None
        if frame.reason is not None:
            return frame.reason.text
    return None


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
        factory = ctx.qualname(node.func)
        where = _traced_because(ctx) if factory in _VARIABLE_FACTORIES else None
        if where is None:
            return
        if _under_none_guard(ctx) or (_in_keras_call(ctx) and _assigned_to_self(ctx)):
            return  # the create-once idiom; or TF302's case
        spelling = "tf.Variable" if factory == "tensorflow.Variable" else factory
        ctx.report(
            node,
            "TF301",
            f"`{spelling}` created in graph code ({where}) is created again on every "
            "trace: `ValueError: tf.function only supports singleton tf.Variables created on "
            "the first call`; create it once in `__init__`/`build` or under an "
            "`if self.v is None:` guard",
        )


class WeightsInCallCheck(Check):
    codes = frozenset({"TF302"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if not _in_keras_call(ctx) or not ctx.in_graph:
            return
        is_factory = ctx.qualname(node.func) in _VARIABLE_FACTORIES
        is_add_weight = creates_variable(node, ctx) and not is_factory
        is_self_variable = is_factory and _assigned_to_self(ctx)
        if not (is_add_weight or is_self_variable):
            return
        if is_self_variable and ctx.qualname(node.func) == "tensorflow.Variable":
            happens = (
                "a `tf.Variable` assigned to `self` there is not tracked by Keras (the layer "
                "has no weights, so it never trains) and is created again on every trace, which "
                "fails in a model and in `fit` with ValueError"
            )
        else:
            happens = (
                "Keras builds the layer before `call` runs, so this raises `ValueError: You "
                "cannot add new elements of state ... to a layer that is already built` on the "
                "first call, eagerly too"
            )
        ctx.report(
            node,
            "TF302",
            f"weights created in `{ctx.frame.symbol}`: {happens}; create them with "
            "`self.add_weight(...)` in `build()`",
        )


class ConfigLostCheck(Check):
    codes = frozenset({"TF303"})

    def visit_ClassDef(self, node: cst.ClassDef, ctx: FileContext) -> None:
        name = node.name.value
        info = ctx.graph.classes.get(name)
        if info is None or info.node is not node or info.kind not in _BASE_PARAMETERS:
            return
        if any(_may_save_config(base) for base in info.base_qualnames):
            return
        init = info.methods.get("__init__")
        if init is None or ctx.graph.find_method(name, "get_config") is not None:
            return
        if _is_base_of_configured_subclass(name, ctx):
            return
        params = init.params
        forwarded = _forwarded_to_super(init)
        for base in info.base_qualnames:
            forwarded -= _BASES_LOSING.get(base, frozenset())
        lost = [
            p.name.value
            for p in (*params.posonly_params, *params.params, *params.kwonly_params)
            if p.name.value not in _BASE_PARAMETERS[info.kind] and p.name.value not in forwarded
        ]
        if not lost:
            return
        listed = ", ".join(f"`{p}`" for p in lost)
        ctx.report(
            node,
            "TF303",
            f"`{name}` ({info.kind.value} subclass) takes {listed} but defines no `get_config`: "
            "a saved model reloads it with the default values, silently; return them from "
            "`get_config()`",
        )


def _may_save_config(base: str) -> bool:
    """A base whose own get_config may save the subclass's parameters: Keras's function
    wrappers, or a class from another module (a config mixin) that the linter cannot see."""
    if base.startswith("builtins."):
        return False
    return base.endswith(_CONFIG_SAVING_WRAPPERS) or not base.startswith("keras.")


def _forwarded_to_super(init: cst.FunctionDef) -> set[str]:
    """Names passed straight to `super().__init__(...)` (or `Base.__init__(self, ...)`): a
    built-in base such as `keras.losses.Huber` saves its own parameters (`delta`)."""
    forwarded: set[str] = set()
    for call in nodes(init.body):
        if not (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and call.func.attr.value == "__init__"
        ):
            continue
        forwarded.update(arg.value.value for arg in call.args if isinstance(arg.value, cst.Name))
    return forwarded


def _is_base_of_configured_subclass(name: str, ctx: FileContext) -> bool:
    """An abstract base (Keras' `_IoUBase`) whose same-module subclasses define get_config:
    the classes users instantiate save their parameters."""
    return any(
        name in other.local_bases and "get_config" in other.methods
        for other in ctx.graph.classes.values()
    )
