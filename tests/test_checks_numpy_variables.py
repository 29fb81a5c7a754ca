"""TF201, TF202, TF204, TF301-TF303 on small snippets: exact codes, rows and columns, what the
message says, the fixes' exact output, and the look-alikes of real TensorFlow code that must stay
quiet. Every row of TF201's autofix table is checked against NumPy with real TensorFlow."""

from __future__ import annotations

import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.snippets import lint_snippet, positions, single
from tflint.checks.numpy_use import EXACT_TENSORFLOW_EQUIVALENTS
from tflint.diagnostics import Applicability, Diagnostic, Location
from tflint.fixes import fix_source

CODES = frozenset({"TF201", "TF202", "TF204", "TF301", "TF302", "TF303"})


def lint(source: str) -> list[Diagnostic]:
    return lint_snippet(source, CODES)


def found(source: str) -> list[tuple[int, int, str]]:
    return positions(lint(source))


def only(source: str) -> Diagnostic:
    return single(lint(source))


def fixed(source: str, *, unsafe: bool = False) -> str:
    new_source, _ = fix_source(textwrap.dedent(source).encode(), "snippet.py", CODES, unsafe)
    return new_source.decode()


def in_tf_function(body: str, header: str = "import numpy as np") -> str:
    """`body` (one line) as row 6, column 5 of a tf.function `f(x)`."""
    return f"import tensorflow as tf\n{header}\n\n@tf.function\ndef f(x):\n    {body}\n"


LAYER = """\
import keras
import numpy as np
import tensorflow as tf


class Block(keras.layers.Layer):
    def call(self, inputs):
        {body}
"""


# -- TF201 numpy-call-in-graph ----------------------------------------------------------------


@pytest.mark.parametrize(
    "header, body, column, name",
    [
        ("import numpy as np", "return np.exp(x)", 12, "np.exp"),
        ("import numpy", "return numpy.clip(x, 0.0, 1.0)", 12, "np.clip"),
        ("from numpy import exp", "return exp(x)", 12, "np.exp"),
        ("from numpy import where as pick", "return pick(x > 0, x, 0.0)", 12, "np.where"),
        ("import numpy as np", "y = np.asarray(tf.square(x))", 9, "np.asarray"),
        ("import numpy as np", "return tf.reduce_sum(np.square(x + 1.0))", 26, "np.square"),
        ("import numpy as np", "return np.float32(x)", 12, "np.float32"),
        ("import numpy as np", "return np.mean(x=x)", 12, "np.mean"),
    ],
)
def test_numpy_on_a_tensor_in_tf_function(header, body, column, name) -> None:
    diagnostic = only(in_tf_function(body, header))
    assert (diagnostic.code, diagnostic.location.row, diagnostic.location.column) == (
        "TF201",
        6,
        column,
    )
    assert diagnostic.message.startswith(f"`{name}()` on a tensor in graph code (decorated with")
    assert "NotImplementedError: Cannot convert a symbolic tf.Tensor" in diagnostic.message


@pytest.mark.parametrize(
    "source, where",
    [
        (LAYER.format(body="return np.exp(inputs)"), "Keras traces `Block.call`"),
        (
            "import keras\nimport numpy as np\n\n\nclass L(keras.losses.Loss):\n"
            "    def call(self, y_true, y_pred):\n        return np.abs(y_true - y_pred)\n",
            "Keras traces `L.call`",
        ),
        (
            "import keras\nimport numpy as np\n\n\nclass M(keras.metrics.Metric):\n"
            "    def update_state(self, y_true, y_pred, sample_weight=None):\n"
            "        return np.sum(y_pred)\n",
            "Keras traces `M.update_state`",
        ),
        (
            "import numpy as np\nimport tensorflow as tf\n\n\n"
            "ds = tf.data.Dataset.range(3)\nds = ds.map(lambda v: np.sqrt(v))\n",
            "traced by Dataset.map",
        ),
        (
            "import numpy as np\nimport tensorflow as tf\n\n\ndef center(x):\n"
            "    return x - np.mean(x)\n\n\n@tf.function\ndef g(x):\n    return center(x)\n",
            "called from graph code `g`",
        ),
    ],
)
def test_numpy_on_a_tensor_in_every_graph_code_kind(source, where) -> None:
    diagnostic = only(source)
    assert diagnostic.code == "TF201"
    assert f"on a tensor in graph code ({where})" in diagnostic.message


@pytest.mark.parametrize(
    "body",
    [
        "return x * np.sqrt(2) * np.pi",
        "return tf.reshape(x, [-1, np.prod(x.shape[1:])])",
        "return tf.cast(x[:, np.newaxis], np.float32)",
        "return tf.zeros(np.array(x.shape))",
        "return x * np.float32(0.5) + np.finfo(np.float32).eps",
        "return tf.numpy_function(np.sort, [x], tf.float32)",
        "return x + np.log(len([1, 2]))",
    ],
)
def test_numpy_on_python_values_and_static_shapes_is_quiet(body) -> None:
    assert found(in_tf_function(body)) == []


