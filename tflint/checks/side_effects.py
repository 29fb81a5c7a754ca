"""TF101-TF104: Python side effects in graph code run once per trace, not once per call."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from tflint.checks.base import (
    VARIABLE_FACTORIES,
    WEIGHT_METHODS,
    Check,
    FileContext,
    FixPlan,
    collect_assignments,
)
from tflint.checks.print_args import NoExactFix, tf_print_arguments
from tflint.diagnostics import Applicability
from tflint.names import target_names
from tflint.traverse import nodes

_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "vlog"}
)
_LOG_MODULES = frozenset({"logging", "absl.logging", "tensorflow.compat.v1.logging"})
_LOGGER_FACTORIES = ("logging.getLogger", "tensorflow.get_logger", "absl.logging.get_absl_logger")
# Calls whose effect (a file or stream written, a process run) happens once per trace. Log
# lines and warnings are judged by what they show (_lost_message).
_OUTPUT_CALLS = {
    "builtins.open": "`open()`",
    "os.system": "`os.system()`",
    "os.popen": "`os.popen()`",
    "sys.stdout.write": "`sys.stdout.write()`",
    "sys.stderr.write": "`sys.stderr.write()`",
}
# Calls whose value is read once per trace and then frozen into the graph.
_READ_CALLS = {
    "builtins.input": "`input()`",
    "os.getenv": "`os.getenv()`",
    "os.environ.get": "`os.environ.get()`",
}
_PATH_BUILDERS = frozenset({"os.path.join", "os.path.expanduser", "os.path.abspath"})
_CLOCKS = frozenset(
    {
        "time.time", "time.time_ns", "time.perf_counter", "time.perf_counter_ns",
        "time.monotonic", "time.monotonic_ns", "time.process_time", "time.process_time_ns",
        "datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today",
        "datetime.date.today",
    }
)  # fmt: skip
# Clocks whose value tf.timestamp() (float seconds) can stand in for.
_TIMESTAMP_FIXABLE = frozenset({"time.time", "time.perf_counter", "time.monotonic"})
_RANDOM_MODULES = ("random.", "numpy.random.")
# Generator objects: making one draws nothing; its methods do.
_RNG_FACTORIES = (
    "numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.Generator",
    "random.Random", "random.SystemRandom",
)  # fmt: skip
# random/numpy.random callables that seed, build generators or save state but draw nothing.
_NOT_DRAWING = frozenset(
    {
        "seed", "getstate", "setstate", "get_state", "set_state", "default_rng", "RandomState",
        "Generator", "Random", "SystemRandom", "SeedSequence", "BitGenerator", "PCG64",
        "PCG64DXSM", "MT19937", "Philox", "SFC64", "spawn", "jumped", "bit_generator",
    }
)  # fmt: skip


def _tensorflow_attribute(
    ctx: FileContext, attribute: str
) -> tuple[cst.Attribute, str | None] | None:
    """`tf.<attribute>` spelled safely here, with the name to import (None: none needed);
    None when no spelling is safe."""
    found = ctx.tensorflow_alias(attribute)
    if found is None:
        return None
    alias, to_import = found
    return cst.Attribute(cst.Name(alias), cst.Name(attribute)), to_import


def _made_by(name: str, factories: tuple[str, ...], ctx: FileContext) -> bool:
    """Whether `name` holds an object one of `factories` made (a logger, a NumPy generator).

    The innermost function's own assignments of the name decide when it has any (a local
    `rng = tf.random.Generator.from_seed(1)` is not the module's NumPy `rng`); otherwise any
    assignment in the module does.
    """
    if name not in ctx.graph.names_assigned_from(factories):
        return False
    function = ctx.function
    local_values = [
        value
        for targets, value in (collect_assignments(function) if function is not None else ())
        if name in targets
    ]
    if not local_values:
        return True
    return any(_is_call_of(value, factories, ctx) for value in local_values)


def _is_call_of(node: cst.BaseExpression, qualnames: tuple[str, ...], ctx: FileContext) -> bool:
    if not isinstance(node, cst.Call):
        return False
    qualname = ctx.qualname(node.func)
    return qualname is not None and qualname.startswith(qualnames)


class PrintCheck(Check):
    codes = frozenset({"TF101"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if not ctx.in_graph or ctx.qualname(node.func) != "builtins.print":
            return
        if _autograph_prints(node, ctx):
            return
        ctx.report(
            node,
            "TF101",
            f"`print` in graph code ({ctx.where()}) runs once per trace, not on every call, "
            "and shows symbolic tensors; use `tf.print`",
            _print_fix(node, ctx),
        )


def _autograph_prints(node: cst.Call, ctx: FileContext) -> bool:
    """AutoGraph's BUILTIN_FUNCTIONS feature turns a `print` that receives a tensor into a print
    on every call (through a py_func); one of only literals still prints once per trace."""
    reason = ctx.frame.reason
    return (
        reason is not None
        and reason.converts_print
        and any(
            not isinstance(arg.value, cst.BaseNumber | cst.SimpleString | cst.ConcatenatedString)
            for arg in node.args
            if arg.keyword is None
        )
    )


def _print_fix(node: cst.Call, ctx: FileContext) -> FixPlan | None:
    """`print(...)` → `tf.print(...)`; text built from tensors (`f"x = {x}"`) is taken apart
    into arguments so the values print on every call (print_args), or there is no fix."""
    # tf.print takes sep= and end= like print; file= and flush= have no equivalent.
    keywords = [arg.keyword.value for arg in node.args if arg.keyword is not None]
    if any(keyword not in ("sep", "end") for keyword in keywords):
        return None
    try:
        arguments = tf_print_arguments(node, ctx)
    except NoExactFix:
        return None
    spelled = _tensorflow_attribute(ctx, "print")
    if spelled is None:
        return None
    tf_print, needs_import = spelled
    if arguments is None:
        return FixPlan(
            "Replace `print` with `tf.print`",
            Applicability.SAFE,
            ((node.func, tf_print),),
            needs_import,
        )
    return FixPlan(
        "Replace `print` with `tf.print`, each tensor an argument of its own",
        Applicability.SAFE,
        ((node, node.with_changes(func=tf_print, args=arguments)),),
        needs_import,
    )


class PythonIOCheck(Check):
    codes = frozenset({"TF102"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if not ctx.in_graph:
            return
        qualname = ctx.qualname(node.func)
        if qualname in _READ_CALLS:
            self._report_read(node, _READ_CALLS[qualname], ctx)
        elif qualname == "tensorflow.io.read_file" and node.args:
            if _is_constant_path(node.args[0].value, ctx):
                ctx.report(
                    node,
                    "TF102",
                    f"`tf.io.read_file` of a constant path in graph code ({ctx.where()}) is "
                    "constant-folded: the file's contents when the graph first runs are reused "
                    "on every call; pass the path in as a tensor argument",
                )
        elif (what := _message_call(node, qualname, ctx)) is not None:
            message = _lost_message(node, what, ctx)
            if message is not None:
                ctx.report(node, "TF102", message)
        elif (what := _effect_call(qualname)) is not None:
            ctx.report(
                node,
                "TF102",
                f"{what} in graph code ({ctx.where()}) runs once per trace, not on every "
                "call, and any value it returns is frozen into the graph; do it in eager code "
                "(or use `tf.print`) and pass values in as arguments",
            )

    def visit_Subscript(self, node: cst.Subscript, ctx: FileContext) -> None:
        if ctx.in_graph and ctx.qualname(node.value) == "os.environ" and not _is_target(node, ctx):
            self._report_read(node, "`os.environ[...]`", ctx)

    @staticmethod
    def _report_read(node: cst.CSTNode, what: str, ctx: FileContext) -> None:
        ctx.report(
            node,
            "TF102",
            f"{what} in graph code ({ctx.where()}) is read once per trace and the value is "
            "frozen into the graph; read it outside and pass it in as an argument",
        )


def _effect_call(qualname: str | None) -> str | None:
    """How to name a call that writes a file or stream or runs a process, or None."""
    if qualname is None:
        return None
    if qualname in _OUTPUT_CALLS:
        return _OUTPUT_CALLS[qualname]
    if qualname.startswith("subprocess."):
        return f"`{qualname}()`"
    return None


def _message_call(node: cst.Call, qualname: str | None, ctx: FileContext) -> str | None:
    """How to name a logging or `warnings.warn` call, or None for any other call."""
    if qualname is not None:
        if qualname == "warnings.warn":
            return "`warnings.warn()`"
        module, _, method = qualname.rpartition(".")
        if module in _LOG_MODULES and method in _LOG_METHODS:
            return f"`{qualname}()` logging"
    func = node.func
    if not (isinstance(func, cst.Attribute) and func.attr.value in _LOG_METHODS):
        return None
    receiver, method = func.value, func.attr.value
    if isinstance(receiver, cst.Name) and _made_by(receiver.value, _LOGGER_FACTORIES, ctx):
        return f"`{receiver.value}.{method}()` logging"
    if _is_call_of(receiver, _LOGGER_FACTORIES, ctx):
        assert isinstance(receiver, cst.Call)
        return f"`{ctx.qualname(receiver.func)}(...).{method}()` logging"
    return None


def _lost_message(node: cst.Call, what: str, ctx: FileContext) -> str | None:
    """The finding's message where a log line or warning loses per-call information, else None.

    Once per trace is right for a message about static facts (shapes, dtypes, structure,
    configuration, constant text): they are the same on every call of one trace. It is wrong
    where the message shows a value of the call (a tensor, a variable, a counter), or where a
    tensor condition decides whether it is issued at all.
    """
    state = _ClassState.of(ctx)
    where = ctx.where()
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value not in ("msg", "message"):
            continue
        shown = _per_call_value(arg.value, ctx, state)
        if shown is None:
            continue
        expression = _code(shown, ctx)
        if _is_counter(shown, ctx, state) and not _holds_tensor(shown, ctx, state):
            return (
                f"{what} in graph code ({where}) runs once per trace, not on every call: the "
                f"counter `{expression}` is shown with its value while tracing; use `tf.print` "
                "and keep the count in a `tf.Variable`"
            )
        return (
            f"{what} in graph code ({where}) runs once per trace, not on every call, and shows "
            f"`{expression}` as a symbolic tensor, never its value; use `tf.print`, or log the "
            "returned value in eager code"
        )
    test = _tensor_condition(ctx, state)
    if test is None:
        return None
    condition = _code(test, ctx)
    if ctx.frame.reason is not None and not ctx.frame.reason.autograph:
        return (
            f"{what} in graph code ({where}) is issued only if `{condition}`, a tensor: the "
            "`if` raises `OperatorNotAllowedInGraphError` (a symbolic tensor used as a Python "
            "bool) when traced; check the value with `tf.debugging.assert_*` or `tf.cond`, or "
            "warn in eager code"
        )
    return (
        f"{what} in graph code ({where}) is issued only if `{condition}`, a tensor: AutoGraph "
        "traces both branches, so it runs once per trace whatever the value, and never on "
        "later calls; use `tf.print` in the branch, or `tf.debugging.assert_*`"
    )


def _code(node: cst.CSTNode, ctx: FileContext) -> str:
    """A short, one-line rendering of an expression for a message."""
    text = " ".join(cst.Module([]).code_for_node(node).split())
    return text if len(text) <= 60 else text[:57] + "..."


class _ClassState:
    """Attributes of the enclosing class that hold per-call values: variables
    (`self.n = self.add_weight(...)`) and counters (`self.n += 1`)."""

    def __init__(self, variables: frozenset[str], counters: frozenset[str]) -> None:
        self.variables = variables
        self.counters = counters

    @classmethod
    def of(cls, ctx: FileContext) -> _ClassState:
        info = ctx.graph.classes.get(ctx.frame.class_name or "")
        if info is None:
            return cls(frozenset(), frozenset())
        variables: set[str] = set()
        counters: set[str] = set()
        for node in nodes(info.node):
            if isinstance(node, cst.Assign) and _creates_variable(node.value, ctx):
                variables.update(_attribute_names(t.target for t in node.targets))
            elif isinstance(node, cst.AugAssign):
                counters.update(_attribute_names([node.target]))
        return cls(frozenset(variables), frozenset(counters))


def _attribute_names(targets: Iterable[cst.BaseExpression]) -> list[str]:
    """`n` of every `<name>.n` target (the receiver is the method's own first parameter)."""
    return [
        target.attr.value
        for target in targets
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)
    ]


