"""TF501, TF502: Python control flow on tensor values, and where AutoGraph does (not) convert it.

A plain `tf.function` runs its code through AutoGraph, which turns `if <tensor>:` into
`tf.cond`, `while <tensor>:` into `tf.while_loop` and `for i in tf.range(n)` into a graph loop.
Keras 3 never does (TensorFlow's AutoGraph leaves the `keras` package alone, and Keras 3 calls
`call`/`train_step` from its own code, so they are never converted, not even when a user
`tf.function` calls the layer); nor does a `tf.function(autograph=False)`. There the same
statements ask a symbolic tensor for a Python bool (TF501). Where AutoGraph does convert an
`if`, `tf.cond` needs every name the branches set and the code reads afterwards from both
branches (TF502). Observed on TensorFlow 2.21 / Keras 3.15.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from tflint.checks.base import Check, FileContext, collect_assignments
from tflint.graph import FunctionNode
from tflint.names import target_names
from tflint.traverse import walk

# Comparison operators whose result is a Python bool whatever the operands.
_PYTHON_COMPARISONS = (cst.Is, cst.IsNot, cst.In, cst.NotIn)
# TensorFlow / Keras calls that answer a Python value: a bool about their argument, or its
# static rank / shape (Keras 3's `ops.ndim` is `x.shape.rank`, `ops.shape` a tuple).
_PYTHON_VALUED = frozenset(
    {
        "tensorflow.is_tensor", "keras.ops.is_tensor", "tensorflow.executing_eagerly",
        "keras.ops.ndim", "keras.ops.shape", "tensorflow.get_static_value",
    }
)  # fmt: skip
_BOOL_ERROR = "Using a symbolic tf.Tensor as a Python bool is not allowed"
_ITERATION_ERROR = "Iterating over a symbolic tf.Tensor is not allowed"
# Modules that make `call` Keras 2 code, which Keras 2 itself converts with AutoGraph.
_KERAS2_MODULES = ("tf_keras", "tensorflow.python.keras")
_LEGACY_SWITCH = "TF_USE_LEGACY_KERAS"


def tensor_condition(test: cst.BaseExpression, ctx: FileContext) -> bool:
    """Whether `bool(test)` evidently asks a tensor for its truth: a comparison with a tensor
    operand, a TensorFlow op's result, `not`/`and`/`or` led by one. A bare parameter is not
    evidence (it may be a Python flag or a list of tensors), nor `is`/`in` tests."""
    if isinstance(test, cst.Comparison):
        if any(isinstance(c.operator, _PYTHON_COMPARISONS) for c in test.comparisons):
            return False
        operands = [test.left, *(c.comparator for c in test.comparisons)]
        if any(isinstance(o, cst.BaseString) or _is_none(o) for o in operands):
            return False
        return any(_evident_tensor(o, ctx) for o in operands)
    if isinstance(test, cst.BooleanOperation):
        return tensor_condition(test.left, ctx)  # the left operand is always tested
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return tensor_condition(test.expression, ctx)
    return _evident_tensor(test, ctx)


def _evident_tensor(
    node: cst.BaseExpression, ctx: FileContext, seen: frozenset[str] = frozenset()
) -> bool:
    """A TensorFlow / `keras.ops` op's result, a part of one, arithmetic on one, or a local
    name every assignment of which is one. Parameters, local helpers' results and attributes
    are no evidence (a helper may return a Python bool, `x.shape` is static)."""
    if isinstance(node, cst.Call):
        qualname = ctx.qualname(node.func) or ""
        return (
            qualname.startswith(("tensorflow.", "keras.ops."))
            and qualname not in _PYTHON_VALUED
            and ctx.is_tensor(node)
        )
    if isinstance(node, cst.Subscript):
        return _evident_tensor(node.value, ctx, seen)
    if isinstance(node, cst.BinaryOperation):
        return _evident_tensor(node.left, ctx, seen) or _evident_tensor(node.right, ctx, seen)
    if isinstance(node, cst.UnaryOperation):
        return _evident_tensor(node.expression, ctx, seen)
    if isinstance(node, cst.Name) and node.value not in seen:
        return _tensor_name(node.value, ctx, seen | {node.value})
    return False


def _tensor_name(name: str, ctx: FileContext, seen: frozenset[str]) -> bool:
    """Whether a local name holds a tensor: some assignment gives it an op's result and every
    other one a number or that (`total = total + 1` keeps what it had)."""
    function = ctx.function
    if function is None or name in _parameters(function):
        return False
    values = [v for targets, v in collect_assignments(function) if name in targets]
    values = [v for v in values if not _reads(v, name)]
    tensors = [v for v in values if _evident_tensor(v, ctx, seen)]
    return bool(tensors) and all(
        any(v is t for t in tensors) or isinstance(v, cst.BaseNumber) for v in values
    )


def _reads(value: cst.BaseExpression, name: str) -> bool:
    reads = _Reads(name)
    walk(value, reads)
    return reads.found


def _parameters(function: FunctionNode | None) -> set[str]:
    if function is None:
        return set()
    params = function.params
    return {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


class ControlFlowWithoutAutographCheck(Check):
    """TF501: `if`/`while`/conditional expressions on a tensor value, and `for` over
    `tf.range`, in graph code that AutoGraph does not convert."""

    codes = frozenset({"TF501"})

    def __init__(self) -> None:
        self._module: cst.Module | None = None
        self._keras2 = False

    def visit_If(self, node: cst.If, ctx: FileContext) -> None:
        self._condition(node, node.test, "`if`", ctx)

    def visit_IfExp(self, node: cst.IfExp, ctx: FileContext) -> None:
        self._condition(node, node.test, "a conditional expression", ctx)

    def visit_While(self, node: cst.While, ctx: FileContext) -> None:
        self._condition(node, node.test, "`while`", ctx)

    def visit_For(self, node: cst.For, ctx: FileContext) -> None:
        iterable = node.iter
        if (
            isinstance(iterable, cst.Call)
            and _is_tf_range(iterable, ctx)
            and self._unconverted(ctx)
        ):
            ctx.report(
                node,
                "TF501",
                f"`for` over `tf.range` {self._happens(ctx, _ITERATION_ERROR)}; loop with "
                "`tf.while_loop` / `keras.ops.fori_loop`, or over a Python `range` when the "
                "count is a Python int",
            )

    def _condition(
        self, node: cst.CSTNode, test: cst.BaseExpression, what: str, ctx: FileContext
    ) -> None:
        if not (self._unconverted(ctx) and tensor_condition(test, ctx)):
            return
        advice = (
            "use `tf.while_loop` / `keras.ops.while_loop`"
            if what == "`while`"
            else "use `tf.cond` / `keras.ops.cond`, or `tf.where` to choose elementwise"
        )
        ctx.report(
            node, "TF501", f"{what} on a tensor value {self._happens(ctx, _BOOL_ERROR)}; {advice}"
        )

    @staticmethod
    def _happens(ctx: FileContext, error: str) -> str:
        """Where AutoGraph is off and what tracing there raises."""
        where = ctx.where()
        if where.startswith("Keras traces"):
            context = f"{where}, and Keras 3 never applies AutoGraph to it"
            when = "in `fit`, at model build and under `tf.function`"
        else:
            context, when = f"{where}, with AutoGraph off", "when traced"
        return f"({context}) raises `OperatorNotAllowedInGraphError: {error}` {when}"

    def _unconverted(self, ctx: FileContext) -> bool:
        """In graph code without AutoGraph: a Keras 3 traced method (or what it calls), or a
        `tf.function(autograph=False)`. In a Keras 2 module only the latter: Keras 2 converts
        `call` and `train_step` itself."""
        reason = ctx.frame.reason
        if reason is None or reason.autograph:
            return False
        if not self._is_keras2(ctx):
            return True
        function = ctx.function
        decorator = ctx.graph.tf_function_decorator(function) if function is not None else None
        return decorator is not None and "autograph" in decorator.options

    def _is_keras2(self, ctx: FileContext) -> bool:
        module = ctx.ancestors[0]
        if module is not self._module:
            assert isinstance(module, cst.Module)
            self._module, self._keras2 = module, _uses_keras2(module)
        return self._keras2


def _is_tf_range(call: cst.Call, ctx: FileContext) -> bool:
    return ctx.qualname(call.func) in ("tensorflow.range", "keras.ops.arange")


def _uses_keras2(module: cst.Module) -> bool:
    """Whether the module imports Keras 2 (`tf_keras`, TensorFlow's old internal copy) or sets
    TF_USE_LEGACY_KERAS, which makes `tf.keras` Keras 2."""
    finder = _Keras2Finder()
    walk(module, finder)
    return finder.found


class _Keras2Finder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            self._module_name(cst.Module([]).code_for_node(alias.name))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is not None:
            self._module_name(cst.Module([]).code_for_node(node.module))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if _LEGACY_SWITCH in node.value:
            self.found = True

    def _module_name(self, name: str) -> None:
        if any(name == m or name.startswith(m + ".") for m in _KERAS2_MODULES):
            self.found = True


class BranchOnlyVariableCheck(Check):
    """TF502: a name one branch of a converted tensor `if` sets, read after the `if`."""

    codes = frozenset({"TF502"})

    def visit_If(self, node: cst.If, ctx: FileContext) -> None:
        reason = ctx.frame.reason
        function = ctx.function
        if reason is None or not reason.autograph or function is None:
            return
        if not tensor_condition(node.test, ctx):
            return
        body = _statements(node.body)
        orelse = node.orelse
        other: Sequence[cst.CSTNode] = (
            ()
            if orelse is None
            else _statements(orelse.body)
            if isinstance(orelse, cst.Else)
            else [orelse]
        )
        if _terminates(body) or _terminates(other):
            return
        in_body, in_other = _bound_in(body), _bound_in(other)
        before = _bound_before(function, _exclusive(ctx))
        following = list(_following(ctx))
        for name, missing in [
            *((n, "else") for n in sorted(in_body - in_other)),
            *((n, "main") for n in sorted(in_other - in_body)),
        ]:
            if name in before or not _read_after(name, following):
                continue
            ctx.report(
                node,
                "TF502",
                f"`{name}` is set only in the {'main' if missing == 'else' else 'else'} branch "
                f"of an `if` on a tensor value and read after it ({ctx.where()}): AutoGraph "
                f"makes the `if` a `tf.cond`, and tracing raises `ValueError: '{name}' must "
                f"also be initialized in the {missing} branch`; assign `{name}` before the `if`",
            )


def _statements(block: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    """A block's statements; those of a one-line suite (`if t: y = 1`) are small ones."""
    return block.body


def _terminates(body: Sequence[cst.CSTNode]) -> bool:
    """Whether a branch ends by leaving: then nothing it sets is read after the `if`."""
    if not body:
        return False
    last = body[-1]
    smalls = last.body if isinstance(last, cst.SimpleStatementLine) else [last]
    return any(isinstance(s, cst.Return | cst.Raise | cst.Break | cst.Continue) for s in smalls)


def _following(ctx: FileContext) -> Iterator[cst.BaseStatement]:
    """The statements that run after the current `if`: its later siblings, then (through
    enclosing `if`/`else`/`with` blocks) theirs; not past a loop, whose next turn is unclear."""
    ancestors = ctx.ancestors
    for index in range(len(ancestors) - 1, 0, -1):
        node, parent = ancestors[index], ancestors[index - 1]
        if isinstance(parent, cst.IndentedBlock | cst.Module):
            siblings = list(parent.body)
            yield from siblings[siblings.index(node) + 1 :]  # type: ignore[arg-type]
            continue
        if isinstance(parent, cst.If | cst.Else | cst.With):
            continue
        return


def _bound_in(statements: Sequence[cst.CSTNode]) -> set[str]:
    collector = _Bindings()
    for statement in statements:
        walk(statement, collector)
    return collector.names


def _exclusive(ctx: FileContext) -> list[cst.CSTNode]:
    """The current `if`, and the branches of enclosing `if`s that exclude it (the main branch
    of the `if` an `elif` continues): names bound there never reach it."""
    ancestors = ctx.ancestors
    found: list[cst.CSTNode] = [ancestors[-1]]
    for index in range(len(ancestors) - 2, -1, -1):
        node, child = ancestors[index], ancestors[index + 1]
        if isinstance(node, cst.FunctionDef | cst.Lambda):
            break
        if isinstance(node, cst.If):
            other = node.body if child is node.orelse else node.orelse
            if other is not None:
                found.append(other)
    return found


def _bound_before(function: FunctionNode, skip: list[cst.CSTNode]) -> set[str]:
    """Parameters, and names bound anywhere in the function outside the `if` and the branches
    that exclude it (before it, or after it where a loop's next turn may see them), or
    declared global/nonlocal."""
    collector = _Bindings(skip)
    walk(function.body, collector)
    return collector.names | _parameters(function)


class _Bindings(cst.CSTVisitor):
    """Names bound in a subtree (not in nested functions, classes or lambdas)."""

    def __init__(self, skip: Sequence[cst.CSTNode] = ()) -> None:
        self.names: set[str] = set()
        self.skip = skip

    def on_visit(self, node: cst.CSTNode) -> bool:
        if any(node is s for s in self.skip) or isinstance(
            node, cst.FunctionDef | cst.ClassDef | cst.Lambda
        ):
            return False
        return super().on_visit(node)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.names.update(target_names(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.names.update(target_names(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.names.update(target_names(node.target))

    def visit_For(self, node: cst.For) -> None:
        self.names.update(target_names(node.target))

    def visit_AsName(self, node: cst.AsName) -> None:
        self.names.update(target_names(node.name))  # type: ignore[arg-type]

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.names.update(target_names(node.target))

    def visit_Global(self, node: cst.Global) -> None:
        self.names.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.names.update(item.name.value for item in node.names)


def _read_after(name: str, statements: Sequence[cst.BaseStatement]) -> bool:
    """Whether `name` is read by the statements before a plain assignment rebinds it."""
    for statement in statements:
        reads = _Reads(name)
        walk(statement, reads)
        if reads.found:
            return True
        if isinstance(statement, cst.SimpleStatementLine) and any(
            isinstance(small, cst.Assign)
            and any(name in target_names(t.target) for t in small.targets)
            for small in statement.body
        ):
            return False
    return False


class _Reads(cst.CSTVisitor):
    """Whether a name is loaded in a subtree (plain assignment targets are stores)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.found = False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        return not isinstance(node.target, cst.Name | cst.Tuple | cst.List)

    def visit_Arg(self, node: cst.Arg) -> bool:
        walk(node.value, self)  # `f(name=...)`: the keyword is no read
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.found = True

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        walk(node.value, self)  # `x.name` reads x, never a variable called `name`
        return False