def test_tf_experimental_numpy_is_not_numpy() -> None:
    assert (
        found(in_tf_function("return tnp.exp(x)", "import tensorflow.experimental.numpy as tnp"))
        == []
    )


def test_numpy_in_eager_code_and_py_function_bodies_is_quiet() -> None:
    source = """\
    import numpy as np
    import tensorflow as tf


    def median(values):
        return np.float32(np.median(values.numpy()))


    @tf.function
    def f(x):
        return tf.py_function(median, [x], tf.float32)


    def summarize(history):
        return np.mean(np.asarray(history))
    """
    assert found(source) == []


def test_helper_fed_python_values_is_quiet_and_fed_a_tensor_is_flagged() -> None:
    source = """\
    import keras
    import numpy as np


    def gaussian_kernel(sigma, size):
        positions = np.arange(size) - size // 2
        return np.exp(-(positions**2) / (2 * sigma**2))


    def make_kernel(sigma):
        return gaussian_kernel(sigma, 5)


    def center(x):
        return x - np.mean(x)


    class Smooth(keras.layers.Layer):
        def call(self, inputs):
            kernel = make_kernel(self.sigma)
            return center(inputs) * kernel.sum()
    """
    assert found(source) == [(15, 16, "TF201")]


def test_helper_handed_to_a_tf_op_gets_tensors() -> None:
    source = """\
    import numpy as np
    import tensorflow as tf


    def row_norm(row):
        return np.sqrt(row)


    @tf.function
    def f(x):
        return tf.map_fn(row_norm, x)
    """
    assert found(source) == [(6, 12, "TF201")]


def test_positional_only_parameters_are_tensor_inputs() -> None:
    source = """\
    import numpy as np
    import tensorflow as tf


    @tf.function
    def f(x, /, scale=2.0):
        return np.exp(x) * scale
    """
    assert found(source) == [(7, 12, "TF201")]


@pytest.mark.parametrize(
    "returned, total",
    [
        ("t.shape.as_list()", 24),
        ("t.get_shape().as_list()", 24),
        ("list(t.shape)", 24),
        ("t.shape[1:]", 16),  # [3, 4][1:]: 4, plus the inline 12
        ("t.shape", 24),
    ],
)
def test_numpy_over_a_static_shape_from_a_helper_is_quiet(returned, total) -> None:
    source = f"""\
    import numpy as np
    import tensorflow as tf


    def get_shape(t):
        return {returned}


    @tf.function
    def flat_size(x):
        return np.prod(get_shape(x)[1:]) + np.prod(x.shape.as_list()[1:])
    """
    assert found(source) == []
    exec(textwrap.dedent(source), namespace := {})
    assert namespace["flat_size"](tf.ones((2, 3, 4))).numpy() == total


def test_numpy_over_a_dynamic_shape_from_a_helper_is_flagged() -> None:
    source = """\
    import numpy as np
    import tensorflow as tf


    def get_shape(t):
        if t.shape.is_fully_defined():
            return t.shape.as_list()
        return tf.shape(t)


    @tf.function
    def flat_size(x):
        return np.prod(get_shape(x))
    """
    assert found(source) == [(13, 12, "TF201")]


def test_executing_eagerly_branch_is_quiet_and_its_else_is_not() -> None:
    body = "\n    ".join(
        [
            "if tf.executing_eagerly():",
            "    y = np.max(x) + x.numpy()",
            "else:",
            "    y = np.max(x)",
            "return y",
        ]
    )
    assert found(in_tf_function(body)) == [(9, 13, "TF201")]


# One sample per autofix row: the NumPy call's arguments (after `x`) and the input values.
POSITIVE = np.array([[0.5, 1.0, 2.5], [3.0, 0.25, 4.0]], dtype=np.float32)
SIGNED = np.array([[-1.5, 0.0, 2.5], [3.0, -0.25, -4.0]], dtype=np.float32)
BOOLEAN = np.array([[True, False, True], [True, True, True]])
SAMPLES: dict[str, tuple[str, np.ndarray]] = {
    "numpy.abs": ("", SIGNED),
    "numpy.absolute": ("", SIGNED),
    "numpy.exp": ("", SIGNED),
    "numpy.log": ("", POSITIVE),
    "numpy.sqrt": ("", POSITIVE),
    "numpy.square": ("", SIGNED),
    "numpy.tanh": ("", SIGNED),
    "numpy.sin": ("", SIGNED),
    "numpy.cos": ("", SIGNED),
    "numpy.sign": ("", SIGNED),
    "numpy.floor": ("", SIGNED),
    "numpy.ceil": ("", SIGNED),
    "numpy.maximum": (", x * 0.5", SIGNED),
    "numpy.minimum": (", x * 0.5", SIGNED),
    "numpy.sum": (", axis=0", SIGNED),
    "numpy.max": (", 1", SIGNED),
    "numpy.amax": (", axis=-1, keepdims=True", SIGNED),
    "numpy.min": ("", SIGNED),
    "numpy.amin": (", axis=0", SIGNED),
    "numpy.prod": (", axis=1, keepdims=True", POSITIVE),
    "numpy.all": (", axis=1", BOOLEAN),
    "numpy.any": (", 0", BOOLEAN),
}


