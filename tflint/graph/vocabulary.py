"""TensorFlow's and Keras's names that decide what is graph code, and how they are read.

Everything here is a fact about TF 2.21 / Keras 3 APIs (which methods Keras traces, which
calls run a function as plain Python, what a tf.function's options mean), spelled as
canonical qualified names that `names.ImportMap` resolves a module's expressions to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import libcst as cst

from tflint.names import ImportMap

FunctionNode = cst.FunctionDef | cst.Lambda


class KerasKind(StrEnum):
    LAYER = "Layer"
    LOSS = "Loss"
    METRIC = "Metric"


# Methods Keras traces (run under tf.function by fit/evaluate/predict), per component kind.
TRACED_METHODS: dict[KerasKind, frozenset[str]] = {
    KerasKind.LAYER: frozenset({"call", "train_step", "test_step", "predict_step"}),
    KerasKind.LOSS: frozenset({"call"}),
    KerasKind.METRIC: frozenset({"update_state", "result"}),
}

DATASET_TRANSFORMS = frozenset({"map", "filter", "flat_map", "interleave", "reduce", "scan"})
DATASET_METHODS = frozenset(
    {
        "apply", "batch", "cache", "concatenate", "enumerate", "filter", "flat_map",
        "from_generator", "from_tensor_slices", "from_tensors", "interleave", "list_files",
        "map", "padded_batch", "prefetch", "range", "rebatch", "repeat", "shard", "shuffle",
        "skip", "take", "unbatch", "window", "with_options", "zip", "ragged_batch",
        "bucket_by_sequence_length",
    }
)  # fmt: skip
_PY_FUNCTIONS = frozenset(
    {
        "tensorflow.py_function",
        "tensorflow.numpy_function",
        "tensorflow.py_func",  # TF 1 only; TF 2 keeps it as tf.compat.v1.py_func
        # TensorFlow's own spellings of the same ops (script_ops.eager_py_func is py_function)
        "tensorflow.python.ops.script_ops.eager_py_func",
        "tensorflow.python.ops.script_ops.numpy_function",
        "tensorflow.python.ops.script_ops.py_func",
    }
)
# tf_keras's PyMetric runs `update_state` and `result` inside tf.py_function (its __new__
# wraps both), so they run eagerly on every call even under fit.
PY_METRIC = "keras.metrics.PyMetric"


def is_py_function(qualname: str | None) -> bool:
    """`tf.py_function`/`tf.numpy_function`/`tf.compat.v1.py_func` in any spelling: the
    function handed to it runs as plain Python on every call, never traced."""
    if qualname is not None and qualname.startswith("tensorflow.compat.v1."):
        qualname = "tensorflow." + qualname[len("tensorflow.compat.v1.") :]
    return qualname in _PY_FUNCTIONS


def is_py_function_decorator(decorator: cst.BaseExpression, imports: ImportMap) -> bool:
    """`@tf.py_function(Tout=...)` (TF 2.21 accepts the decorator form: the body runs eagerly
    on every call of the traced caller), and `@tf.numpy_function(Tout=...)`."""
    func = decorator.func if isinstance(decorator, cst.Call) else decorator
    return is_py_function(imports.resolve(func))


DO_NOT_CONVERT = frozenset(
    {"tensorflow.autograph.experimental.do_not_convert", "tensorflow.autograph.do_not_convert"}
)
TF_FUNCTION = frozenset(
    {
        "tensorflow.function",
        "tensorflow.compat.v1.function",
        # TensorFlow's internal spellings of the same decorator (what `tf.function` is)
        "tensorflow.python.eager.def_function.function",
        "tensorflow.python.eager.polymorphic_function.polymorphic_function.function",
    }
)
# `tf.vectorized_map(fn, elems)` traces `fn` (pfor), even when called eagerly, and without
# AutoGraph: observed on TF 2.21, `if <tensor>:` there raises OperatorNotAllowedInGraphError.
VECTORIZED_MAP = "tensorflow.vectorized_map"
# `keras.layers.Lambda(fn)`: Keras runs `fn` as the layer's `call`, traced on symbolic inputs
# by a functional model and by fit, as plain Python (no AutoGraph, as for `call`).
KERAS_LAMBDA = "keras.layers.Lambda"
# `model.compile(...)` arguments whose functions `fit`/`evaluate` trace (no AutoGraph: observed
# on Keras 3.15, `if <tensor>:` in such a loss raises OperatorNotAllowedInGraphError and
# `print` runs once per trace). Only `loss` is at the same position in Keras 3 and tf_keras.
COMPILE_FUNCTIONS: dict[str, tuple[int | None, str]] = {
    "loss": (1, "the loss"),
    "metrics": (None, "a metric"),
    "weighted_metrics": (None, "a metric"),
}
# `strategy.run(fn, args=...)` (and TF 2.0's `experimental_run_v2`) calls `fn` right away,
# in a graph when the caller is graph code (observed on TF 2.21, default and Mirrored).
STRATEGY_RUN_METHODS = frozenset({"run", "experimental_run_v2"})


def is_function_wrapper(qualname: str | None) -> bool:
    """`functools.partial(f, ...)`, `keras.losses.LossFunctionWrapper(f)`,
    `keras.metrics.MeanMetricWrapper(f)`: calls that hand on `f` to be run later."""
    if qualname is None:
        return False
    if qualname == "functools.partial":
        return True
    last = qualname.rsplit(".", 1)[-1]
    return qualname.startswith("keras.") and last in ("LossFunctionWrapper", "MeanMetricWrapper")


def keras_kind(qualname: str) -> KerasKind | None:
    """The component kind of a Keras base class, from its canonical qualified name."""
    if qualname in ("keras.Layer", "keras.Model", "keras.Sequential") or qualname.startswith(
        ("keras.layers.", "keras.models.", "keras.engine.")
    ):
        return KerasKind.LAYER
    if qualname == "keras.Loss" or qualname.startswith("keras.losses."):
        return KerasKind.LOSS
    if qualname == "keras.Metric" or qualname.startswith("keras.metrics."):
        return KerasKind.METRIC
    return None


# `tf.nest.map_structure(f, *structures)`: f gets one leaf of each structure per call.
MAP_STRUCTURE = frozenset({"tensorflow.nest.map_structure"})


@dataclass(frozen=True)
class GraphReason:
    """Why a function is graph code; `autograph` is False where Keras traces it as plain
    Python (Keras 3 never applies AutoGraph) or the tf.function says autograph=False."""

    text: str
    autograph: bool = True
    # `experimental_autograph_options` with Feature.BUILTIN_FUNCTIONS (or ALL): AutoGraph turns
    # `print` of tensors into a per-call print, here and in the functions this one calls.
    converts_print: bool = False
    # A function another module traces: its parameters some caller there passes a tensor
    # (None: every parameter, as where a TF op is handed the function).
    tensors: frozenset[str] | None = None


def tf_function_call_options(
    decorator: cst.BaseExpression, imports: ImportMap
) -> dict[str, cst.BaseExpression] | None:
    """Keyword arguments of a tf.function decorator/call (empty for a bare `@tf.function`),
    or None when the expression is not tf.function."""
    if isinstance(decorator, cst.Call):
        if imports.resolve(decorator.func) in TF_FUNCTION:
            return keyword_arguments(decorator)
        return None
    if imports.resolve(decorator) in TF_FUNCTION:
        return {}
    return None


def keyword_arguments(call: cst.Call) -> dict[str, cst.BaseExpression]:
    return {a.keyword.value: a.value for a in call.args if a.keyword is not None}


def has_fixed_signature(options: dict[str, cst.BaseExpression]) -> bool:
    """An input_signature turns Python scalars into tensors; reduce_retracing does not
    (observed on TF 2.21: 10 distinct ints → 10 traces with reduce_retracing=True)."""
    return "input_signature" in options and not _is_none(options["input_signature"])


def _autograph_enabled(options: dict[str, cst.BaseExpression]) -> bool:
    flag = options.get("autograph")
    return not (isinstance(flag, cst.Name) and flag.value == "False")


_PRINT_CONVERTING_FEATURES = frozenset(
    f"{module}.autograph.experimental.Feature.{feature}"
    for module in ("tensorflow", "tensorflow.compat.v1")  # the same Feature class
    for feature in ("BUILTIN_FUNCTIONS", "ALL")
)


def _converts_print(options: dict[str, cst.BaseExpression], imports: ImportMap) -> bool:
    """Whether AutoGraph converts `print` (observed on TF 2.21: only with BUILTIN_FUNCTIONS or
    ALL among `experimental_autograph_options`, a Feature or a tuple/list of them)."""
    if not _autograph_enabled(options):
        return False
    value = options.get("experimental_autograph_options")
    if value is None:
        return False
    elements = (
        [e.value for e in value.elements] if isinstance(value, cst.Tuple | cst.List) else [value]
    )
    return any(imports.resolve(e) in _PRINT_CONVERTING_FEATURES for e in elements)


def tf_function_reason(
    text: str, options: dict[str, cst.BaseExpression], imports: ImportMap
) -> GraphReason:
    """The reason for a function tf.function traces with these options."""
    return GraphReason(text, _autograph_enabled(options), _converts_print(options, imports))


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


# -- branches tracing never enters, or only tracing enters ----------------------------------

_OTHER_FRAMEWORKS = ("torch.", "jax.", "builtins.torch", "builtins.jax")


def is_eager_only_test(test: cst.BaseExpression, imports: ImportMap, value: bool = True) -> bool:
    """Whether `<test>` being `value` means the code runs eagerly, never while TensorFlow
    traces: it asks for eager execution (`tf.executing_eagerly()`), another Keras backend
    (`backend.backend() == "torch"`, `!= "tensorflow"`), or another framework's tensor type
    (`isinstance(x, torch.Tensor)`). `not` and `and`/`or` combine as Python evaluates them."""
    return _implies(test, value, lambda leaf, v: _eager_leaf(leaf, v, imports))


def is_graph_only_test(test: cst.BaseExpression, imports: ImportMap, value: bool) -> bool:
    """Whether `<test>` being `value` means `tf.executing_eagerly()` is False: the code runs
    only while a graph is being built (`if not tf.executing_eagerly():`)."""
    return _implies(test, value, lambda leaf, v: _graph_leaf(leaf, v, imports))


def _graph_leaf(test: cst.BaseExpression, value: bool, imports: ImportMap) -> bool:
    """`tf.executing_eagerly()` False, or `tf.inside_function()` True."""
    if _is_executing_eagerly(test, imports):
        return not value
    return value and _is_inside_function(test, imports)


def _is_inside_function(test: cst.BaseExpression, imports: ImportMap) -> bool:
    if not isinstance(test, cst.Call):
        return False
    qualname = imports.resolve(test.func) or ""
    return qualname.startswith("tensorflow.") and qualname.endswith(".inside_function")


def _implies(
    test: cst.BaseExpression,
    value: bool,
    leaf: Callable[[cst.BaseExpression, bool], bool],
) -> bool:
    """Whether `test` evaluating to `value` implies what `leaf` says of some operand."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _implies(test.expression, not value, leaf)
    if isinstance(test, cst.BooleanOperation):
        left = _implies(test.left, value, leaf)
        right = _implies(test.right, value, leaf)
        # `a and b` true (`a or b` false): both operands have that value; otherwise either.
        decided_by_both = isinstance(test.operator, cst.And) == value
        return (left or right) if decided_by_both else (left and right)
    return leaf(test, value)


