"""TF105-TF106: Python state changed from graph code changes once per trace, not per call."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from tflint.checks.base import VARIABLE_FACTORIES, WEIGHT_METHODS, Check, FileContext, Frame
from tflint.graph import FunctionNode
from tflint.names import dotted_name, target_names
from tflint.traverse import nodes, walk

# The mutating methods of list, dict and set, with how many positional arguments they take.
_MUTATORS: dict[str, tuple[int, int]] = {
    "append": (1, 1), "extend": (1, 1), "insert": (2, 2), "pop": (0, 2), "popitem": (0, 0),
    "remove": (1, 1), "update": (0, 1), "add": (1, 1), "discard": (1, 1),
    "setdefault": (1, 2), "clear": (0, 0),
}  # fmt: skip
# Those that return None: code that uses their result is calling another object's method.
_RETURN_NONE = frozenset({"append", "extend", "insert", "remove", "update", "add", "discard",
                          "clear"})  # fmt: skip
# Where a call's result is used: the value of an assignment, an argument, returned, ...
_USES_RESULT = (
    cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Return, cst.Arg, cst.Attribute, cst.Subscript,
    cst.BinaryOperation, cst.Comparison, cst.Element,
)  # fmt: skip


class LocalNames(cst.CSTVisitor):
    """Names a function binds itself (assignments, loops, with, imports), excluding nested
    functions' bodies; `global`/`nonlocal` names are recorded apart."""

    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.declared_outer: dict[str, cst.CSTNode] = {}

    @classmethod
    def of(cls, function: FunctionNode) -> LocalNames:
        collector = cls()
        walk(function.body, collector)
        return collector

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


def _keyed_by_graph(node: cst.Subscript) -> bool:
    """`cache[graph] = ...`, `cache[tf.compat.v1.get_default_graph()] = ...`: a per-graph
    cache, which each trace fills for the graph it builds; once per trace is its purpose."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return False
    key = node.slice[0].slice.value
    names: tuple[str, ...] = ("graph",)
    if isinstance(key, cst.Call):
        key, names = key.func, ("get_graph", "get_default_graph")
    if isinstance(key, cst.Attribute):
        last = key.attr.value
    elif isinstance(key, cst.Name):
        last = key.value
    else:
        return False
    return last in names or last.endswith("_graph")


def _parameters(function: FunctionNode) -> list[str]:
    """Named parameters, in order (not `*args`/`**kwargs`)."""
    params = function.params
    return [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]


def _star_parameters(function: FunctionNode) -> set[str]:
    """`*args` and `**kwargs`: fresh objects on every call, never the caller's."""
    params = function.params
    star = params.star_arg if isinstance(params.star_arg, cst.Param) else None
    return {p.name.value for p in (star, params.star_kwarg) if p is not None}


# -- create-once guards (TF105, TF301) ---------------------------------------------------------
# `if self.v is None: self.v = tf.Variable(...)` runs its body on the first trace only: later
# traces find the state set and skip it. The same idiom is spelled `if not self.built:`,
# `if not cache:`, `if "k" not in cache:`, `if cache.get(k) is None:`, `if not hasattr(self,
# "v"):`, or `if cache: <use> else: <create>`.