def test_every_autofix_row_has_a_sample() -> None:
    assert sorted(SAMPLES) == sorted(EXACT_TENSORFLOW_EQUIVALENTS)


@pytest.mark.parametrize("qualname", sorted(EXACT_TENSORFLOW_EQUIVALENTS))
def test_autofix_row_text_and_value(qualname: str) -> None:
    target, _ = EXACT_TENSORFLOW_EQUIVALENTS[qualname]
    name = qualname.removeprefix("numpy.")
    rest, sample = SAMPLES[qualname]
    diagnostic = only(in_tf_function(f"return np.{name}(x{rest})"))
    assert diagnostic.fix is not None
    assert diagnostic.fix.applicability is Applicability.SAFE
    assert diagnostic.fix.message == f"Replace `np.{name}` with `tf.{target}`"
    assert [(e.content, e.location, e.end_location) for e in diagnostic.fix.edits] == [
        (f"tf.{target}", Location(6, 12), Location(6, 15 + len(name)))
    ]
    assert fixed(in_tf_function(f"return np.{name}(x{rest})")) == in_tf_function(
        f"return tf.{target}(x{rest})"
    )

    expected = eval(f"np.{name}(x{rest})", {"np": np, "x": sample})
    function = tf.function(eval(f"lambda x: tf.{target}(x{rest})", {"tf": tf}))
    actual = function(tf.constant(sample)).numpy()
    assert actual.shape == np.shape(expected)
    np.testing.assert_allclose(actual, expected, rtol=1e-6)


def test_autofix_uses_the_modules_alias_and_adds_an_import_when_there_is_none() -> None:
    with_alias = "import tensorflow as tfx\nfrom numpy import exp\n\n\n@tfx.function\ndef f(x):\n"
    assert fixed(with_alias + "    return exp(x)\n") == with_alias + "    return tfx.exp(x)\n"
    keras_only = "import keras\nimport numpy as np\n\n\nclass L(keras.layers.Layer):\n"
    call = "    def call(self, inputs):\n        return {}(inputs)\n"
    assert fixed(keras_only + call.format("np.tanh")) == (
        "import tensorflow as tf\nimport keras\nimport numpy as np\n\n\n"
        "class L(keras.layers.Layer):\n" + call.format("tf.tanh")
    )


@pytest.mark.parametrize(
    "call",
    [
        "np.mean(x)",  # float64 mean of integers, truncated in TensorFlow
        "np.matmul(x, x)",  # 1-D operands work in NumPy only
        "np.sum(x, 0, np.float64)",  # dtype positionally
        "np.sum(x, dtype=np.float64)",
        "np.exp(x, out=None)",
        "np.sum(x, axis=0, where=x > 0)",
    ],
)
def test_calls_outside_the_exact_table_are_flagged_without_a_fix(call) -> None:
    diagnostic = only(in_tf_function(f"return {call}"))
    assert diagnostic.code == "TF201"
    assert diagnostic.fix is None


# -- TF202 tensor-numpy-in-graph --------------------------------------------------------------


@pytest.mark.parametrize(
    "source, row, column, where",
    [
        (in_tf_function("return float(x.numpy().max())"), 6, 18, "decorated with @tf.function"),
        (LAYER.format(body="return inputs / inputs.numpy().max()"), 8, 25, "Keras traces"),
        (
            "import tensorflow as tf\n\n\ndef show(x):\n    return x.numpy()\n\n\n"
            "@tf.function\ndef g(x):\n    return show(x)\n",
            5,
            12,
            "called from graph code `g`",
        ),
    ],
)
def test_tensor_numpy_in_graph_code(source, row, column, where) -> None:
    diagnostic = only(source)
    assert (diagnostic.code, diagnostic.location.row, diagnostic.location.column) == (
        "TF202",
        row,
        column,
    )
    assert f"`.numpy()` in graph code ({where}" in diagnostic.message
    assert "AttributeError: 'SymbolicTensor' object has no attribute 'numpy'" in diagnostic.message
    assert diagnostic.fix is None


@pytest.mark.parametrize(
    "source",
    [
        "import tensorflow as tf\n\nv = tf.constant(1.0)\nprint(v.numpy())\n",
        in_tf_function("with tf.init_scope():\n        n = x.numpy()", "import numpy as np"),
        in_tf_function("return tf.py_function(lambda t: t.numpy() * 2, [x], tf.float32)"),
        in_tf_function("return mylib.numpy()", "import mylib"),
        in_tf_function("return x.numpy"),
    ],
)
def test_tensor_numpy_look_alikes_are_quiet(source) -> None:
    assert found(source) == []


