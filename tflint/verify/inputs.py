"""Inputs to call a flagged function with, in the order the README gives: its `input_signature`,
the module's own example calls, then a few generic tensors.

Nothing here guesses a value the user did not write: example-call arguments are the module's
own expressions, evaluated in the module's namespace (names assigned earlier in the same block
are evaluated first, from their own right-hand sides), and a generic candidate is only used once
it has run eagerly without an error (the caller checks that).
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

SHAPES = ((2, 4), (4,), (2, 8), (2, 3, 4), ())


@dataclass(frozen=True)
class Inputs:
    """Positional and keyword arguments, and where they came from (for the evidence)."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    source: str = ""


def tensor(shape: tuple[int, ...], dtype: tf.DType = tf.float32) -> tf.Tensor:
    """Distinct, non-zero, deterministic values: outputs differ only if the code makes them."""
    size = 1
    for dim in shape:
        size *= dim
    if dtype.is_bool:
        return tf.reshape(tf.range(size) % 2 == 0, shape)
    if dtype == tf.string:
        return tf.fill(shape, "a")
    if dtype.is_integer:
        return tf.constant(np.arange(1, size + 1).reshape(shape), dtype)
    return tf.constant(np.linspace(0.5, 1.5, size).reshape(shape), dtype)


def from_signature(signature: Any) -> Inputs | None:
    """Tensors for an `input_signature` (unknown dimensions become 2)."""
    specs = tf.nest.flatten(signature)
    if not specs or not all(isinstance(s, tf.TensorSpec) for s in specs):
        return None
    built = [
        tensor(tuple(2 if d is None else d for d in s.shape.as_list()), s.dtype)
        if s.shape.rank is not None
        else tensor((2,), s.dtype)
        for s in specs
    ]
    return Inputs(tuple(tf.nest.pack_sequence_as(signature, built)), source="input_signature")


def required_positional(function: Any) -> int | None:
    """How many positional arguments a call needs (bound `self` excluded), None if unknown."""
    try:
        params = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    return sum(
        1
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    )


def generic(count: int) -> Iterator[Inputs]:
    """`count` float32 tensors of one shape, for each shape in SHAPES; then int32 and string
    scalars. No arguments at all is one candidate."""
    if count == 0:
        yield Inputs((), source="no arguments")
        return
    for shape in SHAPES:
        yield Inputs(
            tuple(tensor(shape) for _ in range(count)), source=f"float32 tensors of shape {shape}"
        )
    for dtype in (tf.int32, tf.string):
        yield Inputs(tuple(tensor((), dtype) for _ in range(count)), source=f"{dtype.name} scalars")


class Scope(dict[str, Any]):
    """Names for evaluating an example call: earlier simple assignments of its block, evaluated
    on first use from their own source (then eval falls back to the module's globals)."""

    def __init__(self, assignments: dict[str, ast.expr], namespace: dict[str, Any]) -> None:
        super().__init__()
        self._assignments = assignments
        self.filename = namespace.get("__file__") or "<module>"
        self.globals = namespace  # what a lambda made here sees, like the user's own

    def __missing__(self, name: str) -> Any:
        node = self._assignments.pop(name, None)  # pop: a self-reference cannot loop
        if node is None:
            raise KeyError(name)  # eval goes on to the module's globals, then builtins
        value = evaluate(node, self)
        self[name] = value
        return value


def evaluate(node: ast.expr, scope: Scope) -> Any:
    """The value of one of the module's expressions; compiled under the module's file name and
    line numbers, so a lambda made here is the user's code to every tap and traceback."""
    code = compile(ast.Expression(node), scope.filename, "eval")
    return eval(code, scope.globals, scope)


def _calls_in(statement: ast.stmt, match: Callable[[ast.Call], bool]) -> Iterator[ast.Call]:
    """Matching calls in one statement, not inside its nested blocks."""
    stack: list[ast.AST] = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call) and match(node):
            yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.stmt):
                stack.append(child)


