"""TF401, TF402, TF407: code that throws the compiled graph away or rebuilds it."""

from __future__ import annotations

from enum import Enum

import libcst as cst

from tflint.checks.base import Check, FileContext, FixPlan
from tflint.diagnostics import Applicability
from tflint.graph.index import TfFunctionInfo
from tflint.graph.vocabulary import has_fixed_signature, is_graph_only_test, keyword_arguments
from tflint.names import dotted_name, target_names
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
    if _scalar_literals(iterable):
        return set(target_names(loop.target))
    if isinstance(iterable, cst.Name):  # `r = [3, 6]` ... `for i in r:`
        values = ctx.graph.bound_values(iterable.value, ctx.function)
        if values and all(_scalar_literals(value) for value in values):
            return set(target_names(loop.target))
    return set()


def _scalar_literals(node: cst.BaseExpression) -> bool:
    """A list or tuple of number and string literals: `[3, 6]`, `("a", "b")`."""
    return isinstance(node, cst.List | cst.Tuple) and all(
        isinstance(e.value, cst.BaseNumber | cst.BaseString) for e in node.elements
    )


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
            found = ctx.graph.tf_function_decorator(method)
            if found is not None:
                fixed = has_fixed_signature(found.options)
                return TfFunctionInfo(f"self.{func.attr.value}", fixed)
            return None
        if isinstance(func, cst.Attribute):  # `trainer.step(x)`, `trainer = Trainer()`
            owner = ctx.graph.instances.class_of(func.value, ctx.function)
            if owner is None:
                return None
            method = ctx.graph.find_method(owner.node.name.value, func.attr.value, owner)
            found = ctx.graph.tf_function_decorator(method) if method is not None else None
            if found is not None:
                name = dotted_name(func) or f"{owner.node.name.value}.{func.attr.value}"
                return TfFunctionInfo(name, has_fixed_signature(found.options))
        return None


