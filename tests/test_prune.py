"""Statement pruning (tflint.prune) must never change a result: every rule example and fixture
gives the same findings, fixes and graph code with LibCST parsing only the kept statements as
parsing the whole file. bench/prune_equivalence.py runs the same comparison over corpus-a and
the installed TensorFlow/Keras sources."""

from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from tests.rule_examples import ALL_CODES
from tflint import engine, prune
from tflint.fixes import fix_source
from tflint.graph import GraphReason
from tflint.project import hooks
from tflint.prune import pruned_source

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from prune_equivalence import differences, sources  # noqa: E402

EXAMPLES = sources([str(ROOT / "rules"), str(ROOT / "fixtures")], packages=False)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(Path(p).relative_to(ROOT)))
def test_pruned_and_whole_results_are_identical(path: str) -> None:
    try:
        assert differences(path) == []
    finally:
        prune.ENABLED = True


def test_examples_cover_both_rule_files_and_fixtures() -> None:
    names = {Path(p).name for p in EXAMPLES}
    assert {"bad.py", "good.py"} <= names
    assert any("/fixtures/" in p for p in EXAMPLES)


PROGRAM = textwrap.dedent(
    '''\
    """A step and code no rule reads."""
    import tensorflow as tf


    def unrelated(rows):
        total = 0
        for row in rows:
            total += len(row)
        return total


    class Plain:
        def size(self):
            return unrelated([[1]])


    @tf.function
    def step(x):
        print(x)
        return helper(x)


    def helper(x):
        return x * 2
    '''
).encode()


def kept_rows(source: bytes) -> list[int]:
    pruned = pruned_source(source, ast.parse(source))
    assert pruned is not None
    assert pruned.count(b"\n") == source.count(b"\n")
    return [
        row
        for row, (old, new) in enumerate(
            zip(source.splitlines(), pruned.splitlines(), strict=True), start=1
        )
        if new == old and old.strip()
    ]


def test_unreachable_definitions_become_empty_rows() -> None:
    pruned = pruned_source(PROGRAM, ast.parse(PROGRAM))
    assert pruned is not None
    text = pruned.decode()
    assert "def unrelated" not in text and "class Plain" not in text
    assert "def step" in text and "def helper" in text  # the root and what it calls
    assert kept_rows(PROGRAM) == [1, 2, 17, 18, 19, 20, 23, 24]


def test_a_fix_on_a_pruned_file_keeps_every_statement() -> None:
    fixed, result = fix_source(PROGRAM, "step.py", ALL_CODES, include_unsafe=False)
    assert result.fixed == 1
    assert fixed == PROGRAM.replace(b"    print(x)", b"    tf.print(x)")


def test_callers_of_a_tf_function_are_kept_for_tf401() -> None:
    source = PROGRAM + b"\n\ndef train():\n    for i in range(3):\n        step(i)\n"
    text = pruned_source(source, ast.parse(source))
    assert text is not None and b"def train" in text
    (finding,) = [d for d in engine.lint_source(source, "t.py", ALL_CODES) if d.code == "TF401"]
    assert finding.location.row == 29


def test_the_first_indentation_stays_the_default_one() -> None:
    source = b"def unrelated():\n  return 1\n\n\n@tf.function\ndef step(x):\n    return x\n"
    source = b"import tensorflow as tf\n" + source
    text = pruned_source(source, ast.parse(source))
    assert text is None or b"def unrelated" in text  # a 2-space indent comes first: kept


def test_blanking_keeps_line_breaks_and_a_byte_order_mark() -> None:
    source = b"\xef\xbb\xbfdef unrelated():\r\n    return 1\r\nx = 1\n"
    assert prune._blanked(source, [(1, 2)]) == b"\xef\xbb\xbf\r\n\r\nx = 1\n"


def test_a_file_with_external_roots_is_parsed_whole() -> None:
    reason = GraphReason("called from `step` in `train.py:3`")
    source = b"import tensorflow as tf\n\ndef record(x):\n    print(x)\n"
    assert engine.lint_source(source, "utils.py", ALL_CODES) == []
    with hooks.analysing({"record": reason}):
        (finding,) = engine.lint_source(source, "utils.py", ALL_CODES)
    assert (finding.code, finding.location.row) == ("TF101", 4)


@pytest.mark.parametrize("path", [p for p in EXAMPLES if p.endswith(".py")][:40])
def test_a_tree_parsed_without_validation_is_the_validated_tree(path: str) -> None:
    source = Path(path).read_bytes()
    try:
        validated = cst.parse_module(source)
    except (cst.ParserSyntaxError, SyntaxError):  # TF001 and TF002 examples
        return
    with engine.unvalidated():
        unchecked = cst.parse_module(source)
    assert unchecked.deep_equals(validated)


def test_nodes_built_after_a_parse_are_validated_again() -> None:
    with engine.unvalidated():
        cst.Name("")  # not checked while the parser runs
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")