def unset_subjects(test: cst.BaseExpression, negated: bool = False) -> list[cst.BaseExpression]:
    """The expressions that are unset (None, empty, missing a key) whenever `test` is true
    (false with `negated`, for an `else:` branch). Both sides of `and`/`or` count: a branch
    guarded by `x is None and ...` still runs only while `x` is unset."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return unset_subjects(test.expression, not negated)
    if isinstance(test, cst.BooleanOperation):
        return unset_subjects(test.left, negated) + unset_subjects(test.right, negated)
    if isinstance(test, cst.Comparison):
        if len(test.comparisons) != 1:
            return []
        target = test.comparisons[0]
        operator, comparator = target.operator, target.comparator
        if isinstance(comparator, cst.Name) and comparator.value == "None":
            unset_when_true = isinstance(operator, cst.Is | cst.Equal)
            if unset_when_true or isinstance(operator, cst.IsNot | cst.NotEqual):
                return [test.left] if unset_when_true != negated else []
        if isinstance(operator, cst.NotIn | cst.In):
            return [comparator] if isinstance(operator, cst.NotIn) != negated else []
        return []
    if _is_hasattr(test):
        assert isinstance(test, cst.Call)
        owner, attribute = (arg.value for arg in test.args)
        assert isinstance(attribute, cst.SimpleString)
        unset = cst.Attribute(value=owner, attr=cst.Name(str(attribute.evaluated_value)))
        return [unset] if negated else []
    return [test] if negated else []


def _is_hasattr(test: cst.BaseExpression) -> bool:
    """`hasattr(owner, "name")` with a literal attribute name."""
    return (
        isinstance(test, cst.Call)
        and isinstance(test.func, cst.Name)
        and test.func.value == "hasattr"
        and len(test.args) == 2
        and isinstance(test.args[1].value, cst.SimpleString)
        and str(test.args[1].value.evaluated_value).isidentifier()
    )


def enclosing_tests(ancestors: Sequence[cst.CSTNode]) -> Iterator[tuple[cst.BaseExpression, bool]]:
    """The tests of the `if` statements around a node (the last of `ancestors`, outermost
    first) within the innermost function, each with whether the node is in its `else`."""
    for parent, child in zip(reversed(ancestors[:-1]), reversed(ancestors[1:]), strict=True):
        if isinstance(parent, cst.FunctionDef | cst.Lambda):
            return
        if isinstance(parent, cst.If) and child is not parent.test:
            yield parent.test, child is parent.orelse


def guard_subjects(ancestors: Sequence[cst.CSTNode]) -> Iterator[cst.BaseExpression]:
    """What the `if` statements around a node test unset: the node runs only while those are."""
    for test, in_else in enclosing_tests(ancestors):
        yield from unset_subjects(test, negated=in_else)


def subject_root(subject: cst.BaseExpression) -> tuple[str, bool] | None:
    """The name a tested subject hangs off (`self` in `self.cache["k"]`, `cache` in
    `cache.get(k)`), and whether the subject is that bare name."""
    bare = True
    while True:
        if isinstance(subject, cst.Name):
            return subject.value, bare
        if isinstance(subject, cst.Attribute | cst.Subscript):
            subject = subject.value
        elif (
            isinstance(subject, cst.Call)
            and isinstance(subject.func, cst.Attribute)
            and subject.func.attr.value == "get"
        ):
            subject = subject.func.value
        else:
            return None
        bare = False


def under_guard_of(name: str, ancestors: Sequence[cst.CSTNode]) -> bool:
    """Whether the node runs only while state reached through `name` is unset."""
    return any(
        root is not None and root[0] == name
        for root in map(subject_root, guard_subjects(ancestors))
    )


def under_create_once_guard(ctx: FileContext) -> bool:
    """Whether the current node runs only while some state that outlives the call is unset: an
    attribute of `self` or of a parameter, or a module-level or closure name. A bare local or
    parameter (`if mask is None:`) is set afresh by every call, so it guards nothing."""
    function = ctx.function
    if function is None:
        return False
    local = LocalNames.of(function)
    params = set(_parameters(function)) | _star_parameters(function)
    for subject in guard_subjects(ctx.ancestors):
        root = subject_root(subject)
        if root is None:
            continue
        name, bare = root
        if name in local.declared_outer or not (name in local.bound or (bare and name in params)):
            return True
    return False


def _function_frames(ctx: FileContext) -> list[Frame]:
    """The functions the walk is inside, innermost first (a `with tf.init_scope():` region
    keeps its function's own frame)."""
    frames: dict[FunctionNode, Frame] = {}
    for frame in ctx.frames:
        if isinstance(frame.node, cst.FunctionDef | cst.Lambda):
            frames.setdefault(frame.node, frame)
    return list(reversed(frames.values()))


def _is_tf_function(function: FunctionNode, ctx: FileContext) -> bool:
    return ctx.graph.tf_function_decorator(function) is not None


_MODULE_LEVEL = "module-level variable"
_CLOSURE = "closure variable of eager code"
_PARAMETER = "parameter"
# Objects made by TensorFlow/Keras whose mutating-named methods are graph ops
# (`tf.lookup.experimental.MutableHashTable.insert`), not Python state.
_TF_FACTORIES = ("tensorflow.", "keras.")


def _container_call(call: cst.Call, ctx: FileContext) -> bool:
    """Whether a call of a mutating method name can be the list/dict/set method: the right
    number of arguments, keywords only for `dict.update`, and no use of a result that the
    container method does not have (`updates, state = optimizer.update(grads, state, params)`
    is an optimizer's method, not `dict.update`)."""
    method = call.func.attr.value if isinstance(call.func, cst.Attribute) else ""
    if any(arg.star for arg in call.args):
        return True
    positional = sum(arg.keyword is None for arg in call.args)
    keywords = len(call.args) - positional
    low, high = _MUTATORS[method]
    if not low <= positional <= high or (keywords and method != "update"):
        return False
    return method not in _RETURN_NONE or not isinstance(ctx.parent(), _USES_RESULT)


def _trace_tensor(value: cst.BaseExpression, ctx: FileContext) -> bool:
    """A tensor computed by the trace, which later traces cannot use. Objects TensorFlow
    classes build (`tf.Variable(...)`, `tf.random.Generator.from_seed(1)`) outlive the trace
    and are what the create-once idiom keeps."""
    if isinstance(value, cst.Call):
        qualname = ctx.qualname(value.func) or ""
        if any(part[:1].isupper() and not part.endswith("Tensor") for part in qualname.split(".")):
            return False
    return ctx.is_tensor(value)


class _Bindings(cst.CSTVisitor):
    """Every statement of one function (nested scopes aside) that rebinds `name`, with the
    path of nodes leading to it and the value bound (None where there is none: `for`, `with`)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.path: list[cst.CSTNode] = []
        self.sites: list[tuple[list[cst.CSTNode], cst.BaseExpression | None]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.path and isinstance(node, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            return False
        self.path.append(node)
        targets: list[cst.BaseExpression] = []
        value: cst.BaseExpression | None = None
        if isinstance(node, cst.Assign):
            targets, value = [t.target for t in node.targets], node.value
        elif isinstance(node, cst.AnnAssign | cst.AugAssign | cst.NamedExpr):
            targets, value = [node.target], node.value
        elif isinstance(node, cst.For | cst.CompFor):
            targets = [node.target]
        elif isinstance(node, cst.AsName):
            targets = [node.name]
        if any(self.name in target_names(target) for target in targets):
            self.sites.append((list(self.path), value))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if self.path and self.path[-1] is original_node:
            self.path.pop()


def _rebound_once(function: FunctionNode, name: str, ctx: FileContext) -> bool:
    """`global model` / `nonlocal model` where every rebinding sits under a guard that tests
    `model` unset (`if model is None: model = build()`) and binds no tensor: the create-once
    idiom, done by the first trace only."""
    bindings = _Bindings(name)
    walk(function, bindings)
    return bool(bindings.sites) and all(
        value is not None and under_guard_of(name, path) and not _trace_tensor(value, ctx)
        for path, value in bindings.sites
    )


# What mutating an argument does (TF 2.21): TensorFlow compares the arguments' nested structure
# (lists, tuples, dicts) before and after tracing and raises when it changed; any other object
# is just changed, by the trace only.
_RAISES = "TensorFlow raises `ValueError: ... should not modify its Python input arguments`"
_ONCE = (
    "changed once per trace, not on every call, and keeps what the trace put there (a symbolic "
    'tensor raises "out of scope" when used later)'
)
_ARGUMENT_OUTCOMES = {
    "container": f"{_RAISES} on the first call (a list or dict argument)",
    "object": f"the object is {_ONCE}",
    None: f"a list or dict argument makes {_RAISES.replace(' raises', ' raise')} on the first "
    f"call; any other object is {_ONCE}",
}
_CONTAINER_TYPES = frozenset({"list", "dict", "List", "Dict", "MutableSequence",
                              "MutableMapping", "Sequence", "Mapping"})  # fmt: skip
_CONTAINER_DISPLAYS = (cst.List, cst.Dict, cst.ListComp, cst.DictComp)


def _argument_kind(name: str, ctx: FileContext) -> str | None:
    """ "container" when the parameter evidently holds a list or dict (its annotation, or
    every call in the module passes one), "object" when it holds something else, else None."""
    function = ctx.function
    assert isinstance(function, cst.FunctionDef)
    params = function.params
    ordered = [*params.posonly_params, *params.params]
    param = next(p for p in (*ordered, *params.kwonly_params) if p.name.value == name)
    if param.annotation is not None:
        annotation = param.annotation.annotation
        if isinstance(annotation, cst.Subscript):
            annotation = annotation.value
        spelled = dotted_name(annotation)
        if spelled is not None and spelled != "Optional":
            return "container" if spelled.rsplit(".", 1)[-1] in _CONTAINER_TYPES else "object"
    position = ordered.index(param) if param in ordered else None
    kinds = {
        _passed_kind(value, ctx)
        for value in _passed_values(function.name.value, name, position, ctx)
    }
    return kinds.pop() if len(kinds) == 1 else None


def _passed_values(
    function: str, name: str, position: int | None, ctx: FileContext
) -> Iterator[cst.BaseExpression]:
    """What the module's calls `function(...)` pass for parameter `name`."""
    for call in nodes(ctx.ancestors[0]):
        if not (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Name)
            and call.func.value == function
        ):
            continue
        for index, arg in enumerate(call.args):
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword == name or (keyword is None and not arg.star and index == position):
                yield arg.value