# -- TF204 numpy-dtype-leak -------------------------------------------------------------------

HEADER = "import numpy as np\nimport tensorflow as tf\n\n"


_NARROW = {"int32": "tf.range(3)", "float32": "tf.ones(3)"}
_EAGER = "that raises `InvalidArgumentError`: TensorFlow never converts between them"


@pytest.mark.parametrize(
    "expression, wide, narrow",
    [
        ("tf.constant(np.arange(10))", "int64", "int32"),
        ("tf.constant(np.arange(0.0, 1.0, 0.25))", "float64", "float32"),
        ("tf.convert_to_tensor(np.linspace(0, 1, 5))", "float64", "float32"),
        ("tf.constant(np.array([0.25, 0.75]))", "float64", "float32"),
        ("tf.constant(np.array([[1, 2], [3, -4]]))", "int64", "int32"),
        ("tf.Variable(np.zeros(3))", "float64", "float32"),
        ("tf.Variable(np.zeros(3), trainable=False)", "float64", "float32"),
        ("tf.constant(np.random.normal(size=(2, 2)))", "float64", "float32"),
        ("tf.constant(np.random.randint(0, 10, size=4))", "int64", "int32"),
        ("tf.constant(np.eye(3, 3, 0))", "float64", "float32"),
    ],
)
def test_numpy_dtype_leak_meeting_a_32_bit_tensor_and_its_fix(expression, wide, narrow) -> None:
    meeting = f"value + {_NARROW[narrow]}"
    source = f"{HEADER}value = {expression}\nmixed = {meeting}\n"
    diagnostic = only(source)
    assert (diagnostic.code, diagnostic.location.row, diagnostic.location.column) == (
        "TF204",
        4,
        9,
    )
    factory, numpy_call = expression.split("(")[:2]
    article = "an" if wide == "int64" else "a"
    assert diagnostic.message == (
        f"`{factory}({numpy_call}(...))` makes {article} {wide} tensor (NumPy's default), and "
        f"`{meeting}` mixes it with {narrow} `{_NARROW[narrow]}`: {_EAGER}; "
        f"pass `dtype=tf.{narrow}` or build it with TensorFlow"
    )
    assert diagnostic.fix is not None
    assert diagnostic.fix.applicability is Applicability.UNSAFE
    fixed_expression = f"{expression[:-1]}, dtype=tf.{narrow})"
    assert fixed(source) == source  # unsafe: not applied without --unsafe-fixes
    assert fixed(source, unsafe=True) == f"{HEADER}value = {fixed_expression}\nmixed = {meeting}\n"
    value = eval(fixed_expression, {"np": np, "tf": tf})
    assert value.dtype.name == narrow
    with pytest.raises(tf.errors.InvalidArgumentError):  # what the message says, before the fix
        eval(meeting, {"value": eval(expression, {"np": np, "tf": tf}), "tf": tf})


@pytest.mark.parametrize(
    "meeting, consequence, error",
    [
        ("tf.range(4) < value", _EAGER, tf.errors.InvalidArgumentError),
        ("tf.concat([tf.range(4), value], 0)", _EAGER, tf.errors.InvalidArgumentError),
        ("tf.stack([value, tf.constant([1, 2, 3, 4])])", _EAGER, tf.errors.InvalidArgumentError),
        ("tf.maximum(value, tf.range(4))", _EAGER, tf.errors.InvalidArgumentError),
        ("tf.where(value > 1, value, tf.range(4))", _EAGER, tf.errors.InvalidArgumentError),
        (
            "counter.assign(value)",
            "`assign` raises `ValueError: Tensor conversion requested dtype int32 ...`",
            ValueError,
        ),
    ],
)
def test_numpy_dtype_leak_meeting_kinds_raise_as_the_message_says(
    meeting, consequence, error
) -> None:
    source = (
        f"{HEADER}counter = tf.Variable(tf.range(4))\n"
        f"value = tf.constant(np.arange(4))\nmixed = {meeting}\n"
    )
    diagnostic = only(source)
    assert diagnostic.location.row == 5
    assert f": {consequence}; pass `dtype=tf.int32`" in diagnostic.message
    namespace = {"np": np, "tf": tf}
    exec(source.rsplit("\n", 2)[0], namespace)
    with pytest.raises(error):
        eval(meeting, namespace)