def calls_with_scope(
    tree: ast.Module, namespace: dict[str, Any], match: Callable[[ast.Call], bool]
) -> Iterator[tuple[ast.Call, Scope]]:
    """Every matching call, with the names assigned before it: simple assignments earlier in
    its block and enclosing blocks of the same function, and `for` targets (bound to the first
    item of their iterable)."""

    def visit(
        block: list[ast.stmt], inherited: dict[str, ast.expr]
    ) -> Iterator[tuple[ast.Call, Scope]]:
        assignments = dict(inherited)
        for statement in block:
            for call in _calls_in(statement, match):
                yield call, Scope(dict(assignments), namespace)
            fresh = isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            inner = {} if fresh else dict(assignments)
            if isinstance(statement, ast.For):
                inner.update(_loop_bindings(statement))
            for name in ("body", "orelse", "finalbody"):
                child = getattr(statement, name, None)
                if isinstance(child, list) and child and isinstance(child[0], ast.stmt):
                    yield from visit(child, inner)
            for handler in getattr(statement, "handlers", ()):
                yield from visit(handler.body, inner)
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
            ):
                assignments[statement.targets[0].id] = statement.value

    yield from visit(tree.body, {})


def _loop_bindings(loop: ast.For) -> dict[str, ast.expr]:
    """`for a in xs` → a = next(iter(xs)); `for a, b in xs` → a = next(iter(xs))[0] ..."""
    first = ast.Call(
        ast.Name("next", ast.Load()), [ast.Call(ast.Name("iter", ast.Load()), [loop.iter], [])], []
    )
    if isinstance(loop.target, ast.Name):
        pairs = [(loop.target.id, first)]
    elif isinstance(loop.target, ast.Tuple) and all(
        isinstance(e, ast.Name) for e in loop.target.elts
    ):
        pairs = [
            (e.id, ast.Subscript(first, ast.Constant(i), ast.Load()))  # type: ignore[attr-defined]
            for i, e in enumerate(loop.target.elts)
        ]
    else:
        return {}
    return {
        name: ast.fix_missing_locations(ast.copy_location(node, loop.iter)) for name, node in pairs
    }


def calls_of(name: str) -> Callable[[ast.Call], bool]:
    """Matches `name(...)` and `obj.name(...)`."""

    def match(call: ast.Call) -> bool:
        func = call.func
        return (isinstance(func, ast.Name) and func.id == name) or (
            isinstance(func, ast.Attribute) and func.attr == name
        )

    return match


def calls_of_instances(tree: ast.Module, name: str) -> Callable[[ast.Call], bool]:
    """Matches calls of objects the module makes with `name(...)`: `Name(...)(x)`, and `obj(x)`
    where the module assigns `obj = Name(...)` (a layer called on its example input)."""
    made = calls_of(name)
    instances = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and made(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def match(call: ast.Call) -> bool:
        func = call.func
        return (isinstance(func, ast.Call) and made(func)) or (
            isinstance(func, ast.Name) and func.id in instances
        )

    return match


def example_calls(tree: ast.Module, name: str, namespace: dict[str, Any]) -> Iterator[Inputs]:
    """Arguments of the module's own calls of `name`, where every argument evaluates."""
    return evaluated_calls(tree, namespace, calls_of(name))


def evaluated_calls(
    tree: ast.Module, namespace: dict[str, Any], match: Callable[[ast.Call], bool]
) -> Iterator[Inputs]:
    """Arguments of the module's own calls that `match` picks, where every argument
    evaluates."""
    for call, scope in calls_with_scope(tree, namespace, match):
        if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords
        ):
            continue
        try:
            args = tuple(evaluate(a, scope) for a in call.args)
            kwargs = {k.arg: evaluate(k.value, scope) for k in call.keywords if k.arg}
        except Exception:
            continue
        yield Inputs(args, kwargs, source=f"the example call at line {call.lineno}")
