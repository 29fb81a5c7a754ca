"""TF203, TF205, TF207 on small snippets: each spelling found at its exact row and column with
its exact message, and each look-alike of real TensorFlow/Keras code quiet. The behaviour each
message claims is checked with real TensorFlow at the end."""

from __future__ import annotations

import keras
import pytest
import tensorflow as tf

from tests.snippets import lint_snippet, positions, single
from tflint.diagnostics import Diagnostic

CODES = frozenset({"TF203", "TF205", "TF207"})


def lint(source: str) -> list[Diagnostic]:
    return lint_snippet(source, CODES)


def found(source: str) -> list[tuple[int, int, str]]:
    return positions(lint(source))


def only(source: str) -> Diagnostic:
    return single(lint(source))


def in_tf_function(body: str, decorator: str = "@tf.function") -> str:
    """`body` (one line) as row 5, column 5 of `f(x)` under `decorator`."""
    return f"import tensorflow as tf\n\n{decorator}\ndef f(x):\n    {body}\n"


def in_layer(body: str, params: str = "inputs") -> str:
    """`body` (one line) as row 6, column 9 of a Keras layer's `call`."""
    return (
        "import keras\nimport tensorflow as tf\n\n\nclass Block(keras.layers.Layer):\n"
        f"    def call(self, {params}):\n        {body}\n"
    )


SIGNATURE = "@tf.function(input_signature=[tf.TensorSpec([None, 3])])"


# -- TF203 python-conversion-of-tensor --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "column", "message"),
    [
        (
            "return bool(tf.reduce_sum(x) > 0)",
            12,
            "`bool()` of a tensor in graph code (decorated with @tf.function) raises "
            "`OperatorNotAllowedInGraphError` (using a symbolic tensor as a Python bool is not "
            "allowed); use a tensor condition (`tf.cond`, `tf.where`, or AutoGraph's `if t:`)",
        ),
        (
            "return tf.reduce_max(x).item()",
            12,
            "`.item()` on a tensor in graph code (decorated with @tf.function) raises "
            "`AttributeError: 'SymbolicTensor' object has no attribute 'item'`; keep the value a "
            "tensor (`tf.reshape(t, [])` for a scalar)",
        ),
        (
            "return tf.sort(x).tolist()",
            12,
            "`.tolist()` on a tensor in graph code (decorated with @tf.function) raises "
            "`AttributeError: SymbolicTensor object has no attribute 'tolist'`; keep the value a "
            "tensor",
        ),
        (
            "return round(tf.reduce_mean(x))",
            12,
            "`round()` of a tensor in graph code (decorated with @tf.function) raises "
            "`AttributeError: ... object has no attribute 'astype'` (eagerly too: TensorFlow "
            "tensors do not support `round`); use `tf.round`",
        ),
        (
            'return f"{tf.reduce_mean(x):.2f}"',
            14,
            'A format spec on a tensor (`f"{t:.2f}"`) in graph code (decorated with '
            "@tf.function) raises `TypeError: unsupported format string passed to "
            "SymbolicTensor.__format__`; format it with `tf.strings.as_string` or print it with "
            "`tf.print`",
        ),
        (
            'return "{:.3f}".format(tf.reduce_mean(x))',
            12,
            "`str.format` with a spec on a tensor in graph code (decorated with @tf.function) "
            "raises `TypeError: unsupported format string passed to SymbolicTensor.__format__`; "
            "format it with `tf.strings.as_string` or print it with `tf.print`",
        ),
        (
            'return format(tf.reduce_mean(x), ".1f")',
            12,
            "`format()` of a tensor with a spec in graph code (decorated with @tf.function) "
            "raises `TypeError: unsupported format string passed to SymbolicTensor.__format__`; "
            "format it with `tf.strings.as_string` or print it with `tf.print`",
        ),
    ],
)
def test_conversions_that_fail_under_autograph_too(body: str, column: int, message: str) -> None:
    diagnostic = only(in_tf_function(body))
    assert (diagnostic.location.row, diagnostic.location.column, diagnostic.code) == (
        5,
        column,
        "TF203",
    )
    assert diagnostic.message == message


