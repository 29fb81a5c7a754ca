"""TF408: a TensorArray update whose result is thrown away.

Eagerly, `TensorArray.write/unstack/scatter/split` change the array in place (and return it);
in a graph they return a new TensorArray carrying the new flow, and the one called on is left
as it was. Code written and tried eagerly therefore works, and its graph silently keeps none
of the writes.
"""

from __future__ import annotations

import libcst as cst

from tflint.checks.base import Check, FileContext, collect_assignments
from tflint.graph import FunctionNode

_FACTORIES = frozenset({"tensorflow.TensorArray", "tensorflow.compat.v1.TensorArray"})
# The methods that return the updated TensorArray.
UPDATES = frozenset({"write", "unstack", "scatter", "split"})


class DiscardedTensorArrayCheck(Check):
    codes = frozenset({"TF408"})

    def __init__(self) -> None:
        self._arrays: dict[FunctionNode, frozenset[str]] = {}

    def visit_Module(self, node: cst.Module, ctx: FileContext) -> None:
        self._arrays = {}  # one instance serves every file (engine._checks_for)

    def visit_Expr(self, node: cst.Expr, ctx: FileContext) -> None:
        call = node.value
        if not (
            ctx.in_graph
            and isinstance(call, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and call.func.attr.value in UPDATES
            and isinstance(call.func.value, cst.Name)
        ):
            return
        name, method = call.func.value.value, call.func.attr.value
        if name not in self._tensor_arrays(ctx):
            return
        ctx.report(
            call,
            "TF408",
            f"`{name}.{method}(...)` in graph code ({ctx.where()}) returns a new TensorArray, "
            f"which is thrown away: `{name}` keeps none of it (its `stack()` is empty, or "
            f"zeros at a fixed size); assign the result back: `{name} = {name}.{method}(...)`",
        )

    def _tensor_arrays(self, ctx: FileContext) -> frozenset[str]:
        """Names the enclosing function binds to a `tf.TensorArray(...)`, or to an update
        of one (`ta = ta.write(i, v)`)."""
        function = ctx.function
        if function is None:
            return frozenset()
        if function not in self._arrays:
            assignments = collect_assignments(function)
            names: set[str] = set()
            for _ in range(2):  # `b = a.write(...)` may come before `a = tf.TensorArray(...)`
                for targets, value in assignments:
                    if _makes_tensor_array(value, names, ctx):
                        names.update(targets)
            self._arrays[function] = frozenset(names)
        return self._arrays[function]


def _makes_tensor_array(value: cst.BaseExpression, known: set[str], ctx: FileContext) -> bool:
    if not isinstance(value, cst.Call):
        return False
    if ctx.qualname(value.func) in _FACTORIES:
        return True
    func = value.func
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value in UPDATES
        and isinstance(func.value, cst.Name)
        and func.value.value in known
    )
