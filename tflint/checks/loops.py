"""TF403, TF404, TF503: Python loops in graph code, and what AutoGraph does with them.

A `for` over a Python `range` runs while TensorFlow traces: every iteration adds its ops to
the graph again (TF403), and a `break`/`return` that depends on a tensor cannot be decided at
trace time (TF503). A `for` over `tf.range`, a tensor or a dataset is what AutoGraph turns into a
`tf.while_loop`: its body is traced once, so Python lists filled in it get one symbolic tensor
that the rest of the function cannot use (TF404).
"""

from __future__ import annotations

import libcst as cst

from tflint.checks.base import Check, FileContext, FixPlan, collect_assignments
from tflint.checks.state import LocalNames
from tflint.diagnostics import Applicability
from tflint.names import target_names
from tflint.traverse import nodes, walk

# A literal range at least this long is worth a finding: a few dozen unrolled iterations are
# a deliberate, cheap choice (the corpus's `range(3)` over heads or scales).
UNROLL_THRESHOLD = 100
_LOOPS = (cst.For, cst.While)
_FUNCTIONS = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def _range_call(iterable: cst.BaseExpression, ctx: FileContext) -> cst.Call | None:
    """The builtin `range(...)` call a `for` iterates over, when it is one."""
    if (
        isinstance(iterable, cst.Call)
        and ctx.qualname(iterable.func) == "builtins.range"
        and iterable.args
        and not any(arg.star or arg.keyword for arg in iterable.args)
    ):
        return iterable
    return None


def _int_literal(node: cst.BaseExpression) -> int | None:
    negative = isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus)
    if negative:
        assert isinstance(node, cst.UnaryOperation)
        node = node.expression
    if isinstance(node, cst.Integer):
        value = int(node.value.replace("_", ""), 0)
        return -value if negative else value
    return None


def _literal_length(call: cst.Call) -> int | None:
    """How many times `range(<int literals>)` iterates; None when an argument is not one."""
    bounds = [_int_literal(arg.value) for arg in call.args]
    if any(bound is None or len(bounds) > 3 for bound in bounds):
        return None
    values = [bound for bound in bounds if bound is not None]
    if len(values) == 1:
        return len(range(values[0]))
    if len(values) == 2 or values[2] == 0:
        return len(range(values[0], values[1]))
    return len(range(values[0], values[1], values[2]))


def _parameter(name: str, ctx: FileContext) -> cst.Param | None:
    function = ctx.function
    if not isinstance(function, cst.FunctionDef | cst.Lambda):
        return None
    params = function.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.name.value == name:
            return param
    return None


def _python_int_parameter(node: cst.BaseExpression, ctx: FileContext) -> str | None:
    """`n` when it is a parameter that evidently holds a Python int: annotated `int`, or with
    an int literal default of at least UNROLL_THRESHOLD (a small default is a small loop)."""
    if not isinstance(node, cst.Name):
        return None
    param, function = _parameter(node.value, ctx), ctx.function
    if param is None or function is None or node.value in LocalNames.of(function).bound:
        return None  # rebound in the body: no longer what the caller passed
    annotation = param.annotation.annotation if param.annotation is not None else None
    if isinstance(annotation, cst.Name) and annotation.value == "int":
        return f"the `int` parameter `{node.value}`"
    default = _int_literal(param.default) if param.default is not None else None
    if default is not None and default >= UNROLL_THRESHOLD:
        return f"the parameter `{node.value}` (default {default})"
    return None


def _builds_ops(body: cst.CSTNode, ctx: FileContext) -> bool:
    """Whether a loop body evidently makes TensorFlow ops (a `tf.*` call, tensor arithmetic,
    a sub-layer call): a loop of plain Python work adds nothing to the graph."""
    return any(
        isinstance(node, cst.Call | cst.BinaryOperation) and ctx.is_tensor(node)
        for node in nodes(body)
    )


def _autograph(ctx: FileContext) -> bool:
    reason = ctx.frame.reason
    return reason is not None and reason.autograph


