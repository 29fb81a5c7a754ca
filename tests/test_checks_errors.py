"""TF405, TF406, TF409 on small snippets: `assert`, `try`/`except` and `raise` in graph code.
Each message's claim is checked by running the snippet's shape on TensorFlow."""

from __future__ import annotations

import pytest
import tensorflow as tf

from tests.snippets import lint_snippet, positions
from tflint.diagnostics import Diagnostic

CODES = frozenset({"TF405", "TF406", "TF409"})
WHERE = "decorated with @tf.function"
MESSAGE_405 = (
    f"`assert` on a tensor in graph code ({WHERE}) raises `OperatorNotAllowedInGraphError` (a "
    "symbolic tensor used as a Python bool) while tracing, for every input; check values with "
    "`tf.debugging.assert_*` (`tf.debugging.assert_greater(x, 0.0)`)"
)
MESSAGE_409 = (
    f"`raise` under an `if` on a tensor in graph code ({WHERE}) raises while tracing, for every "
    "input: AutoGraph turns the `if` into `tf.cond`, which traces both branches; check values "
    "with `tf.debugging.assert_*` (or `tf.debugging.Assert`) instead of raising"
)


def message_406(caught: str, op: str, where: str = WHERE) -> str:
    return (
        f"`{caught}` around `{op}(...)` in graph code ({where}) catches only errors raised "
        "while tracing: an error the op raises when the graph runs escapes it and ends the "
        "call; check values with TF ops (`tf.debugging.*`, `tf.cond`, `tf.where`) or catch "
        "around the call, outside graph code"
    )


def lint(source: str) -> list[Diagnostic]:
    return lint_snippet(source, CODES)


def found(source: str) -> list[tuple[int, int, str]]:
    return positions(lint(source))


def in_function(body: str, signature: str = "x", decorator: str = "@tf.function") -> str:
    lines = "".join(f"    {line}\n" for line in body.strip("\n").splitlines())
    return (
        f"import keras\nimport tensorflow as tf\n\n\n{decorator}\ndef f({signature}):\n{lines}"
        "    return x\n"
    )


# -- TF405 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "test",
    [
        "x > 0",
        "tf.reduce_all(x > 0)",
        "not tf.reduce_any(tf.math.is_nan(x))",
        "tf.shape(x)[0] == 3",
        "tf.rank(x) == 2 and x.shape[0] == 3",
        "x.shape[0] == 3 or x",
        "keras.ops.all(x >= 0)",
        "x",
    ],
)
def test_assert_on_a_tensor_is_flagged(test: str) -> None:
    (diagnostic,) = lint(in_function(f"assert {test}, 'message'"))
    assert (diagnostic.code, diagnostic.location.row, diagnostic.location.column) == (
        "TF405",
        7,
        5,
    )
    assert diagnostic.message == MESSAGE_405


@pytest.mark.parametrize(
    "test",
    [
        "x is not None",
        "x.shape[-1] == 3",
        "x.shape.rank == 2 and len(x.shape) == 2",
        "x.dtype == tf.float32",
        "isinstance(x, tf.Tensor)",
        "axis in (0, 1)",
        "scale > 0",
        "tf.is_tensor(x)",
        "training is None or not training",
        "x == None",
    ],
)
def test_assert_on_python_values_is_quiet(test: str) -> None:
    assert found(in_function(f"assert {test}", "x, axis, scale=2.0, training=None")) == []


def test_assert_outside_graph_code_and_converted_asserts_are_quiet() -> None:
    assert found(in_function("assert tf.reduce_all(x > 0)", decorator="")) == []
    feature = "tf.autograph.experimental.Feature"
    converted = f"@tf.function(experimental_autograph_options=({feature}.ASSERT_STATEMENTS,))"
    assert found(in_function("assert tf.reduce_all(x > 0)", decorator=converted)) == []
    converted = f"@tf.function(experimental_autograph_options={feature}.ALL)"
    assert found(in_function("assert x > 0", decorator=converted)) == []


def test_assert_in_keras_call_and_autograph_off_is_flagged() -> None:
    source = """\
        import keras

        class Clip(keras.layers.Layer):
            def call(self, inputs):
                assert keras.ops.all(inputs > 0)
                return inputs
        """
    assert found(source) == [(5, 9, "TF405")]
    off = in_function("assert x > 0", decorator="@tf.function(autograph=False)")
    assert found(off) == [(7, 5, "TF405")]


def test_assert_claim_every_input_fails_while_tracing() -> None:
    @tf.function
    def positive(x):
        assert x > 0
        return x

    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError, match="Python `bool`"):
        positive(tf.constant(1.0))  # a value that passes the check


# -- TF409 ---------------------------------------------------------------------------------


def test_raise_under_a_tensor_if_is_flagged_in_both_branches() -> None:
    body = """\
if tf.reduce_any(x < 0):
    raise ValueError("negative")
elif x.shape[0] == 0:
    raise ValueError("static, under a Python elif")
if x > 10:
    y = x
else:
    raise ValueError("too small")
"""
    diagnostics = lint(in_function(body))
    assert positions(diagnostics) == [(8, 9, "TF409"), (14, 9, "TF409")]
    assert {d.message for d in diagnostics} == {MESSAGE_409}