def test_numpy_dtype_leak_met_in_a_function_and_in_a_tf_function() -> None:
    source = HEADER + textwrap.dedent(
        """\
        grid = tf.constant(np.linspace(0.0, 1.0, 3))


        def scaled():
            return grid * tf.ones(3)


        @tf.function
        def shifted():
            offsets = tf.constant(np.arange(0.0, 1.0, 0.5))
            return tf.range(0.0, 1.0, 0.5) + offsets
        """
    )
    first, second = lint(source)
    assert (first.location.row, second.location.row) == (4, 13)
    assert "`grid * tf.ones(3)` mixes it with float32 `tf.ones(3)`: that raises " in first.message
    assert "(`TypeError` when traced)" in first.message
    assert "tracing raises `TypeError` (the op's inputs must share one dtype)" in second.message
    namespace: dict = {}
    exec(source, namespace)
    with pytest.raises(tf.errors.InvalidArgumentError):
        namespace["scaled"]()
    with pytest.raises(TypeError, match="float64 that does not match type float32"):
        namespace["shifted"]()


@pytest.mark.parametrize(
    "use",
    [
        "",  # made and never mixed: test data, float64 on purpose
        "value + 1",  # Python numbers take the tensor's dtype
        "value * 2",
        "value + tf.constant(np.arange(4))",  # 64-bit meets 64-bit
        "tf.gather(tf.ones(5), value)",  # int64 indices are fine
        "tf.ones(5)[value[0]]",
        "keras.layers.Dense(2)(tf.reshape(tf.cast(value, 'float64'), (1, 4)))",
        "x + value",  # x: a parameter of unknown dtype
        "value + tf.range(4, dtype=tf.int64)",
        "value + tf.ones(4)",  # int64 + float32 fails with int32 too: not this rule's point
    ],
)
def test_numpy_dtype_leak_unmixed_or_mixed_harmlessly_is_quiet(use) -> None:
    source = (
        f"import keras\n{HEADER}value = tf.constant(np.arange(4))\n\n\n"
        f"def f(x):\n    return {use or 'value'}\n"
    )
    assert found(source) == []
    if use and use != "x + value" and "tf.ones(4)" not in use:
        namespace: dict = {}
        exec(source, namespace)
        namespace["f"](tf.constant(np.arange(4)))  # runs


def test_a_name_bound_twice_is_not_judged() -> None:
    source = (
        f"{HEADER}value = tf.constant(np.arange(4))\nvalue = tf.range(4)\n"
        "mixed = value + tf.range(4)\n"
    )
    assert found(source) == []


@pytest.mark.parametrize(
    "expression",
    [
        "tf.constant(np.arange(10), dtype=tf.int32)",
        "tf.constant(np.arange(10), tf.int32)",
        "tf.convert_to_tensor(np.arange(10), tf.int64)",
        "tf.Variable(np.zeros(3), dtype=tf.float64)",
        "tf.constant(np.zeros(3, np.float32))",
        "tf.constant(np.ones((2, 2), dtype='float32'))",
        "tf.constant(np.array([1.0, 2.0], np.float32))",
        "tf.constant(np.linspace(0, 1, 5, True, False, np.float32))",
        "tf.constant(np.arange(0, 10, 1, np.int32))",
        "tf.constant(np.arange(4).astype(np.float32))",
        "tf.cast(tf.constant(np.arange(4)), tf.float32)",
        "tf.constant([1, 2, 3])",
        "tf.constant(np.pi)",
        "tf.constant(np.array(names))",
        "tf.constant(np.zeros_like(table))",
    ],
)
def test_numpy_dtype_look_alikes_are_quiet(expression) -> None:
    """Given a dtype, or not 64-bit: quiet even where it meets a 32-bit tensor."""
    assert found(f"{HEADER}value = {expression}\nmixed = value + tf.range(3)\n") == []


def test_numpy_dtype_leak_mixes_badly_with_tensorflow_ops() -> None:
    """The observation the rule rests on, with real TensorFlow."""
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32 tensor but is a int64"):
        tf.range(10) + tf.constant(np.arange(10))


# -- TF301 variable-created-in-graph ----------------------------------------------------------


@pytest.mark.parametrize(
    "header, body, column, spelling",
    [
        ("", "v = tf.Variable(0.0)", 9, "tf.Variable"),
        ("from tensorflow import Variable", "v = Variable(x)", 9, "tf.Variable"),
        ("import keras", "v = keras.Variable(0)", 9, "keras.Variable"),
        ("", "with tf.init_scope():\n        v = tf.Variable(2.0)", 13, "tf.Variable"),
    ],
)
def test_variable_created_in_tf_function(header, body, column, spelling) -> None:
    diagnostic = only(in_tf_function(body, header))
    row = 7 if "init_scope" in body else 6
    assert (diagnostic.code, diagnostic.location.row, diagnostic.location.column) == (
        "TF301",
        row,
        column,
    )
    assert diagnostic.message.startswith(
        f"`{spelling}` created in graph code (decorated with @tf.function) is created again"
    )
    assert "singleton tf.Variables created on the first call" in diagnostic.message