def _passed_kind(value: cst.BaseExpression, ctx: FileContext) -> str | None:
    if isinstance(value, _CONTAINER_DISPLAYS):
        return "container"
    if isinstance(value, cst.Call):
        if ctx.qualname(value.func) in ("builtins.list", "builtins.dict"):
            return "container"
        if isinstance(value.func, cst.Name) and value.func.value in ctx.graph.classes:
            return "object"
    return None


class OuterStateCheck(Check):
    codes = frozenset({"TF105"})

    def __init__(self) -> None:
        self._locals: dict[FunctionNode, LocalNames] = {}

    def _local_names(self, function: FunctionNode) -> LocalNames:
        if function not in self._locals:
            if len(self._locals) > 256:
                self._locals.clear()
            self._locals[function] = LocalNames.of(function)
        return self._locals[function]

    def _outer_kind(self, name: str, ctx: FileContext) -> str | None:
        """What `name` refers to from the current graph code: a parameter of a tf.function, a
        module-level variable or a closure variable of an eager function; None for anything
        that lives and dies with the trace (locals, the locals of an enclosing graph function,
        `*args`/`**kwargs`, parameters of Keras methods, tf.data functions and helpers, whose
        callers pass fresh structures)."""
        frames = _function_frames(ctx)
        if not frames:
            return None
        function = frames[0].node
        assert isinstance(function, cst.FunctionDef | cst.Lambda)
        declaration = self._local_names(function).declared_outer.get(name)
        if isinstance(declaration, cst.Global):
            return _MODULE_LEVEL
        if declaration is None:
            if name in self._local_names(function).bound or name in _star_parameters(function):
                return None
            params = _parameters(function)
            if name in params:
                is_self = ctx.enclosing_method() is not None and params[0] == name
                return _PARAMETER if _is_tf_function(function, ctx) and not is_self else None
        return self._enclosing_kind(name, frames[1:], ctx)

    def _enclosing_kind(self, name: str, frames: list[Frame], ctx: FileContext) -> str | None:
        for frame in frames:
            function = frame.node
            assert isinstance(function, cst.FunctionDef | cst.Lambda)
            local = self._local_names(function)
            declaration = local.declared_outer.get(name)
            if isinstance(declaration, cst.Global):
                return _MODULE_LEVEL
            binds = name in local.bound or name in _parameters(function)
            if declaration is None and (binds or name in _star_parameters(function)):
                return None if frame.reason is not None else _CLOSURE
        return _MODULE_LEVEL if name in ctx.graph.assigned_names else None

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        func = node.func
        if not (
            ctx.in_graph
            and isinstance(func, cst.Attribute)
            and func.attr.value in _MUTATORS
            and isinstance(func.value, cst.Name)
        ):
            return
        name = func.value.value
        if name in ctx.graph.names_assigned_from(_TF_FACTORIES) or not _container_call(node, ctx):
            return
        stored = [arg.value for arg in node.args]
        if self._creates_once(name, stored, ctx):
            return
        kind = self._outer_kind(name, ctx)
        if kind is not None:
            self._report(node, f"`{name}.{func.attr.value}(...)`", name, kind, ctx)

    def visit_Subscript(self, node: cst.Subscript, ctx: FileContext) -> None:
        parent = ctx.parent()
        is_store = isinstance(parent, cst.AssignTarget | cst.Del) or (
            isinstance(parent, cst.AugAssign) and parent.target is node
        )
        if not (ctx.in_graph and is_store and isinstance(node.value, cst.Name)):
            return
        name = node.value.value
        statement = ctx.parent(2) if isinstance(parent, cst.AssignTarget) else parent
        stored = [statement.value] if isinstance(statement, cst.Assign | cst.AugAssign) else []
        if self._creates_once(name, stored, ctx) or _keyed_by_graph(node):
            return
        kind = self._outer_kind(name, ctx)
        if kind is not None:
            self._report(node, f"item assignment to `{name}[...]`", name, kind, ctx)

    def visit_Assign(self, node: cst.Assign, ctx: FileContext) -> None:
        if ctx.in_graph:
            for target in node.targets:
                for element, value in _paired(target.target, node.value):
                    self._check_attribute(element, value, "=", ctx)

    def visit_AnnAssign(self, node: cst.AnnAssign, ctx: FileContext) -> None:
        if ctx.in_graph and node.value is not None:
            self._check_attribute(node.target, node.value, "=", ctx)

    def visit_AugAssign(self, node: cst.AugAssign, ctx: FileContext) -> None:
        if ctx.in_graph:
            operator = cst.Module([]).code_for_node(node.operator).strip()
            self._check_attribute(node.target, node.value, operator, ctx)

    def _check_attribute(
        self,
        target: cst.BaseExpression,
        value: cst.BaseExpression,
        operator: str,
        ctx: FileContext,
    ) -> None:
        """`stats.n += 1`, `stats.n = stats.n + 1` or `state.last = <tensor>` on an outer
        object other than `self` (TF106's). Setting a plain value that does not evolve
        (`config.ready = True`) gives the same result on every trace and stays quiet."""
        if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)):
            return
        name, attribute = target.value.value, target.attr.value
        if name in ("self", "cls", ctx.self_name()) or name in ctx.graph.names_assigned_from(
            _TF_FACTORIES
        ):
            return
        evolving = operator != "=" or any(_is_attribute(n, name, attribute) for n in nodes(value))
        if not (evolving or _trace_tensor(value, ctx)) or self._creates_once(name, [value], ctx):
            return
        kind = self._outer_kind(name, ctx)
        if kind is not None:
            what = f"`{name}.{attribute} {operator} ...`"
            self._report(target, what, name, kind, ctx, outcome=_ARGUMENT_OUTCOMES["object"])

    @staticmethod
    def _creates_once(name: str, stored: list[cst.BaseExpression], ctx: FileContext) -> bool:
        """`if not cache: cache["model"] = build()`: the first trace fills state that later
        traces find set, the create-once idiom — unless what it keeps is a tensor of that
        trace, which later traces cannot use ("out of scope")."""
        return under_guard_of(name, ctx.ancestors) and not any(
            _trace_tensor(value, ctx) for value in stored
        )

    def _visit_declaration(self, node: cst.Global | cst.Nonlocal, ctx: FileContext) -> None:
        frames = _function_frames(ctx)
        if not ctx.in_graph or not frames:
            return
        function = frames[0].node
        assert isinstance(function, cst.FunctionDef | cst.Lambda)
        bound = self._local_names(function).bound
        is_global = isinstance(node, cst.Global)
        rebound = [
            item.name.value
            for item in node.names
            if item.name.value in bound
            and (is_global or self._enclosing_kind(item.name.value, frames[1:], ctx) is not None)
            and not _rebound_once(function, item.name.value, ctx)
        ]
        if rebound:
            keyword = "global" if is_global else "nonlocal"
            kind = _MODULE_LEVEL if is_global else _CLOSURE
            self._report(node, f"rebinding `{keyword} {', '.join(rebound)}`", None, kind, ctx)

    def visit_Global(self, node: cst.Global, ctx: FileContext) -> None:
        self._visit_declaration(node, ctx)

    def visit_Nonlocal(self, node: cst.Nonlocal, ctx: FileContext) -> None:
        self._visit_declaration(node, ctx)

    @staticmethod
    def _report(
        node: cst.CSTNode,
        what: str,
        name: str | None,
        kind: str,
        ctx: FileContext,
        outcome: str | None = None,
    ) -> None:
        if kind == _PARAMETER:
            assert name is not None
            happens = outcome or _ARGUMENT_OUTCOMES[_argument_kind(name, ctx)]
            message = (
                f"{what} mutates `{name}`, an argument of a tf.function ({ctx.where()}): "
                f"{happens}; modify a copy, or return the new value"
            )
        else:
            message = (
                f"{what} changes a {kind} from graph code ({ctx.where()}): it happens once per "
                "trace, not on every call, and can leak symbolic tensors; use a `tf.Variable`, "
                "return the value, or a `tf.TensorArray`"
            )
        ctx.report(node, "TF105", message)


