"""TF401, TF402, TF407: code that throws the compiled graph away or rebuilds it."""

from __future__ import annotations

import libcst as cst

from tflint.checks.base import Check, FileContext, FixPlan
from tflint.context import TfFunctionInfo, has_fixed_signature, tf_function_call_options
from tflint.diagnostics import Applicability
from tflint.names import target_names
from tflint.traverse import walk

_LOOPS = (cst.For, cst.While)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def _loop_ancestors(ctx: FileContext) -> list[cst.For | cst.While]:
    """Loops whose body holds the current node, innermost first, within the current function."""
    loops: list[cst.For | cst.While] = []
    ancestors = ctx.ancestors
    for index in range(len(ancestors) - 2, -1, -1):
        ancestor = ancestors[index]
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            break
        child = ancestors[index + 1]
        if isinstance(ancestor, _LOOPS) and child is ancestor.body:
            loops.append(ancestor)
    return loops


def _in_comprehension_element(ctx: FileContext) -> bool:
    ancestors = ctx.ancestors
    for index in range(len(ancestors) - 2, -1, -1):
        ancestor = ancestors[index]
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            return False
        if isinstance(ancestor, _COMPREHENSIONS) and ancestors[index + 1] is not ancestor.for_in:
            return True
    return False


def _varying_python_names(loop: cst.For | cst.While, ctx: FileContext) -> set[str]:
    """Names holding Python scalars that change on every iteration of the loop."""
    names: set[str] = set()
    if isinstance(loop, cst.For):
        names |= _python_loop_targets(loop, ctx)
    counters = _Counters()
    walk(loop.body, counters)
    return names | counters.names


def _python_loop_targets(loop: cst.For, ctx: FileContext) -> set[str]:
    iterable = loop.iter
    if isinstance(iterable, cst.Call):
        qualname = ctx.qualname(iterable.func)
        if qualname == "builtins.range":
            return set(target_names(loop.target))
        if qualname == "builtins.enumerate" and isinstance(loop.target, cst.Tuple):
            return set(target_names(loop.target.elements[0].value))
    if isinstance(iterable, cst.List | cst.Tuple) and all(
        isinstance(e.value, cst.BaseNumber | cst.BaseString) for e in iterable.elements
    ):
        return set(target_names(loop.target))
    return set()


class _Counters(cst.CSTVisitor):
    """`n += 1`-style Python counters."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name) and isinstance(node.value, cst.BaseNumber):
            self.names.add(node.target.value)


def _mentions(node: cst.BaseExpression, names: set[str]) -> str | None:
    """The varying name an argument is computed from, unless wrapped in a call."""
    if isinstance(node, cst.Name):
        return node.value if node.value in names else None
    if isinstance(node, cst.BinaryOperation):
        return _mentions(node.left, names) or _mentions(node.right, names)
    if isinstance(node, cst.UnaryOperation):
        return _mentions(node.expression, names)
    return None


class ScalarArgumentCheck(Check):
    codes = frozenset({"TF401"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        function = self._called_tf_function(node, ctx)
        if function is None or function.fixed_signature:
            return
        for loop in _loop_ancestors(ctx):
            varying = _varying_python_names(loop, ctx)
            for arg in node.args:
                name = _mentions(arg.value, varying)
                if name is not None:
                    ctx.report(
                        node,
                        "TF401",
                        f"`{function.name}` is a tf.function called with the Python value "
                        f"`{name}`, which changes every iteration: each new value traces a new "
                        "graph; pass `tf.constant(...)`, or give the function an "
                        "`input_signature`",
                    )
                    return

    @staticmethod
    def _called_tf_function(node: cst.Call, ctx: FileContext) -> TfFunctionInfo | None:
        func = node.func
        if isinstance(func, cst.Name):
            if func.value in ctx.graph.module_functions or func.value in ctx.graph.tf_functions:
                return ctx.graph.tf_functions.get(func.value)
            return None
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value == ctx.self_name()
            and ctx.frame.class_name is not None
        ):
            method = ctx.graph.find_method(ctx.frame.class_name, func.attr.value)
            if method is None:
                return None
            for decorator in method.decorators:
                options = tf_function_call_options(decorator.decorator, ctx.imports)
                if options is not None:
                    fixed = has_fixed_signature(options)
                    return TfFunctionInfo(f"self.{func.attr.value}", fixed)
        return None


class FunctionRecreatedCheck(Check):
    codes = frozenset({"TF402"})

    # A test function runs once: a tf.function it creates per call costs nothing worth a
    # finding (Keras' own tests do this dozens of times), so tests are exempt, as for TF407.
    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if ctx.is_test_file or not ctx.is_tf_function_call(node):
            return
        if _loop_ancestors(ctx) or _in_comprehension_element(ctx):
            where = "in a loop"
        elif (
            ctx.function is not None
            and isinstance(ctx.parent(), cst.Call)
            and (
                ctx.parent().func is node  # type: ignore[union-attr]
            )
        ):
            where = "and called at once inside a function"
        else:
            return
        ctx.report(
            node,
            "TF402",
            f"`tf.function(...)` created {where} builds a new function, and traces a new graph, "
            "every time; create the tf.function once, outside",
        )

    def visit_FunctionDef(self, node: cst.FunctionDef, ctx: FileContext) -> None:
        outer = next(
            (
                f.node
                for f in reversed(ctx.frames[:-1])
                if isinstance(f.node, cst.FunctionDef | cst.Lambda | cst.ClassDef)
            ),
            None,
        )
        if ctx.is_test_file or not isinstance(outer, cst.FunctionDef):
            return
        decorator = next(
            (
                d
                for d in node.decorators
                if tf_function_call_options(d.decorator, ctx.imports) is not None
            ),
            None,
        )
        if decorator is None or _escapes(node.name.value, outer):
            return
        ctx.report(
            decorator,
            "TF402",
            f"`@tf.function` on `{node.name.value}`, defined inside `{outer.name.value}`, "
            f"creates a new tf.function and traces a new graph on every call of "
            f"`{outer.name.value}`; define it once at module level (or return it from a factory)",
        )


def _escapes(name: str, outer: cst.FunctionDef) -> bool:
    """Whether a nested function outlives the call that made it (returned, stored, passed)."""
    finder = _EscapeFinder(name)
    walk(outer.body, finder)
    return finder.escapes


class _EscapeFinder(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.escapes = False

    def _uses(self, node: cst.BaseExpression | None) -> bool:
        if node is None:
            return False
        finder = _NameUse(self.name)
        walk(node, finder)
        return finder.found

    def visit_Return(self, node: cst.Return) -> None:
        self.escapes |= self._uses(node.value)

    def visit_Yield(self, node: cst.Yield) -> None:
        self.escapes |= isinstance(node.value, cst.BaseExpression) and self._uses(node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        self.escapes |= self._uses(node.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        self.escapes |= isinstance(node.value, cst.Name) and node.value.value == self.name


class _NameUse(cst.CSTVisitor):
    """Uses of a name as a value (calling it, `f(x)`, is not a use that lets it escape)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.found = False

    def visit_Name(self, node: cst.Name) -> None:
        self.found |= node.value == self.name

    def visit_Call(self, node: cst.Call) -> bool:
        if isinstance(node.func, cst.Name) and node.func.value == self.name:
            for arg in node.args:
                walk(arg, self)
            return False
        return True


