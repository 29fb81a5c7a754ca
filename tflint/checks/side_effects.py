"""TF101-TF104: Python side effects in graph code run once per trace, not once per call."""

from __future__ import annotations

import libcst as cst

from tflint.checks.base import Check, FileContext, FixPlan, collect_assignments
from tflint.diagnostics import Applicability

_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "vlog"}
)
_LOG_MODULES = frozenset({"logging", "absl.logging", "tensorflow.compat.v1.logging"})
_LOGGER_FACTORIES = ("logging.getLogger", "tensorflow.get_logger", "absl.logging.get_absl_logger")
# Calls whose effect (a log line, a file written, a process run) happens once per trace.
_OUTPUT_CALLS = {
    "builtins.open": "`open()`",
    "os.system": "`os.system()`",
    "os.popen": "`os.popen()`",
    "sys.stdout.write": "`sys.stdout.write()`",
    "sys.stderr.write": "`sys.stderr.write()`",
    "warnings.warn": "`warnings.warn()`",
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


def _tensorflow_attribute(ctx: FileContext, attribute: str) -> tuple[cst.Attribute, bool]:
    alias, needs_import = ctx.tensorflow_alias()
    return cst.Attribute(cst.Name(alias), cst.Name(attribute)), needs_import


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
        fix = None
        # tf.print takes sep= and end= like print; file= and flush= have no equivalent.
        if all(arg.keyword is None or arg.keyword.value in ("sep", "end") for arg in node.args):
            tf_print, needs_import = _tensorflow_attribute(ctx, "print")
            fix = FixPlan(
                "Replace `print` with `tf.print`",
                Applicability.SAFE,
                ((node.func, tf_print),),
                needs_import,
            )
        ctx.report(
            node,
            "TF101",
            f"`print` in graph code ({ctx.where()}) runs once per trace, not on every call, "
            "and shows symbolic tensors; use `tf.print`",
            fix,
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
        else:
            what = _output_call(node, qualname, ctx)
            if what is not None:
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


def _output_call(node: cst.Call, qualname: str | None, ctx: FileContext) -> str | None:
    """How to name a call that writes, logs or runs something, or None for any other call."""
    if qualname is not None:
        if qualname in _OUTPUT_CALLS:
            return _OUTPUT_CALLS[qualname]
        if qualname.startswith("subprocess."):
            return f"`{qualname}()`"
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
        if qualname in _TIMESTAMP_FIXABLE and not node.args:
            timestamp, needs_import = _tensorflow_attribute(ctx, "timestamp")
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
