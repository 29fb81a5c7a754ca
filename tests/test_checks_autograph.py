"""TF501 and TF502 on small snippets: exact codes, rows, columns and messages, where AutoGraph
does and does not convert the code, and the look-alikes that must stay quiet. A few snippets are
also run with real TensorFlow to hold the messages' claims to what TF 2.21 / Keras 3 does."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.snippets import lint_snippet, positions
from tflint.diagnostics import Diagnostic

CODES = frozenset({"TF501", "TF502"})


def lint(source: str) -> list[Diagnostic]:
    return lint_snippet(source, CODES)


def found(source: str) -> list[tuple[int, int, str]]:
    return positions(lint(source))


LAYER = """\
import keras
import tensorflow as tf
from helpers import is_wide

class Block(keras.layers.Layer):
    def call(self, inputs, training=None):
        {body}
        return inputs
"""


def in_layer(*lines: str) -> str:
    """The lines as the body of `Block.call`, its first line at row 7, column 9."""
    return LAYER.format(body="\n        ".join(lines))


FUNCTION = """\
import tensorflow as tf


@tf.function
def f(x):
    total = tf.reduce_sum(x)
    {body}
"""


def in_function(*lines: str) -> str:
    """The lines as the body of a plain tf.function `f(x)`, the first at row 7, column 5."""
    return FUNCTION.format(body="\n    ".join(lines))


# -- TF501 tensor-control-flow-without-autograph -----------------------------------------------

BOOL = "Using a symbolic tf.Tensor as a Python bool is not allowed"
KERAS = "(Keras traces `Block.call`, and Keras 3 never applies AutoGraph to it)"
IN_KERAS = "in `fit`, at model build and under `tf.function`"


def test_if_on_a_tensor_in_a_layer_call() -> None:
    (finding,) = lint(in_layer("if tf.reduce_sum(inputs) > 0:", "    inputs = inputs * 2.0"))
    assert (finding.location.row, finding.location.column, finding.code) == (7, 9, "TF501")
    assert finding.message == (
        f"`if` on a tensor value {KERAS} raises `OperatorNotAllowedInGraphError: {BOOL}` "
        f"{IN_KERAS}; use `tf.cond` / `keras.ops.cond`, or `tf.where` to choose elementwise"
    )


@pytest.mark.parametrize(
    "lines",
    [
        ("while tf.reduce_max(inputs) > 1.0:", "    inputs = inputs / 2.0"),
        ("peak = tf.reduce_max(inputs)", "while peak > 1.0:", "    peak = peak / 2.0"),
        ("step = 0", "while step < tf.shape(inputs)[0]:", "    step = step + 1"),
    ],
)
def test_while_on_a_tensor(lines: tuple[str, ...]) -> None:
    (finding,) = lint(in_layer(*lines))
    assert finding.location.row == 6 + len(lines) - 1
    assert finding.message.endswith("; use `tf.while_loop` / `keras.ops.while_loop`")


def test_conditional_expression_and_for_over_tf_range() -> None:
    source = in_layer(
        "inputs = inputs if tf.reduce_max(inputs) < 1.0 else inputs / 2.0",
        "for _ in tf.range(3):",
        "    inputs = inputs + 1.0",
    )
    assert found(source) == [(7, 18, "TF501"), (8, 9, "TF501")]
    loop = lint(source)[1]
    assert loop.message == (
        f"`for` over `tf.range` {KERAS} raises `OperatorNotAllowedInGraphError: Iterating over "
        f"a symbolic tf.Tensor is not allowed` {IN_KERAS}; loop with `tf.while_loop` / "
        "`keras.ops.fori_loop`, or over a Python `range` when the count is a Python int"
    )


@pytest.mark.parametrize(
    "test",
    [
        "not tf.reduce_any(inputs > 0)",
        "tf.reduce_sum(inputs) > 0 and training",
        "tf.shape(inputs)[0] > 1",
        "keras.ops.all(inputs > 0)",
        "(tf.reduce_max(inputs) - 1.0)[0] > 0",
    ],
)
def test_spellings_of_a_tensor_condition(test: str) -> None:
    assert found(in_layer(f"if {test}:", "    inputs = inputs * 2.0")) == [(7, 9, "TF501")]


def test_train_step_and_metric_update_state() -> None:
    source = """\
    import keras
    import tensorflow as tf


    class Model(keras.Model):
        def train_step(self, data):
            x, y = data
            if tf.reduce_sum(x) > 0:
                pass
            return {}


    class Mean(keras.metrics.Metric):
        def update_state(self, y_true, y_pred, sample_weight=None):
            if tf.reduce_sum(y_pred) > 0:
                pass
    """
    assert found(source) == [(8, 9, "TF501"), (15, 9, "TF501")]


def test_helper_called_from_call_is_not_converted_either() -> None:
    source = """\
    import keras
    import tensorflow as tf


    def gate(x):
        if tf.reduce_sum(x) > 0:
            return x * 2.0
        return x


    class Block(keras.layers.Layer):
        def call(self, inputs):
            return gate(inputs)
    """
    (finding,) = lint(source)
    assert (finding.location.row, finding.code) == (6, "TF501")
    assert "(called from graph code `call`, with AutoGraph off)" in finding.message


def test_autograph_false_tf_function() -> None:
    source = """\
    import tensorflow as tf


    @tf.function(autograph=False)
    def f(x):
        if tf.reduce_sum(x) > 0:
            return x
        return -x
    """
    (finding,) = lint(source)
    assert finding.message == (
        "`if` on a tensor value (decorated with @tf.function, with AutoGraph off) raises "
        f"`OperatorNotAllowedInGraphError: {BOOL}` when traced; use `tf.cond` / "
        "`keras.ops.cond`, or `tf.where` to choose elementwise"
    )


@pytest.mark.parametrize(
    "lines",
    [
        ("for layer in self.layers:", "    inputs = layer(inputs)"),
        ("if training:", "    inputs = inputs * 1.0"),
        ("if inputs.shape[-1] > 1:", "    inputs = inputs * 1.0"),
        ("for i in range(inputs.shape[-1]):", "    inputs = inputs + 0.0"),
        ("if inputs is None:", "    return None"),
        ("if self.mode == 'sum':", "    inputs = inputs + 0.0"),
        ("if tf.is_tensor(inputs):", "    inputs = inputs + 0.0"),
        ("if len(self.layers) > 1:", "    inputs = inputs + 0.0"),
        ("if inputs:", "    inputs = inputs + 0.0"),  # a bare parameter: maybe a list
        ("if inputs[0] > 0:", "    inputs = inputs + 0.0"),
        ("for part in tf.unstack(inputs):", "    inputs = inputs + 0.0"),
        ("if isinstance(inputs, list):", "    inputs = inputs[0]"),
        # Keras 3's ops.ndim is the static rank, a Python int (None when unknown)
        ("rank = keras.ops.ndim(inputs)", "if rank > 1:", "    inputs = inputs + 0.0"),
        # a local helper's result may be a Python bool (one judging static shapes)
        ("wide = is_wide(inputs)", "if wide:", "    inputs = inputs + 0.0"),
        (
            "total = 0",
            "for part in self.parts:",
            "    total = total + 1",
            "if total > 1:",
            "    pass",
        ),
    ],
)
def test_python_values_in_a_layer_stay_quiet(lines: tuple[str, ...]) -> None:
    assert lint(in_layer(*lines)) == []


def test_plain_tf_function_and_decorated_call_are_converted() -> None:
    source = """\
    import keras
    import tensorflow as tf


    @tf.function
    def f(x):
        if tf.reduce_sum(x) > 0:
            x = x * 2.0
        for _ in tf.range(3):
            x = x + 1.0
        return x


    class Block(keras.layers.Layer):
        @tf.function
        def call(self, inputs):
            if tf.reduce_sum(inputs) > 0:
                return inputs
            return -inputs
    """
    assert lint(source) == []


@pytest.mark.parametrize(
    "imports",
    [
        "import tf_keras as keras",
        "import os\nos.environ['TF_USE_LEGACY_KERAS'] = '1'\nfrom tensorflow import keras",
    ],
)
def test_keras_2_converts_call_itself(imports: str) -> None:
    source = (
        f"{imports}\nimport tensorflow as tf\n\n\nclass Block(keras.layers.Layer):\n"
        "    def call(self, inputs):\n        if tf.reduce_sum(inputs) > 0:\n"
        "            return inputs\n        return -inputs\n\n\n"
        "@tf.function(autograph=False)\ndef f(x):\n    if tf.reduce_sum(x) > 0:\n"
        "        return x\n    return -x\n"
    )
    assert [d.location.row for d in lint(source)] == [source.count("\n") - 2]


def _raised(function: Callable[..., object], *args: object) -> str:
    try:
        function(*args)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return "nothing"


class Gate(keras.layers.Layer):
    def call(self, inputs):
        if tf.reduce_sum(inputs) > 0:
            return inputs * 2.0
        return inputs


def test_claim_keras_3_call_fails_even_from_a_user_tf_function() -> None:
    data = np.ones((2, 3), "float32")
    assert Gate()(data).shape == (2, 3)  # eagerly it works
    layer = Gate()
    raised = _raised(tf.function(lambda x: layer(x)), data)
    assert raised.startswith("OperatorNotAllowedInGraphError")
    assert "as a Python `bool` is not allowed" in raised


# -- TF502 branch-only-variable ----------------------------------------------------------------


def test_name_set_in_the_main_branch_only() -> None:
    (finding,) = lint(in_function("if total > 0:", "    y = x * 2.0", "return y"))
    assert (finding.location.row, finding.location.column, finding.code) == (7, 5, "TF502")
    assert finding.message == (
        "`y` is set only in the main branch of an `if` on a tensor value and read after it "
        "(decorated with @tf.function): AutoGraph makes the `if` a `tf.cond`, and tracing "
        "raises `ValueError: 'y' must also be initialized in the else branch`; assign `y` "
        "before the `if`"
    )


def test_name_set_in_the_else_branch_only() -> None:
    (finding,) = lint(in_function("if total > 0:", "    pass", "else:", "    y = x", "return y"))
    assert "must also be initialized in the main branch" in finding.message


@pytest.mark.parametrize(
    "lines",
    [
        # elif without else: the inner `if` lacks it (the outer main branch never reaches it)
        ("if total > 9:", "    y = x", "elif total > 0:", "    y = -x", "return y"),
        # read after an enclosing `with` block
        ("with tf.name_scope('a'):", "    if total > 0:", "        y = x", "return y"),
        # read by a later tensor `if`
        ("if total > 0:", "    y = x", "if total > 1:", "    return y", "return x"),
    ],
)
def test_more_shapes_found(lines: tuple[str, ...]) -> None:
    assert [code for _, _, code in found(in_function(*lines))] == ["TF502"]


@pytest.mark.parametrize(
    "lines",
    [
        ("y = x", "if total > 0:", "    y = x * 2.0", "return y"),
        ("if total > 0:", "    y = x", "else:", "    y = -x", "return y"),
        ("if total > 0:", "    y = x", "    return y", "return x"),
        ("if total > 0:", "    y = x", "else:", "    return x", "return y"),
        ("if total > 0:", "    y = x", "return x"),
        ("if total > 0:", "    y = x", "y = -x", "return y"),
        ("for _ in tf.range(3):", "    if total > 0:", "        y = x", "return x"),
        ("if x.shape[0] > 1:", "    y = x", "return y"),  # a Python `if`: no tf.cond
        ("if total > 0:", "    y = x", "return tf.identity(x, name='y')"),
    ],
)
def test_tf502_look_alikes_stay_quiet(lines: tuple[str, ...]) -> None:
    assert lint(in_function(*lines)) == []


def test_tf502_not_in_keras_call() -> None:
    """Keras 3 does not convert `call`: the `if` there is TF501's, never a tf.cond."""
    source = in_layer("if tf.reduce_sum(inputs) > 0:", "    y = inputs", "inputs = y")
    assert found(source) == [(7, 9, "TF501")]


def test_claim_branch_only_variable_error_text() -> None:
    @tf.function
    def f(x):
        if tf.reduce_sum(x) > 0:
            y = x * 2.0
        return y

    assert "'y' must also be initialized in the else branch" in _raised(f, tf.ones(2))
