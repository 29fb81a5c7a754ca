"""The graph-code judgement: which functions of a module TensorFlow traces, and why.

Reads the module index (index.build_index) and marks the roots — tf.function-decorated or
-wrapped functions (also through a same-module wrapper such as `def relaxed(f): return
tf.function(f)`), Keras-traced methods, the loss and metric functions given to `compile`,
`keras.layers.Lambda` and `tf.vectorized_map` functions, functions handed to Dataset
transformations, the functions other modules trace (`external_roots`, from the whole-project
link step) — then propagates "graph code" along same-module calls: plain calls, functions
handed to TensorFlow ops or to `strategy.run`, and methods run through objects whose class the
module defines (objects.Instances). Keras methods the module evidently runs eagerly only
(keras_use) are taken back out and the map redone.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import libcst as cst

from tflint.graph.datasets import DatasetNames
from tflint.graph.index import (
    ClassInfo,
    FunctionEntry,
    ModuleIndex,
    Scope,
    TfFunctionDecorator,
    TfFunctionInfo,
    argument,
    build_index,
)
from tflint.graph.keras_use import eager_only_methods
from tflint.graph.objects import Instances
from tflint.graph.vocabulary import (
    COMPILE_FUNCTIONS,
    KERAS_LAMBDA,
    MAP_STRUCTURE,
    PY_METRIC,
    STRATEGY_RUN_METHODS,
    TRACED_METHODS,
    VECTORIZED_MAP,
    FunctionNode,
    GraphReason,
    KerasKind,
    has_fixed_signature,
    is_function_wrapper,
    is_py_function,
    keyword_arguments,
    tf_function_reason,
)
from tflint.names import ImportMap, dotted_name


class GraphContext:
    """The graph-code map of one module."""

    def __init__(
        self,
        module: cst.Module,
        imports: ImportMap,
        external_roots: Mapping[str, GraphReason] | None = None,
    ) -> None:
        self.imports = imports
        self.index: ModuleIndex = build_index(module, imports)
        # Functions other modules make graph code (the whole-project link step), keyed by
        # their dotted name inside this module: `record`, `Accumulator.add`.
        self.external_roots: Mapping[str, GraphReason] = external_roots or {}
        index = self.index
        self.classes = index.classes
        self.class_infos = index.class_infos
        self.module_functions = index.module_functions
        self.tf_functions = index.tf_functions
        self.eager_branches = index.eager_branches
        self.eager_statements = index.eager_statements
        self.top_level_call_names = index.top_level_call_names
        self.exempt: frozenset[FunctionNode] = index.exempt_functions
        self.assignments = [(a.names, a.value) for a in index.assignments]
        self._local_names: dict[Scope, set[str]] = {}
        for assignment in index.assignments:
            self._local_names.setdefault(assignment.scope, set()).update(assignment.names)
        self._datasets = DatasetNames(index)
        self.instances = Instances(index)
        # Same-module functions that wrap their parameter in tf.function and return it
        # (`def relaxed_function(f): return tf.function(f, reduce_retracing=True)`): name →
        # (the parameter's position, the tf.function's options).
        self.tf_function_wrappers: dict[str, tuple[int, dict[str, cst.BaseExpression]]] = (
            self._find_wrappers()
        )
        self.tf_functions = {**index.tf_functions, **self._wrapped_names()}
        # Roots found from calls anywhere in the module (wrappers, compile, Lambda,
        # vectorized_map): found once, marked on every judgement.
        self._handed_roots = [*self._wrapper_roots(), *self._call_roots()]
        self._tf_decorators: dict[cst.FunctionDef, TfFunctionDecorator] = {}
        for decorated in index.decorated:
            self._tf_decorators.setdefault(
                decorated.function, TfFunctionDecorator(decorated.decorator, decorated.options)
            )
        self._assigned_from: dict[tuple[str, ...], frozenset[str]] = {}
        self.graph: dict[FunctionNode, GraphReason] = {}
        # Functions that are graph code only because graph code calls them, with every
        # (caller, call); the call is None where a TF op is handed the function (tf.map_fn).
        self.helper_calls: dict[FunctionNode, list[tuple[FunctionNode, cst.Call | None]]] = {}
        # Keras methods this module evidently runs eagerly only (see keras_use).
        self.keras_eager: set[FunctionNode] = set()
        self._judge()
        eager = eager_only_methods(self, module, _traced_methods)
        if eager:  # the first map tells which uses sit in graph code; redo it without them
            self.keras_eager = eager
            self.graph, self.helper_calls = {}, {}
            self._judge()

    # -- queries -----------------------------------------------------------------------------

    def reason(self, node: FunctionNode) -> GraphReason | None:
        return self.graph.get(node)

    def tf_function_decorator(self, node: FunctionNode) -> TfFunctionDecorator | None:
        """The `@tf.function` decorating this function, in any spelling, or None."""
        return self._tf_decorators.get(node) if isinstance(node, cst.FunctionDef) else None

    def class_kind(self, name: str | None) -> KerasKind | None:
        info = self.classes.get(name) if name else None
        return info.kind if info else None

    def bound_values(self, name: str, scope: Scope) -> list[cst.BaseExpression]:
        """What `name` is assigned where it is bound as seen from `scope` (see
        objects.Instances.values_of)."""
        return self.instances.values_of(name, scope)

    def entry(self, node: FunctionNode) -> FunctionEntry | None:
        """The index's entry for a function: where it lives, what it defines and calls."""
        return self.index.functions.get(node)

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

    def traced_by_another_module(self, node: FunctionNode) -> bool:
        """Whether the function is graph code because another module traces it (an external
        root of the whole-project link step): it runs while that module's function traces."""
        return node in self._external_nodes

    @cached_property
    def _external_nodes(self) -> frozenset[FunctionNode]:
        found = (self.function_named(qualname) for qualname in self.external_roots)
        return frozenset(node for node in found if node is not None)

    def is_exempt(self, node: FunctionNode) -> bool:
        return node in self.exempt

    def is_dataset(self, node: cst.BaseExpression, scope: Scope = None) -> bool:
        """Whether an expression evidently holds a tf.data.Dataset, seen from `scope`."""
        return self._datasets.is_dataset(node, scope)

    def find_method(
        self, class_name: str, method: str, start: ClassInfo | None = None
    ) -> cst.FunctionDef | None:
        """A method of a same-module class (the definition `start` when given, else the last
        one of that name) or of its same-module bases."""
        return self.index.find_method(class_name, method, start)

    def function_named(self, qualname: str) -> FunctionNode | None:
        """The module-level function `f` or the method `C.m` (inherited ones included) of this
        module, by its dotted name; None where the module defines no such function."""
        return self.index.function_named(qualname)

    def method_class(self, node: FunctionNode) -> str | None:
        """The class whose body defines this function directly, or None."""
        return self.index.method_class(node)

    # -- judgement ---------------------------------------------------------------------------

    def _judge(self) -> None:
        self._find_roots()
        self._propagate()

    def _mark(self, node: FunctionNode | None, reason: GraphReason) -> None:
        if node is not None and node not in self.graph and node not in self.exempt:
            self.graph[node] = reason

    def _find_roots(self) -> None:
        index = self.index
        for qualname, reason in self.external_roots.items():
            self._mark(self.function_named(qualname), reason)
        for decorated in index.decorated:
            reason = tf_function_reason(
                "decorated with @tf.function", decorated.options, self.imports
            )
            self._mark(decorated.function, reason)
        self._keras_roots()
        for wrapped in index.wrapped:
            text = "wrapped by tf.function(...)"
            reason = tf_function_reason(text, wrapped.options, self.imports)
            for function in self.handed_functions(wrapped.target, wrapped.scope):
                self._mark(function, reason)
        for function, reason in self._handed_roots:
            self._mark(function, reason)
        self._transform_roots()

    def _find_wrappers(self) -> dict[str, tuple[int, dict[str, cst.BaseExpression]]]:
        """Module functions whose body wraps one of their positional parameters in
        tf.function (`return tf.function(f, ...)`)."""
        found: dict[str, tuple[int, dict[str, cst.BaseExpression]]] = {}
        for wrapped in self.index.wrapped:
            scope = wrapped.scope
            if not isinstance(scope, cst.FunctionDef) or not isinstance(wrapped.target, cst.Name):
                continue
            if self.module_functions.get(scope.name.value) is not scope:
                continue
            params = [*scope.params.posonly_params, *scope.params.params]
            names = [param.name.value for param in params]
            if wrapped.target.value in names:
                found[scope.name.value] = (names.index(wrapped.target.value), wrapped.options)
        return found

    def _wrapped_names(self) -> dict[str, TfFunctionInfo]:
        """Names bound to a tf.function through a same-module wrapper: `@relaxed def f`
        (not methods) and `fast = relaxed(g)`."""
        found: dict[str, TfFunctionInfo] = {}
        for scope, decorated, decorator in self.index.other_decorators:
            wrapper = self._wrapper(decorator, scope)
            if wrapper is not None and self.method_class(decorated) is None:
                name = decorated.name.value
                found.setdefault(name, TfFunctionInfo(name, self._wrapper_fixes(wrapper)))
        for assignment in self.index.assignments:
            value = assignment.value
            if len(assignment.names) != 1 or not isinstance(value, cst.Call):
                continue
            wrapper = self._wrapper(value.func, assignment.scope)
            if wrapper is not None:
                name = assignment.names[0]
                found[name] = TfFunctionInfo(name, self._wrapper_fixes(wrapper))
        return found

    def _wrapper_fixes(self, wrapper: cst.FunctionDef) -> bool:
        return has_fixed_signature(self.tf_function_wrappers[wrapper.name.value][1])

    def _wrapper_roots(self) -> list[tuple[FunctionNode, GraphReason]]:
        """`@relaxed_function def f` and `relaxed_function(g)` for a same-module wrapper."""
        found: list[tuple[FunctionNode, GraphReason]] = []
        if not self.tf_function_wrappers:
            return found
        for scope, decorated, decorator in self.index.other_decorators:
            wrapper = self._wrapper(decorator, scope)
            if wrapper is not None:
                found.append((decorated, self._wrapper_reason(wrapper, "decorated with")))
        for scope, call in self.index.all_calls:
            wrapper = self._wrapper(call.func, scope)
            if wrapper is None:
                continue
            position = self.tf_function_wrappers[wrapper.name.value][0]
            params = [*wrapper.params.posonly_params, *wrapper.params.params]
            target = argument(call, position, params[position].name.value)
            if target is not None:
                reason = self._wrapper_reason(wrapper, "wrapped by")
                found.extend((f, reason) for f in self.handed_functions(target, scope))
        return found

    def _wrapper(self, expression: cst.BaseExpression, scope: Scope) -> cst.FunctionDef | None:
        """The same-module tf.function wrapper an expression names, or None."""
        found = self.index.resolve_function(expression, scope)
        if not isinstance(found, cst.FunctionDef):
            return None
        name = found.name.value
        is_wrapper = name in self.tf_function_wrappers and self.module_functions.get(name) is found
        return found if is_wrapper else None

    def _wrapper_reason(self, wrapper: cst.FunctionDef, how: str) -> GraphReason:
        name = wrapper.name.value
        options = self.tf_function_wrappers[name][1]
        text = f"{how} `{name}`, which wraps it in tf.function"
        return tf_function_reason(text, options, self.imports)

    def _call_roots(self) -> list[tuple[FunctionNode, GraphReason]]:
        """Functions handed to `compile` as losses or metrics, to `keras.layers.Lambda`, and
        to `tf.vectorized_map`: Keras and pfor trace them, without AutoGraph."""
        found: list[tuple[FunctionNode, GraphReason]] = []

        def traced(handed: cst.BaseExpression | None, scope: Scope, text: str) -> None:
            if handed is not None:
                reason = GraphReason(text, autograph=False)
                found.extend((f, reason) for f in self.handed_functions(handed, scope))

        for scope, call in self.index.all_calls:
            qualname = self.imports.resolve(call.func)
            if qualname == KERAS_LAMBDA:
                if self._lambda_layer_placement_unknown(call):
                    continue
                text = "traced by Keras as the function of a `Lambda` layer"
                traced(argument(call, 0, "function"), scope, text)
            elif qualname == VECTORIZED_MAP:
                traced(argument(call, 0, "fn"), scope, "traced by tf.vectorized_map")
            elif _is_keras_compile(call, qualname):
                keywords = keyword_arguments(call)
                for keyword, (position, role) in COMPILE_FUNCTIONS.items():
                    given = keywords.get(keyword)
                    if given is None and position is not None:
                        given = argument(call, position, keyword)
                    traced(given, scope, f"traced by Keras `fit` as {role} given to `compile`")
        return found

    def _lambda_layer_placement_unknown(self, call: cst.Call) -> bool:
        """A `Lambda` layer returned from a factory or bound to a plain name: whether it ends
        up in a model (traced) or is called on eager tensors (its function runs eagerly,
        observed on Keras 3.15) is not evident here, so its function is not taken for graph
        code. In a list (`Sequential([...])`), an argument (`model.add(...)`), a sub-layer
        (`self.f = Lambda(...)`) or called in place, it is."""
        return call in self.index.returned_calls or any(
            a.value is call and a.names for a in self.index.assignments
        )

    def handed_functions(
        self, value: cst.BaseExpression, scope: Scope, depth: int = 4
    ) -> list[FunctionNode]:
        """The same-module functions an argument hands on: a name, a lambda, `self.m`, and
        those inside lists, tuples and dict values, `functools.partial(f, ...)` and Keras's
        function wrappers (`MeanMetricWrapper(f)`)."""
        if depth <= 0:
            return []
        if isinstance(value, cst.List | cst.Tuple):
            return [
                f
                for element in value.elements
                for f in self.handed_functions(element.value, scope, depth - 1)
            ]
        if isinstance(value, cst.Dict):
            return [
                f
                for element in value.elements
                if isinstance(element, cst.DictElement)
                for f in self.handed_functions(element.value, scope, depth - 1)
            ]
        if isinstance(value, cst.Call):
            if not is_function_wrapper(self.imports.resolve(value.func)):
                return []
            inner = argument(value, 0, "fn")
            return self.handed_functions(inner, scope, depth - 1) if inner is not None else []
        function = self.index.resolve_function(value, scope)
        return [function] if function is not None else []

    def _keras_roots(self) -> None:
        """Methods Keras traces, but not PyMetric's (run in tf.py_function) nor those the
        module evidently runs eagerly only."""
        for info in self.class_infos:
            if info.kind is None:
                continue
            class_name = info.node.name.value
            py_metric = info.kind is KerasKind.METRIC and self._derives_from(info, PY_METRIC)
            for method_name in TRACED_METHODS[info.kind]:
                method = self.find_method(class_name, method_name, info)
                if py_metric and method is not None:
                    self.exempt |= {method}  # PyMetric runs it in tf.py_function
                    continue
                if method is None or method in self.keras_eager:
                    continue
                self._mark(
                    method,
                    GraphReason(f"Keras traces `{class_name}.{method_name}`", autograph=False),
                )

    def _transform_roots(self) -> None:
        for scope, call in self.index.transform_calls:
            assert isinstance(call.func, cst.Attribute)
            if not self.is_dataset(call.func.value, scope):
                continue
            transform = call.func.attr.value
            if transform in ("reduce", "scan"):
                handed = argument(call, 1, f"{transform}_func")
            else:
                keyword = "predicate" if transform == "filter" else f"{transform}_func"
                handed = argument(call, 0, keyword)
            if handed is not None:
                for function in self.handed_functions(handed, scope):
                    self._mark(function, GraphReason(f"traced by Dataset.{transform}"))

    def _derives_from(self, info: ClassInfo, qualname: str) -> bool:
        lineage = self.index.lineage(info.node.name.value, info)
        return any(qualname in base.base_qualnames for base in lineage)

    def _propagate(self) -> None:
        roots = set(self.graph)
        pending = list(self.graph)
        while pending:
            caller = pending.pop()
            entry = self.index.functions.get(caller)
            if entry is None:
                continue
            caller_reason = self.graph[caller]
            reason = GraphReason(
                f"called from graph code `{_describe(caller)}`",
                caller_reason.autograph,
                caller_reason.converts_print,
            )
            for call in entry.calls:
                for callee, site in self._callees(call, caller):
                    if callee in roots or callee in self.exempt:
                        continue
                    self.helper_calls.setdefault(callee, []).append((caller, site))
                    if callee not in self.graph:
                        self.graph[callee] = reason
                        pending.append(callee)

    def _callees(
        self, call: cst.Call, caller: FunctionNode
    ) -> list[tuple[FunctionNode, cst.Call | None]]:
        """What a call in graph code runs, each with the call that passes its arguments (None
        where an op is handed the function): the function called, the functions handed to a
        TensorFlow op (tf.cond, tf.map_fn, tf.while_loop) or to `strategy.run`, and the
        methods an object of a same-module class runs."""
        qualname = self.imports.resolve(call.func)
        if is_py_function(qualname):
            return []
        callee = self.index.resolve_function(call.func, caller)
        if callee is not None:
            found: list[tuple[FunctionNode, cst.Call | None]] = [(callee, call)]
        else:
            found = [(method, call) for method in self.instances.callees(call, caller)]
        handed: list[cst.BaseExpression] = []
        if qualname is not None and qualname.startswith(("tensorflow.", "keras.ops.")):
            handed = [arg.value for arg in call.args]  # tf.cond/map_fn/while_loop
        elif _is_strategy_run(call):
            function = argument(call, 0, "fn")
            handed = [function] if function is not None else []
        for value in handed:
            # `tf.nest.map_structure(f, a, b)` passes f the leaves of a and b: the call says
            # which are tensors; other ops pass tensors to every parameter (no call: None).
            site = call if qualname in MAP_STRUCTURE and value is call.args[0].value else None
            found.extend((f, site) for f in self.handed_functions(value, caller))
        return found


def _traced_methods(info: ClassInfo) -> frozenset[str]:
    return TRACED_METHODS[info.kind] if info.kind is not None else frozenset()


def _is_keras_compile(call: cst.Call, qualname: str | None) -> bool:
    """`model.compile(...)` (not `re.compile`), unless `run_eagerly=True`: fit then runs the
    step, losses included, eagerly."""
    if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "compile"):
        return False
    if qualname is not None and not qualname.startswith("keras."):
        return False
    flag = keyword_arguments(call).get("run_eagerly")
    return not (isinstance(flag, cst.Name) and flag.value == "True")


def _is_strategy_run(call: cst.Call) -> bool:
    """`strategy.run(fn, args=...)`, `experimental_run_v2(fn, ...)`: a distribution strategy
    calling `fn` on each replica (a `.run` on anything not named for a strategy needs `args=`)."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in STRATEGY_RUN_METHODS:
        return False
    if func.attr.value != "run":
        return True
    receiver = (dotted_name(func.value) or "").lower()
    return "strategy" in receiver or any(
        arg.keyword is not None and arg.keyword.value == "args" for arg in call.args
    )


def _describe(node: FunctionNode) -> str:
    return node.name.value if isinstance(node, cst.FunctionDef) else "<lambda>"