class UnrolledLoopCheck(Check):
    """TF403: `for i in range(1000)` in graph code adds the body's ops a thousand times."""

    codes = frozenset({"TF403"})

    def visit_For(self, node: cst.For, ctx: FileContext) -> None:
        call = _range_call(node.iter, ctx) if ctx.in_graph else None
        if call is None or node.asynchronous is not None:
            return
        what = self._long_range(call, ctx)
        if what is None:
            return
        if not _builds_ops(node.body, ctx):
            return
        ctx.report(
            call,
            "TF403",
            f"a Python `for` over {what} in graph code ({ctx.where()}) is unrolled while "
            "tracing: every iteration adds the body's ops to the graph again (1,000 iterations "
            "of `x = x * 0.5 + 1.0` make 4,002 ops and over a second of tracing on TF 2.21); "
            + (
                "loop with `tf.range` so that AutoGraph builds one `tf.while_loop`"
                if _autograph(ctx)
                else "AutoGraph is off here, so write the loop as `keras.ops.fori_loop` or "
                "`tf.while_loop`"
            ),
            self._fix(call, ctx),
        )

    @staticmethod
    def _long_range(call: cst.Call, ctx: FileContext) -> str | None:
        """How the finding names a range that is long: a literal one of UNROLL_THRESHOLD or
        more, or one bounded by a Python-int parameter (other arguments literal)."""
        length = _literal_length(call)
        if length is not None:
            if length < UNROLL_THRESHOLD:
                return None
            return f"`range({length})`" if len(call.args) == 1 else f"a range of {length}"
        stop = call.args[0 if len(call.args) == 1 else 1].value
        if any(_int_literal(arg.value) is None for arg in call.args if arg.value is not stop):
            return None
        return _python_int_parameter(stop, ctx)

    @staticmethod
    def _fix(call: cst.Call, ctx: FileContext) -> FixPlan | None:
        """`range` → `tf.range`: unsafe (the loop variable becomes a tensor, Python side effects
        in the body run once, appends and early exits change meaning); only where AutoGraph
        converts the loop (not Keras-traced methods or `autograph=False`)."""
        found = ctx.tensorflow_alias("range") if _autograph(ctx) else None
        if found is None:
            return None
        alias, needs_import = found
        replacement = cst.Attribute(cst.Name(alias), cst.Name("range"))
        return FixPlan(
            "Replace `range` with `tf.range`",
            Applicability.UNSAFE,
            ((call.func, replacement),),
            needs_import,
        )


def _loop_and_path(ctx: FileContext) -> list[cst.CSTNode]:
    """The ancestors of the current node inside its innermost function, outermost first."""
    path: list[cst.CSTNode] = []
    for ancestor in ctx.enclosing():
        if isinstance(ancestor, _FUNCTIONS):
            break
        path.append(ancestor)
    return path[::-1]


def _tensor_iteration(iterable: cst.BaseExpression, ctx: FileContext) -> str | None:
    """What a `for` iterates over when AutoGraph makes it a `tf.while_loop`: `tf.range(...)`,
    `range(<tensor>)`, a dataset, or a tensor computed in the function. A bare parameter is
    left out: a tf.function is as often handed a Python list of tensors as a tensor."""
    if isinstance(iterable, cst.Call):
        qualname = ctx.qualname(iterable.func)
        if qualname == "tensorflow.range":
            return "`tf.range`"
        if qualname == "builtins.range":
            return (
                "`range` of a tensor"
                if any(_computed_tensor(a.value, ctx) for a in iterable.args)
                else None
            )
    function = ctx.function
    if ctx.graph.is_dataset(iterable, function):
        return "a dataset"
    return "a tensor" if _computed_tensor(iterable, ctx) else None


# TensorFlow functions that return a Python list or tuple of tensors: a loop over their result
# is a Python loop, which AutoGraph leaves alone.
_SEQUENCE_RETURNING = frozenset(
    f"tensorflow.{name}"
    for name in (
        "unstack", "split", "meshgrid", "dynamic_partition", "unique", "unique_with_counts",
        "shape_n", "gradients", "identity_n", "nest.flatten", "nest.map_structure",
    )
)  # fmt: skip


def _computed_tensor(node: cst.BaseExpression, ctx: FileContext) -> bool:
    """A tensor value other than a bare parameter of the function (or a Python list of
    tensors: `tf.unstack(x)`, and names bound to one)."""
    if isinstance(node, cst.Name):
        if _parameter(node.value, ctx) is not None:
            return False
        function = ctx.function
        values = collect_assignments(function) if function is not None else []
        if any(node.value in targets and _sequence_call(v, ctx) for targets, v in values):
            return False
    return not _sequence_call(node, ctx) and ctx.is_tensor(node)