def test_variable_in_the_call_of_a_layer_a_script_runs_eagerly() -> None:
    """Called eagerly, the layer makes a new, untracked variable on every call (observed on
    TF 2.21 / Keras 3.15: 0 weights after two calls): still TF301, with the eager claim."""
    source = """\
        import tensorflow as tf
        class Scale(tf.keras.layers.Layer):
            def call(self, inputs):
                var = tf.Variable(2.0)
                return inputs * var
        layer = Scale()
        layer(tf.ones((1, 2)))
        """
    diagnostic = only(source)
    assert (diagnostic.code, diagnostic.location.row) == ("TF301", 4)
    assert diagnostic.message.startswith(
        "`tf.Variable` created in `call`, which this module runs eagerly: every call makes a new "
        "variable the layer does not track"
    )
    layer = _eager_scale_layer()
    layer(tf.ones((1, 2)))
    layer(tf.ones((1, 2)))
    assert layer.weights == []


def _eager_scale_layer() -> keras.layers.Layer:
    class Scale(keras.layers.Layer):
        def call(self, inputs):
            return inputs * tf.Variable(2.0)

    return Scale()


def test_local_variable_in_keras_call_is_tf301_only() -> None:
    source = LAYER.format(body="state = tf.Variable(tf.zeros_like(inputs))")
    assert found(source) == [(8, 17, "TF301")]


@pytest.mark.parametrize(
    "source",
    [
        "import tensorflow as tf\n\ntotal = tf.Variable(0.0)\n",
        in_tf_function("global state\n    if state is None:\n        state = tf.Variable(x)"),
        "import tensorflow as tf\n\n\nclass M(tf.Module):\n    def __init__(self):\n"
        "        self.v = None\n\n    @tf.function\n    def __call__(self, x):\n"
        "        if self.v is None:\n            self.v = tf.Variable(x)\n        return self.v\n",
        "import tensorflow as tf\n\n\ndef make():\n    return tf.Variable(0)\n",
        "import keras\n\n\nclass L(keras.layers.Layer):\n    def build(self, shape):\n"
        "        self.w = self.add_weight(shape=shape[1:])\n",
    ],
)
def test_variables_created_once_are_quiet(source) -> None:
    assert found(source) == []


# -- TF302 weights-created-in-call ------------------------------------------------------------


@pytest.mark.parametrize(
    "body, column, fragment",
    [
        (
            "w = self.add_weight(shape=(2,), initializer='ones')",
            13,
            "You cannot add new elements of state",
        ),
        ("self.w = self.add_variable((2,), 'zeros')", 18, "You cannot add new elements of state"),
        ("self.w = keras.Variable(tf.zeros((2,)))", 18, "You cannot add new elements of state"),
        ("self.w = tf.Variable(tf.zeros((2,)))", 18, "is not tracked by Keras"),
        ("if self.w is None:\n            self.w = tf.Variable(inputs)", 22, "not tracked"),
    ],
)
def test_weights_created_in_keras_call(body, column, fragment) -> None:
    diagnostic = only(LAYER.format(body=body))
    row = 9 if body.startswith("if") else 8
    assert (diagnostic.code, diagnostic.location.row, diagnostic.location.column) == (
        "TF302",
        row,
        column,
    )
    assert diagnostic.message.startswith("weights created in `Block.call`: ")
    assert fragment in diagnostic.message
    assert diagnostic.message.endswith("create them with `self.add_weight(...)` in `build()`")


def test_weights_in_call_of_non_keras_classes_are_quiet() -> None:
    source = """\
    import tensorflow as tf


    class Registry:
        def add_weight(self, name):
            return name

        def call(self, name):
            return self.add_weight(name)
    """
    assert found(source) == []


# -- TF303 config-lost-on-save ----------------------------------------------------------------

LOSS = """\
import keras
import tensorflow as tf
from keras.src.losses.losses import LossFunctionWrapper


class Custom({base}):
    def __init__(self, {params}):
        super().__init__({forwarded})
{extra}"""


@pytest.mark.parametrize(
    "base, params, forwarded, lost",
    [
        ("keras.losses.Loss", "delta=1.0, name='x', **kwargs", "name=name", "`delta`"),
        ("tf.keras.losses.Loss", "a, b=2, *, c=3, reduction='sum'", "", "`a`, `b`, `c`"),
        ("keras.metrics.Metric", "threshold=0.5, name=None, dtype=None", "", "`threshold`"),
        (
            "keras.losses.BinaryCrossentropy",
            "smoothing=0.1, from_logits=False",
            "from_logits=from_logits",
            "`smoothing`",
        ),
        ("keras.losses.Huber", "delta=0.5, **kwargs", "delta=delta, **kwargs", "`delta`"),
    ],
)
def test_config_lost_on_save(base, params, forwarded, lost) -> None:
    diagnostic = only(LOSS.format(base=base, params=params, forwarded=forwarded, extra=""))
    assert (diagnostic.code, diagnostic.location.row, diagnostic.location.column) == (
        "TF303",
        6,
        1,
    )
    kind = "Metric" if "metrics" in base else "Loss"
    assert diagnostic.message.startswith(
        f"`Custom` ({kind} subclass) takes {lost} but defines no `get_config`"
    )