def _is_executing_eagerly(test: cst.BaseExpression, imports: ImportMap) -> bool:
    if not isinstance(test, cst.Call):
        return False
    qualname = imports.resolve(test.func) or ""
    return qualname.endswith("executing_eagerly")


def _eager_leaf(test: cst.BaseExpression, value: bool, imports: ImportMap) -> bool:
    if isinstance(test, cst.Call):
        if _is_executing_eagerly(test, imports):
            return value
        if _is_inside_function(test, imports):
            return not value
        if imports.resolve(test.func) == "builtins.isinstance" and len(test.args) == 2:
            types = test.args[1].value
            elements = (
                [e.value for e in types.elements] if isinstance(types, cst.Tuple) else [types]
            )
            foreign = any(
                (imports.resolve(t) or "").startswith(_OTHER_FRAMEWORKS) for t in elements
            )
            return value and foreign
        return False
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        compared = target.comparator
        if not (_is_backend_call(test.left) and isinstance(compared, cst.SimpleString)):
            return False
        is_tensorflow = compared.evaluated_value == "tensorflow"
        if isinstance(target.operator, cst.Equal):
            return not is_tensorflow if value else is_tensorflow
        if isinstance(target.operator, cst.NotEqual):
            return is_tensorflow if value else not is_tensorflow
    return False


def _is_backend_call(node: cst.BaseExpression) -> bool:
    """`backend.backend()`, `keras.backend.backend()`, `K.backend()`: the Keras backend name."""
    func = node.func if isinstance(node, cst.Call) else None
    return (isinstance(func, cst.Attribute) and func.attr.value == "backend") or (
        isinstance(func, cst.Name) and func.value == "backend"
    )