@pytest.mark.parametrize(
    ("call", "claim"),
    [
        ("float", "float() argument must be ... not 'SymbolicTensor'"),
        ("int", "int() argument must be ... not 'SymbolicTensor'"),
        ("len", "len is not well defined for a symbolic Tensor"),
    ],
)
def test_float_int_len_only_where_autograph_is_off(call: str, claim: str) -> None:
    body = f"return {call}(tf.reshape(x, [-1]))"
    assert found(in_tf_function(body)) == []  # AutoGraph converts them
    diagnostic = only(in_tf_function(body, "@tf.function(autograph=False)"))
    assert (diagnostic.location.row, diagnostic.location.column) == (5, 12)
    assert f"raises `TypeError: {claim}` (AutoGraph is off here)" in diagnostic.message
    layer = only(in_layer(f"n = {call}(tf.reshape(inputs, [-1]))"))
    assert (layer.location.row, layer.location.column) == (7, 13)
    assert "(Keras traces `Block.call`)" in layer.message


@pytest.mark.parametrize(
    "body",
    [
        "return bool(flag)",  # Python arguments: retraced per value
        'return f"{rate:.2f}"',
        "return round(rate, 1)",
        "return f'{tf.reduce_mean(x)}'",  # no spec: str() of a tensor works
        "return float(x.shape[-1])",  # a static dimension
    ],
)
def test_conversions_of_python_values_are_quiet(body: str) -> None:
    source = f"import tensorflow as tf\n\n@tf.function\ndef f(x, flag, rate):\n    {body}\n"
    assert found(source) == []


@pytest.mark.parametrize(
    "body",
    [
        "n = len(inputs)",  # a list of tensors
        "n = len(self.weights)",
        "a, b = inputs; n = len(a)",  # unpacked from the inputs: may be lists
        "n = len(keras.ops.shape(inputs))",  # a tuple in Keras 3
        "n = float(self.rate)",
        "n = [t for t in inputs]; m = len(n)",
    ],
)
def test_keras_look_alikes_are_quiet(body: str) -> None:
    assert found(in_layer(body)) == []


def test_parameters_count_as_tensors_under_a_signature() -> None:
    assert found(in_tf_function("return bool(x)")) == []
    assert found(in_tf_function("return bool(x)", SIGNATURE)) == [(5, 12, "TF203")]


def test_eager_code_is_quiet() -> None:
    assert found("import tensorflow as tf\n\ndef f(x):\n    return bool(tf.reduce_sum(x))\n") == []


def test_other_keras_backend_is_quiet() -> None:
    source = "import os\nos.environ['KERAS_BACKEND'] = 'jax'\n" + in_layer(
        "n = float(keras.ops.sum(inputs))"
    )
    assert found(source) == []
    assert found(in_layer("n = float(keras.ops.sum(inputs))")) == [(7, 13, "TF203")]


# -- TF205 batch-dim-from-static-shape --------------------------------------------------------

MESSAGE_205 = (
    "`x.shape[0]` (the static batch size of `x`) is passed to `tf.zeros` in graph code "
    "(decorated with @tf.function), but it is `None` where the batch size is unknown (an "
    "`input_signature` or `reduce_retracing`), and tracing then raises `TypeError`/`ValueError` "
    "on the `None`; use `tf.shape(x)[0]`"
)


def test_shape_zero_in_tensor_construction_under_a_signature() -> None:
    diagnostic = only(in_tf_function("return tf.zeros([x.shape[0], 3])", SIGNATURE))
    assert (diagnostic.location.row, diagnostic.location.column) == (5, 22)
    assert diagnostic.message == MESSAGE_205


@pytest.mark.parametrize(
    ("body", "column"),
    [
        ("return x / x.shape[0]", 16),
        ("return [i for i in range(x.shape[0])]", 30),
        ("return tf.range(x.get_shape()[0])", 21),
        ("return tf.ones(x.shape.as_list()[0])", 20),
        ("return float(x.shape[0])", 18),
    ],
)
def test_other_value_uses(body: str, column: int) -> None:
    assert found(in_tf_function(body, SIGNATURE)) == [(5, column, "TF205")]


