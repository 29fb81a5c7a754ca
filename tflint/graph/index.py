"""The module index: one pre-pass over a module collecting what the graph judgement reads.

`build_index` walks the module once and returns a frozen `ModuleIndex`: its classes and
functions, per function where it lives, what it defines and which calls it makes, the
functions tf.function decorates or wraps, those a py_function runs as plain Python, the
Dataset transformation calls, the `if` bodies tracing never enters, and every assignment with
its scope. The index holds facts only; `judgement.GraphContext` decides from them what is
graph code. The whole-project summary reads the per-function entries (`functions[node]`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import libcst as cst

from tflint.graph.vocabulary import (
    DATASET_TRANSFORMS,
    DO_NOT_CONVERT,
    TF_FUNCTION,
    FunctionNode,
    KerasKind,
    has_fixed_signature,
    is_eager_only_test,
    is_graph_only_test,
    is_py_function,
    is_py_function_decorator,
    keras_kind,
    keyword_arguments,
    tf_function_call_options,
)
from tflint.names import ImportMap, dotted_name, target_names
from tflint.traverse import walk

Options = dict[str, cst.BaseExpression]
Scope = FunctionNode | None  # a function, or None for the module's top level


@dataclass
class ClassInfo:
    node: cst.ClassDef
    methods: dict[str, cst.FunctionDef]
    base_qualnames: list[str]
    local_bases: list[str]
    kind: KerasKind | None = None  # set once by build_index, through same-module bases


@dataclass(frozen=True)
class TfFunctionDecorator:
    """A function's (first) `@tf.function` decorator and its keyword options, found once by
    the indexer so that checks never re-read decorators."""

    decorator: cst.Decorator
    options: Options


@dataclass(frozen=True)
class TfFunctionInfo:
    """A name bound to a tf.function; `fixed_signature` when Python scalars cannot retrace it."""

    name: str
    fixed_signature: bool


@dataclass
class FunctionEntry:
    """What the pre-pass learned about one function: where it lives and whom it calls."""

    node: FunctionNode
    enclosing_class: str | None
    enclosing_function: FunctionNode | None
    # The definition itself: a module may define a class name twice, and each body's
    # `self.method` means that body's own method.
    class_info: ClassInfo | None = None
    local_defs: dict[str, cst.FunctionDef] = field(default_factory=dict)
    # Calls in its body (nested functions' calls excluded), outside eager-only branches.
    calls: list[cst.Call] = field(default_factory=list)


@dataclass(frozen=True)
class Decorated:
    """A function decorated with tf.function (`decorator` is the first such decorator)."""

    function: cst.FunctionDef
    decorator: cst.Decorator
    options: Options


@dataclass(frozen=True)
class Wrapped:
    """`tf.function(target, **options)` called in `scope`."""

    scope: Scope
    target: cst.BaseExpression
    options: Options


@dataclass(frozen=True)
class ScopedAssignment:
    scope: Scope
    names: list[str]
    value: cst.BaseExpression


@dataclass(frozen=True)
class ModuleIndex:
    """What one module defines and calls, resolved through its imports."""

    imports: ImportMap
    # Name → the module's last top-level class of that name (what the name means once the
    # module has run); `class_infos` holds every definition, redefinitions included.
    classes: Mapping[str, ClassInfo]
    class_infos: tuple[ClassInfo, ...]
    module_functions: Mapping[str, cst.FunctionDef]
    functions: Mapping[FunctionNode, FunctionEntry]
    tf_functions: Mapping[str, TfFunctionInfo]
    decorated: tuple[Decorated, ...]
    wrapped: tuple[Wrapped, ...]
    # Functions a py_function / do_not_convert runs as plain Python.
    exempt_functions: frozenset[FunctionNode]
    transform_calls: tuple[tuple[Scope, cst.Call], ...]
    all_calls: tuple[tuple[Scope, cst.Call], ...]
    # Calls whose result a function returns (`return keras.layers.Lambda(f)`).
    returned_calls: frozenset[cst.Call]
    assignments: tuple[ScopedAssignment, ...]
    # `self.<name> = value` in functions (names holds the attribute name).
    self_assignments: tuple[ScopedAssignment, ...]
    # Decorators other than tf.function, do_not_convert and py_function, per function.
    other_decorators: tuple[tuple[Scope, cst.FunctionDef, cst.BaseExpression], ...]
    # Bodies of `if` statements tracing never enters (see vocabulary.is_eager_only_test).
    eager_branches: frozenset[cst.BaseSuite]
    # Statements after `if tf.inside_function(): raise ...` (or `return`) in the same block:
    # tracing leaves the block at the guard, so only eager calls reach them.
    eager_statements: frozenset[cst.BaseStatement]
    # Names the module's own top-level code calls (`Model()` in a script or notebook; not
    # under `if __name__ == "__main__":`, the demo block of a module others import).
    top_level_call_names: frozenset[str]

    # -- name resolution -----------------------------------------------------------------

    def resolve_function(self, target: cst.BaseExpression, scope: Scope) -> FunctionNode | None:
        """The function a Name/`self.method`/lambda expression refers to, seen from `scope`."""
        if isinstance(target, cst.Lambda):
            return target
        if isinstance(target, cst.Name):
            while scope is not None:
                entry = self.functions.get(scope)
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
            entry = self.functions.get(scope)
            if entry is not None and entry.enclosing_class is not None:
                return self.find_method(entry.enclosing_class, target.attr.value, entry.class_info)
        return None

    def find_method(
        self, class_name: str, method: str, start: ClassInfo | None = None
    ) -> cst.FunctionDef | None:
        """A method of a same-module class (the definition `start` when given, else the last
        one of that name) or of its same-module bases."""
        for info in self.lineage(class_name, start):
            if method in info.methods:
                return info.methods[method]
        return None

    def lineage(self, class_name: str, start: ClassInfo | None = None) -> list[ClassInfo]:
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

    def method_class(self, node: FunctionNode) -> str | None:
        """The class whose body defines this function directly, or None."""
        entry = self.functions.get(node)
        if entry is None or entry.enclosing_function is not None:
            return None
        return entry.enclosing_class

    def function_named(self, qualname: str) -> FunctionNode | None:
        """The module-level function `f` or the method `C.m` (inherited ones included) of this
        module, by its dotted name; None where the module defines no such function."""
        head, _, method = qualname.partition(".")
        if not method:
            return self.module_functions.get(head)
        if "." in method or head not in self.classes:
            return None
        return self.find_method(head, method)


def build_index(module: cst.Module, imports: ImportMap) -> ModuleIndex:
    """Index the module in one walk, then settle what needs the whole module: class kinds
    through same-module bases, and the functions py_function wrappers run."""
    indexer = _Indexer(imports)
    walk(module, indexer)
    _classify_classes(indexer.classes, indexer.class_infos)
    index = ModuleIndex(
        imports=imports,
        classes=indexer.classes,
        class_infos=tuple(indexer.class_infos),
        module_functions=indexer.module_functions,
        functions=indexer.functions,
        tf_functions=indexer.tf_functions,
        decorated=tuple(indexer.decorated),
        wrapped=tuple(indexer.wrapped),
        exempt_functions=frozenset(),
        transform_calls=tuple(indexer.transform_calls),
        all_calls=tuple(indexer.all_calls),
        returned_calls=frozenset(indexer.returned_calls),
        assignments=tuple(indexer.assignments),
        self_assignments=tuple(indexer.self_assignments),
        other_decorators=tuple(indexer.other_decorators),
        eager_branches=frozenset(indexer.eager_branches),
        eager_statements=frozenset(indexer.eager_statements),
        top_level_call_names=frozenset(indexer.top_level_call_names),
    )
    exempt = _Exemptions(index, indexer).find()
    return replace(index, exempt_functions=frozenset(exempt))


def _classify_classes(classes: Mapping[str, ClassInfo], class_infos: list[ClassInfo]) -> None:
    for info in class_infos:
        info.kind = next(filter(None, map(keras_kind, info.base_qualnames)), None)
    changed = True
    while changed:  # kinds flow down same-module inheritance chains
        changed = False
        for info in class_infos:
            if info.kind is None:
                for base in info.local_bases:
                    base_info = classes.get(base)
                    if base_info is not None and base_info.kind is not None:
                        info.kind = base_info.kind
                        changed = True
                        break


def _is_property(function: cst.FunctionDef) -> bool:
    """`@property`, `@x.setter`, `@cached_property`: attribute access, not a method to call."""
    for decorator in function.decorators:
        name = dotted_name(decorator.decorator) or ""
        if name.split(".")[-1] in ("property", "cached_property", "setter", "getter", "deleter"):
            return True
    return False


def _is_main_guard(test: cst.BaseExpression) -> bool:
    """`__name__ == "__main__"`, either way round."""
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return False
    sides = (test.left, test.comparisons[0].comparator)
    names = {s.value for s in sides if isinstance(s, cst.Name)}
    strings = {s.evaluated_value for s in sides if isinstance(s, cst.SimpleString)}
    return names == {"__name__"} and strings == {"__main__"}


def _is_tf_function_of_options(func: cst.BaseExpression, imports: ImportMap) -> bool:
    """`tf.function(jit_compile=True)`: the decorator form, called on a function next."""
    return (
        isinstance(func, cst.Call)
        and imports.resolve(func.func) in TF_FUNCTION
        and all(arg.keyword is not None for arg in func.args)
    )


def argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    """What `call` passes as the parameter at `position` named `keyword`."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return positional[position].value if len(positional) > position else None