@pytest.mark.parametrize(
    "base, params, forwarded, extra",
    [
        ("keras.losses.Loss", "delta=1.0", "", "    def get_config(self):\n        return {}\n"),
        ("keras.losses.Loss", "name='x', reduction='sum', dtype=None, **kwargs", "name=name", ""),
        ("keras.metrics.Metric", "name='m', dtype=None", "name=name, dtype=dtype", ""),
        (
            "keras.losses.BinaryCrossentropy",
            "label_smoothing=0.1",
            "label_smoothing=label_smoothing",
            "",
        ),
        ("LossFunctionWrapper", "scale=1.0", "abs, scale=scale", ""),
        ("keras.metrics.MeanMetricWrapper", "scale=1.0", "abs, scale=scale", ""),
        ("keras.losses.Loss, mylib.ConfigMixin", "delta=1.0", "", ""),
        ("keras.layers.Layer", "units=2", "", ""),
    ],
)
def test_config_saved_or_nothing_to_save_is_quiet(base, params, forwarded, extra) -> None:
    source = LOSS.format(base=base, params=params, forwarded=forwarded, extra=extra)
    assert found("import mylib\n" + source) == []


def test_config_inherited_from_a_same_module_base_is_quiet() -> None:
    source = """\
    import keras


    class Base(keras.losses.Loss):
        def get_config(self):
            return super().get_config()


    class Child(Base):
        def __init__(self, delta=1.0):
            super().__init__()
            self.delta = delta
    """
    assert found(source) == []


# -- create-once guards (TF301) -------------------------------------------------------------

MODULE = """\
import tensorflow as tf

slots = {{}}


class M(tf.Module):
    def __init__(self):
        self.built = False

    @tf.function
    def __call__(self, x, v=None):
        {body}
        return x
"""


@pytest.mark.parametrize(
    "body",
    [
        "if not self.built:\n            self.w = tf.Variable(x)\n            self.built = True",
        "if not hasattr(self, 'w'):\n            self.w = tf.Variable(x)",
        "if self.vs:\n            pass\n        else:\n            self.vs = [tf.Variable(x)]",
        "if 'w' not in slots:\n            slots['w'] = tf.Variable(x)",
        "if slots.get('w') is None:\n            slots['w'] = tf.Variable(x)",
        "if self.w is None and self.trainable:\n            self.w = tf.Variable(x)",
    ],
)
def test_variables_under_create_once_guards_are_quiet(body: str) -> None:
    assert found(MODULE.format(body=body)) == []


@pytest.mark.parametrize(
    "body",
    [
        # an argument or a local is unset again on every call: a variable per trace
        "if v is None:\n            v = tf.Variable(x)",
        "w = None\n        if w is None:\n            w = tf.Variable(x)",
        "if self.built:\n            self.w = tf.Variable(x)",
        "if hasattr(self, 'w'):\n            self.w = tf.Variable(x)",
    ],
)
def test_variables_under_guards_that_guard_nothing_are_flagged(body: str) -> None:
    (diagnostic,) = lint(MODULE.format(body=body))
    assert (diagnostic.code, diagnostic.location.row) == ("TF301", 14 if "w = None" in body else 13)


# -- TF302 on Keras 2 layers ------------------------------------------------------------------

KERAS2 = """\
import tensorflow as tf
{imports}


class Scale({base}):
    {decorator}
    def call(self, inputs):
        {body}
        return inputs * self.w
"""
GUARDED_WEIGHT = (
    "if self.w is None:\n            self.w = self.add_weight(shape=(), initializer='ones')"
)
UNGUARDED_WEIGHT = "self.w = tf.Variable(1.0)"


@pytest.mark.parametrize(
    "imports, base, decorator",
    [
        ("import tf_keras", "tf_keras.layers.Layer", ""),
        ("import tf_keras as keras", "keras.layers.Layer", ""),
        ("from tf_keras import layers", "layers.Layer", ""),
        ("from tf_keras.layers import Layer as Base", "Base", ""),
        ("", "tf.keras.layers.Layer", "@tf.compat.v1.keras.utils.track_tf1_style_variables"),
    ],
)
def test_keras2_layers_may_create_weights_once_in_call(imports, base, decorator) -> None:
    source = KERAS2.format(imports=imports, base=base, decorator=decorator, body=GUARDED_WEIGHT)
    assert found(source) == []
    source = KERAS2.format(imports=imports, base=base, decorator=decorator, body=UNGUARDED_WEIGHT)
    (diagnostic,) = lint(source)
    assert (diagnostic.code, diagnostic.location.row) == ("TF302", 8)
    assert diagnostic.message == (
        "weights created in `Scale.call` without a create-once guard: Keras 2 runs it on every "
        "call, so each call makes a new weight in place of the last, and under "
        "`fit`/`tf.function` TensorFlow raises `ValueError: tf.function only supports singleton "
        "tf.Variables created on the first call`; create them in `build()`, or under "
        "`if self.w is None:`"
    )