def _creates_variable(value: cst.BaseExpression, ctx: FileContext) -> bool:
    if not isinstance(value, cst.Call):
        return False
    if ctx.qualname(value.func) in VARIABLE_FACTORIES:
        return True
    return isinstance(value.func, cst.Attribute) and value.func.attr.value in WEIGHT_METHODS


def _per_call_value(
    node: cst.BaseExpression, ctx: FileContext, state: _ClassState
) -> cst.BaseExpression | None:
    """The part of a message argument that changes from call to call (a tensor, a variable,
    a counter), or None when it shows only trace-time facts (`x.shape`, `x.dtype`, names,
    constants)."""
    if ctx.is_tensor(node) or _is_state(node, ctx, state):
        return node
    parts: list[cst.BaseExpression] = []
    if isinstance(node, cst.BinaryOperation):  # `"x = %s" % x`, `"x = " + str(x)`
        parts = [node.left, node.right]
    elif isinstance(node, cst.Tuple | cst.List):
        parts = [element.value for element in node.elements]
    elif isinstance(node, cst.FormattedString):
        parts = [
            part.expression
            for part in node.parts
            if isinstance(part, cst.FormattedStringExpression)
        ]
    elif isinstance(node, cst.ConcatenatedString):
        parts = [node.left, node.right]
    elif isinstance(node, cst.Call):
        parts = _formatted_arguments(node, ctx)
    for part in parts:
        found = _per_call_value(part, ctx, state)
        if found is not None:
            return found
    return None


