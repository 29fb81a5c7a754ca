"""Which code is graph code: the functions TensorFlow traces, and why.

Graph code (the README's "What counts as graph code"): bodies of tf.function-decorated or
-wrapped functions, Keras methods that fit/evaluate/predict trace, functions passed to tf.data
transformations and TF higher-order ops, and same-module functions and `self.` methods called
from any of those.
Not graph code: tf.py_function / tf.numpy_function bodies, `do_not_convert` functions, code
under `tf.init_scope()`, and anything only reached eagerly.

Everything is resolved through the module's imports (names.ImportMap), never by spelling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

import libcst as cst

from tflint.keras_use import eager_only_methods
from tflint.names import ImportMap, dotted_name, target_names
from tflint.traverse import walk

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
_DATASET_METHODS = frozenset(
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
_PY_METRIC = "keras.metrics.PyMetric"


def is_py_function(qualname: str | None) -> bool:
    """`tf.py_function`/`tf.numpy_function`/`tf.compat.v1.py_func` in any spelling: the
    function handed to it runs as plain Python on every call, never traced."""
    if qualname is not None and qualname.startswith("tensorflow.compat.v1."):
        qualname = "tensorflow." + qualname[len("tensorflow.compat.v1.") :]
    return qualname in _PY_FUNCTIONS


_DO_NOT_CONVERT = frozenset(
    {"tensorflow.autograph.experimental.do_not_convert", "tensorflow.autograph.do_not_convert"}
)
TF_FUNCTION = frozenset({"tensorflow.function", "tensorflow.compat.v1.function"})


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


@dataclass(frozen=True)
class GraphReason:
    """Why a function is graph code; `autograph` is False where Keras traces it as plain
    Python (Keras 3 never applies AutoGraph) or the tf.function says autograph=False."""

    text: str
    autograph: bool = True
    # `experimental_autograph_options` with Feature.BUILTIN_FUNCTIONS (or ALL): AutoGraph turns
    # `print` of tensors into a per-call print, here and in the functions this one calls.
    converts_print: bool = False


@dataclass
class ClassInfo:
    node: cst.ClassDef
    methods: dict[str, cst.FunctionDef]
    base_qualnames: list[str]
    local_bases: list[str]
    kind: KerasKind | None = None


@dataclass(frozen=True)
class TfFunctionDecorator:
    """A function's (first) `@tf.function` decorator and its keyword options, found once by
    the indexer so that checks never re-read decorators."""

    decorator: cst.Decorator
    options: dict[str, cst.BaseExpression]


@dataclass(frozen=True)
class TfFunctionInfo:
    """A name bound to a tf.function; `fixed_signature` when Python scalars cannot retrace it."""

    name: str
    fixed_signature: bool


@dataclass
class _FunctionIndex:
    """What the pre-pass learned about one function: where it lives and whom it calls."""

    node: FunctionNode
    enclosing_class: str | None
    enclosing_function: FunctionNode | None
    # The definition itself: a module may define a class name twice, and each body's
    # `self.method` means that body's own method.
    class_info: ClassInfo | None = None
    local_defs: dict[str, cst.FunctionDef] = field(default_factory=dict)
    calls: list[cst.Call] = field(default_factory=list)


_OTHER_FRAMEWORKS = ("torch.", "jax.", "builtins.torch", "builtins.jax")


def is_eager_only_test(test: cst.BaseExpression, imports: ImportMap) -> bool:
    """Whether the body of `if <test>:` never runs while TensorFlow traces: it asks for eager
    execution (`tf.executing_eagerly()`), another Keras backend (`backend.backend() ==
    "torch"`, `!= "tensorflow"`), or another framework's tensor type (`isinstance(x,
    torch.Tensor)`). Conjunctions count when one part does."""
    if isinstance(test, cst.BooleanOperation):
        left = is_eager_only_test(test.left, imports)
        right = is_eager_only_test(test.right, imports)
        return (left or right) if isinstance(test.operator, cst.And) else (left and right)
    if isinstance(test, cst.Call):
        qualname = imports.resolve(test.func)
        if qualname == "tensorflow.executing_eagerly":
            return True
        if qualname == "builtins.isinstance" and len(test.args) == 2:
            types = test.args[1].value
            elements = (
                [e.value for e in types.elements] if isinstance(types, cst.Tuple) else [types]
            )
            return any((imports.resolve(t) or "").startswith(_OTHER_FRAMEWORKS) for t in elements)
        return False
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        compared = target.comparator
        if not (_is_backend_call(test.left) and isinstance(compared, cst.SimpleString)):
            return False
        name = compared.evaluated_value
        if isinstance(target.operator, cst.Equal):
            return name != "tensorflow"
        return isinstance(target.operator, cst.NotEqual) and name == "tensorflow"
    return False


def _is_backend_call(node: cst.BaseExpression) -> bool:
    """`backend.backend()`, `keras.backend.backend()`, `K.backend()`: the Keras backend name."""
    func = node.func if isinstance(node, cst.Call) else None
    return (isinstance(func, cst.Attribute) and func.attr.value == "backend") or (
        isinstance(func, cst.Name) and func.value == "backend"
    )


def tf_function_call_options(
    decorator: cst.BaseExpression, imports: ImportMap
) -> dict[str, cst.BaseExpression] | None:
    """Keyword arguments of a tf.function decorator/call (empty for a bare `@tf.function`),
    or None when the expression is not tf.function."""
    if isinstance(decorator, cst.Call):
        if imports.resolve(decorator.func) in TF_FUNCTION:
            return {a.keyword.value: a.value for a in decorator.args if a.keyword is not None}
        return None
    if imports.resolve(decorator) in TF_FUNCTION:
        return {}
    return None


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


def _reason(text: str, options: dict[str, cst.BaseExpression], imports: ImportMap) -> GraphReason:
    return GraphReason(text, _autograph_enabled(options), _converts_print(options, imports))


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


class GraphContext:
    """The graph-code map of one module."""

    def __init__(
        self,
        module: cst.Module,
        imports: ImportMap,
        external_roots: Mapping[str, GraphReason] | None = None,
    ) -> None:
        self.imports = imports
        # Functions other modules make graph code (the whole-project link step), keyed by
        # their dotted name inside this module: `record`, `Accumulator.add`.
        self.external_roots: Mapping[str, GraphReason] = external_roots or {}
        # Name → the module's last top-level class of that name (what the name means once the
        # module has run); `class_infos` holds every definition, redefinitions included.
        self.classes: dict[str, ClassInfo] = {}
        self.class_infos: list[ClassInfo] = []
        self.module_functions: dict[str, cst.FunctionDef] = {}
        self.tf_functions: dict[str, TfFunctionInfo] = {}
        self.graph: dict[FunctionNode, GraphReason] = {}
        self._tf_decorators: dict[cst.FunctionDef, TfFunctionDecorator] = {}
        self.exempt: set[FunctionNode] = set()
        # Functions that are graph code only because graph code calls them, with every
        # (caller, call); the call is None where a TF op is handed the function (tf.map_fn).
        self.helper_calls: dict[FunctionNode, list[tuple[FunctionNode, cst.Call | None]]] = {}
        self._index: dict[FunctionNode, _FunctionIndex] = {}
        # Per scope (function, or None for the module): names evidently holding a tf.data
        # Dataset, and names assigned from another library's calls (a Grain or Hugging Face
        # dataset named `ds` is not a tf.data one).
        self._dataset_names: dict[FunctionNode | None, set[str]] = {}
        self._foreign_names: dict[FunctionNode | None, set[str]] = {}
        self._assigned_from: dict[tuple[str, ...], frozenset[str]] = {}
        indexer = _Indexer(self)
        walk(module, indexer)
        self._classify_classes()
        self.assignments = [(names, value) for _, names, value in indexer.scoped_assignments]
        self._local_names: dict[FunctionNode | None, set[str]] = {}
        for scope, names, _ in indexer.scoped_assignments:
            self._local_names.setdefault(scope, set()).update(names)
        # Bodies of `if` statements tracing never enters (see is_eager_only_test).
        self.eager_branches: frozenset[cst.BaseSuite] = frozenset(indexer.eager_branches)
        self._find_dataset_names(indexer.scoped_assignments)
        # Names the module's own top-level code calls (`Model()` in a script or notebook; not
        # under `if __name__ == "__main__":`, the demo block of a module others import).
        self.top_level_call_names = frozenset(indexer.top_level_call_names)
        # Keras methods this module evidently runs eagerly only (see keras_use).
        self.keras_eager: set[FunctionNode] = set()
        self._find_roots(indexer)
        self._propagate()
        eager = eager_only_methods(self, module, _traced_methods)
        if eager:  # the first map tells which uses sit in graph code; redo it without them
            self.keras_eager = eager
            self.graph, self.helper_calls = {}, {}
            self._find_roots(indexer)
            self._propagate()

    # -- queries -----------------------------------------------------------------------------

    def reason(self, node: FunctionNode) -> GraphReason | None:
        return self.graph.get(node)

    def tf_function_decorator(self, node: FunctionNode) -> TfFunctionDecorator | None:
        """The `@tf.function` decorating this function, in any spelling, or None."""
        return self._tf_decorators.get(node) if isinstance(node, cst.FunctionDef) else None

    def class_kind(self, name: str | None) -> KerasKind | None:
        info = self.classes.get(name) if name else None
        return info.kind if info else None

    @cached_property
    def assigned_names(self) -> frozenset[str]:
        """Every plain name assigned anywhere in the module."""
        return frozenset(name for targets, _ in self.assignments for name in targets)

    def names_assigned_from(self, qualname_prefixes: tuple[str, ...]) -> frozenset[str]:
        """Names anywhere in the module assigned from a call of one of these APIs
        (e.g. loggers from `logging.getLogger`, generators from `numpy.random.default_rng`)."""
        if qualname_prefixes in self._assigned_from:
            return self._assigned_from[qualname_prefixes]
        names: set[str] = set()
        for targets, value in self.assignments:
            if isinstance(value, cst.Call):
                qualname = self.imports.resolve(value.func)
                if qualname is not None and qualname.startswith(qualname_prefixes):
                    names.update(targets)
        self._assigned_from[qualname_prefixes] = frozenset(names)
        return self._assigned_from[qualname_prefixes]

    def binds_locally(self, function: FunctionNode, name: str) -> bool:
        """Whether `name` is a parameter of `function` or assigned in its body."""
        params = function.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        if any(param.name.value == name for param in every):
            return True
        return name in self._local_names.get(function, ())

    def is_exempt(self, node: FunctionNode) -> bool:
        return node in self.exempt

    def find_method(
        self, class_name: str, method: str, start: ClassInfo | None = None
    ) -> cst.FunctionDef | None:
        """A method of a same-module class (the definition `start` when given, else the last
        one of that name) or of its same-module bases."""
        for info in self._lineage(class_name, start):
            if method in info.methods:
                return info.methods[method]
        return None

    def _lineage(self, class_name: str, start: ClassInfo | None = None) -> list[ClassInfo]:
        """The class and its same-module bases, nearest first."""
        seen: set[str] = set()
        found: list[ClassInfo] = []
        pending: list[tuple[str, ClassInfo | None]] = [(class_name, start)]
        while pending:
            name, info = pending.pop(0)
            info = info or self.classes.get(name)
            if info is None or name in seen:
                continue
            seen.add(name)
            found.append(info)
            pending.extend((base, None) for base in info.local_bases)
        return found

    def _derives_from(self, info: ClassInfo, qualname: str) -> bool:
        return any(
            qualname in base.base_qualnames for base in self._lineage(info.node.name.value, info)
        )

    # -- construction ------------------------------------------------------------------------

    def _classify_classes(self) -> None:
        for info in self.class_infos:
            info.kind = next(filter(None, map(keras_kind, info.base_qualnames)), None)
        changed = True
        while changed:  # kinds flow down same-module inheritance chains
            changed = False
            for info in self.class_infos:
                if info.kind is None:
                    for base in info.local_bases:
                        base_info = self.classes.get(base)
                        if base_info is not None and base_info.kind is not None:
                            info.kind = base_info.kind
                            changed = True
                            break

    def _find_dataset_names(
        self, assignments: list[tuple[FunctionNode | None, list[str], cst.BaseExpression]]
    ) -> None:
        for _ in range(2):  # `ds = path_ds` aliases of foreign names are foreign too
            for scope, names, value in assignments:
                if self._is_foreign(value, scope):
                    self._foreign_names.setdefault(scope, set()).update(names)
        for _ in range(3):  # a few rounds settle `ds = ds.map(...)` chains
            for scope, names, value in assignments:
                if self.is_dataset(value, scope):
                    self._dataset_names.setdefault(scope, set()).update(names)

    def _is_foreign(self, value: cst.BaseExpression, scope: FunctionNode | None) -> bool:
        """Made by another library's call (Grain, Hugging Face, ...), or an alias of such."""
        if isinstance(value, cst.Name):
            return value.value in self._foreign_names.get(scope, ())
        if not isinstance(value, cst.Call):
            return False
        qualname = self.imports.resolve(value.func)
        return (
            qualname is not None
            and not qualname.startswith(("builtins.", "tensorflow."))
            and not _is_keras_dataset_factory(qualname)
        )

    def is_dataset(self, node: cst.BaseExpression, scope: FunctionNode | None = None) -> bool:
        """Whether an expression evidently holds a tf.data.Dataset, seen from `scope`."""
        while True:
            if isinstance(node, cst.Name):
                return self._is_dataset_name(node.value, scope)
            if isinstance(node, cst.Attribute):
                qualname = self.imports.resolve(node)
                if qualname is not None and qualname.startswith("tensorflow.data."):
                    return True
                return _looks_like_dataset_name(node.attr.value)
            if not isinstance(node, cst.Call):
                return False
            qualname = self.imports.resolve(node.func)
            if qualname is not None and not qualname.startswith("builtins."):
                return qualname.startswith("tensorflow.data.") or _is_keras_dataset_factory(
                    qualname
                )
            if not isinstance(node.func, cst.Attribute):
                return False
            if node.func.attr.value not in _DATASET_METHODS:
                return False
            node = node.func.value

    def _is_dataset_name(self, name: str, scope: FunctionNode | None) -> bool:
        for where in (scope, None):
            if name in self._dataset_names.get(where, ()):
                return True
            if name in self._foreign_names.get(where, ()):
                return False
        return _looks_like_dataset_name(name)

    def _mark(self, node: FunctionNode | None, reason: GraphReason) -> None:
        if node is not None and node not in self.graph and node not in self.exempt:
            self.graph[node] = reason

    def _find_roots(self, indexer: _Indexer) -> None:
        for func in indexer.exempt_functions:
            self.exempt.add(func)
        for qualname, reason in self.external_roots.items():
            self._mark(self.function_named(qualname), reason)
        for func, decorator, options in indexer.decorated:
            self._tf_decorators.setdefault(func, TfFunctionDecorator(decorator, options))
            self._mark(func, _reason("decorated with @tf.function", options, self.imports))
        for info in self.class_infos:
            if info.kind is None:
                continue
            class_name = info.node.name.value
            py_metric = info.kind is KerasKind.METRIC and self._derives_from(info, _PY_METRIC)
            for method_name in TRACED_METHODS[info.kind]:
                method = self.find_method(class_name, method_name, info)
                if py_metric and method is not None:
                    self.exempt.add(method)  # PyMetric runs it in tf.py_function
                    continue
                if method in self.keras_eager:
                    continue
                self._mark(
                    method,
                    GraphReason(f"Keras traces `{class_name}.{method_name}`", autograph=False),
                )
        for scope, target, reason in indexer.wrapped:
            self._mark(self._resolve_function(target, scope), reason)
        for scope, call in indexer.transform_calls:
            assert isinstance(call.func, cst.Attribute)
            if not self.is_dataset(call.func.value, scope):
                continue
            transform = call.func.attr.value
            if transform in ("reduce", "scan"):
                handed = _argument(call, 1, f"{transform}_func")
            else:
                keyword = "predicate" if transform == "filter" else f"{transform}_func"
                handed = _argument(call, 0, keyword)
            if handed is not None:
                self._mark(
                    self._resolve_function(handed, scope),
                    GraphReason(f"traced by Dataset.{transform}"),
                )

    def _resolve_function(
        self, target: cst.BaseExpression, scope: FunctionNode | None
    ) -> FunctionNode | None:
        """The function a Name/`self.method`/lambda expression refers to, seen from `scope`."""
        if isinstance(target, cst.Lambda):
            return target
        if isinstance(target, cst.Name):
            while scope is not None:
                entry = self._index.get(scope)
                if entry is None:
                    break
                if target.value in entry.local_defs:
                    return entry.local_defs[target.value]
                scope = entry.enclosing_function
            return self.module_functions.get(target.value)
        if (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value in ("self", "cls")
            and scope is not None
        ):
            entry = self._index.get(scope)
            if entry is not None and entry.enclosing_class is not None:
                return self.find_method(entry.enclosing_class, target.attr.value, entry.class_info)
        return None

    def function_named(self, qualname: str) -> FunctionNode | None:
        """The module-level function `f` or the method `C.m` (inherited ones included) of this
        module, by its dotted name; None where the module defines no such function."""
        head, _, method = qualname.partition(".")
        if not method:
            return self.module_functions.get(head)
        if "." in method or head not in self.classes:
            return None
        return self.find_method(head, method)

    def method_class(self, node: FunctionNode) -> str | None:
        """The class whose body defines this function directly, or None."""
        entry = self._index.get(node)
        if entry is None or entry.enclosing_function is not None:
            return None
        return entry.enclosing_class

    def _propagate(self) -> None:
        roots = set(self.graph)
        pending = list(self.graph)
        while pending:
            caller = pending.pop()
            entry = self._index.get(caller)
            if entry is None:
                continue
            caller_reason = self.graph[caller]
            symbol = _describe(caller)
            for call in entry.calls:
                if is_py_function(self.imports.resolve(call.func)):
                    continue
                targets: list[cst.BaseExpression] = [call.func]
                qualname = self.imports.resolve(call.func)
                if qualname is not None and qualname.startswith(("tensorflow.", "keras.ops.")):
                    targets.extend(arg.value for arg in call.args)  # tf.cond/map_fn/while_loop
                for target in targets:
                    callee = self._resolve_function(target, caller)
                    if callee is None or callee in roots or callee in self.exempt:
                        continue
                    site = call if target is call.func else None
                    self.helper_calls.setdefault(callee, []).append((caller, site))
                    if callee in self.graph:
                        continue
                    self.graph[callee] = GraphReason(
                        f"called from graph code `{symbol}`",
                        caller_reason.autograph,
                        caller_reason.converts_print,
                    )
                    pending.append(callee)


def _is_property(function: cst.FunctionDef) -> bool:
    """`@property`, `@x.setter`, `@cached_property`: attribute access, not a method to call."""
    for decorator in function.decorators:
        name = dotted_name(decorator.decorator) or ""
        if name.split(".")[-1] in ("property", "cached_property", "setter", "getter", "deleter"):
            return True
    return False


def _describe(node: FunctionNode) -> str:
    return node.name.value if isinstance(node, cst.FunctionDef) else "<lambda>"


def _is_keras_dataset_factory(qualname: str) -> bool:
    """`keras.utils.image_dataset_from_directory` and friends return tf.data Datasets."""
    return qualname.startswith("keras.utils.") and qualname.endswith("dataset_from_directory")


def _looks_like_dataset_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in ("ds", "dataset") or lowered.endswith(("_ds", "_dataset", "dataset"))


class _Indexer(cst.CSTVisitor):
    """One pre-pass collecting classes, functions, calls and the graph-code roots."""

    def __init__(self, context: GraphContext) -> None:
        self.context = context
        self.imports = context.imports
        self.function_stack: list[FunctionNode] = []
        self.class_stack: list[str] = []
        self.class_info_stack: list[ClassInfo] = []
        self.decorated: list[
            tuple[cst.FunctionDef, cst.Decorator, dict[str, cst.BaseExpression]]
        ] = []
        self.wrapped: list[tuple[FunctionNode | None, cst.BaseExpression, GraphReason]] = []
        self.exempt_functions: list[FunctionNode] = []
        self.scoped_assignments: list[
            tuple[FunctionNode | None, list[str], cst.BaseExpression]
        ] = []
        self._pending_exempt: list[tuple[FunctionNode | None, cst.BaseExpression]] = []
        self._other_decorators: list[
            tuple[FunctionNode | None, cst.FunctionDef, cst.BaseExpression]
        ] = []
        self._all_calls: list[tuple[FunctionNode | None, cst.Call]] = []
        self.transform_calls: list[tuple[FunctionNode | None, cst.Call]] = []
        # Bodies of `if` statements that tracing never enters (see is_eager_only_test): calls
        # there do not make their callees graph code.
        self.eager_branches: set[cst.BaseSuite] = set()
        self.eager_depth = 0
        self.top_level_call_names: set[str] = set()
        self._main_guards: set[cst.BaseSuite] = set()
        self._main_depth = 0

    _class_depth_at_function: list[int]

    def visit_Module(self, node: cst.Module) -> bool:
        self._class_depth_at_function = []
        return True

    def leave_Module(self, original_node: cst.Module) -> None:
        # Parameters (function, position) that some tf.py_function call runs: a same-module
        # decorator or helper that wraps what it is given in tf.py_function.
        runs_through: set[tuple[FunctionNode, int]] = set()
        for scope, target in self._pending_exempt:
            func = self.context._resolve_function(target, scope)
            if func is not None:
                self.exempt_functions.append(func)
            elif (owner := self._parameter_owner(target, scope)) is not None:
                runs_through.add(owner)
        self._exempt_wrapped(runs_through)

    def _exempt_wrapped(self, runs_through: set[tuple[FunctionNode, int]]) -> None:
        """Functions handed to a py_function wrapper: `@wrapper def f` and `wrapper(f, ...)`
        (transitively, where a helper passes its own parameter on to such a wrapper)."""
        resolve = self.context._resolve_function
        for _ in range(3):
            if not runs_through:
                return
            added = False
            for scope, call in self._all_calls:
                callee = resolve(call.func, scope)
                for function, position in list(runs_through):
                    target = self._wrapped_argument(call, callee, function, position)
                    if target is None:
                        continue
                    func = resolve(target, scope)
                    owner = None if func else self._parameter_owner(target, scope)
                    if func is not None:
                        self.exempt_functions.append(func)
                    elif owner is not None and owner not in runs_through:
                        runs_through.add(owner)
                        added = True
            if not added:
                break
        for scope, func, decorator in self._other_decorators:
            if (resolve(decorator, scope), 0) in runs_through:
                self.exempt_functions.append(func)

    def _wrapped_argument(
        self, call: cst.Call, callee: FunctionNode | None, function: FunctionNode, position: int
    ) -> cst.BaseExpression | None:
        """What `call` passes as `function`'s parameter at `position` (None if not a call of
        it); `self.wrap(f)` fills a method's second parameter first."""
        if callee is not function:
            return None
        bound = int(
            self.context.method_class(function) is not None and isinstance(call.func, cst.Attribute)
        )
        if position < bound:
            return None
        return _argument(call, position - bound, _parameter_name(function, position))

    def _parameter_owner(
        self, target: cst.BaseExpression, scope: FunctionNode | None
    ) -> tuple[FunctionNode, int] | None:
        """(function, position) when `target` names a positional parameter of `scope` or of a
        function enclosing it."""
        if not isinstance(target, cst.Name):
            return None
        while scope is not None:
            entry = self.context._index.get(scope)
            if entry is None or target.value in entry.local_defs:
                return None
            params = [*scope.params.posonly_params, *scope.params.params]
            for position, param in enumerate(params):
                if param.name.value == target.value:
                    return scope, position
            scope = entry.enclosing_function
        return None

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        base_qualnames: list[str] = []
        local_bases: list[str] = []
        for base in node.bases:
            if base.keyword is not None:
                continue
            qualname = self.imports.resolve(base.value)
            if qualname is not None:
                base_qualnames.append(qualname)
            name = dotted_name(base.value)
            if name is not None and "." not in name:
                local_bases.append(name)
        methods = {
            statement.name.value: statement
            for statement in node.body.body
            if isinstance(statement, cst.FunctionDef) and not _is_property(statement)
        }
        info = ClassInfo(node, methods, base_qualnames, local_bases)
        if not self.function_stack:
            self.context.classes[node.name.value] = info
            self.context.class_infos.append(info)
        self.class_stack.append(node.name.value)
        self.class_info_stack.append(info)
        return True

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.class_stack.pop()
        self.class_info_stack.pop()

    def _enter_function(self, node: FunctionNode) -> None:
        enclosing_function = self.function_stack[-1] if self.function_stack else None
        in_class_body = bool(self.class_stack) and (
            not self._class_depth_at_function
            or self._class_depth_at_function[-1] < len(self.class_stack)
        )
        enclosing_class = self.class_stack[-1] if in_class_body else None
        class_info = self.class_info_stack[-1] if in_class_body else None
        if enclosing_class is None and enclosing_function is not None:
            outer = self.context._index[enclosing_function]
            enclosing_class, class_info = outer.enclosing_class, outer.class_info
        self.context._index[node] = _FunctionIndex(
            node, enclosing_class, enclosing_function, class_info
        )
        self.function_stack.append(node)
        self._class_depth_at_function.append(len(self.class_stack))

    def _leave_function(self) -> None:
        self.function_stack.pop()
        self._class_depth_at_function.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if self.function_stack:
            self.context._index[self.function_stack[-1]].local_defs[node.name.value] = node
        elif not self.class_stack:
            self.context.module_functions[node.name.value] = node
        for decorator in node.decorators:
            options = tf_function_call_options(decorator.decorator, self.imports)
            if options is not None:
                self.decorated.append((node, decorator, options))
                if not self.class_stack or self.function_stack:
                    self.context.tf_functions.setdefault(
                        node.name.value,
                        TfFunctionInfo(node.name.value, has_fixed_signature(options)),
                    )
            elif self.imports.resolve(decorator.decorator) in _DO_NOT_CONVERT:
                self.exempt_functions.append(node)
            elif _is_py_function_decorator(decorator.decorator, self.imports):
                self.exempt_functions.append(node)  # @tf.py_function(Tout=...)
            else:  # maybe a same-module decorator that runs it through tf.py_function
                scope = self.function_stack[-1] if self.function_stack else None
                self._other_decorators.append((scope, node, decorator.decorator))
        self._enter_function(node)
        return True

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._leave_function()

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self._enter_function(node)
        return True

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._leave_function()

    def visit_Assign(self, node: cst.Assign) -> None:
        names = [name for target in node.targets for name in target_names(target.target)]
        if names:
            scope = self.function_stack[-1] if self.function_stack else None
            self.scoped_assignments.append((scope, names, node.value))
        if (
            isinstance(node.value, cst.Call)
            and self.imports.resolve(node.value.func) in TF_FUNCTION
        ):
            options = {a.keyword.value: a.value for a in node.value.args if a.keyword}
            for name in names:
                self.context.tf_functions[name] = TfFunctionInfo(name, has_fixed_signature(options))

    def visit_If(self, node: cst.If) -> None:
        if is_eager_only_test(node.test, self.imports):
            self.eager_branches.add(node.body)
        if not self.function_stack and _is_main_guard(node.test):
            self._main_guards.add(node.body)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if node in self.eager_branches:
            self.eager_depth += 1
        if node in self._main_guards:
            self._main_depth += 1

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        if original_node in self.eager_branches:
            self.eager_depth -= 1
        if original_node in self._main_guards:
            self._main_depth -= 1

    def visit_Call(self, node: cst.Call) -> None:
        scope = self.function_stack[-1] if self.function_stack else None
        if scope is not None and not self.eager_depth:
            self.context._index[scope].calls.append(node)
        self._all_calls.append((scope, node))
        if scope is None and not self._main_depth and isinstance(node.func, cst.Name):
            self.top_level_call_names.add(node.func.value)
        qualname = self.imports.resolve(node.func)
        if qualname in TF_FUNCTION and node.args and node.args[0].keyword is None:
            options = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
            reason = _reason("wrapped by tf.function(...)", options, self.imports)
            self.wrapped.append((scope, node.args[0].value, reason))
        elif is_py_function(qualname):
            func = _argument(node, 0, "func")
            if func is not None:
                self._pending_exempt.append((scope, func))
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value in DATASET_TRANSFORMS:
            self.transform_calls.append((scope, node))


def _traced_methods(info: ClassInfo) -> frozenset[str]:
    return TRACED_METHODS[info.kind] if info.kind is not None else frozenset()


def _is_main_guard(test: cst.BaseExpression) -> bool:
    """`__name__ == "__main__"`, either way round."""
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return False
    sides = (test.left, test.comparisons[0].comparator)
    names = {s.value for s in sides if isinstance(s, cst.Name)}
    strings = {s.evaluated_value for s in sides if isinstance(s, cst.SimpleString)}
    return names == {"__name__"} and strings == {"__main__"}


def _is_py_function_decorator(decorator: cst.BaseExpression, imports: ImportMap) -> bool:
    """`@tf.py_function(Tout=...)` (TF 2.21 accepts the decorator form: the body runs eagerly
    on every call of the traced caller), and `@tf.numpy_function(Tout=...)`."""
    func = decorator.func if isinstance(decorator, cst.Call) else decorator
    return is_py_function(imports.resolve(func))


def _parameter_name(function: FunctionNode, position: int) -> str:
    params = [*function.params.posonly_params, *function.params.params]
    return params[position].name.value


def _argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return positional[position].value if len(positional) > position else None