@pytest.mark.parametrize(
    "imports, base",
    [
        ("from tensorflow import keras\nimport tf_keras", "keras.layers.Layer"),
        ("import keras", "keras.layers.Layer"),
        ("import tensorflow.python.keras", "tf.keras.layers.Layer"),
    ],
)
def test_keras3_layers_are_judged_by_keras3_even_with_a_guard(imports, base) -> None:
    source = KERAS2.format(imports=imports, base=base, decorator="", body=GUARDED_WEIGHT)
    (diagnostic,) = lint(source)
    assert diagnostic.code == "TF302"
    assert "You cannot add new elements of state" in diagnostic.message


# -- TF303: what loading does, per class ------------------------------------------------------

FAILS_TO_LOAD = (
    "loading a saved model raises `TypeError: <class ...> could not be deserialized properly`"
)


@pytest.mark.parametrize(
    "base, params, outcome",
    [
        (
            "keras.losses.Loss",
            "factor=0.1, name='x'",
            f"{FAILS_TO_LOAD} (the saved config holds `reduction`, which `__init__()` does not "
            "take); return the parameters from `get_config()` and accept the base ones "
            "(`**kwargs`)",
        ),
        (
            "keras.metrics.Metric",
            "threshold=0.5, name='m'",
            f"{FAILS_TO_LOAD} (the saved config holds `dtype`, which `__init__()` does not take)",
        ),
        (
            "keras.losses.Loss",
            "alpha, gamma=2.0, **kwargs",
            f"{FAILS_TO_LOAD} (`__init__()` missing `alpha`, which the saved config does not "
            "hold); return the parameters from `get_config()`",
        ),
        (
            "keras.losses.Loss",
            "delta=0.1, **kwargs",
            "a saved model reloads it with the default values, silently; return them from "
            "`get_config()`",
        ),
        (
            "keras.metrics.Metric",
            "threshold=0.5, name='m', dtype=None",
            "a saved model reloads it with the default values, silently",
        ),
        (
            "keras.losses.MeanSquaredError",
            "factor=0.1, name='x', reduction='sum'",
            "a saved model reloads it with the default values, silently — or loading raises "
            "`TypeError` if `losses.MeanSquaredError.get_config()` holds a key `__init__` does "
            "not take",
        ),
    ],
)
def test_config_lost_says_whether_loading_fails_or_reloads_defaults(base, params, outcome) -> None:
    message = only(LOSS.format(base=base, params=params, forwarded="", extra="")).message
    assert outcome in message


def _reload(component):
    config = keras.saving.serialize_keras_object(component)
    return keras.saving.deserialize_keras_object(config, custom_objects={"Custom": type(component)})


def test_keras_fails_to_load_a_loss_without_kwargs_and_silently_defaults_one_with_them() -> None:
    """What the TF303 messages rest on, with real Keras."""

    class Custom(keras.losses.Loss):
        def __init__(self, factor=0.1, name="custom"):
            super().__init__(name=name)
            self.factor = factor

    with pytest.raises(TypeError, match="unexpected keyword argument 'reduction'"):
        _reload(Custom(factor=2.0))

    class Custom(keras.losses.Loss):  # type: ignore[no-redef]
        def __init__(self, alpha, **kwargs):
            super().__init__(**kwargs)
            self.alpha = alpha

    with pytest.raises(TypeError, match="missing 1 required positional argument: 'alpha'"):
        _reload(Custom(alpha=2.0))

    class Custom(keras.losses.Loss):  # type: ignore[no-redef]
        def __init__(self, delta=0.1, **kwargs):
            super().__init__(**kwargs)
            self.delta = delta

    assert _reload(Custom(delta=2.0)).delta == 0.1


def test_a_name_rebound_between_an_array_and_a_tensor_holds_what_reaches_the_use() -> None:
    """Before `reps = tf.constant(reps)` (or `x_shape = tf.shape(x)`) the name is the NumPy
    array (the static shape): quiet; after an `if` whose one branch assigns a tensor, the name
    may hold it: flagged."""
    assert (
        found(
            """
            import numpy as np
            import tensorflow as tf

            @tf.function
            def f(x):
                reps = np.ones(len(x.shape), dtype="int32")
                reps = np.delete(reps, 0)
                reps = tf.constant(reps)
                sizes = list(x.shape)
                n = np.prod(sizes)
                sizes = tf.shape(x)
                return tf.tile(x, reps), n, sizes
            """
        )
        == []
    )
    assert found(
        """
        import numpy as np
        import tensorflow as tf

        @tf.function
        def g(x, several):
            if several:
                single = tf.equal(np.array(1), len(x.shape))
            else:
                single = np.array(True)
            return np.where(single, x.shape[-1], 1)
        """
    ) == [(11, 12, "TF201")]