def _formatted_arguments(call: cst.Call, ctx: FileContext) -> list[cst.BaseExpression]:
    """What `str(v)`, `repr(v)`, `format(v)` and `"...".format(v)` put into the text."""
    qualname = ctx.qualname(call.func)
    is_format_method = (
        isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "format"
        and isinstance(call.func.value, cst.BaseString)
    )
    if is_format_method or qualname in ("builtins.str", "builtins.repr", "builtins.format"):
        return [arg.value for arg in call.args]
    return []


def _is_state(node: cst.BaseExpression, ctx: FileContext, state: _ClassState) -> bool:
    """A variable attribute, or a counter: a name or attribute augmented (`+=`) in the class
    or the function."""
    is_self_attribute = (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == ctx.self_name()
    )
    if is_self_attribute:
        assert isinstance(node, cst.Attribute)
        return node.attr.value in state.variables | state.counters
    return _is_counter(node, ctx, state)


def _holds_tensor(node: cst.BaseExpression, ctx: FileContext, state: _ClassState) -> bool:
    """A tensor value, or a variable attribute (`self.total = self.add_weight(...)`)."""
    return ctx.is_tensor(node) or (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == ctx.self_name()
        and node.attr.value in state.variables
    )


def _is_counter(node: cst.BaseExpression, ctx: FileContext, state: _ClassState) -> bool:
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        return node.value.value == ctx.self_name() and node.attr.value in state.counters
    if not isinstance(node, cst.Name) or ctx.function is None:
        return False
    return any(
        isinstance(statement, cst.AugAssign) and target_names(statement.target) == [node.value]
        for statement in nodes(ctx.function)
    )


