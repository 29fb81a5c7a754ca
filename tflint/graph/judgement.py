"""The graph-code judgement: which functions of a module TensorFlow traces, and why.

Reads the module index (index.build_index) and marks the roots — tf.function-decorated or
-wrapped functions, Keras-traced methods, functions handed to Dataset transformations, the
functions other modules trace (`external_roots`, from the whole-project link step) — then
propagates "graph code" along same-module calls. Keras methods the module evidently runs
eagerly only (keras_use) are taken back out and the map redone.
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
    argument,
    build_index,
)
from tflint.graph.keras_use import eager_only_methods
from tflint.graph.vocabulary import (
    PY_METRIC,
    TRACED_METHODS,
    FunctionNode,
    GraphReason,
    KerasKind,
    is_py_function,
    tf_function_reason,
)
from tflint.names import ImportMap


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
        self.top_level_call_names = index.top_level_call_names
        self.exempt: frozenset[FunctionNode] = index.exempt_functions
        self.assignments = [(a.names, a.value) for a in index.assignments]
        self._local_names: dict[Scope, set[str]] = {}
        for assignment in index.assignments:
            self._local_names.setdefault(assignment.scope, set()).update(assignment.names)
        self._datasets = DatasetNames(index)
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
            self._mark(index.resolve_function(wrapped.target, wrapped.scope), reason)
        self._transform_roots()

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
                self._mark(
                    self.index.resolve_function(handed, scope),
                    GraphReason(f"traced by Dataset.{transform}"),
                )

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
            symbol = _describe(caller)
            for call in entry.calls:
                qualname = self.imports.resolve(call.func)
                if is_py_function(qualname):
                    continue
                targets: list[cst.BaseExpression] = [call.func]
                if qualname is not None and qualname.startswith(("tensorflow.", "keras.ops.")):
                    targets.extend(arg.value for arg in call.args)  # tf.cond/map_fn/while_loop
                for target in targets:
                    callee = self.index.resolve_function(target, caller)
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


def _traced_methods(info: ClassInfo) -> frozenset[str]:
    return TRACED_METHODS[info.kind] if info.kind is not None else frozenset()


def _describe(node: FunctionNode) -> str:
    return node.name.value if isinstance(node, cst.FunctionDef) else "<lambda>"
