"""TF301-TF303: variables and component state created where they cannot live."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from tflint.checks.base import VARIABLE_FACTORIES, Check, FileContext
from tflint.checks.state import creates_variable, self_attribute, under_create_once_guard
from tflint.graph import ClassInfo, KerasKind
from tflint.names import dotted_name
from tflint.traverse import nodes

# Constructor parameters the Loss/Metric base classes already save in their config.
_BASE_PARAMETERS = {
    KerasKind.LOSS: frozenset({"self", "name", "reduction", "dtype"}),
    KerasKind.METRIC: frozenset({"self", "name", "dtype"}),
}
# What the base `get_config` writes (Keras 3.15), and so what loading passes to `__init__`.
_BASE_CONFIG = {
    KerasKind.LOSS: ("name", "reduction"),
    KerasKind.METRIC: ("name", "dtype"),
}
_PLAIN_BASES = frozenset({"keras.losses.Loss", "keras.metrics.Metric"})
# Wrappers whose get_config already saves the keyword arguments passed through them
# (`keras.losses.losses.LossFunctionWrapper`, `keras.metrics.MeanMetricWrapper`, ...).
_CONFIG_SAVING_WRAPPERS = ("LossFunctionWrapper", "MeanMetricWrapper")
# Built-ins whose own get_config drops a parameter (observed on Keras 3.15): forwarding it to
# them does not save it.
_BASES_LOSING = {"keras.losses.Huber": frozenset({"delta"}),
                 "keras.losses.CosineSimilarity": frozenset({"axis"})}  # fmt: skip


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


def _in_eager_keras_call(ctx: FileContext) -> bool:
    """Directly in a layer's `call` that the module evidently runs eagerly only (graph/
    keras_use): a variable made there is still a new, untracked one on every call."""
    method = ctx.enclosing_method()
    return (
        _in_keras_call(ctx)
        and method is not None
        and ctx.function is method[1]
        and method[1] in ctx.graph.keras_eager
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
        if factory not in VARIABLE_FACTORIES:
            return
        where = _traced_because(ctx)
        if where is None and not _in_eager_keras_call(ctx):
            return
        if under_create_once_guard(ctx) or (_in_keras_call(ctx) and _assigned_to_self(ctx)):
            return  # the create-once idiom; or TF302's case
        spelling = "tf.Variable" if factory == "tensorflow.Variable" else factory
        if where is None:
            ctx.report(
                node,
                "TF301",
                f"`{spelling}` created in `call`, which this module runs eagerly: every call "
                "makes a new variable the layer does not track (it has no weights, so nothing "
                "trains or is saved), and in a model or `fit` TensorFlow raises `ValueError: "
                "tf.function only supports singleton tf.Variables created on the first call`; "
                "create it once in `build()` with `self.add_weight`",
            )
            return
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

    def __init__(self) -> None:
        self._module: cst.Module | None = None
        self._keras2_names: frozenset[str] = frozenset()

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if not _in_keras_call(ctx) or not ctx.in_graph:
            return
        is_factory = ctx.qualname(node.func) in VARIABLE_FACTORIES
        is_add_weight = creates_variable(node, ctx) and not is_factory
        is_self_variable = is_factory and _assigned_to_self(ctx)
        if not (is_add_weight or is_self_variable):
            return
        if self._is_keras2_layer(ctx):
            if not under_create_once_guard(ctx):
                ctx.report(
                    node,
                    "TF302",
                    f"weights created in `{ctx.frame.symbol}` without a create-once guard: "
                    "Keras 2 runs it on every call, so each call makes a new weight in place of "
                    "the last, and under `fit`/`tf.function` TensorFlow raises `ValueError: "
                    "tf.function only supports singleton tf.Variables created on the first call`; "
                    "create them in `build()`, or under `if self.w is None:`",
                )
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

    def _is_keras2_layer(self, ctx: FileContext) -> bool:
        """Whether the layer is a Keras 2 one: its base comes from `tf_keras` (or TensorFlow's
        old internal copy), or its `call` uses the TF1 migration shim only Keras 2 has
        (`tf.compat.v1.keras.utils.track_tf1_style_variables`; with TensorFlow 2.21's Keras 3
        the name does not exist). `tf.keras` and `keras` are Keras 3 on TensorFlow 2.21."""
        module = ctx.ancestors[0]
        if module is not self._module:
            assert isinstance(module, cst.Module)
            self._module, self._keras2_names = module, _keras2_names(module)
        method = ctx.enclosing_method()
        assert method is not None
        decorators = (ctx.qualname(d.decorator) or "" for d in method[1].decorators)
        if any(name.startswith(_KERAS2_ONLY) for name in decorators):
            return True
        return _derives_from(method[0], self._keras2_names, ctx, set())


# Modules that are Keras 2 whatever TensorFlow is installed: tf_keras, and the copy TensorFlow
# shipped inside itself until 2.15; and the API only Keras 2 provides.
_KERAS2_MODULES = ("tf_keras", "tensorflow.python.keras")
_KERAS2_ONLY = ("tensorflow.compat.v1.keras.utils.track_tf1_style_variables",)


def _keras2_names(module: cst.Module) -> frozenset[str]:
    """Local names the module's top-level imports bind to Keras 2 (`import tf_keras as keras`,
    `from tf_keras import layers`): names resolve to one canonical Keras, so read the imports
    themselves."""
    names: set[str] = set()
    for statement in _top_level_lines(module.body):
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    full = dotted_name(alias.name) or ""
                    bound = _bound_name(alias, full.split(".")[0])
                    if _is_keras2(full) and (bound != full.split(".")[0] or _is_keras2(bound)):
                        names.add(bound)
            elif (
                isinstance(small, cst.ImportFrom)
                and small.module is not None
                and _is_keras2(dotted_name(small.module) or "")
                and not isinstance(small.names, cst.ImportStar)
            ):
                names.update(
                    _bound_name(alias, dotted_name(alias.name) or "") for alias in small.names
                )
    return frozenset(names)


def _top_level_lines(body: Sequence[cst.BaseStatement]) -> Iterator[cst.SimpleStatementLine]:
    """Simple statements at module level, also inside `try:`/`if` blocks there (`try: import
    tf_keras except ImportError: ...`)."""
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            yield statement
        elif isinstance(statement, cst.Try | cst.If):
            blocks = [statement.body, *(h.body for h in getattr(statement, "handlers", ()))]
            for block in blocks:
                if isinstance(block, cst.IndentedBlock):
                    yield from (s for s in block.body if isinstance(s, cst.SimpleStatementLine))


def _is_keras2(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in _KERAS2_MODULES)


def _bound_name(alias: cst.ImportAlias, default: str) -> str:
    asname = alias.asname
    return (
        asname.name.value if asname is not None and isinstance(asname.name, cst.Name) else default
    )


def _derives_from(
    class_name: str, keras2: frozenset[str], ctx: FileContext, seen: set[str]
) -> bool:
    """Whether a class's bases (through same-module classes) are spelled through Keras 2
    names."""
    info = ctx.graph.classes.get(class_name)
    if info is None or class_name in seen:
        return False
    seen.add(class_name)
    for base in info.node.bases:
        spelled = dotted_name(base.value)
        if spelled is not None and spelled.split(".")[0] in keras2:
            return True
    return any(_derives_from(local, keras2, ctx, seen) for local in info.local_bases)


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
        ctx.report(
            node,
            "TF303",
            f"`{name}` ({info.kind.value} subclass) takes {_listed(lost)} but defines no "
            f"`get_config`: {_on_load(info, init, lost, ctx)}",
        )


def _listed(names: list[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)


def _on_load(info: ClassInfo, init: cst.FunctionDef, lost: list[str], ctx: FileContext) -> str:
    """What loading a saved model does with the class (Keras 3.15 calls `cls(**config)` with
    the base config): a parameter without a default, or a base key `__init__` does not take,
    makes loading fail; otherwise the lost parameters silently get their defaults."""
    params = init.params
    named = [*params.posonly_params, *params.params, *params.kwonly_params]
    required = [p.name.value for p in named if p.name.value in lost and p.default is None]
    failure = (
        "loading a saved model raises `TypeError: <class ...> could not be deserialized properly`"
    )
    if required:
        return (
            f"{failure} (`__init__()` missing {_listed(required)}, which the saved config does "
            "not hold); return the parameters from `get_config()`"
        )
    if params.star_kwarg is None:
        assert info.kind is not None
        accepted = {p.name.value for p in named}
        unexpected = [key for key in _BASE_CONFIG[info.kind] if key not in accepted]
        if unexpected:
            return (
                f"{failure} (the saved config holds {_listed(unexpected)}, which `__init__()` "
                "does not take); return the parameters from `get_config()` and accept the base "
                "ones (`**kwargs`)"
            )
        base = _builtin_base(info, ctx)
        if base is not None:
            return (
                "a saved model reloads it with the default values, silently — or loading raises "
                f"`TypeError` if `{base}.get_config()` holds a key `__init__` does not take; "
                "return the parameters from `get_config()`"
            )
    return (
        "a saved model reloads it with the default values, silently; return them from "
        "`get_config()`"
    )


def _builtin_base(info: ClassInfo, ctx: FileContext) -> str | None:
    """The Keras built-in loss or metric (not `Loss`/`Metric` themselves) the class derives
    from, whose own config may hold more keys than the base ones."""
    for base in info.base_qualnames:
        if base.startswith(("keras.losses.", "keras.metrics.")) and base not in _PLAIN_BASES:
            return base.removeprefix("keras.")
    for local in info.local_bases:
        base_info = ctx.graph.classes.get(local)
        found = _builtin_base(base_info, ctx) if base_info is not None else None
        if found is not None:
            return found
    return None


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