def _parameter_name(function: FunctionNode, position: int) -> str:
    params = [*function.params.posonly_params, *function.params.params]
    return params[position].name.value


class _Indexer(cst.CSTVisitor):
    """The walk: classes, functions, calls, decorators, assignments and branches."""

    def __init__(self, imports: ImportMap) -> None:
        self.imports = imports
        self.classes: dict[str, ClassInfo] = {}
        self.class_infos: list[ClassInfo] = []
        self.module_functions: dict[str, cst.FunctionDef] = {}
        self.functions: dict[FunctionNode, FunctionEntry] = {}
        self.tf_functions: dict[str, TfFunctionInfo] = {}
        self.decorated: list[Decorated] = []
        self.wrapped: list[Wrapped] = []
        self.exempt_functions: list[FunctionNode] = []
        self.assignments: list[ScopedAssignment] = []
        self.self_assignments: list[ScopedAssignment] = []
        # py_function(target) calls, and decorators that may wrap in a py_function.
        self.pending_exempt: list[tuple[Scope, cst.BaseExpression]] = []
        self.other_decorators: list[tuple[Scope, cst.FunctionDef, cst.BaseExpression]] = []
        self.all_calls: list[tuple[Scope, cst.Call]] = []
        self.returned_calls: list[cst.Call] = []
        self.transform_calls: list[tuple[Scope, cst.Call]] = []
        # Bodies of `if` statements that tracing never enters: calls there do not make their
        # callees graph code.
        self.eager_branches: set[cst.BaseSuite] = set()
        self.eager_statements: set[cst.BaseStatement] = set()
        self.top_level_call_names: set[str] = set()
        self._function_stack: list[FunctionNode] = []
        self._class_stack: list[ClassInfo] = []
        self._class_depth_at_function: list[int] = []
        self._eager_depth = 0
        self._main_guards: set[cst.BaseSuite] = set()
        self._main_depth = 0

    @property
    def _scope(self) -> Scope:
        return self._function_stack[-1] if self._function_stack else None

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
        if not self._function_stack:
            self.classes[node.name.value] = info
            self.class_infos.append(info)
        self._class_stack.append(info)
        return True

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._class_stack.pop()

    def _enter_function(self, node: FunctionNode) -> None:
        enclosing_function = self._scope
        in_class_body = bool(self._class_stack) and (
            not self._class_depth_at_function
            or self._class_depth_at_function[-1] < len(self._class_stack)
        )
        class_info = self._class_stack[-1] if in_class_body else None
        enclosing_class = class_info.node.name.value if class_info is not None else None
        if enclosing_class is None and enclosing_function is not None:
            outer = self.functions[enclosing_function]
            enclosing_class, class_info = outer.enclosing_class, outer.class_info
        self.functions[node] = FunctionEntry(node, enclosing_class, enclosing_function, class_info)
        self._function_stack.append(node)
        self._class_depth_at_function.append(len(self._class_stack))

    def _leave_function(self) -> None:
        self._function_stack.pop()
        self._class_depth_at_function.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if self._function_stack:
            self.functions[self._function_stack[-1]].local_defs[node.name.value] = node
        elif not self._class_stack:
            self.module_functions[node.name.value] = node
        for decorator in node.decorators:
            self._decorator(node, decorator)
        self._enter_function(node)
        return True

    def _decorator(self, node: cst.FunctionDef, decorator: cst.Decorator) -> None:
        options = tf_function_call_options(decorator.decorator, self.imports)
        if options is not None:
            self.decorated.append(Decorated(node, decorator, options))
            if not self._class_stack or self._function_stack:
                self.tf_functions.setdefault(
                    node.name.value, TfFunctionInfo(node.name.value, has_fixed_signature(options))
                )
        elif self.imports.resolve(decorator.decorator) in DO_NOT_CONVERT:
            self.exempt_functions.append(node)
        elif is_py_function_decorator(decorator.decorator, self.imports):
            self.exempt_functions.append(node)  # @tf.py_function(Tout=...)
        else:  # maybe a same-module decorator that runs it through tf.py_function
            self.other_decorators.append((self._scope, node, decorator.decorator))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._leave_function()

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self._enter_function(node)
        return True

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._leave_function()

    def visit_Return(self, node: cst.Return) -> None:
        if isinstance(node.value, cst.Call):
            self.returned_calls.append(node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        names = [name for target in node.targets for name in target_names(target.target)]
        if names:
            self.assignments.append(ScopedAssignment(self._scope, names, node.value))
        for target in node.targets:
            attribute = target.target
            if (
                self._function_stack
                and isinstance(attribute, cst.Attribute)
                and isinstance(attribute.value, cst.Name)
                and attribute.value.value == "self"
            ):
                assignment = ScopedAssignment(self._scope, [attribute.attr.value], node.value)
                self.self_assignments.append(assignment)
        if (
            isinstance(node.value, cst.Call)
            and self.imports.resolve(node.value.func) in TF_FUNCTION
        ):
            fixed = has_fixed_signature(keyword_arguments(node.value))
            for name in names:
                self.tf_functions[name] = TfFunctionInfo(name, fixed)

    def visit_If(self, node: cst.If) -> None:
        if is_eager_only_test(node.test, self.imports):
            self.eager_branches.add(node.body)
        if isinstance(node.orelse, cst.Else) and is_eager_only_test(
            node.test, self.imports, value=False
        ):
            self.eager_branches.add(node.orelse.body)
        if not self._function_stack and _is_main_guard(node.test):
            self._main_guards.add(node.body)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if node in self.eager_branches:
            self._eager_depth += 1
        if node in self._main_guards:
            self._main_depth += 1
        exits = [index for index, s in enumerate(node.body) if self._exits_traced(s)]
        if exits:
            self.eager_statements.update(node.body[exits[0] + 1 :])

    def _exits_traced(self, statement: cst.BaseStatement) -> bool:
        """`if tf.inside_function(): raise ...` (or `return`), with no `else`."""
        if not isinstance(statement, cst.If) or statement.orelse is not None:
            return False
        if not is_graph_only_test(statement.test, self.imports, True):
            return False
        last = statement.body.body[-1] if isinstance(statement.body, cst.IndentedBlock) else None
        return isinstance(last, cst.SimpleStatementLine) and any(
            isinstance(small, cst.Raise | cst.Return) for small in last.body
        )

    def on_visit(self, node: cst.CSTNode) -> bool:
        if node in self.eager_statements:
            self._eager_depth += 1
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        super().on_leave(original_node)
        if original_node in self.eager_statements:
            self._eager_depth -= 1

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        if original_node in self.eager_branches:
            self._eager_depth -= 1
        if original_node in self._main_guards:
            self._main_depth -= 1

    def visit_Call(self, node: cst.Call) -> None:
        scope = self._scope
        if scope is not None and not self._eager_depth:
            self.functions[scope].calls.append(node)
        self.all_calls.append((scope, node))
        if scope is None and not self._main_depth and isinstance(node.func, cst.Name):
            self.top_level_call_names.add(node.func.value)
        qualname = self.imports.resolve(node.func)
        if qualname in TF_FUNCTION and node.args and node.args[0].keyword is None:
            self.wrapped.append(Wrapped(scope, node.args[0].value, keyword_arguments(node)))
        elif _is_tf_function_of_options(node.func, self.imports) and node.args:
            assert isinstance(node.func, cst.Call)  # `tf.function(**options)(f)`
            options = keyword_arguments(node.func)
            self.wrapped.append(Wrapped(scope, node.args[0].value, options))
        elif is_py_function(qualname):
            func = argument(node, 0, "func")
            if func is not None:
                self.pending_exempt.append((scope, func))
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value in DATASET_TRANSFORMS:
            self.transform_calls.append((scope, node))


class _Exemptions:
    """Functions a py_function runs as plain Python: handed to it directly, or through a
    same-module decorator or helper that passes its parameter on to one."""

    def __init__(self, index: ModuleIndex, indexer: _Indexer) -> None:
        self.index = index
        self.indexer = indexer
        self.found: list[FunctionNode] = list(indexer.exempt_functions)

    def find(self) -> list[FunctionNode]:
        # Parameters (function, position) that some tf.py_function call runs.
        runs_through: set[tuple[FunctionNode, int]] = set()
        for scope, target in self.indexer.pending_exempt:
            func = self.index.resolve_function(target, scope)
            if func is not None:
                self.found.append(func)
            elif (owner := self._parameter_owner(target, scope)) is not None:
                runs_through.add(owner)
        self._exempt_wrapped(runs_through)
        return self.found

    def _exempt_wrapped(self, runs_through: set[tuple[FunctionNode, int]]) -> None:
        """Functions handed to a py_function wrapper: `@wrapper def f` and `wrapper(f, ...)`
        (transitively, where a helper passes its own parameter on to such a wrapper)."""
        resolve = self.index.resolve_function
        for _ in range(3):
            if not runs_through:
                return
            added = False
            for scope, call in self.indexer.all_calls:
                callee = resolve(call.func, scope)
                for function, position in list(runs_through):
                    target = self._wrapped_argument(call, callee, function, position)
                    if target is None:
                        continue
                    func = resolve(target, scope)
                    owner = None if func else self._parameter_owner(target, scope)
                    if func is not None:
                        self.found.append(func)
                    elif owner is not None and owner not in runs_through:
                        runs_through.add(owner)
                        added = True
            if not added:
                break
        for scope, func, decorator in self.indexer.other_decorators:
            if (resolve(decorator, scope), 0) in runs_through:
                self.found.append(func)

    def _wrapped_argument(
        self, call: cst.Call, callee: FunctionNode | None, function: FunctionNode, position: int
    ) -> cst.BaseExpression | None:
        """What `call` passes as `function`'s parameter at `position` (None if not a call of
        it); `self.wrap(f)` fills a method's second parameter first."""
        if callee is not function:
            return None
        bound = int(
            self.index.method_class(function) is not None and isinstance(call.func, cst.Attribute)
        )
        if position < bound:
            return None
        return argument(call, position - bound, _parameter_name(function, position))

    def _parameter_owner(
        self, target: cst.BaseExpression, scope: Scope
    ) -> tuple[FunctionNode, int] | None:
        """(function, position) when `target` names a positional parameter of `scope` or of a
        function enclosing it."""
        if not isinstance(target, cst.Name):
            return None
        while scope is not None:
            entry = self.index.functions.get(scope)
            if entry is None or target.value in entry.local_defs:
                return None
            params = [*scope.params.posonly_params, *scope.params.params]
            for position, param in enumerate(params):
                if param.name.value == target.value:
                    return scope, position
            scope = entry.enclosing_function
        return None