def creates_variable(value: cst.BaseExpression, ctx: FileContext) -> bool:
    """`tf.Variable(...)`, `keras.Variable(...)` or `self.add_weight(...)`."""
    if not isinstance(value, cst.Call):
        return False
    if ctx.qualname(value.func) in VARIABLE_FACTORIES:
        return True
    func = value.func
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value in WEIGHT_METHODS
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


def _keeps_state(ctx: FileContext) -> bool:
    """Graph code whose `self` outlives the trace. Not `__init__`: graph code reaches it only
    by building the object (`C()` in a traced function), and an object built while tracing
    is itself made afresh on every trace, so what its constructor stores is not carried from
    one call to the next."""
    method = ctx.enclosing_method()
    return ctx.in_graph and (method is None or method[1].name.value != "__init__")


class AttributeStateCheck(Check):
    """`self.x += ...`, `self.x = <something of self.x>` and `self.x = <tensor>` in graph code.

    Plain Python values that do not evolve (`self.units = inputs.shape[-1]`, a flag) are set to
    the same thing on every trace and stay quiet, as does creating a variable (TF301/TF302)."""

    codes = frozenset({"TF106"})

    def visit_Assign(self, node: cst.Assign, ctx: FileContext) -> None:
        if _keeps_state(ctx) and not creates_variable(node.value, ctx):
            for target in node.targets:
                for element, value in _paired(target.target, node.value):
                    self._check_assignment(element, value, ctx)

    def visit_AnnAssign(self, node: cst.AnnAssign, ctx: FileContext) -> None:
        if _keeps_state(ctx) and node.value is not None and not creates_variable(node.value, ctx):
            self._check_assignment(node.target, node.value, ctx)

    def visit_AugAssign(self, node: cst.AugAssign, ctx: FileContext) -> None:
        attribute = self_attribute(node.target, ctx) if _keeps_state(ctx) else None
        if attribute is not None:
            self._report(node.target, f"updating `self.{attribute}` in place", ctx)

    def _check_assignment(
        self, target: cst.BaseExpression, value: cst.BaseExpression, ctx: FileContext
    ) -> None:
        attribute = self_attribute(target, ctx)
        self_name = ctx.self_name()
        if attribute is None or self_name is None:
            return
        if any(_is_attribute(node, self_name, attribute) for node in nodes(value)):
            if not _normalised(value, self_name, attribute, ctx):
                self._report(target, f"`self.{attribute} = ...` computed from itself", ctx)
        elif ctx.is_tensor(value) and not _scratch_tensor(target, self_name, attribute, ctx):
            self._report(target, f"storing a tensor in `self.{attribute}`", ctx)

    @staticmethod
    def _report(node: cst.CSTNode, what: str, ctx: FileContext) -> None:
        ctx.report(
            node,
            "TF106",
            f"{what} in graph code ({ctx.where()}) runs once per trace: the attribute keeps a "
            "trace-time value (a symbolic tensor, or a count of traces) instead of changing on "
            "every call; keep state in `self.add_weight(...)` / `tf.Variable` and update it "
            "with `.assign*()`",
        )