class FunctionRecreatedCheck(Check):
    """A tf.function created anew where that happens per step.

    A tf.function made inside a function is made again on every call of it. That only costs
    where the enclosing function runs per step: called in a loop, or by Keras' per-step
    methods. It is not flagged where the enclosing function is graph code (it runs once per
    trace), a one-shot routine that then calls the new function many times, a factory that
    returns it, a routine that compiles itself whole, or code whose callers are not in the
    module, unless each re-creation costs an XLA compilation (`jit_compile`).
    """

    codes = frozenset({"TF402"})

    def __init__(self) -> None:
        self._sites: _CallSites | None = None

    def visit_Module(self, node: cst.Module, ctx: FileContext) -> None:
        self._sites = None  # built on first need: most modules make no tf.function inside one

    def _call_sites(self, ctx: FileContext) -> _CallSites:
        if self._sites is None:
            self._sites = _CallSites()
            module = ctx.ancestors[0]
            walk(module, self._sites)
        return self._sites

    # A test function runs once: a tf.function it creates per call costs nothing worth a
    # finding (Keras' own tests do this dozens of times), so tests are exempt, as for TF407.
    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if ctx.is_test_file or not ctx.is_tf_function_call(node):
            return
        made_by_decorator_form = not any(a.keyword is None for a in node.args)
        depth = 2 if made_by_decorator_form else 1
        creation = ctx.parent(depth - 1) if made_by_decorator_form else node
        if made_by_decorator_form and not (
            isinstance(ctx.parent(), cst.Call) and ctx.parent().func is node  # type: ignore[union-attr]
        ):
            return  # `tf.function(**options)` handed on as a decorator
        per_step_loops = [
            loop
            for loop in _loop_ancestors(ctx)
            if not (isinstance(loop, cst.For) and _over_literals(loop.iter))
        ]
        if per_step_loops or _in_comprehension_element(ctx):
            self._report_call(node, "in a loop", "every time", ctx)
            return
        if _loop_ancestors(ctx):
            return  # a loop over a few literal settings: as many tf.functions as settings
        outer = ctx.function
        caller = ctx.parent(depth)
        if not (
            isinstance(outer, cst.FunctionDef)
            and isinstance(caller, cst.Call)
            and caller.func is creation
        ):
            return
        options = keyword_arguments(node)
        verdict = self._per_step(outer, options, ctx)
        if verdict is not None:
            outer_name = outer.name.value
            where = f"and called at once inside `{outer_name}`"
            self._report_call(node, where, f"on every call of `{outer_name}`, {verdict}", ctx)

    @staticmethod
    def _report_call(node: cst.Call, where: str, when: str, ctx: FileContext) -> None:
        ctx.report(
            node,
            "TF402",
            f"`tf.function(...)` created {where} builds a new function, and traces a new graph, "
            f"{when}; create the tf.function once, outside",
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
        found = ctx.graph.tf_function_decorator(node)
        name = node.name.value
        if found is None or _escapes(name, outer) or _reused(name, outer):
            return
        if _calls(node.body, outer.name.value):
            return  # the tf.function runs the enclosing routine itself: compiled whole, once
        decorator = found.decorator
        verdict = self._per_step(outer, found.options, ctx)
        if verdict is None:
            return
        ctx.report(
            decorator,
            "TF402",
            f"`@tf.function` on `{name}`, defined inside `{outer.name.value}`, creates a new "
            f"tf.function and traces a new graph on every call of `{outer.name.value}`, "
            f"{verdict}; define it once at module level (or return it from a factory)",
        )

    def _per_step(
        self, outer: cst.FunctionDef, options: dict[str, cst.BaseExpression], ctx: FileContext
    ) -> str | None:
        """Why the enclosing function runs per step (for the message), or None if it does not
        evidently do so."""
        if _in_graph_only_branch(ctx):
            return None
        status, why = _status(outer, self._call_sites(ctx), ctx, set())
        if status is _Status.PER_STEP:
            return why
        jit = options.get("jit_compile")
        if _forwards_a_parameter(jit, ctx):
            return None  # `jit_compile=jit_compile`: the caller compiles a whole run, by choice
        if status is _Status.UNKNOWN and jit is not None and not _is_false(jit):
            return (
                "which other modules call, and with `jit_compile` each of those calls compiles "
                "it anew with XLA"
            )
        return None


class _Status(Enum):
    GRAPH_OR_ONCE = 0
    UNKNOWN = 1
    PER_STEP = 2


def _status(
    function: cst.FunctionDef, sites: _CallSites, ctx: FileContext, seen: set[cst.FunctionDef]
) -> tuple[_Status, str]:
    """How often a function runs: per step (called in a loop, or a Keras per-step method),
    only once or only while tracing, or unknown (its callers are elsewhere)."""
    reason = ctx.graph.reason(function)
    if reason is not None and reason.text.startswith("Keras traces"):
        return _Status.PER_STEP, f"which runs on every eager call of the layer ({reason.text})"
    traced = reason is not None and not reason.text.startswith("called from")
    if traced or ctx.graph.traced_by_another_module(function):
        return _Status.GRAPH_OR_ONCE, ""
    if function in seen:
        return _Status.GRAPH_OR_ONCE, ""
    seen.add(function)
    calls = sites.calls.get(function.name.value, [])
    if not calls:
        return _Status.UNKNOWN, ""
    best: tuple[_Status, str] = (_Status.GRAPH_OR_ONCE, "")
    for caller, in_loop, handed_to_tf in calls:
        if handed_to_tf:
            continue  # a tf.while_loop / tf.map_fn body: graph code
        if in_loop and not _while_tracing(caller, ctx):
            return _Status.PER_STEP, "which is called in a loop"
        if caller is None:
            continue
        status, why = _status(caller, sites, ctx, seen)
        if status is _Status.PER_STEP:
            return status, why
        best = max(best, (status, why), key=lambda pair: pair[0].value)
    return best


def _while_tracing(caller: cst.FunctionDef | None, ctx: FileContext) -> bool:
    """Whether a call site's function is graph code (not a Keras method, which also runs on
    every eager call of the layer): a loop there runs while tracing, once per trace."""
    reason = ctx.graph.reason(caller) if caller is not None else None
    return reason is not None and not reason.text.startswith("Keras traces")


class _CallSites(cst.CSTVisitor):
    """Every call (and use as a TensorFlow op's argument) of a function name in the module:
    (enclosing function, in a loop or comprehension, handed to a tf.* call)."""

    def __init__(self) -> None:
        self.calls: dict[str, list[tuple[cst.FunctionDef | None, bool, bool]]] = {}
        self._functions: list[cst.FunctionDef | None] = [None]
        self._loops: list[int] = [0]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)
        self._loops.append(0)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()
        self._loops.pop()

    def _looped(self, once: cst.CSTNode | None, repeated: tuple[cst.CSTNode | None, ...]) -> bool:
        """Walk `once` (a loop's iterable, evaluated once) outside the loop, the rest in it."""
        if once is not None:
            walk(once, self)
        self._loops[-1] += 1
        for part in repeated:
            if part is not None:
                walk(part, self)
        self._loops[-1] -= 1
        return False

    def visit_For(self, node: cst.For) -> bool | None:
        if _over_literals(node.iter):
            return None  # a few literal settings, not steps
        return self._looped(node.iter, (node.body,))

    def visit_While(self, node: cst.While) -> bool:
        return self._looped(None, (node.test, node.body))

    def visit_ListComp(self, node: cst.ListComp) -> bool:
        return self._comprehension(node.elt, node.for_in)

    def visit_SetComp(self, node: cst.SetComp) -> bool:
        return self._comprehension(node.elt, node.for_in)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> bool:
        return self._comprehension(node.elt, node.for_in)

    def visit_DictComp(self, node: cst.DictComp) -> bool:
        return self._comprehension(node.key, node.for_in, node.value)

    def _comprehension(
        self, element: cst.BaseExpression, for_in: cst.CompFor, *more: cst.BaseExpression
    ) -> bool:
        return self._looped(for_in.iter, (element, *more, *for_in.ifs, for_in.inner_for_in))

    def visit_Call(self, node: cst.Call) -> None:
        name = _called_name(node.func)
        site = (self._functions[-1], self._loops[-1] > 0)
        if name is not None:
            self.calls.setdefault(name, []).append((*site, False))
        for arg in node.args:
            handed = _called_name(arg.value)
            if handed is not None:
                self.calls.setdefault(handed, []).append((*site, True))