def _tensor_condition(ctx: FileContext, state: _ClassState) -> cst.BaseExpression | None:
    """The test of an enclosing `if`/`while` (in the same function) on a tensor value."""
    inner: cst.CSTNode | None = None
    for ancestor in ctx.enclosing():
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            return None
        test = ancestor.test if isinstance(ancestor, cst.If | cst.While) else None
        if test is not None and inner is not test and _tensor_test(test, ctx, state):
            return test
        inner = ancestor
    return None


def _tensor_test(test: cst.BaseExpression, ctx: FileContext, state: _ClassState) -> bool:
    """A condition whose truth is a tensor's value (identity tests such as `x is None` and
    static facts such as `x.shape[0] > 1` are decided while tracing)."""
    if isinstance(test, cst.BooleanOperation):
        return _tensor_test(test.left, ctx, state) or _tensor_test(test.right, ctx, state)
    if isinstance(test, cst.UnaryOperation):
        return _tensor_test(test.expression, ctx, state)
    if isinstance(test, cst.Comparison):
        if any(isinstance(c.operator, cst.Is | cst.IsNot) for c in test.comparisons):
            return False
        operands = [test.left, *(c.comparator for c in test.comparisons)]
        return any(_holds_value(operand, ctx, state) for operand in operands)
    return _holds_value(test, ctx, state)