def test_names_bound_to_the_batch_are_reported_at_their_use() -> None:
    source = (
        f"import tensorflow as tf\n\n{SIGNATURE}\ndef f(x):\n"
        "    batch = x.shape[0]\n    rows, columns = x.shape\n"
        "    return tf.zeros([batch]) + rows * columns\n"
    )
    diagnostics = lint(source)
    assert positions(diagnostics) == [(7, 22, "TF205"), (7, 32, "TF205")]
    assert diagnostics[0].message.startswith(
        "`batch`, from `x.shape[0]` (the static batch size of `x`) is passed to `tf.zeros`"
    )
    assert diagnostics[1].message.startswith(
        "`rows`, from `x.shape` (the static batch size of `x`) is used in arithmetic"
    )


def test_reduce_retracing_and_keras_methods() -> None:
    assert found(
        in_tf_function("return tf.zeros([x.shape[0]])", "@tf.function(reduce_retracing=True)")
    ) == [(5, 22, "TF205")]
    diagnostic = only(in_layer("return tf.reshape(inputs, [inputs.shape[0], -1])"))
    assert (diagnostic.location.row, diagnostic.location.column) == (7, 36)
    assert "it is `None` when Keras builds or fits the model (batch size unknown)" in (
        diagnostic.message
    )


def test_helpers_of_signature_functions() -> None:
    source = (
        "import tensorflow as tf\n\ndef noise(x):\n    return tf.random.normal([x.shape[0]])\n\n"
        f"{SIGNATURE}\ndef f(x):\n    return noise(x)\n\n"
        "@tf.function\ndef g(y):\n    return noise2(y)\n\n"
        "def noise2(x):\n    return tf.random.normal([x.shape[0]])\n"
    )
    assert found(source) == [(4, 30, "TF205")]


@pytest.mark.parametrize(
    ("decorator", "body"),
    [
        ("@tf.function", "return tf.zeros([x.shape[0], 3])"),  # retraced per batch size
        (
            "@tf.function(input_signature=[tf.TensorSpec([8, 3])])",  # a fixed batch
            "return tf.zeros([x.shape[0], 3])",
        ),
        (SIGNATURE, "return tf.zeros([x.shape[-1]])"),  # another dimension
        (SIGNATURE, "return x.shape[0] is None"),
        (SIGNATURE, "return x.shape[0] == 3"),
        (SIGNATURE, 'tf.print(x.shape[0]); raise ValueError(f"{x.shape[0]}")'),
        (SIGNATURE, "tf.debugging.assert_equal(tf.shape(x)[0], x.shape[0])"),
        (SIGNATURE, "return tf.zeros([x.shape[0] or tf.shape(x)[0]])"),
        (SIGNATURE, "return tf.zeros([x.shape[0]]) if x.shape[0] is not None else x"),
        (SIGNATURE, "y = tf.ones([2, 3]); return tf.zeros([y.shape[0]])"),  # not a parameter
    ],
)
def test_batch_look_alikes_are_quiet(decorator: str, body: str) -> None:
    assert found(in_tf_function(body, decorator)) == []


def test_rebound_names_and_guards_are_quiet() -> None:
    source = (
        f"import tensorflow as tf\n\n{SIGNATURE}\ndef f(x):\n"
        "    batch = x.shape[0]\n    if batch is None:\n        batch = tf.shape(x)[0]\n"
        "    if x.shape[0] is not None:\n        return tf.zeros([x.shape[0]])\n"
        "    return tf.zeros([batch])\n"
    )
    assert found(source) == []


def test_keras_inputs_with_a_fixed_batch_are_quiet() -> None:
    layer = in_layer("return tf.zeros([inputs.shape[0], 3])")
    assert found(layer) == [(7, 26, "TF205")]
    assert found(layer + "\n\nx = keras.Input(batch_shape=(4, 3))\ny = Block()(x)\n") == []


# -- TF207 identity-test-on-tensor ------------------------------------------------------------


