"""TF401 without an example call: call the flagged tf.function the way its loop would.

A call such as `train_step(batch, step)` inside `for step, batch in enumerate(dataset)` passes
a new Python value on every iteration. Whether that retraces does not depend on the rest of the
program: call the tf.function itself with the first distinct values the loop would bind (read
from the loop's iterable when it evaluates as data, else `range`/`enumerate` counters, or a
`while` counter's start and step), tensors for the arguments that do not change, and count its
traces. Nothing else of the module runs: the enclosing function, the `__main__` block and the
loop body stay unexecuted.
"""

from __future__ import annotations

import ast
import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tflint.verify.inputs import Scope, calls_with_scope, evaluate, tensor
from tflint.verify.observe import Recording
from tflint.verify.target import Module, functions_run_eagerly, instantiate, lookup

ITERATIONS = 3


class _Unknown:
    """A loop value that cannot be read (a dataset's element): a tensor stands in for it."""


UNKNOWN = _Unknown()


@dataclass
class LoopCalls:
    """The outcome of calling the flagged tf.function once per iteration."""

    name: str
    traces: int
    calls: int
    varying: str  # "step = 0, 1, 2"
    line: int  # the loop's line
    error: BaseException | None = None
    # A loop of module-level code already ran when the module was imported: its values were
    # traced then (`traces` counts those), not by these calls.
    at_import: bool = False


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _flagged_call(tree: ast.Module, row: int, column: int) -> ast.Call | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.lineno == row and node.col_offset == column - 1:
            return node
    return None


def _counter_values(iterable: ast.expr) -> list[Any] | None:
    """`range(...)` counts 0, 1, 2 ...; `enumerate(x)` gives (0, ?), (1, ?) ..."""
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name):
        if iterable.func.id == "range":
            return list(range(ITERATIONS))
        if iterable.func.id == "enumerate":
            return [(i, UNKNOWN) for i in range(ITERATIONS)]
    return None


def _for_values(loop: ast.For, scope: Scope) -> list[Any] | None:
    """The first values the loop binds: all of a shorter literal list (`r = [3, 6]`), at
    least two."""
    try:
        values = list(itertools.islice(iter(evaluate(loop.iter, scope)), ITERATIONS))
    except Exception:
        return _counter_values(loop.iter)
    return values if len(values) >= 2 else None


def _bind(target: ast.expr, value: Any) -> dict[str, Any] | None:
    if isinstance(target, ast.Name):
        return {target.id: value}
    if isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
        items = [UNKNOWN] * len(target.elts) if value is UNKNOWN else list(value)
        if len(items) != len(target.elts):
            return None
        return {e.id: v for e, v in zip(target.elts, items, strict=True)}  # type: ignore[attr-defined]
    return None


def _while_values(loop: ast.While, scope: Scope) -> dict[str, list[Any]]:
    """Counters a `while` loop steps by a constant (`count += 1`) from their value before it."""
    found = {}
    for node in ast.walk(loop):
        if (
            isinstance(node, ast.AugAssign)
            and isinstance(node.op, ast.Add)
            and isinstance(node.target, ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, int | float)
        ):
            try:
                start = scope[node.target.id]
            except KeyError:
                continue
            if isinstance(start, int | float):
                step = node.value.value
                found[node.target.id] = [start + i * step for i in range(ITERATIONS)]
    return found


def _iterations(loop: ast.For | ast.While, scope: Scope) -> Iterator[dict[str, Any]] | None:
    if isinstance(loop, ast.For):
        values = _for_values(loop, scope)
        if values is None:
            return None
        bound = [_bind(loop.target, v) for v in values]
        if any(b is None for b in bound):
            return None
        return iter([b for b in bound if b is not None])
    counters = _while_values(loop, scope)
    if not counters:
        return None
    return iter([{n: v[i] for n, v in counters.items()} for i in range(ITERATIONS)])


def _argument(node: ast.expr, scope: Scope) -> Any:
    """An argument's value for one iteration; a tensor where it cannot be read (a parameter,
    a dataset element)."""
    try:
        value = evaluate(node, scope)
    except Exception:
        return tensor((2,))
    return tensor((2,)) if value is UNKNOWN else value


def _owner(module: Module, symbol: str | None) -> dict[str, Any]:
    """`self` for a call in a method: an instance made as the module makes it."""
    parts = (symbol or "").split(".<locals>.")[0].split(".")
    if len(parts) == 2:
        cls = lookup(module, parts[0])
        if isinstance(cls, type):
            return {"self": instantiate(cls, module)}
    return {}


def call_per_iteration(
    module: Module, symbol: str | None, row: int, column: int
) -> LoopCalls | None:
    """Call the tf.function flagged at (row, column) once per loop iteration, with the values
    its loop binds; None when the call is not in a loop whose values can be read."""
    call = _flagged_call(module.tree, row, column)
    if call is None:
        return None
    parents = _parents(module.tree)
    loop: ast.AST | None = parents.get(call)
    while loop is not None and not isinstance(loop, ast.For | ast.While):
        loop = parents.get(loop)
    if not isinstance(loop, ast.For | ast.While):
        return None
    found = next(calls_with_scope(module.tree, module.namespace, lambda c: c is call), None)
    if found is None:
        return None
    scope = found[1]
    scope.update(_owner(module, symbol))
    iterations = _iterations(loop, scope)
    if iterations is None:
        return None
    try:
        function = evaluate(call.func, scope)
    except Exception:
        return None
    if not hasattr(function, "experimental_get_tracing_count"):
        return None
    before = function.experimental_get_tracing_count()
    varying: dict[str, list[str]] = {}
    calls = 0
    with Recording(module.filename) as recording, functions_run_eagerly(False):
        for bindings in iterations:
            scope.update(bindings)
            for name, value in bindings.items():
                if value is not UNKNOWN:
                    varying.setdefault(name, []).append(repr(value))
            args = [_argument(a, scope) for a in call.args]
            kwargs = {k.arg: _argument(k.value, scope) for k in call.keywords if k.arg}
            with contextlib.suppress(Exception):
                recording.run(lambda a=args, k=kwargs: function(*a, **k))  # type: ignore[misc]
            if recording.error is not None:
                break
            calls += 1
    shown = "; ".join(f"{n} = {', '.join(v)}" for n, v in varying.items())
    name = getattr(function, "__name__", None) or ast.unparse(call.func)
    traces = function.experimental_get_tracing_count() - before
    if traces == 0 and _at_module_level(loop, parents):
        return LoopCalls(name, before, calls, shown, loop.lineno, recording.error, True)
    return LoopCalls(name, traces, calls, shown, loop.lineno, recording.error)


def _at_module_level(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Outside functions, classes and the `__main__` block: code the import runs."""
    parent = parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.If):
            return False
        parent = parents.get(parent)
    return True