def _called_name(func: cst.BaseExpression) -> str | None:
    """`f` for `f(...)` and `obj.f(...)` (a method is known by its name only)."""
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def _over_literals(iterable: cst.BaseExpression) -> bool:
    """`for n in (10, 250):` / `enumerate(["a", "b"])`: a few literal settings, not steps."""
    if (
        isinstance(iterable, cst.Call)
        and isinstance(iterable.func, cst.Name)
        and iterable.func.value in ("enumerate", "zip")
        and iterable.args
    ):
        return all(_over_literals(arg.value) for arg in iterable.args)
    return _scalar_literals(iterable)


def _forwards_a_parameter(value: cst.BaseExpression | None, ctx: FileContext) -> bool:
    """Whether an option is a parameter of an enclosing function passed straight through."""
    if not isinstance(value, cst.Name):
        return False
    for frame in ctx.frames:
        if isinstance(frame.node, cst.FunctionDef):
            params = frame.node.params
            names = (*params.posonly_params, *params.params, *params.kwonly_params)
            if any(p.name.value == value.value for p in names):
                return True
    return False


def _is_false(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


def _in_graph_only_branch(ctx: FileContext) -> bool:
    """Under `if not tf.executing_eagerly():` or the `else` of `if tf.executing_eagerly():`:
    code that runs only while a graph is being built."""
    ancestors = ctx.ancestors
    for index in range(len(ancestors) - 2, -1, -1):
        ancestor = ancestors[index]
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            return False
        if not isinstance(ancestor, cst.If):
            continue
        child = ancestors[index + 1]
        if child is ancestor.body and is_graph_only_test(ancestor.test, ctx.imports, True):
            return True
        if child is ancestor.orelse and is_graph_only_test(ancestor.test, ctx.imports, False):
            return True
    return False


def _reused(name: str, outer: cst.FunctionDef) -> bool:
    """Whether the enclosing function calls the new tf.function more than once, or in a loop:
    a one-shot routine that makes it and then uses it many times."""
    sites = _CallSites()
    walk(outer.body, sites)
    calls = sites.calls.get(name, [])
    return len(calls) > 1 or any(in_loop for _, in_loop, _ in calls)


def _calls(body: cst.CSTNode, name: str) -> bool:
    sites = _CallSites()
    walk(body, sites)
    return any(not handed for _, _, handed in sites.calls.get(name, []))


def _escapes(name: str, outer: cst.FunctionDef) -> bool:
    """Whether a nested function outlives the call that made it (returned, stored, passed,
    or used by another nested function that may outlive it)."""
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

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if node.name.value == self.name:
            return False
        finder = _AnyName(self.name)
        walk(node.body, finder)
        self.escapes |= finder.found
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        finder = _AnyName(self.name)
        walk(node.body, finder)
        self.escapes |= finder.found
        return False


class _AnyName(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.found = False

    def visit_Name(self, node: cst.Name) -> None:
        self.found |= node.value == self.name


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