def test_identity_tests_on_tensors() -> None:
    diagnostic = only(in_tf_function("return tf.reduce_any(x > 0) is True"))
    assert (diagnostic.location.row, diagnostic.location.column, diagnostic.code) == (
        5,
        12,
        "TF207",
    )
    assert diagnostic.message == (
        "`tf.reduce_any(x > 0) is True` on a tensor in graph code (decorated with @tf.function) "
        "is always False: a tensor is never the `True` object, whatever it holds, so the test "
        "never looks at the value; compare values with `tf.equal` / `tf.cond`, or pass a "
        "Python bool"
    )
    negated = only(in_tf_function("y = tf.reduce_all(x > 0); return False is not y"))
    assert "`y is not False` on a tensor" in negated.message
    assert "is always True" in negated.message
    assert found(in_layer("return keras.ops.any(inputs) is False")) == [(7, 16, "TF207")]


@pytest.mark.parametrize(
    "body",
    [
        "return x is True",  # a parameter: may be a Python bool argument
        "return tf.reduce_any(x) is None",
        "return tf.reduce_any(x) == True",  # a value comparison (another matter)
        "y = tf.reduce_any(x); return y is not None",
    ],
)
def test_identity_look_alikes_are_quiet(body: str) -> None:
    assert found(in_tf_function(body)) == []


def test_keras_flags_are_quiet() -> None:
    assert found(in_layer("return training is True and self.built is False", "x, training")) == []
    assert found(in_tf_function("return x is True", SIGNATURE)) == [(5, 12, "TF207")]


# -- the claims, on TensorFlow 2.21 / Keras 3 -------------------------------------------------


def _raises(function: object, *args: object) -> BaseException:
    with pytest.raises(Exception) as caught:
        function(*args)  # type: ignore[operator]
    return caught.value


def test_claims_hold_on_tensorflow() -> None:
    x = tf.constant([1.0, 2.0])
    error = _raises(tf.function(lambda t: bool(tf.reduce_sum(t) > 0)), x)
    assert isinstance(error, tf.errors.OperatorNotAllowedInGraphError)
    error = _raises(tf.function(lambda t: f"{tf.reduce_mean(t):.2f}"), x)
    assert "unsupported format string passed to SymbolicTensor.__format__" in str(error)
    error = _raises(tf.function(lambda t: tf.reduce_max(t).item()), x)
    assert "'SymbolicTensor' object has no attribute 'item'" in str(error)
    assert "no attribute 'astype'" in str(_raises(tf.function(lambda t: round(t[0])), x))
    assert "no attribute 'astype'" in str(_raises(lambda t: round(t[0]), x))
    assert float(tf.function(lambda t: float(t[0]))(x)) == 1.0  # AutoGraph converts float
    error = _raises(tf.function(lambda t: len(t), autograph=False), x)
    assert "len is not well defined for a symbolic Tensor" in str(error)
    signature = [tf.TensorSpec([None, 3])]
    padded = tf.function(lambda t: tf.zeros([t.shape[0], 3]), input_signature=signature)
    error = _raises(padded, tf.ones([4, 3]))
    assert isinstance(error, TypeError) and "Expected int32, but got None" in str(error)
    mean = tf.function(lambda t: t / t.shape[0], input_signature=signature)
    error = _raises(mean, tf.ones([4, 3]))
    assert isinstance(error, ValueError) and "None values not supported" in str(error)
    identity = tf.function(lambda t: tf.reduce_any(t > 0) is True)
    assert not bool(identity(x)) and bool(tf.reduce_any(x > 0))  # holds True, `is True` False


def test_keras_builds_with_a_none_batch() -> None:
    class Block(keras.layers.Layer):
        def call(self, inputs):
            return inputs + tf.zeros([inputs.shape[0], 3])

    with pytest.raises(TypeError):
        keras.Sequential([keras.Input((3,)), Block()])
    model = keras.Sequential([keras.Input(batch_shape=(4, 3)), Block()])
    assert model(tf.ones([4, 3])).shape == (4, 3)
