"""TF107, TF206, TF304 on small snippets: exact codes, rows, columns and messages, the
look-alikes that must stay quiet, and the TensorFlow behaviour the messages claim."""

from __future__ import annotations

import itertools

import keras
import pytest
import tensorflow as tf

from tests.snippets import lint_snippet, positions
from tflint.diagnostics import Diagnostic

CODES = frozenset({"TF107", "TF206", "TF304"})


def lint(source: str) -> list[Diagnostic]:
    return lint_snippet(source, CODES)


def found(source: str) -> list[tuple[int, int, str]]:
    return positions(lint(source))


def in_tf_function(body: str, header: str = "") -> str:
    """`body` (one line) as row 7, column 5 of a tf.function `f(x)`."""
    return (
        f"import itertools\nimport keras\nimport tensorflow as tf\n{header}\n\n"
        f"@tf.function\ndef f(x):\n    {body}\n"
    )


# -- TF107 python-iterator-in-graph ---------------------------------------------------------

GENERATOR = "def batches():\n    while True:\n        yield 1.0\n"


@pytest.mark.parametrize(
    "header",
    [
        "it = iter([1.0, 2.0])",
        "it = iter(range(10))",
        "it = itertools.cycle([1.0, 2.0])",
        "it = (float(i) for i in range(9))",
        "it = zip([1.0], [2.0])",
        "it = enumerate([1.0])",
        f"{GENERATOR}it = batches()",
    ],
)
def test_next_on_a_module_level_python_iterator(header: str) -> None:
    source = in_tf_function("return x + next(it)", header)
    row = 7 + header.count("\n") + 1
    (diagnostic,) = lint(source)
    assert (diagnostic.location.row, diagnostic.location.column, diagnostic.code) == (
        row,
        16,
        "TF107",
    )
    assert diagnostic.message == (
        "`next(it)` advances a Python iterator while tracing (decorated with @tf.function): "
        "the element it takes is frozen into the graph as a constant, so every call sees that "
        "same element and the iterator moves only once per trace; iterate a `tf.data.Dataset` "
        "and pass each element in as an argument"
    )


def test_closure_and_attribute_iterators_are_flagged() -> None:
    source = """\
        import tensorflow as tf

        def make_step():
            order = iter([0.1, 0.2, 0.3])

            @tf.function
            def step(x):
                return x * next(order)

            return step

        class Feeder(tf.Module):
            def __init__(self):
                self.batches = iter([1.0, 2.0])

            @tf.function
            def __call__(self, x):
                return x + next(self.batches)
        """
    assert found(source) == [(8, 20, "TF107"), (18, 20, "TF107")]


@pytest.mark.parametrize(
    "header, body",
    [
        ("it = iter(tf.data.Dataset.range(3))", "return next(it)"),  # a tf.data iterator
        ("ds = tf.data.Dataset.range(3)\nit = iter(ds)", "return next(it)"),
        ("it = iter(train_dataset)", "return next(it)"),  # unknown: may be tf.data
        ("it = ds.as_numpy_iterator()", "return next(it)"),  # raises instead: see TF206
        ("", "it = iter([1.0, 2.0]); return x * next(it)"),  # fresh on every call
        ("", "return next(iter([1.0, 2.0]))"),
    ],
)
def test_iterators_that_are_not_frozen_python_state_are_quiet(header: str, body: str) -> None:
    assert found(in_tf_function(body, header)) == []


def test_an_iterator_argument_and_eager_code_are_quiet() -> None:
    source = """\
        import tensorflow as tf

        it = iter([1.0, 2.0])

        @tf.function
        def f(x, batches):
            return x + next(batches)

        def eager(x):
            return x + next(it)
        """
    assert found(source) == []


def test_a_python_iterator_gives_the_same_element_on_every_call() -> None:
    """What the TF107 message claims, with real TensorFlow."""
    counter = itertools.count(1)

    @tf.function
    def f(x: tf.Tensor) -> tf.Tensor:
        return x + next(counter)

    assert [float(f(tf.constant(0.0))) for _ in range(3)] == [1.0, 1.0, 1.0]
    assert next(counter) == 2  # advanced once, by the one trace


# -- TF206 eager-only-api-in-graph ----------------------------------------------------------

MODEL = "model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])"


