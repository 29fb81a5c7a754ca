"""Fuzzing: whatever Python (or almost-Python) comes in, tflint never raises, the pre-scan never
changes the result, every reporter's output is well-formed, and fixes always leave code that
parses and that a second `--fix` leaves alone.

Inputs: programs generated from Python's grammar and from LibCST's node types (hypothesmith),
and the rule examples (rules/*/bad.py, good.py) mutated line by line and name by name — close
enough to real TensorFlow code to reach every check and every fix.
"""

from __future__ import annotations

import ast
import json
import os
import re

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rule_examples import ALL_CODES, RULES_DIR
from tflint.diagnostics import Diagnostic
from tflint.engine import lint_source
from tflint.fixes import fix_source
from tflint.report import REPORTERS
from tflint.rules import RULES
from tflint.runner import RunResult

FILENAME = "fuzzed.py"
EXAMPLES = sorted(RULES_DIR.glob("*/*.py"))
IDENTIFIER = re.compile(r"\b[A-Za-z_]\w*\b")

# hypothesmith compiles what it generates; its SyntaxWarnings ("'int' object is not callable")
# are about the generated code, not tflint.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,  # hypothesmith.from_node discards many drafts
    ],
    derandomize=bool(os.environ.get("CI")),  # CI must not fail on a new draw; runs here explore
)


def lint(source: bytes) -> list[Diagnostic]:
    return lint_source(source, FILENAME, ALL_CODES, gate=False)


def compiles(source: bytes) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


def check_lint(source: bytes) -> list[Diagnostic]:
    diagnostics = lint(source)
    for diagnostic in diagnostics:
        assert diagnostic.code in RULES
        assert diagnostic.location.row >= 1 and diagnostic.location.column >= 1
        assert diagnostic.end_location >= diagnostic.location
    if not any(d.code == "TF001" for d in diagnostics):
        gated = lint_source(source, FILENAME, ALL_CODES)
        assert [d.sort_key for d in gated] == [d.sort_key for d in diagnostics]
    return diagnostics


def check_reports(diagnostics: list[Diagnostic]) -> None:
    run = RunResult(diagnostics=list(diagnostics), files=1).finish()
    for name, render in REPORTERS.items():
        output = render(run)
        assert isinstance(output, str), name
    assert len(json.loads(REPORTERS["json"](run))) == len(diagnostics)
    lines = REPORTERS["json-lines"](run).splitlines()
    assert [json.loads(line)["code"] for line in lines] == [d.code for d in run.diagnostics]
    json.loads(REPORTERS["sarif"](run))


def check_fixes(source: bytes) -> None:
    """Fixing (unsafe fixes included) gives code that parses, and fixing that changes nothing."""
    if not compiles(source):
        return
    fixed, _ = fix_source(source, FILENAME, ALL_CODES, True)
    assert compiles(fixed), fixed.decode()
    again, second = fix_source(fixed, FILENAME, ALL_CODES, True)
    assert (again, second.fixed) == (fixed, 0)
    assert not any(d.fix is not None for d in second.remaining)


def check_everything(source: bytes) -> None:
    check_reports(check_lint(source))
    check_fixes(source)


@FUZZ
@given(hypothesmith.from_grammar())
def test_programs_from_the_grammar(code: str) -> None:
    check_everything(code.encode("utf-8", errors="surrogatepass"))


@settings(FUZZ, max_examples=15)  # each draw builds a LibCST tree: slow to generate
@given(hypothesmith.from_node())
def test_programs_from_libcst_nodes(code: str) -> None:
    check_everything(code.encode("utf-8", errors="surrogatepass"))


@st.composite
def mutated_examples(draw: st.DrawFn) -> str:
    """A rule example with a few lines deleted, duplicated or swapped, or two names swapped
    everywhere (a tensor becomes a loop variable, `print` becomes `tf`, ...)."""
    lines = (
        draw(st.sampled_from(EXAMPLES))
        .read_bytes()
        .decode("utf-8", "replace")
        .splitlines(keepends=True)
    )
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not lines:
            break
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        other = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        operation = draw(st.sampled_from(["delete", "duplicate", "swap", "rename"]))
        if operation == "delete":
            del lines[index]
        elif operation == "duplicate":
            lines.insert(other, lines[index])
        elif operation == "swap":
            lines[index], lines[other] = lines[other], lines[index]
        else:
            lines = swap_names(lines, draw)
    return "".join(lines)


def swap_names(lines: list[str], draw: st.DrawFn) -> list[str]:
    names = sorted(set(IDENTIFIER.findall("".join(lines))))
    if len(names) < 2:
        return lines
    first, second = draw(st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True))
    swapped = {first: second, second: first}
    return [IDENTIFIER.sub(lambda m: swapped.get(m[0], m[0]), line) for line in lines]


@FUZZ
@given(mutated_examples())
def test_mutated_rule_examples(code: str) -> None:
    check_everything(code.encode("utf-8"))


def test_mutations_reach_the_checks_and_the_fixes() -> None:
    """The examples the mutations start from hold findings with fixes, so the fuzzing above
    exercises the checks and the fix path, not only the parser."""
    diagnostics = [d for path in EXAMPLES for d in lint(path.read_bytes())]
    assert len({d.code for d in diagnostics}) >= 10
    assert any(d.fix is not None for d in diagnostics)
