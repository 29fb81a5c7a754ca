"""TF405, TF406, TF409: Python error handling that tracing turns into something else.

`assert`, `raise` and `try`/`except` are Python statements: while TensorFlow traces a function
they run once, on symbolic tensors, and are not part of the graph that later runs on values.
"""

from __future__ import annotations

import libcst as cst

from tflint.checks.base import FLAG_PARAMETERS, Check, FileContext, _literal_default
from tflint.traverse import walk

# `tf.*` functions that answer a Python bool at trace time (base.is_tensor counts every other
# top-level `tf.*` call as a tensor).
_PYTHON_BOOL_TF = frozenset(
    {
        "tensorflow.is_tensor",
        "tensorflow.executing_eagerly",
        "tensorflow.inside_function",
        "tensorflow.is_symbolic_tensor",
    }
)
# Comparisons Python answers itself, never through a tensor's `__bool__`.
_IDENTITY_OPERATORS = (cst.Is, cst.IsNot, cst.In, cst.NotIn)
# AutoGraph converts `assert` into `tf.debugging.Assert` only with one of these options.
_ASSERT_CONVERTING_FEATURES = frozenset(
    f"{module}.autograph.experimental.Feature.{feature}"
    for module in ("tensorflow", "tensorflow.compat.v1")
    for feature in ("ASSERT_STATEMENTS", "ALL")
)
# What a handler must catch for run-time op errors to be what it means: TensorFlow's OpError
# family (raised only when the graph runs), or everything.
_BROAD = frozenset({"builtins.Exception", "builtins.BaseException"})
_TF_ERRORS = (
    "tensorflow.errors.",
    "tensorflow.compat.v1.errors.",
    "tensorflow.python.framework.errors",
)
_OP_NAMESPACES = ("tensorflow.debugging.", "tensorflow.io.", "tensorflow.audio.")
_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def is_tensor_condition(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """Whether testing this expression (`assert`, `if`) makes Python call `bool()` on a tensor:
    a tensor value, a comparison with one (`x > 0`, `tf.shape(x)[0] == 3`), or `and`/`or`/`not`
    of those. Identity and membership tests (`x is None`) and static shapes are Python values."""
    if isinstance(node, cst.BooleanOperation):
        return is_tensor_condition(ctx, node.left) or is_tensor_condition(ctx, node.right)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        return is_tensor_condition(ctx, node.expression)
    if isinstance(node, cst.Comparison):
        if any(isinstance(c.operator, _IDENTITY_OPERATORS) for c in node.comparisons):
            return False
        operands = [node.left, *(c.comparator for c in node.comparisons)]
        if any(isinstance(o, cst.Name) and o.value == "None" for o in operands):
            return False  # `t == None` is False for a tensor, not an error
        return any(_tensor_value(ctx, operand) for operand in operands)
    if isinstance(node, cst.Call) and ctx.qualname(node.func) in _PYTHON_BOOL_TF:
        return False
    return _tensor_value(ctx, node)


def _tensor_value(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """`ctx.is_tensor`, except that a parameter Python passes a plain value (a flag name, a
    literal default: `gamma=2.0`) stays that value even where the function later rebinds it
    to a tensor (`gamma = tf.cast(gamma, x.dtype)` after the check)."""
    if isinstance(node, cst.Name):
        return not _python_parameter(ctx, node.value) and ctx.is_tensor(node)
    if isinstance(node, cst.BinaryOperation):
        return _tensor_value(ctx, node.left) or _tensor_value(ctx, node.right)
    if isinstance(node, cst.UnaryOperation):
        return _tensor_value(ctx, node.expression)
    return ctx.is_tensor(node)


def _python_parameter(ctx: FileContext, name: str) -> bool:
    function = ctx.function
    if function is None:
        return False
    params = function.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.name.value == name:
            return name in FLAG_PARAMETERS or _literal_default(param)
    return False


def _converts_asserts(ctx: FileContext) -> bool:
    """Whether the enclosing tf.function asks AutoGraph to turn `assert` into `tf.Assert`
    (`experimental_autograph_options=tf.autograph.experimental.Feature.ASSERT_STATEMENTS`)."""
    function = ctx.function
    found = ctx.graph.tf_function_decorator(function) if function is not None else None
    value = found.options.get("experimental_autograph_options") if found else None
    if value is None:
        return False
    elements = (
        [e.value for e in value.elements] if isinstance(value, cst.Tuple | cst.List) else [value]
    )
    return any(ctx.qualname(e) in _ASSERT_CONVERTING_FEATURES for e in elements)


class AssertOnTensorCheck(Check):
    codes = frozenset({"TF405"})

    def visit_Assert(self, node: cst.Assert, ctx: FileContext) -> None:
        if not ctx.in_graph or not is_tensor_condition(ctx, node.test):
            return
        if _converts_asserts(ctx):
            return
        ctx.report(
            node,
            "TF405",
            f"`assert` on a tensor in graph code ({ctx.where()}) raises "
            "`OperatorNotAllowedInGraphError` (a symbolic tensor used as a Python bool) while "
            "tracing, for every input; check values with `tf.debugging.assert_*` "
            "(`tf.debugging.assert_greater(x, 0.0)`)",
        )


def _innermost_if(ctx: FileContext) -> cst.If | None:
    """The `if` (or `elif`) whose branch holds the current node, within its function."""
    for ancestor in ctx.enclosing():
        if isinstance(ancestor, cst.If):
            return ancestor
        if isinstance(ancestor, _SCOPES):
            return None
    return None


class RaiseInTensorBranchCheck(Check):
    """Only where AutoGraph converts the `if`: without it (Keras-traced methods,
    `autograph=False`) the `if` on a tensor fails first, which is TF501's finding."""

    codes = frozenset({"TF409"})

    def visit_Raise(self, node: cst.Raise, ctx: FileContext) -> None:
        reason = ctx.frame.reason
        if reason is None or not reason.autograph:
            return
        branch = _innermost_if(ctx)
        if branch is None or not is_tensor_condition(ctx, branch.test):
            return
        ctx.report(
            node,
            "TF409",
            f"`raise` under an `if` on a tensor in graph code ({ctx.where()}) raises while "
            "tracing, for every input: AutoGraph turns the `if` into `tf.cond`, which traces "
            "both branches; check values with `tf.debugging.assert_*` (or `tf.debugging.Assert`) "
            "instead of raising",
        )


class _OpCallFinder(cst.CSTVisitor):
    """The first call in a `try` body that runs a TensorFlow op (not in nested functions)."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.found: cst.Call | None = None

    def visit_Call(self, node: cst.Call) -> bool:
        if self.found is None and _runs_op(node, self.ctx):
            self.found = node
        return self.found is None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def _runs_op(call: cst.Call, ctx: FileContext) -> bool:
    """A call that adds an op to the graph: a tensor-returning `tf.*` / `keras.ops.*` call
    (`ctx.is_tensor`), a sub-layer or helper fed tensors, or an op of `tf.debugging` /
    `tf.io` (`check_numerics`, `read_file`). Not `tf.io.gfile.*`: plain Python file access,
    whose errors (`NotFoundError`) happen while tracing and are caught."""
    qualname = ctx.qualname(call.func) or ""
    if qualname in _PYTHON_BOOL_TF or qualname.startswith("tensorflow.io.gfile."):
        return False
    return qualname.startswith(_OP_NAMESPACES) or ctx.is_tensor(call)


def _caught_names(handler: cst.ExceptHandler) -> list[cst.BaseExpression]:
    kind = handler.type
    if kind is None:
        return []
    if isinstance(kind, cst.Tuple):
        return [element.value for element in kind.elements]
    return [kind]


def _catches_op_errors(handler: cst.ExceptHandler, ctx: FileContext) -> bool:
    """A bare `except:`, `Exception`/`BaseException`, or a `tf.errors.*` class."""
    if handler.type is None:
        return True
    for name in _caught_names(handler):
        qualname = ctx.qualname(name)
        if qualname is not None and (qualname in _BROAD or qualname.startswith(_TF_ERRORS)):
            return True
    return False


def _reraises(handler: cst.ExceptHandler) -> bool:
    """A handler that ends in `raise` adds context or cleans up; it does not recover, so an
    error that skips it still ends the call, as the author meant."""
    body = handler.body
    statements = body.body if isinstance(body, cst.IndentedBlock) else ()
    last = statements[-1] if statements else None
    return isinstance(last, cst.SimpleStatementLine) and any(
        isinstance(small, cst.Raise) for small in last.body
    )


class TryExceptInGraphCheck(Check):
    codes = frozenset({"TF406"})

    def visit_Try(self, node: cst.Try, ctx: FileContext) -> None:
        if not ctx.in_graph:
            return
        handlers = [h for h in node.handlers if _catches_op_errors(h, ctx) and not _reraises(h)]
        if not handlers:
            return
        finder = _OpCallFinder(ctx)
        walk(node.body, finder)
        if finder.found is None:
            return
        op = _code(finder.found.func)
        for handler in handlers:
            caught = f"except {_code(handler.type)}" if handler.type else "except:"
            ctx.report(
                handler.type or handler,
                "TF406",
                f"`{caught}` around `{op}(...)` in graph code ({ctx.where()}) catches only "
                "errors raised while tracing: an error the op raises when the graph runs "
                "escapes it and ends the call; check values with TF ops "
                "(`tf.debugging.*`, `tf.cond`, `tf.where`) or catch around the call, outside "
                "graph code",
            )


def _code(node: cst.CSTNode | None) -> str:
    return cst.Module([]).code_for_node(node) if node is not None else ""
