"""Run the module's own call pattern around a finding, for rules about how code is called
(retracing, tf.functions created repeatedly, eager mode switched on).

Module-level code already ran when the module was imported. The `if __name__ == "__main__":`
block never runs as such: of its statements, only a flagged call that reads statically as data
and constructors (`tf.config.run_functions_eagerly(True)`) is evaluated, with the names the
block assigned before it (`inputs.evaluate`). A finding in a function runs that function, with
the module's own example arguments, else generic tensors.
"""

from __future__ import annotations

import ast
import functools
import itertools
import os
import re
from dataclasses import dataclass
from typing import Any

from tflint.verify.inputs import (
    Scope,
    calls_with_scope,
    evaluate,
    example_calls,
    generic,
    required_positional,
)
from tflint.verify.observe import Recording
from tflint.verify.target import Module, Unresolved, instantiate, lookup
from tflint.verify.worker import CELL_ERROR


@dataclass
class PatternRun:
    label: str  # what ran, for the evidence: "3 calls of make_model"
    owner: Any = None  # the instance a method ran on
    at_import: bool = False  # the code ran when the module was imported


def _is_main_guard(node: ast.stmt) -> bool:
    test = getattr(node, "test", None)
    return (
        isinstance(node, ast.If)
        and isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def _run_main_statement(module: Module, row: int) -> PatternRun:
    """A finding in module-level code: it ran at import, unless it sits in the `__main__`
    block; there only the flagged call itself is evaluated, when it reads as data."""
    for node in module.tree.body:
        if node.lineno <= row <= (node.end_lineno or node.lineno):
            if not _is_main_guard(node):
                _check_cell_reached(module, row)
                return PatternRun("importing the module", at_import=True)
            for call, scope in calls_with_scope(
                ast.Module(body=[node], type_ignores=[]),
                module.namespace,
                lambda c: c.lineno == row,
            ):
                with Recording(module.filename) as recording:
                    recording.run(functools.partial(evaluate, call, scope))
                if recording.error is None:
                    return PatternRun(f"the call at line {row} of the __main__ block")
                raise Unresolved(
                    f"the verifier does not run line {row} of the __main__ block "
                    f"({describe(recording.error)})"
                )
            break
    raise Unresolved(f"line {row} of the __main__ block is not a call the verifier can run")


def _check_cell_reached(module: Module, row: int) -> None:
    """Module-level code of a notebook is judged only when the cells before it ran: not after
    a missing package, nor when its own cell raised before reaching `row`."""
    error = module.namespace.get(CELL_ERROR)
    if error is None:
        return
    if isinstance(error, ImportError):
        raise Unresolved(f"a notebook cell raised {describe(error)}")
    rows = []
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == module.filename:
            rows.append(tb.tb_lineno)
        tb = tb.tb_next
    if rows and rows[0] <= row:
        raise Unresolved(f"its notebook cell stopped at line {rows[0]}: {describe(error)}")


def run_main_setup(module: Module, name: str) -> bool:
    """The `__main__` block's setup before its first use of `name`, where it is data: plain
    assignments to module names and `os.environ[...] = ...` of literals (the worker's
    environment is its own). No other statement runs. False when nothing was set."""
    for node in module.tree.body:
        if _is_main_guard(node):
            assert isinstance(node, ast.If)
            setup = itertools.takewhile(lambda s: not _uses(s, name), node.body)
            return sum(_assign(module, s) for s in setup) > 0
    return False


def _uses(statement: ast.stmt, name: str) -> bool:
    return any(
        name in (getattr(n, "id", None), getattr(n, "attr", None)) for n in ast.walk(statement)
    )


def _assign(module: Module, statement: ast.stmt) -> bool:
    """One setup statement, when it is data: `NAME = value`, `os.environ[KEY] = VALUE`."""
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
        return False
    target, scope = statement.targets[0], Scope({}, module.namespace)
    try:
        value = evaluate(statement.value, scope)
        if isinstance(target, ast.Name):
            module.namespace[target.id] = value
            return True
        if (
            isinstance(target, ast.Subscript)
            and ast.unparse(target.value) == "os.environ"
            and isinstance(value, str)
        ):
            key = evaluate(target.slice, scope)
            if isinstance(key, str):
                os.environ[key] = value
                return True
    except Exception:
        return False
    return False


def run_pattern(module: Module, symbol: str | None, row: int, repeat: int = 1) -> PatternRun:
    """Run the code around a finding the way the module runs it; `repeat` calls of a function."""
    if symbol is None:
        return _run_main_statement(module, row)
    base = symbol.split(".<locals>.")[0]
    function = lookup(module, base)
    parts = base.split(".")
    owner = None
    if len(parts) == 2 and isinstance(lookup(module, parts[0]), type):
        owner = instantiate(lookup(module, parts[0]), module)
        function = getattr(owner, parts[1])
    name = parts[-1]
    candidates = list(itertools.islice(example_calls(module.tree, name, module.namespace), 4))
    count = required_positional(function)
    if not candidates and count:  # no example call: generic tensors (a failing one is skipped)
        candidates = list(itertools.islice(generic(count), 3))
    if not candidates and count != 0:
        raise Unresolved(f"no inputs could be built for `{base}` (no example call in the module)")
    arguments = [(c.args, c.kwargs) for c in candidates] or [((), {})]
    last_error: BaseException | None = None
    for args, kwargs in arguments:
        with Recording(module.filename) as recording:
            for _ in range(repeat):
                recording.run(functools.partial(function, *args, **kwargs))
        if recording.error is None:
            calls = "a call" if repeat == 1 else f"{repeat} calls"
            return PatternRun(f"{calls} of {base}", owner)
        last_error = recording.error
    assert last_error is not None
    raise Unresolved(f"running `{base}` raised {describe(last_error)}")


def describe(exc: BaseException) -> str:
    """`Type: first line of the message`, short and without Keras' terminal colours."""
    return f"{type(exc).__name__}: {message_line(exc)}"


def message_line(exc: BaseException, prefer: str | None = None) -> str:
    """The line of an exception message that says what went wrong (TensorFlow wraps the real
    message in a traceback of user frames; Keras prefixes 'Exception encountered ...')."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    text = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", text)  # op errors name the kernel first
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    useful = [
        ln
        for ln in lines
        if not ln.startswith(("File ", "in user code", "Exception enc", "Arguments received", "•"))
    ]
    if prefer:
        wanted = [ln for ln in useful if re.search(prefer, ln, re.IGNORECASE)]
        if wanted:
            useful = wanted
    line = useful[-1] if useful else (lines[0] if lines else "")
    line = re.sub(r"^\w+(Error|Exception): ", "", line)
    sentence = re.match(r"(.{20,}?[.:])\s", line)  # the first sentence says it
    if sentence:
        line = sentence[1]
    return line if len(line) <= 90 else line[:89] + "…"
