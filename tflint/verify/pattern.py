"""Run the module's own call pattern around a finding, for rules about how code is called
(retracing, tf.functions created repeatedly, eager mode switched on).

Module-level code already ran when the module was imported. A finding in the
`if __name__ == "__main__":` block runs that block's statements up to the one holding it; a
finding in a function runs that function, with the module's own example arguments (or none).
"""

from __future__ import annotations

import ast
import itertools
import re
from dataclasses import dataclass
from typing import Any

from tflint.verify.inputs import example_calls, required_positional
from tflint.verify.observe import Recording
from tflint.verify.target import Module, Unresolved, instantiate, lookup


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


def _run_main_prefix(module: Module, row: int) -> PatternRun:
    for node in module.tree.body:
        if node.lineno <= row <= (node.end_lineno or node.lineno):
            if not _is_main_guard(node):
                return PatternRun("importing the module", at_import=True)
            assert isinstance(node, ast.If)
            prefix = [s for s in node.body if s.lineno <= row]
            error = _exec(module, prefix)
            if error is not None:
                raise Unresolved(f"the __main__ block raised {describe(error)} before line {row}")
            return PatternRun(f"the __main__ block up to line {row}")
    raise Unresolved("the finding is not in module-level code")


def run_main_setup(module: Module, name: str) -> bool:
    """Run the `__main__` block's statements that come before its first use of `name` (the
    module's own setup: environment variables, files, globals). False when there are none."""
    for node in module.tree.body:
        if _is_main_guard(node):
            assert isinstance(node, ast.If)
            setup = list(
                itertools.takewhile(
                    lambda s: (
                        not any(
                            isinstance(n, ast.Name | ast.Attribute)
                            and name in (getattr(n, "id", None), getattr(n, "attr", None))
                            for n in ast.walk(s)
                        )
                    ),
                    node.body,
                )
            )
            return bool(setup) and _exec(module, setup) is None
    return False


def _exec(module: Module, statements: list[ast.stmt]) -> BaseException | None:
    """Run some of the module's own statements in its namespace; the exception, if any."""
    code = compile(ast.Module(body=statements, type_ignores=[]), module.filename, "exec")
    with Recording(module.filename) as recording:
        recording.run(lambda: exec(code, module.namespace))
    return recording.error


def run_pattern(module: Module, symbol: str | None, row: int, repeat: int = 1) -> PatternRun:
    """Run the code around a finding the way the module runs it; `repeat` calls of a function."""
    if symbol is None:
        return _run_main_prefix(module, row)
    base = symbol.split(".<locals>.")[0]
    function = lookup(module, base)
    parts = base.split(".")
    owner = None
    if len(parts) == 2 and isinstance(lookup(module, parts[0]), type):
        owner = instantiate(lookup(module, parts[0]), module)
        function = getattr(owner, parts[1])
    name = parts[-1]
    candidates = list(itertools.islice(example_calls(module.tree, name, module.namespace), 4))
    if not candidates and required_positional(function) != 0:
        raise Unresolved(f"no inputs could be built for `{base}` (no example call in the module)")
    arguments = [(c.args, c.kwargs) for c in candidates] or [((), {})]
    last_error: BaseException | None = None
    for args, kwargs in arguments:
        with Recording(module.filename) as recording:
            for _ in range(repeat):
                recording.run(lambda a=args, k=kwargs: function(*a, **k))
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