@pytest.mark.parametrize(
    "body, column, fragment",
    [
        ("model.fit(x, x)", 5, "Keras `Model.fit` raises `OperatorNotAllowedInGraphError"),
        ("model.evaluate(x, x)", 5, "Keras `Model.evaluate` raises `OperatorNotAllowed"),
        ("return model.predict(x)", 12, "Keras `Model.predict` raises `AttributeError: "),
        ("return model.predict_on_batch(x)", 12, "Keras `Model.predict_on_batch` raises"),
        ("model.save('m.keras')", 5, "Keras `Model.save` raises `NotImplementedError: numpy()"),
        ("model.save_weights('w.h5')", 5, "Keras `Model.save_weights` raises"),
        ("tf.saved_model.save(model, 'd')", 5, "`tf.saved_model.save` raises `AssertionError"),
        ("return tf.data.Dataset.range(3).as_numpy_iterator()", 12, "`.as_numpy_iterator()` "),
    ],
)
def test_eager_only_calls(body: str, column: int, fragment: str) -> None:
    (diagnostic,) = lint(in_tf_function(body, MODEL))
    assert (diagnostic.location.row, diagnostic.location.column) == (8, column)
    assert diagnostic.message.startswith(fragment)
    assert "when traced (decorated with @tf.function); " in diagnostic.message


def test_run_functions_eagerly_message() -> None:
    (diagnostic,) = lint(in_tf_function("tf.config.run_functions_eagerly(False)"))
    assert diagnostic.message == (
        "`tf.config.run_functions_eagerly(...)` in graph code runs once, while tracing "
        "(decorated with @tf.function): it does not change the call being traced, and it "
        "switches every later tf.function call to (or from) eager execution; call it once, "
        "outside any tf.function, before the functions run"
    )


def test_model_methods_in_a_keras_traced_method_say_what_keras_raises() -> None:
    source = """\
        import keras

        class Distilled(keras.Model):
            def __init__(self):
                super().__init__()
                self.teacher = keras.Sequential([keras.layers.Dense(1)])

            def train_step(self, data):
                self.teacher.predict(data)
                self.save("m.keras")
                return {}
        """
    diagnostics = lint(source)
    assert positions(diagnostics) == [(9, 9, "TF206"), (10, 9, "TF206")]
    assert "raises `TypeError: int() argument must be ... not 'NoneType'`" in (
        diagnostics[0].message
    )
    assert "(Keras traces `Distilled.train_step`)" in diagnostics[0].message


@pytest.mark.parametrize(
    "header, body",
    [
        ("", "scaler.fit(x)"),  # not evidently a Keras model
        ("scaler = object()", "scaler.fit(x)"),
        (MODEL, "return model.train_on_batch(x, x)"),  # runs in a tf.function on TF 2.21
        (MODEL, "return model(x)"),
        ("ckpt = tf.train.Checkpoint()", "ckpt.save('c')"),
        (MODEL, "return x.as_numpy_iterator(1)"),
    ],
)
def test_eager_only_look_alikes_are_quiet(header: str, body: str) -> None:
    assert found(in_tf_function(body, header)) == []


def test_a_model_that_defines_the_method_itself_is_quiet() -> None:
    source = """\
        import keras

        class Ensemble(keras.Model):
            def predict(self, x):
                return x

            def call(self, inputs):
                return self.predict(inputs)
        """
    assert found(source) == []


def test_train_on_batch_really_runs_in_a_tf_function() -> None:
    """Why TF206 leaves `train_on_batch` alone (TF 2.21 / Keras 3)."""
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")

    @tf.function
    def step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        return model.train_on_batch(x, y)

    for _ in range(2):
        step(tf.ones((4, 2)), tf.ones((4, 1)))
    assert int(model.optimizer.iterations) == 2


# -- TF304 keras-object-created-in-graph ----------------------------------------------------


@pytest.mark.parametrize(
    "body, kind",
    [
        ("return keras.layers.Dense(2)(x)", "layer"),
        ("return keras.layers.Dropout(0.2)(x)", "layer"),
        ("return tf.keras.layers.Conv2D(2, 1)(x)", "layer"),
        ("return keras.layers.LSTM(2)(x)", "layer"),
        ("return keras.layers.RandomFlip()(x)", "layer"),
        ("opt = keras.optimizers.Adam(1e-3)", "optimizer"),
        ("m = keras.metrics.Mean()", "metric"),
    ],
)
def test_keras_objects_with_variables(body: str, kind: str) -> None:
    (diagnostic,) = lint(in_tf_function(body))
    assert diagnostic.code == "TF304"
    assert diagnostic.location.row == 8
    spelled = body.split("(")[0].split()[-1].split("= ")[-1]
    assert diagnostic.message == (
        f"`{spelled}(...)` constructs a Keras {kind} in graph code (decorated with "
        "@tf.function): its variables are created again on every trace, and TensorFlow "
        "raises `ValueError: tf.function only supports singleton tf.Variables created on the "
        "first call` (run eagerly, each call gets a new, untrained object); create it once, "
        "in `__init__`/`build` or outside the function, and call it here"
    )