@pytest.mark.parametrize(
    "test",
    [
        "mode not in ('a', 'b')",
        "x.shape.rank != 2",
        "x is None",
        "not tf.is_tensor(x)",
        "gamma and gamma < 0",
        "training",
    ],
)
def test_raise_under_a_python_if_is_quiet(test: str) -> None:
    body = f"if {test}:\n    raise ValueError('bad')\ngamma = tf.cast(gamma, x.dtype)"
    assert found(in_function(body, "x, mode='a', gamma=2.0, training=False")) == []


def test_raise_where_autograph_does_not_convert_is_left_to_tf501() -> None:
    off = in_function(
        "if x > 0:\n    raise ValueError('no')", decorator="@tf.function(autograph=False)"
    )
    assert found(off) == []
    source = """\
        import keras

        class Gate(keras.layers.Layer):
            def call(self, inputs):
                if keras.ops.any(inputs < 0):
                    raise ValueError("negative")
                return inputs
        """
    assert found(source) == []


def test_raise_in_a_nested_function_is_judged_by_its_own_if() -> None:
    body = """\
if x > 0:
    def fail():
        raise ValueError("never traced here")
"""
    assert found(in_function(body, decorator="@tf.function")) == []


def test_raise_claim_raises_for_inputs_that_skip_the_branch() -> None:
    @tf.function
    def checked(x):
        if x < 0:
            raise ValueError("negative")
        return x

    with pytest.raises(ValueError, match="negative"):
        checked(tf.constant(1.0))


# -- TF406 ---------------------------------------------------------------------------------


def try_block(handler: str, body: str = "y = tf.gather(x, 5)") -> str:
    """`handler` without a body gets `y = x` as its body."""
    if "\n" not in handler:
        handler += "\n    y = x"
    return in_function(f"try:\n    {body}\n{handler}")


@pytest.mark.parametrize(
    ("handler", "caught", "column"),
    [
        ("except tf.errors.InvalidArgumentError:", "except tf.errors.InvalidArgumentError", 8),
        ("except tf.errors.OpError as error:", "except tf.errors.OpError", 8),
        ("except Exception:", "except Exception", 8),
        ("except (KeyError, BaseException):", "except (KeyError, BaseException)", 9),
        ("except:", "except:", 1),
    ],
)
def test_except_catching_op_errors_around_an_op_is_flagged(
    handler: str, caught: str, column: int
) -> None:
    (diagnostic,) = lint(try_block(handler))
    assert (diagnostic.code, diagnostic.location.row, diagnostic.location.column) == (
        "TF406",
        9,
        column + 4,
    )
    assert diagnostic.message == message_406(caught, "tf.gather")


@pytest.mark.parametrize(
    "body",
    [
        "y = tf.debugging.check_numerics(x, 'bad')",
        "y = tf.io.decode_png(x)",
        "y = keras.ops.log(x)",
        "y = helper(x)",
    ],
)
def test_ops_of_every_namespace_and_helpers_fed_tensors_count(body: str) -> None:
    source = try_block("except Exception:", body) + "\n\ndef helper(t):\n    return t\n"
    assert [code for _, _, code in found(source)] == ["TF406"]


@pytest.mark.parametrize(
    ("handler", "body"),
    [
        ("except ImportError:", "import tensorflow_addons"),
        ("except ValueError:", "y = tf.reshape(x, (2, 2))"),
        ("except (TypeError, KeyError):", "y = tf.gather(x, 5)"),
        ("except Exception:", "y = options['scale']"),
        ("except tf.errors.NotFoundError:", "y = tf.io.gfile.GFile('a.cfg').read()"),
        ("except tf.errors.OpError as e:\n    log(e)\n    raise", "y = tf.gather(x, 5)"),
        ("except Exception as e:\n    raise RuntimeError('ctx') from e", "y = tf.gather(x, 5)"),
    ],
)
def test_trace_time_errors_pure_python_and_reraising_handlers_are_quiet(
    handler: str, body: str
) -> None:
    assert found(try_block(handler, body)) == []


def test_except_in_eager_code_is_quiet() -> None:
    assert (
        found(
            in_function("try:\n    y = tf.gather(x, 5)\nexcept Exception:\n    y = x", decorator="")
        )
        == []
    )


def test_except_claim_the_op_error_escapes() -> None:
    @tf.function
    def row(table, index):
        try:
            return tf.gather(table, index)
        except tf.errors.InvalidArgumentError:
            return tf.zeros_like(table[0])

    table = tf.constant([[1.0, 2.0]])
    assert row.python_function(table, 5).numpy().tolist() == [0.0, 0.0]  # eagerly caught
    with pytest.raises(tf.errors.InvalidArgumentError, match="not in"):
        row(table, tf.constant(5))
