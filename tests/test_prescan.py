"""The pre-scan (tflint.prescan) may skip parsing a file only when no rule can report on it:
over every example and fixture, every code snippet in the tests and the spellings below, a file
with findings always passes, and linting with the scan gives exactly what linting without it
gives."""

from __future__ import annotations

import ast
import textwrap
from functools import cache
from pathlib import Path

import pytest

from tests.rule_examples import ALL_CODES, ROOT
from tflint.engine import NotAnalysable, lint_source
from tflint.prescan import may_have_findings

INPUT_CODES = {"TF001", "TF002"}  # about the input itself: reported whether or not it is parsed


def corpus_files() -> list[Path]:
    return sorted(
        path for folder in ("rules", "fixtures") for path in (ROOT / folder).rglob("*.py")
    )


def snippets_in_tests() -> list[tuple[str, str]]:
    """Every multi-line string in the test modules that is a Python program, as (where, code)."""
    snippets = []
    for module in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(module.read_bytes())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                code = textwrap.dedent(node.value)
                if "\n" in code and _is_program(code):
                    snippets.append((f"{module.name}:{node.lineno}", code))
    return snippets


def _is_program(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def lint(source: bytes, filename: str, gate: bool) -> list:
    """lint_source's findings; none for valid Python LibCST cannot parse (never analysed)."""
    try:
        return lint_source(source, filename, ALL_CODES, gate=gate)
    except NotAnalysable:
        return []


@cache
def findings(source: bytes, filename: str) -> frozenset[tuple[int, int, str]]:
    diagnostics = lint(source, filename, gate=False)
    return frozenset((d.location.row, d.location.column, d.code) for d in diagnostics)


def assert_scan_is_sound(source: bytes, filename: str) -> None:
    full = findings(source, filename)
    if {code for _, _, code in full} - INPUT_CODES:
        assert may_have_findings(source), f"the pre-scan skips {filename}, which has {full}"
    gated = lint(source, filename, gate=True)
    assert {(d.location.row, d.location.column, d.code) for d in gated} == full


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_never_skips_an_example_or_fixture_with_findings(path: Path) -> None:
    assert_scan_is_sound(path.read_bytes(), str(path))


def test_the_corpus_has_findings_to_protect() -> None:
    with_findings = [p for p in corpus_files() if findings(p.read_bytes(), str(p))]
    assert len(with_findings) >= 15


SNIPPETS = snippets_in_tests()


@pytest.mark.parametrize(("where", "code"), SNIPPETS, ids=[where for where, _ in SNIPPETS])
def test_never_skips_a_test_snippet_with_findings(where: str, code: str) -> None:
    assert_scan_is_sound(code.encode(), "snippet.py")


# Spellings a text scan could miss: aliases, continuations, comments between tokens, a
# non-ASCII-compatible encoding, imports below the top, names that make a Dataset.
PASSES = {
    "aliased tf.function import": (
        """
        from tensorflow import function as compiled

        @compiled
        def f(x):
            print(x)
        """,
        "TF101",
    ),
    "import list with a continuation": (
        """
        import os, \\
            tensorflow as tf

        @tf.function
        def f(x):
            print(x)
        """,
        "TF101",
    ),
    "from-import continued before `import`": (
        """
        from tensorflow \\
            import function

        @function
        def f(x):
            print(x)
        """,
        "TF101",
    ),
    "comment with a bracket inside an import list": (
        """
        from tensorflow.keras import (  # not layers)
            layers,
        )

        class Scale(layers.Layer):
            def call(self, x):
                print(x)
                return x
        """,
        "TF101",
    ),
    "comments between the receiver, the dot and map": (
        """
        def prepare(ds):
            return (ds  # the input
                .  # then
                map(lambda x: print(x)))
        """,
        "TF101",
    ),
    "dataset parameter, no TensorFlow import": (
        """
        def prepare(train_ds):
            return train_ds.map(lambda x: print(x))
        """,
        "TF101",
    ),
    "import inside a function": (
        """
        def build():
            import tensorflow as tf

            @tf.function
            def step(x):
                print(x)
            return step
        """,
        "TF101",
    ),
    "tf_keras model": (
        """
        import tf_keras as keras

        class Model(keras.Model):
            def train_step(self, data):
                print(data)
                return {}
        """,
        "TF101",
    ),
    "loss derived through a local base": (
        """
        import keras

        class Base(keras.losses.Loss):
            pass

        class Huber(Base):
            def __init__(self, delta=1.0):
                super().__init__()
                self.delta = delta
        """,
        "TF303",
    ),
    "tensor factory imported by name": (
        """
        import numpy as np
        from tensorflow import constant

        positions = constant(np.arange(10))
        shifted = positions + constant(1)
        """,
        "TF204",
    ),
    "run_eagerly in parentheses, no TensorFlow import": (
        """
        def train(model):
            model.compile(optimizer="adam", run_eagerly=(True))
        """,
        "TF407",
    ),
    "TensorFlow's internal tf.function": (
        """
        from tensorflow.python.eager import def_function

        @def_function.function
        def f(x):
            print(x)
        """,
        "TF101",
    ),
}


@pytest.mark.parametrize("name", PASSES)
def test_passes_unusual_spellings(name: str) -> None:
    code, expected = PASSES[name]
    source = textwrap.dedent(code).encode()
    assert expected in {code for _, _, code in findings(source, "snippet.py")}
    assert may_have_findings(source)
    assert_scan_is_sound(source, "snippet.py")


def test_decodes_a_declared_encoding_before_scanning() -> None:
    source = (
        "# coding: utf-7\nimport +AHQ-ensorflow as tf\n\n@tf.function\ndef f(x):\n    print(x)\n"
    )
    encoded = source.encode("ascii")
    assert b"tensorflow" not in encoded
    assert {code for _, _, code in findings(encoded, "utf7.py")} == {"TF101"}
    assert may_have_findings(encoded)


# What the scan exists for: TensorFlow's own sources mention tf.function and `def call` all over,
# in docstrings and through internal modules, without holding graph code tflint can see.
SKIPPED = {
    "tf.function only in a docstring, other internal modules in code": """
        '''Example:

            import tensorflow as tf

            @tf.function
            def f(x): ...
        '''
        from tensorflow.python.eager import context

        def f(x):
            print(x, context.executing_eagerly())
        """,
    "keras operation (not a layer) with a call method": """
        from keras.src.ops.operation import Operation

        class Add(Operation):
            def call(self, x, y):
                print(x)
                return x + y
        """,
    "no TensorFlow at all": """
        import functools

        total = functools.reduce(lambda a, b: a + b, [1, 2, 3])
        print(total)
        """,
}


@pytest.mark.parametrize("name", SKIPPED)
def test_skips_files_without_graph_code(name: str) -> None:
    source = textwrap.dedent(SKIPPED[name]).encode()
    assert findings(source, "snippet.py") == set()
    assert not may_have_findings(source)


def test_a_file_ast_cannot_parse_is_left_to_libcst() -> None:
    """Python 2 print with TensorFlow: the scan cannot rule it out, LibCST reports TF001."""
    source = b"import tensorflow as tf\n\n@tf.function\ndef f(x):\n    print x\n"
    assert may_have_findings(source)
    assert [d.code for d in lint_source(source, "old.py", ALL_CODES)] == ["TF001"]