def test_own_layer_classes_that_make_weights_and_keras_traced_call() -> None:
    source = """\
        import keras

        class Scale(keras.layers.Layer):
            def build(self, input_shape):
                self.w = self.add_weight(shape=(1,))

            def call(self, x):
                return x * self.w

        class Shift(keras.layers.Layer):
            def call(self, x):
                return x + 1.0

        class Net(keras.Model):
            def call(self, x):
                x = Shift()(x)
                return Scale()(x)
        """
    assert found(source) == [(17, 16, "TF304")]


@pytest.mark.parametrize(
    "body",
    [
        "return keras.layers.ReLU()(x)",
        "return keras.layers.Flatten()(x)",
        "return keras.layers.MaxPooling2D()(x)",
        "return keras.layers.UnitNormalization()(x)",
        "return keras.losses.MeanSquaredError()(x, x)",
        "return keras.metrics.binary_accuracy(x, x)",
        "return keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)(1)",
    ],
)
def test_objects_without_variables_are_quiet(body: str) -> None:
    assert found(in_tf_function(body)) == []


def test_init_build_and_create_once_guards_are_quiet() -> None:
    source = """\
        import keras
        import tensorflow as tf

        class Head(keras.layers.Layer):
            def __init__(self):
                super().__init__()
                self.dense = keras.layers.Dense(2)

            def build(self, input_shape):
                self.proj = keras.layers.Dense(input_shape[-1])

            def call(self, x):
                return self.proj(self.dense(x))

        class Lazy(tf.Module):
            def __init__(self):
                self.dense = None

            @tf.function
            def __call__(self, x):
                if self.dense is None:
                    self.dense = keras.layers.Dense(2)
                return self.dense(x)

        def make_model():
            return keras.Sequential([keras.layers.Dense(2)])
        """
    assert found(source) == []


def test_build_time_helpers_get_or_create_and_creator_scopes_are_quiet() -> None:
    source = """\
        import keras
        import tensorflow as tf

        def get_metric(name):
            return keras.metrics.Mean(name=name)

        class Metrics(keras.metrics.Metric):
            def build(self, names):
                self.items = [get_metric(n) for n in names]
                self.built = True

            def update_state(self, y_true, y_pred, sample_weight=None):
                if not self.built:
                    self.build(["a"])

        class Nested(keras.Model):
            def build_model(self):
                return keras.Sequential([keras.layers.Dense(2)])

            def call(self, inputs):
                model = tf.compat.v1.keras.utils.get_or_create_layer("m", self.build_model)
                return model(inputs)

        @tf.function
        def intercepted():
            with tf.variable_creator_scope(lambda next_creator, **kwargs: tf.constant(1.0)):
                return keras.metrics.Sum().variables
        """
    assert found(source) == []


def test_a_helper_graph_code_also_calls_directly_is_flagged() -> None:
    source = """\
        import keras
        import tensorflow as tf

        def get_metric(name):
            return keras.metrics.Mean(name=name)

        class Metrics(keras.metrics.Metric):
            def build(self, names):
                self.items = [get_metric(n) for n in names]

            def update_state(self, y_true, y_pred, sample_weight=None):
                self.build(["a"])

        @tf.function
        def step(x):
            return get_metric("b")(x)
        """
    assert found(source) == [(5, 12, "TF304")]


def test_weightless_layers_run_and_dense_raises_in_a_tf_function() -> None:
    """What TF304 keys on (TF 2.21 / Keras 3)."""
    x = tf.ones((2, 3))

    @tf.function
    def activated(t: tf.Tensor) -> tf.Tensor:
        return keras.layers.ReLU()(t)

    @tf.function
    def projected(t: tf.Tensor) -> tf.Tensor:
        return keras.layers.Dense(2)(t)

    assert activated(x).shape == (2, 3)
    with pytest.raises(ValueError, match=r"only supports singleton tf\.Variables"):
        projected(x)
