"""TF107, TF206, TF304: calls in graph code that only work eagerly, or once.

Graph code runs as Python only while TensorFlow traces it. A Python iterator advanced there
advances once per trace and its element is frozen into the graph (TF107); Keras' training and
saving loops and `Dataset.as_numpy_iterator` need eager values and raise (TF206); a Keras object
whose constructor or first call creates variables creates them on every trace, which a
`tf.function` refuses (TF304).
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tflint.checks.base import WEIGHT_METHODS, Check, FileContext, collect_assignments
from tflint.checks.state import under_create_once_guard
from tflint.graph import FunctionNode, KerasKind
from tflint.names import target_names
from tflint.traverse import nodes

# -- TF304 keras-object-created-in-graph ------------------------------------------------------
# Keras layers that create a variable when constructed or first called (weights, or the
# SeedGenerator state of a random layer), observed on TF 2.21 / Keras 3.15: constructing and
# calling each in a tf.function raised "tf.function only supports singleton tf.Variables".
# Weightless layers (Activation, Flatten, pooling, Reshape, Rescaling, Lambda, Attention,
# UnitNormalization, the lookup and preprocessing layers) ran and stay quiet.
_STATEFUL_LAYERS = frozenset({
    "Dense", "EinsumDense", "Embedding", "Bidirectional", "TimeDistributed", "PReLU",
    "MultiHeadAttention", "GroupQueryAttention", "AdditiveAttention", "Normalization",
    "GaussianNoise",
})  # fmt: skip
_STATEFUL_PREFIXES = ("Conv", "SeparableConv", "DepthwiseConv", "Random", "SpatialDropout")
_STATEFUL_SUFFIXES = ("Dropout", "RNN", "LSTM", "GRU", "Cell", "Normalization")
_STATELESS_LAYERS = frozenset({"UnitNormalization", "AbstractRNNCell"})
# Wrappers whose variables are those of the cell or layer they wrap (their first argument).
_WRAPPERS = frozenset(
    {"keras.layers.RNN", "keras.layers.Bidirectional", "keras.layers.TimeDistributed"}
)
# Module-level Keras constructors whose result holds variables from the start.
_OPTIMIZERS = "keras.optimizers."
_METRICS = "keras.metrics."
_APPLICATIONS = "keras.applications."


def _stateful_keras_class(qualname: str) -> str | None:
    """What kind of variable-holding Keras object `qualname` constructs, or None."""
    namespace, _, name = qualname.rpartition(".")
    if not name[:1].isupper():
        return None  # functions: keras.metrics.binary_accuracy, keras.optimizers.get
    if namespace == "keras.layers":
        stateful = (
            name in _STATEFUL_LAYERS
            or name.startswith(_STATEFUL_PREFIXES)
            or name.endswith(_STATEFUL_SUFFIXES)
        )
        return "layer" if stateful and name not in _STATELESS_LAYERS else None
    if qualname.startswith(_OPTIMIZERS) and "schedules" not in namespace:
        return "optimizer"
    if namespace == _METRICS.rstrip("."):
        return "metric"
    if qualname.startswith(_APPLICATIONS):
        return "model"
    return None


def _own_class_state(call: cst.Call, ctx: FileContext) -> str | None:
    """`Block(...)` of a module's own Keras layer or metric class that evidently creates
    variables: some method of it or of its same-module bases calls `self.add_weight`, makes a
    `tf.Variable`, or constructs a variable-holding Keras object; or a base is one."""
    if not isinstance(call.func, cst.Name):
        return None
    kind = ctx.graph.class_kind(call.func.value)
    if kind not in (KerasKind.LAYER, KerasKind.METRIC):
        return None
    return kind.value.lower() if _class_makes_state(call.func.value, ctx) else None


def _wraps_weightless(call: cst.Call, ctx: FileContext) -> bool:
    """`keras.layers.RNN(cell)` where `cell` is built, in this function, from the module's own
    cell class that creates no variables (its transition matrix passed in, say): the wrapper
    has nothing to create again on each trace."""
    wrapped = call.args[0].value if call.args and call.args[0].keyword is None else None
    if not isinstance(wrapped, cst.Name) or ctx.function is None:
        return False
    values = ctx.graph.bound_values(wrapped.value, ctx.function)
    return bool(values) and all(
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value in ctx.graph.classes
        and not _class_makes_state(value.func.value, ctx)
        for value in values
    )


def _class_makes_state(name: str, ctx: FileContext) -> bool:
    """Some method of the module's class `name` or of its same-module bases creates a
    variable, or a base is a variable-holding Keras class."""
    for info in ctx.graph.index.lineage(name):
        if any(_stateful_keras_class(base) for base in info.base_qualnames):
            return True
        if any(isinstance(node, cst.Call) and _makes_state(node, ctx) for node in nodes(info.node)):
            return True
    return False


def _makes_state(call: cst.Call, ctx: FileContext) -> bool:
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in WEIGHT_METHODS:
        return True
    qualname = ctx.qualname(func) or ""
    return qualname in ("tensorflow.Variable", "keras.Variable") or bool(
        _stateful_keras_class(qualname)
    )


class KerasObjectInGraphCheck(Check):
    """A variable-holding Keras object constructed in graph code, outside `__init__`/`build`
    and outside a create-once guard (`if self.dense is None: self.dense = Dense(2)`)."""

    codes = frozenset({"TF304"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if not ctx.in_graph or ctx.function is None or _runs_once(ctx.function, ctx):
            return
        qualname = ctx.qualname(node.func)
        kind = _stateful_keras_class(qualname) if qualname else None
        kind = kind or _own_class_state(node, ctx)
        if kind is None or under_create_once_guard(ctx) or _creation_intercepted(ctx):
            return
        if qualname in _WRAPPERS and _wraps_weightless(node, ctx):
            return
        spelled = cst.Module([]).code_for_node(node.func)
        ctx.report(
            node,
            "TF304",
            f"`{spelled}(...)` constructs a Keras {kind} in graph code ({ctx.where()}): its "
            "variables are created again on every trace, and TensorFlow raises `ValueError: "
            "tf.function only supports singleton tf.Variables created on the first call` "
            "(run eagerly, each call gets a new, untrained object); create it once, in "
            "`__init__`/`build` or outside the function, and call it here",
        )


_ONCE_METHODS = frozenset({"__init__", "build"})
_VARIABLE_CREATOR_SCOPES = frozenset(
    {"tensorflow.variable_creator_scope", "tensorflow.compat.v1.variable_creator_scope"}
)


def _runs_once(
    function: FunctionNode, ctx: FileContext, seen: frozenset[FunctionNode] = frozenset()
) -> bool:
    """Code that runs once per object however often graph code runs: `__init__` and `build`
    (Keras builds a layer once; `if not self.built: self.build()`), the helpers only they
    call, and builders graph code only hands to `get_or_create_layer` (TensorFlow's
    create-once API for TF1-style layers)."""
    if isinstance(function, cst.FunctionDef) and function.name.value in _ONCE_METHODS:
        return True
    callers = ctx.graph.helper_calls.get(function)
    if not callers or function in seen:
        return False
    return all(
        _runs_once(caller, ctx, seen | {function})
        if site is not None
        else _handed_to_get_or_create(caller, function, ctx)
        for caller, site in callers
    )


def _handed_to_get_or_create(caller: FunctionNode, builder: FunctionNode, ctx: FileContext) -> bool:
    """`get_or_create_layer("name", self.build_model)` in `caller` hands over `builder`."""
    name = builder.name.value if isinstance(builder, cst.FunctionDef) else None
    for node in nodes(caller):
        qualname = ctx.qualname(node.func) if isinstance(node, cst.Call) else None
        if isinstance(node, cst.Call) and (qualname or "").endswith(".get_or_create_layer"):
            for arg in node.args:
                value = arg.value
                handed = value.attr if isinstance(value, cst.Attribute) else value
                if isinstance(handed, cst.Name) and handed.value == name:
                    return True
    return False


def _creation_intercepted(ctx: FileContext) -> bool:
    """Inside `with tf.variable_creator_scope(creator):` the creator decides what a variable
    creation makes (a test may hand back constants): nothing says it raises."""
    for node in ctx.enclosing():
        if isinstance(node, cst.With):
            for item in node.items:
                call = item.item
                if (
                    isinstance(call, cst.Call)
                    and ctx.qualname(call.func) in _VARIABLE_CREATOR_SCOPES
                ):
                    return True
    return False


# -- TF206 eager-only-api-in-graph ------------------------------------------------------------
# What each call raised when traced (TF 2.21 / Keras 3.15): in a tf.function, and in a method
# Keras traces (`train_step` under `fit`, where the batch size is unknown). `train_on_batch` and
# `test_on_batch` ran (they call Keras' own tf.function) and `load_weights` ran once per trace:
# not flagged.
_NOT_BOOL = "`OperatorNotAllowedInGraphError: Using a symbolic tf.Tensor as a Python bool`"
_NO_NUMPY = "`AttributeError: 'SymbolicTensor' object has no attribute 'numpy'`"
_EAGER_NUMPY = "`NotImplementedError: numpy() is only available when eager execution is enabled`"
_NO_BATCH = "`TypeError: int() argument must be ... not 'NoneType'`"
_MODEL_METHODS: dict[str, tuple[str, str]] = {
    "fit": (_NOT_BOOL, _NO_BATCH),
    "evaluate": (_NOT_BOOL, _NO_BATCH),
    "predict": (_NO_NUMPY, _NO_BATCH),
    "predict_on_batch": (
        _NO_NUMPY,
        "`RuntimeError: Method requires being in cross-replica context`",
    ),
    "save": (_EAGER_NUMPY, _EAGER_NUMPY),
    "save_weights": (_EAGER_NUMPY, _EAGER_NUMPY),
}
_AS_NUMPY = "`RuntimeError: tf.data.Dataset.as_numpy_iterator() is only supported in eager mode`"
_SAVED_MODEL = "`AssertionError: tf.saved_model.save is not supported inside a traced @tf.function`"
_RUN_EAGERLY = frozenset(
    {
        "tensorflow.config.run_functions_eagerly",
        "tensorflow.config.experimental_run_functions_eagerly",
    }
)
# What builds a Keras model: its name then holds one.
_MODEL_FACTORIES = (
    "keras.Sequential",
    "keras.Model",
    "keras.models.",
    "keras.applications.",
    "keras.saving.load_model",
)


class EagerOnlyCallCheck(Check):
    """Keras `fit`/`evaluate`/`predict`/`save`... on something evidently a Keras model,
    `.as_numpy_iterator()`, `tf.saved_model.save` and `tf.config.run_functions_eagerly` in
    graph code."""

    codes = frozenset({"TF206"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if not ctx.in_graph:
            return
        qualname = ctx.qualname(node.func)
        func = node.func
        if qualname in _RUN_EAGERLY:
            self._report(
                node,
                "`tf.config.run_functions_eagerly(...)` in graph code runs once, while "
                f"tracing ({ctx.where()}): it does not change the call being traced, and it "
                "switches every later tf.function call to (or from) eager execution",
                "call it once, outside any tf.function, before the functions run",
                ctx,
            )
        elif qualname == "tensorflow.saved_model.save":
            self._report(node, f"`tf.saved_model.save` raises {_SAVED_MODEL}", _OUTSIDE, ctx)
        elif not isinstance(func, cst.Attribute):
            return
        elif func.attr.value == "as_numpy_iterator" and not node.args:
            advice = "iterate the dataset itself (`for batch in dataset:`), or convert outside"
            self._report(node, f"`.as_numpy_iterator()` raises {_AS_NUMPY}", advice, ctx)
        elif func.attr.value in _MODEL_METHODS and self._is_model(func.value, ctx):
            method = func.attr.value
            in_function, in_keras = _MODEL_METHODS[method]
            reason = ctx.frame.reason
            keras_traced = (
                ctx.class_kind() is not None and reason is not None and not reason.autograph
            )
            raised = in_keras if keras_traced else in_function
            self._report(node, f"Keras `Model.{method}` raises {raised}", _OUTSIDE, ctx)

    @staticmethod
    def _report(node: cst.Call, claim: str, advice: str, ctx: FileContext) -> None:
        where = "" if "tracing (" in claim else f" when traced ({ctx.where()})"
        ctx.report(node, "TF206", f"{claim}{where}; {advice}")

    @staticmethod
    def _is_model(receiver: cst.BaseExpression, ctx: FileContext) -> bool:
        """`self` in a Keras Model subclass that does not define the method itself, or a name
        the module assigns only from a Keras model factory or its own Keras model class."""
        self_name = ctx.self_name()
        if isinstance(receiver, cst.Name) and receiver.value == self_name:
            return ctx.class_kind() is KerasKind.LAYER and _is_model_class(ctx)
        if isinstance(receiver, cst.Attribute) and self_name is not None:
            owner = receiver.value
            if isinstance(owner, cst.Name) and owner.value == self_name:
                values = list(_attribute_values(ctx, receiver.attr.value))
                return bool(values) and all(_builds_model(v, ctx) for v in values)
            return False
        if not isinstance(receiver, cst.Name):
            return False
        values = [v for names, v in ctx.graph.assignments if receiver.value in names]
        return bool(values) and all(_builds_model(v, ctx) for v in values)


_OUTSIDE = "call it outside graph code (the model itself is callable inside: `model(x)`)"


def _is_model_class(ctx: FileContext) -> bool:
    """Whether the enclosing class is a Keras Model (not a plain Layer, which has no `fit`),
    and defines none of the flagged methods itself."""
    class_name = ctx.frame.class_name or ""
    lineage = ctx.graph.index.lineage(class_name)
    if any(method in info.methods for info in lineage for method in _MODEL_METHODS):
        return False
    return any(
        base in ("keras.Model", "keras.Sequential") or base.startswith("keras.models.")
        for info in lineage
        for base in info.base_qualnames
    )


def _attribute_values(ctx: FileContext, attribute: str) -> Iterator[cst.BaseExpression]:
    """What the enclosing class's methods assign to `self.<attribute>`."""
    info = ctx.graph.classes.get(ctx.frame.class_name or "")
    if info is None:
        return
    for method in info.methods.values():
        for node in nodes(method):
            if isinstance(node, cst.Assign):
                for target in node.targets:
                    element = target.target
                    if isinstance(element, cst.Attribute) and element.attr.value == attribute:
                        yield node.value