class RunEagerlyCheck(Check):
    codes = frozenset({"TF407"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if ctx.is_test_file or _under_debug_switch(ctx):
            return
        qualname = ctx.qualname(node.func)
        if qualname in (
            "tensorflow.config.run_functions_eagerly",
            "tensorflow.config.experimental_run_functions_eagerly",
        ):
            if node.args and _is_true(node.args[0].value):
                self._report(node, f"`tf.{qualname.removeprefix('tensorflow.')}(True)`", ctx)
            return
        if not (isinstance(node.func, cst.Attribute) and node.func.attr.value == "compile"):
            return
        for index, arg in enumerate(node.args):
            if arg.keyword is not None and arg.keyword.value == "run_eagerly":
                if _is_true(arg.value):
                    self._report(node, "`compile(run_eagerly=True)`", ctx, _remove_arg(node, index))
                return

    def visit_Assign(self, node: cst.Assign, ctx: FileContext) -> None:
        if ctx.is_test_file or not _is_true(node.value) or _under_debug_switch(ctx):
            return
        for target in node.targets:
            if (
                isinstance(target.target, cst.Attribute)
                and target.target.attr.value == "run_eagerly"
            ):
                self._report(node, "setting `run_eagerly = True`", ctx)

    @staticmethod
    def _report(node: cst.CSTNode, what: str, ctx: FileContext, fix: FixPlan | None = None) -> None:
        ctx.report(
            node,
            "TF407",
            f"{what} runs every step as plain Python: the graph speed-up is gone; "
            "keep it to debugging sessions and remove it",
            fix,
        )


def _under_debug_switch(ctx: FileContext) -> bool:
    """Inside the body of `if debug:` / `if FLAGS.debug:` / `if args.eager_debug:` (in the
    current function): eager mode behind a debugging switch is what TF407 recommends."""
    ancestors = ctx.ancestors
    for index in range(len(ancestors) - 2, -1, -1):
        ancestor = ancestors[index]
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            return False
        if (
            isinstance(ancestor, cst.If)
            and ancestors[index + 1] is ancestor.body
            and _names_debug_flag(ancestor.test)
        ):
            return True
    return False


def _names_debug_flag(test: cst.BaseExpression) -> bool:
    """`debug`, `self.debug`, `FLAGS.debug_mode`, `cfg.get("debug")`, `debug and ...`."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _names_debug_flag(test.left) or _names_debug_flag(test.right)
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute) and test.args:
        key = test.args[0].value
        return isinstance(key, cst.SimpleString) and "debug" in key.value.lower()
    if isinstance(test, cst.Attribute):
        return "debug" in test.attr.value.lower()
    return isinstance(test, cst.Name) and "debug" in test.value.lower()


def _is_true(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def _remove_arg(call: cst.Call, index: int) -> FixPlan:
    args = list(call.args)
    removed = args.pop(index)
    if args and index == len(args):  # removed the last one: its comma and spacing close the call
        args[-1] = args[-1].with_changes(
            comma=removed.comma, whitespace_after_arg=removed.whitespace_after_arg
        )
    return FixPlan(
        "Remove `run_eagerly=True`",
        Applicability.UNSAFE,
        ((call, call.with_changes(args=args)),),
    )
