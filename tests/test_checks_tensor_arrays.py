"""TF408 on small snippets: TensorArray updates whose result is thrown away in graph code.
The claim (the graph keeps none of the writes) is checked on TensorFlow."""

from __future__ import annotations

import pytest
import tensorflow as tf

from tests.snippets import lint_snippet, positions
from tflint.diagnostics import Diagnostic

CODES = frozenset({"TF408"})


def lint(source: str) -> list[Diagnostic]:
    return lint_snippet(source, CODES)


def in_function(body: str, decorator: str = "@tf.function") -> str:
    lines = "".join(f"    {line}\n" for line in body.strip("\n").splitlines())
    return f"import tensorflow as tf\n\n\n{decorator}\ndef f(x, n):\n{lines}    return ta.stack()\n"


@pytest.mark.parametrize(
    ("update", "column"),
    [
        ("ta.write(0, x)", 5),
        ("ta.unstack(x)", 5),
        ("ta.scatter([0, 1], x)", 5),
        ("ta.split(x, [1, 1])", 5),
    ],
)
def test_discarded_update_is_flagged(update: str, column: int) -> None:
    source = in_function(f"ta = tf.TensorArray(tf.float32, size=2)\n{update}")
    (diagnostic,) = lint(source)
    assert (diagnostic.code, diagnostic.location.row, diagnostic.location.column) == (
        "TF408",
        7,
        column,
    )
    method = update.split("(")[0].split(".")[1]
    assert diagnostic.message == (
        f"`ta.{method}(...)` in graph code (decorated with @tf.function) returns a new "
        "TensorArray, which is thrown away: `ta` keeps none of it (its `stack()` is empty, or "
        f"zeros at a fixed size); assign the result back: `ta = ta.{method}(...)`"
    )
    assert diagnostic.fix is None


def test_in_a_loop_and_after_an_earlier_update_is_flagged() -> None:
    body = """\
ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
ta = ta.write(0, x)
for i in tf.range(n):
    ta.write(i + 1, x)
"""
    assert positions(lint(in_function(body))) == [(9, 9, "TF408")]


def test_tensor_array_through_the_compat_spelling_is_flagged() -> None:
    body = "ta = tf.compat.v1.TensorArray(tf.float32, size=1)\nta.write(0, x)"
    assert positions(lint(in_function(body))) == [(7, 5, "TF408")]


@pytest.mark.parametrize(
    "body",
    [
        "ta = tf.TensorArray(tf.float32, size=1)\nta = ta.write(0, x)",
        "ta = tf.TensorArray(tf.float32, size=2).write(0, x).write(1, x)",
        "ta = tf.TensorArray(tf.float32, size=1)\nother = ta.write(0, x)\nta = other",
        "ta = tf.TensorArray(tf.float32, size=1)\nlog = open('x')\nlog.write('a')",
        "ta = tf.TensorArray(tf.float32, size=1)\nn.write(0, x)",
        "ta = tf.TensorArray(tf.float32, size=1)\nta.read(0)",
    ],
)
def test_kept_results_and_other_objects_are_quiet(body: str) -> None:
    assert lint(in_function(body)) == []


def test_eager_code_is_quiet() -> None:
    body = "ta = tf.TensorArray(tf.float32, size=1)\nta.write(0, x)"
    assert lint(in_function(body, decorator="")) == []


def test_each_function_knows_its_own_tensor_arrays() -> None:
    source = """\
        import tensorflow as tf

        @tf.function
        def first(x):
            ta = tf.TensorArray(tf.float32, size=1)
            return ta.write(0, x).stack()

        @tf.function
        def second(ta, x):
            ta.write(0, x)  # a parameter: not known to be a TensorArray
            return x
        """
    assert lint(source) == []


def test_claim_the_graph_keeps_none_of_the_writes() -> None:
    def squares(n):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in tf.range(n):
            ta.write(i, tf.cast(i * i, tf.float32))
        return ta.stack()

    assert squares(tf.constant(3)).numpy().tolist() == [0.0, 1.0, 4.0]  # eagerly in place
    assert tf.function(squares)(tf.constant(3)).numpy().tolist() == []  # as a graph: empty