def _builds_model(value: cst.BaseExpression, ctx: FileContext) -> bool:
    if not isinstance(value, cst.Call):
        return False
    qualname = ctx.qualname(value.func) or ""
    if qualname.startswith(_MODEL_FACTORIES):
        return True
    if isinstance(value.func, cst.Name):
        info = ctx.graph.classes.get(value.func.value)
        return info is not None and any(
            base in ("keras.Model", "keras.Sequential") or base.startswith("keras.models.")
            for lineage in ctx.graph.index.lineage(value.func.value)
            for base in lineage.base_qualnames
        )
    return False


# -- TF107 python-iterator-in-graph -----------------------------------------------------------
_ITERTOOLS = "itertools."
_ITERATOR_BUILTINS = frozenset(
    {"builtins.zip", "builtins.map", "builtins.filter", "builtins.enumerate", "builtins.reversed"}
)
_PYTHON_ITERABLES = (cst.List, cst.Tuple, cst.Set, cst.Dict, cst.ListComp, cst.SetComp,
                     cst.DictComp, cst.SimpleString)  # fmt: skip


class PythonIteratorCheck(Check):
    """`next(it)` in graph code on an iterator that outlives the call and is evidently a
    Python one: a generator, `iter()` of a Python collection or range, `itertools`,
    `zip`/`map`/`enumerate`... (A `Dataset.as_numpy_iterator()` is not one of them: its `next`
    in graph code raises `AttributeError: 'SymbolicTensor' object has no attribute 'numpy'`.)"""

    codes = frozenset({"TF107"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if not (
            ctx.in_graph
            and ctx.qualname(node.func) == "builtins.next"
            and node.args
            and node.args[0].keyword is None
            and not node.args[0].star
        ):
            return
        argument = node.args[0].value
        values = _outer_values(argument, ctx)
        if not values or not all(_python_iterator(v, ctx) for v in values):
            return
        spelled = cst.Module([]).code_for_node(argument)
        ctx.report(
            node,
            "TF107",
            f"`next({spelled})` advances a Python iterator while tracing ({ctx.where()}): the "
            "element it takes is frozen into the graph as a constant, so every call sees that "
            "same element and the iterator moves only once per trace; iterate a "
            "`tf.data.Dataset` and pass each element in as an argument",
        )


def _outer_values(
    argument: cst.BaseExpression, ctx: FileContext
) -> list[cst.BaseExpression] | None:
    """What an iterator that outlives the call was made from: the values assigned to a
    module-level or enclosing function's name, or to `self.<attr>` in the class's methods;
    None for a name the graph function binds itself (a fresh iterator on every call)."""
    if isinstance(argument, cst.Attribute):
        self_name = ctx.self_name()
        owner = argument.value
        if self_name is not None and isinstance(owner, cst.Name) and owner.value == self_name:
            return list(_attribute_values(ctx, argument.attr.value))
        return None
    if not isinstance(argument, cst.Name):
        return None
    name = argument.value
    scopes = _enclosing_functions(ctx)
    if not scopes:
        return None
    innermost = scopes[0]
    if ctx.graph.binds_locally(innermost, name) and not _declared_outer(innermost, name):
        return None
    for function in scopes[1:]:
        if ctx.graph.binds_locally(function, name):
            if ctx.graph.reason(function) is not None:
                return None  # a local of an enclosing graph function: made per call too
            return [v for names, v in collect_assignments(function) if name in names]
    module = ctx.ancestors[0]
    return [v for names, v in _module_assignments(module) if name in names]


def _enclosing_functions(ctx: FileContext) -> list[FunctionNode]:
    """Functions around the current node, innermost first."""
    found: list[FunctionNode] = []
    for frame in reversed(ctx.frames):
        if isinstance(frame.node, cst.FunctionDef | cst.Lambda) and frame.node not in found:
            found.append(frame.node)
    return found


def _declared_outer(function: FunctionNode, name: str) -> bool:
    return any(
        isinstance(node, cst.Global | cst.Nonlocal)
        and any(item.name.value == name for item in node.names)
        for node in nodes(function)
    )


def _module_assignments(module: cst.CSTNode) -> list[tuple[list[str], cst.BaseExpression]]:
    """Assignments at module level (functions' and classes' bodies aside)."""
    found: list[tuple[list[str], cst.BaseExpression]] = []
    pending: list[cst.CSTNode] = [module]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            continue
        if isinstance(node, cst.Assign):
            names = [n for target in node.targets for n in target_names(target.target)]
            found.append((names, node.value))
        pending.extend(node.children)
    return found


def _python_iterator(value: cst.BaseExpression, ctx: FileContext) -> bool:
    """Whether `value` evidently makes a Python iterator (never a tf.data one)."""
    if isinstance(value, cst.GeneratorExp):
        return True
    if not isinstance(value, cst.Call):
        return False
    func = value.func
    qualname = ctx.qualname(func) or ""
    if qualname.startswith(_ITERTOOLS):
        return True
    arguments = [arg.value for arg in value.args]
    if qualname in _ITERATOR_BUILTINS:
        return not any(ctx.graph.is_dataset(arg) for arg in arguments)
    if qualname == "builtins.iter":
        return len(arguments) == 1 and _python_iterable(arguments[0], ctx)
    if isinstance(func, cst.Name):
        generator = ctx.graph.module_functions.get(func.value)
        return generator is not None and _is_generator(generator)
    return False


def _python_iterable(value: cst.BaseExpression, ctx: FileContext) -> bool:
    if isinstance(value, _PYTHON_ITERABLES):
        return True
    if isinstance(value, cst.Call):
        return ctx.qualname(value.func) in ("builtins.range", "builtins.list", "builtins.sorted")
    return False


def _is_generator(function: cst.FunctionDef) -> bool:
    """A function whose own body yields (nested functions aside)."""
    pending: list[cst.CSTNode] = [function.body]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Yield):
            return True
        if not isinstance(node, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            pending.extend(node.children)
    return False
