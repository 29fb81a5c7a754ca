"""TF101–TF104: Python side effects in graph code run once per trace, not once per call."""

from __future__ import annotations

import libcst as cst

from tflint.checks.base import Check, FileContext, FixPlan
from tflint.diagnostics import Applicability

_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "vlog"}
)
_IO_CALLS = {
    "builtins.open": "`open()`",
    "builtins.input": "`input()`",
    "os.getenv": "`os.getenv()`",
    "os.environ.get": "`os.environ.get()`",
    "os.system": "`os.system()`",
    "os.popen": "`os.popen()`",
    "sys.stdout.write": "`sys.stdout.write()`",
    "sys.stderr.write": "`sys.stderr.write()`",
    "warnings.warn": "`warnings.warn()`",
}
_LOGGER_FACTORIES = ("logging.getLogger", "tensorflow.get_logger", "absl.logging.get_absl_logger")
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
_RNG_FACTORIES = ("numpy.random.", "random.Random", "random.SystemRandom")


def _tensorflow_attribute(ctx: FileContext, attribute: str) -> tuple[cst.Attribute, bool]:
    alias, needs_import = ctx.tensorflow_alias()
    return cst.Attribute(cst.Name(alias), cst.Name(attribute)), needs_import


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
        what = self._describe(node, ctx)
        if what is not None:
            ctx.report(
                node,
                "TF102",
                f"{what} in graph code ({ctx.where()}) runs once per trace and its result is "
                "frozen into the graph; do the I/O outside and pass values in as arguments",
            )

    def _describe(self, node: cst.Call, ctx: FileContext) -> str | None:
        qualname = ctx.qualname(node.func)
        if qualname is not None:
            if qualname in _IO_CALLS:
                return _IO_CALLS[qualname]
            if qualname.startswith("subprocess."):
                return f"`{qualname}()`"
            module, _, method = qualname.rpartition(".")
            if module in ("logging", "absl.logging") and method in _LOG_METHODS:
                return f"`{qualname}()` logging"
            if qualname == "tensorflow.io.read_file" and _first_argument_is_string(node):
                return "`tf.io.read_file` of a constant path"
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _LOG_METHODS:
            receiver = func.value
            if isinstance(receiver, cst.Name) and receiver.value in ctx.graph.names_assigned_from(
                _LOGGER_FACTORIES
            ):
                return f"`{receiver.value}.{func.attr.value}()` logging"
            if isinstance(receiver, cst.Call) and ctx.qualname(receiver.func) in _LOGGER_FACTORIES:
                return "logger call"
        return None

    def visit_Subscript(self, node: cst.Subscript, ctx: FileContext) -> None:
        if ctx.in_graph and ctx.qualname(node.value) == "os.environ" and not _is_target(node, ctx):
            ctx.report(
                node,
                "TF102",
                f"reading `os.environ` in graph code ({ctx.where()}) happens once per trace and "
                "the value is frozen into the graph; pass the setting in as an argument",
            )


def _first_argument_is_string(node: cst.Call) -> bool:
    return bool(node.args) and isinstance(node.args[0].value, cst.SimpleString)


def _is_target(node: cst.CSTNode, ctx: FileContext) -> bool:
    parent = ctx.parent()
    if isinstance(parent, cst.AssignTarget | cst.Del):
        return True
    return isinstance(parent, cst.AugAssign | cst.AnnAssign) and parent.target is node


class PythonRandomCheck(Check):
    codes = frozenset({"TF103"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if not ctx.in_graph:
            return
        qualname = ctx.qualname(node.func)
        if qualname is not None and (
            qualname.startswith("numpy.random.") or qualname.startswith("random.")
        ):
            name = qualname
        elif (
            isinstance(node.func, cst.Attribute)
            and isinstance(node.func.value, cst.Name)
            and node.func.value.value in ctx.graph.names_assigned_from(_RNG_FACTORIES)
        ):
            name = f"{node.func.value.value}.{node.func.attr.value}"
        else:
            return
        ctx.report(
            node,
            "TF103",
            f"`{name}()` in graph code ({ctx.where()}) draws one value at trace time and every "
            "call reuses it; use `tf.random.Generator`, `tf.random.stateless_*` or "
            "`keras.random` with a `SeedGenerator`",
        )


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