# Builtins that convert a value to a canonical form: `self.axes = tuple(self.axes)` gives the
# same result however many times it runs.
_CONVERSIONS = frozenset(
    f"builtins.{name}"
    for name in (
        "tuple",
        "list",
        "sorted",
        "set",
        "frozenset",
        "dict",
        "int",
        "float",
        "str",
        "bool",
    )
)


def _normalised(value: cst.BaseExpression, owner: str, attribute: str, ctx: FileContext) -> bool:
    """`self.axes = tuple(self.axes)`: a static Python value put into canonical form, the same
    on every trace (a lazy build normalising its configuration), not state that evolves."""
    return (
        isinstance(value, cst.Call)
        and ctx.qualname(value.func) in _CONVERSIONS
        and len(value.args) == 1
        and value.args[0].keyword is None
        and _is_attribute(value.args[0].value, owner, attribute)
    )


def _scratch_tensor(
    target: cst.BaseExpression, owner: str, attribute: str, ctx: FileContext
) -> bool:
    """A tensor kept on `self` only for the rest of the same trace: the function reads the
    attribute back after storing it and never before, and the store is unconditional on the
    attribute's earlier value (`if self.scale is None:` would mean it is kept for later traces,
    which cannot use it). Every trace stores it afresh before using it."""
    function = ctx.function
    if function is None or any(
        _is_attribute(node, owner, attribute)
        for test, _ in enclosing_tests(ctx.ancestors)
        for node in nodes(test)
    ):
        return False
    stores = _assignment_targets(function)
    stored = read_after = False
    for node in nodes(function.body):
        if node is target:
            stored = True
        elif _is_attribute(node, owner, attribute) and node not in stores:
            if not stored:
                return False
            read_after = True
    return read_after