def _sequence_call(node: cst.BaseExpression, ctx: FileContext) -> bool:
    return isinstance(node, cst.Call) and ctx.qualname(node.func) in _SEQUENCE_RETURNING


def _local_lists(function: cst.FunctionDef | cst.Lambda) -> set[str]:
    """Names the function binds to a new Python list (`[]`, `[None] * n`, `list()`, a list
    comprehension), even if it rebinds them later (`out = tf.stack(out)` after the loop)."""
    declared = LocalNames.of(function).declared_outer
    return {
        name
        for targets, value in collect_assignments(function)
        if _new_list(value)
        for name in targets
        if name not in declared
    }


def _new_list(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.List | cst.ListComp):
        return True
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Multiply):
        return _new_list(value.left) or _new_list(value.right)
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "list"
    )


def _binds(node: cst.CSTNode, name: str) -> bool:
    """Whether `name` is bound anywhere inside `node` (a fresh list per iteration is fine)."""
    collector = LocalNames()
    walk(node, collector)
    return name in collector.bound


class ListInTensorLoopCheck(Check):
    """TF404: a Python list filled inside a loop that AutoGraph runs as a `tf.while_loop`.

    Only lists the function itself creates: an argument or outer list mutated in graph code is
    TF105's finding (one cause, one report)."""

    codes = frozenset({"TF404"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        func = node.func
        if not (
            isinstance(func, cst.Attribute)
            and func.attr.value == "append"
            and isinstance(func.value, cst.Name)
            and len(node.args) == 1
        ):
            return
        name = func.value.value
        loop = self._tensor_loop(name, ctx)
        if loop is None:
            return
        _, what = loop
        ctx.report(
            node,
            "TF404",
            f"`{name}.append(...)` in a loop over {what} ({ctx.where()}): AutoGraph runs the "
            "loop as a `tf.while_loop` and traces its body once, so the list gets one item, "
            "not one per iteration, and a tensor of the loop body used after the loop raises "
            "`InaccessibleTensorError: ... is out of scope and cannot be used here`; "
            "collect values in a `tf.TensorArray` (`ta = ta.write(i, v)`, `ta.stack()` after "
            "the loop)",
        )

    def visit_Subscript(self, node: cst.Subscript, ctx: FileContext) -> None:
        parent = ctx.parent()
        is_store = isinstance(parent, cst.AssignTarget) or (
            isinstance(parent, cst.AugAssign) and parent.target is node
        )
        if not (is_store and isinstance(node.value, cst.Name)):
            return
        name = node.value.value
        loop = self._tensor_loop(name, ctx)
        if loop is None:
            return
        for_node, what = loop
        loop_names = set(target_names(for_node.target))
        index = node.slice
        if not any(
            isinstance(element.slice, cst.Index)
            and (
                _computed_tensor(element.slice.value, ctx)
                or any(
                    isinstance(n, cst.Name) and n.value in loop_names
                    for n in nodes(element.slice.value)
                )
            )
            for element in index
        ):
            return  # `out[0] = v`: AutoGraph carries the list as a loop variable; that works
        ctx.report(
            node,
            "TF404",
            f"item assignment `{name}[...] = ...` with an index from a loop over {what} "
            f"({ctx.where()}): AutoGraph runs the loop as a `tf.while_loop`, where the index "
            "is a symbolic tensor, and a Python list raises `TypeError: list indices must be "
            "integers or slices, not SymbolicTensor`; write into a `tf.TensorArray` "
            "(`ta = ta.write(i, v)`) or build the result with `tf.tensor_scatter_nd_update`",
        )

    @staticmethod
    def _tensor_loop(name: str, ctx: FileContext) -> tuple[cst.For, str] | None:
        """The outermost `for` around the current node that AutoGraph turns into a while loop,
        when `name` is a list the function creates outside it."""
        function = ctx.function
        if not (ctx.in_graph and _autograph(ctx)) or function is None:
            return None
        if name not in _local_lists(function):
            return None
        for ancestor in _loop_and_path(ctx):
            if isinstance(ancestor, cst.For) and ancestor.asynchronous is None:
                what = _tensor_iteration(ancestor.iter, ctx)
                if what is not None and not _binds(ancestor.body, name):
                    return ancestor, what
        return None


def _tensor_test(test: cst.BaseExpression, ctx: FileContext) -> bool:
    """Whether an `if` test depends on a tensor value (`x < 0`, `tf.reduce_any(m)`, `not t`);
    identity and membership tests (`y is None`, `k in d`) are Python decisions."""
    if isinstance(test, cst.Comparison):
        if any(
            isinstance(c.operator, cst.Is | cst.IsNot | cst.In | cst.NotIn)
            for c in test.comparisons
        ):
            return False
        return ctx.is_tensor(test.left) or any(
            ctx.is_tensor(c.comparator) for c in test.comparisons
        )
    if isinstance(test, cst.BooleanOperation):
        return _tensor_test(test.left, ctx) or _tensor_test(test.right, ctx)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _tensor_test(test.expression, ctx)
    return ctx.is_tensor(test)


def _python_iteration(iterable: cst.BaseExpression, ctx: FileContext) -> bool:
    """`range(<Python ints>)` or a literal list/tuple: a loop AutoGraph leaves to Python."""
    call = _range_call(iterable, ctx)
    if call is not None:
        return not any(ctx.is_tensor(arg.value) for arg in call.args)
    return isinstance(iterable, cst.List | cst.Tuple) and not any(
        ctx.is_tensor(element.value) for element in iterable.elements
    )


class TensorBreakCheck(Check):
    """TF503: `break`/`return` under a tensor condition inside a Python `for ... in range`."""

    codes = frozenset({"TF503"})

    def visit_Break(self, node: cst.Break, ctx: FileContext) -> None:
        self._check(node, "break", ctx)

    def visit_Return(self, node: cst.Return, ctx: FileContext) -> None:
        self._check(node, "return", ctx)

    @staticmethod
    def _check(node: cst.Break | cst.Return, keyword: str, ctx: FileContext) -> None:
        if not (ctx.in_graph and _autograph(ctx)):
            return
        path = _loop_and_path(ctx)
        loops = [i for i, ancestor in enumerate(path) if isinstance(ancestor, _LOOPS)]
        if not loops:
            return
        loop = path[loops[-1]]
        if not isinstance(loop, cst.For) or not _python_iteration(loop.iter, ctx):
            return
        tests = [
            ancestor
            for ancestor, child in zip(
                path[loops[-1] + 1 :], [*path[loops[-1] + 2 :], node], strict=True
            )
            if isinstance(ancestor, cst.If) and child is not ancestor.test
        ]
        deciding = [test for test in tests if _tensor_test(test.test, ctx)]
        if not deciding:
            return
        if keyword == "return" and not _returns_in_both(deciding[-1]):
            error = "`ValueError: the else branch must also have a return statement`"
        else:
            error = (
                "`NotImplementedError: break and return statements which depend on a TF "
                "condition are not supported in Python for loops`"
            )
        ctx.report(
            node,
            "TF503",
            f"`{keyword}` under a tensor condition inside a Python `for` loop ({ctx.where()}): "
            "AutoGraph converts the `if` to `tf.cond` but leaves the loop to Python, which "
            f"cannot stop on a value known only at run time, and tracing raises {error}; "
            + (
                "loop with `tf.range` (a `tf.while_loop` can stop on a tensor)"
                if keyword == "break"
                else "set a flag and `break` out of a `tf.range` loop (a `return` inside one "
                "is not supported either), then pick the result with `tf.where`"
            ),
        )


def _returns_in_both(test: cst.If) -> bool:
    """Whether both branches of an `if` end in a `return` (then AutoGraph's error is the
    loop's NotImplementedError, not the missing-else ValueError)."""
    orelse = test.orelse
    if not isinstance(orelse, cst.Else):
        return False
    return all(
        isinstance(block, cst.IndentedBlock)
        and block.body
        and isinstance(block.body[-1], cst.SimpleStatementLine)
        and isinstance(block.body[-1].body[-1], cst.Return)
        for block in (test.body, orelse.body)
    )