def _holds_value(node: cst.BaseExpression, ctx: FileContext, state: _ClassState) -> bool:
    if ctx.is_tensor(node) or _is_state(node, ctx, state):
        return True
    if isinstance(node, cst.BinaryOperation):
        return _holds_value(node.left, ctx, state) or _holds_value(node.right, ctx, state)
    if isinstance(node, cst.UnaryOperation):
        return _holds_value(node.expression, ctx, state)
    return False


def _is_constant_path(node: cst.BaseExpression, ctx: FileContext) -> bool:
    """A path that is a Python string at trace time: a literal, an f-string, `os.path.join` of
    such, or a name every assignment of which in the module is one (and no parameter)."""
    if isinstance(node, cst.BaseString):
        return True
    if isinstance(node, cst.Call):
        return ctx.qualname(node.func) in _PATH_BUILDERS
    if not isinstance(node, cst.Name) or node.value in ctx.tensor_names():
        return False
    function = ctx.function
    if function is not None and node.value in {
        param.name.value for param in (*function.params.params, *function.params.kwonly_params)
    }:
        return False
    values = [value for targets, value in ctx.graph.assignments if node.value in targets]
    return bool(values) and all(
        isinstance(value, cst.BaseString) or _is_call_of(value, tuple(_PATH_BUILDERS), ctx)
        for value in values
    )


def _is_target(node: cst.CSTNode, ctx: FileContext) -> bool:
    parent = ctx.parent()
    if isinstance(parent, cst.AssignTarget | cst.Del):
        return True
    return isinstance(parent, cst.AugAssign | cst.AnnAssign) and parent.target is node


class PythonRandomCheck(Check):
    codes = frozenset({"TF103"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if ctx.in_graph:
            name = _random_draw(node, ctx)
            if name is not None:
                ctx.report(
                    node,
                    "TF103",
                    f"`{name}()` in graph code ({ctx.where()}) draws one value at trace time and "
                    "every call reuses it; use `tf.random.Generator`, `tf.random.stateless_*` or "
                    "`keras.random` with a `SeedGenerator`",
                )


def _random_draw(node: cst.Call, ctx: FileContext) -> str | None:
    """The drawing function a call names (`random.random`, `rng.normal`), or None."""
    func = node.func
    qualname = ctx.qualname(func)
    if qualname is not None and qualname.startswith(_RANDOM_MODULES):
        return None if qualname.rpartition(".")[2] in _NOT_DRAWING else qualname
    if not isinstance(func, cst.Attribute) or func.attr.value in _NOT_DRAWING:
        return None
    receiver = func.value
    if isinstance(receiver, cst.Name) and _made_by(receiver.value, _RNG_FACTORIES, ctx):
        return f"{receiver.value}.{func.attr.value}"
    if _is_call_of(receiver, _RNG_FACTORIES, ctx):
        assert isinstance(receiver, cst.Call)
        return f"{ctx.qualname(receiver.func)}(...).{func.attr.value}"
    return None


class PythonClockCheck(Check):
    codes = frozenset({"TF104"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if not ctx.in_graph:
            return
        qualname = ctx.qualname(node.func)
        if qualname not in _CLOCKS:
            return
        fix = None
        spelled = _tensorflow_attribute(ctx, "timestamp")
        if qualname in _TIMESTAMP_FIXABLE and not node.args and spelled is not None:
            timestamp, needs_import = spelled
            fix = FixPlan(
                f"Replace `{qualname}()` with `tf.timestamp()` (returns a float64 tensor)",
                Applicability.UNSAFE,
                ((node, cst.Call(timestamp)),),
                needs_import,
            )
        ctx.report(
            node,
            "TF104",
            f"`{qualname}()` in graph code ({ctx.where()}) is read once at trace time and is "
            "a constant on every call; use `tf.timestamp()`",
            fix,
        )