def _assignment_targets(function: FunctionNode) -> set[cst.CSTNode]:
    """The nodes an `=` assignment in the function stores to (tuple targets unpacked)."""
    targets: set[cst.CSTNode] = set()
    for node in nodes(function.body):
        if isinstance(node, cst.Assign):
            pending: list[cst.BaseExpression] = [t.target for t in node.targets]
        elif isinstance(node, cst.AnnAssign):
            pending = [node.target]
        else:
            continue
        while pending:
            target = pending.pop()
            targets.add(target)
            if isinstance(target, cst.Tuple | cst.List):
                pending.extend(element.value for element in target.elements)
    return targets


def _paired(
    target: cst.BaseExpression, value: cst.BaseExpression
) -> list[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """(target, value) pairs of an assignment, unpacking `self.a, self.b = x, y`."""
    if not isinstance(target, cst.Tuple | cst.List):
        return [(target, value)]
    elements = [element.value for element in target.elements]
    if isinstance(value, cst.Tuple | cst.List) and len(value.elements) == len(elements):
        values = [element.value for element in value.elements]
        return [pair for t, v in zip(elements, values, strict=True) for pair in _paired(t, v)]
    return [pair for element in elements for pair in _paired(element, value)]


def _is_attribute(node: cst.CSTNode, owner: str, attribute: str) -> bool:
    """`owner.attribute` (e.g. `self.count`)."""
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == owner
        and node.attr.value == attribute
    )
