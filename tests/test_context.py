"""Graph-code detection: which functions TensorFlow traces, resolved through imports.

Each snippet puts `print(...)` (TF101) in the functions under test; the rows reported are
exactly the graph-code ones.
"""

from __future__ import annotations

import textwrap

import pytest

from tflint.engine import lint_source


def flagged_rows(source: str) -> list[int]:
    code = textwrap.dedent(source).encode()
    return sorted(d.location.row for d in lint_source(code, "snippet.py", frozenset({"TF101"})))


@pytest.mark.parametrize(
    "header, decorator",
    [
        ("import tensorflow as tf", "@tf.function"),
        ("import tensorflow as tf", "@tf.function(jit_compile=True, reduce_retracing=True)"),
        ("import tensorflow", "@tensorflow.function"),
        ("import tensorflow as anything", "@anything.function()"),
        ("from tensorflow import function", "@function"),
        ("from tensorflow import function as compiled", "@compiled"),
        ("import tensorflow.compat.v2 as tf", "@tf.function"),
    ],
)
def test_tf_function_in_every_spelling(header: str, decorator: str) -> None:
    source = f"{header}\n{decorator}\ndef f(x):\n    print(x)\n"
    assert flagged_rows(source) == [4]


def test_a_decorator_named_function_that_is_not_tensorflow_is_ignored() -> None:
    source = (
        "import tensorflow as tf\nfrom mylib import function\n@function\ndef f(x):\n    print(x)\n"
    )
    assert flagged_rows(source) == []


def test_wrapped_by_a_call() -> None:
    source = """\
        import tensorflow as tf
        def slow(x):
            print(x)
        def eager(x):
            print(x)
        fast = tf.function(slow)
        """
    assert flagged_rows(source) == [3]


@pytest.mark.parametrize(
    "header, base",
    [
        ("import keras", "keras.layers.Layer"),
        ("import keras", "keras.Layer"),
        ("import keras", "keras.Model"),
        ("from tensorflow import keras", "keras.layers.Layer"),
        ("import tensorflow as tf", "tf.keras.layers.Layer"),
        ("import tensorflow as tf", "tf.keras.Model"),
        ("from keras import layers", "layers.Dense"),
        ("from tensorflow.keras.layers import Layer", "Layer"),
    ],
)
def test_keras_layer_call_in_every_spelling(header: str, base: str) -> None:
    source = f"""\
{header}
class Block({base}):
    def __init__(self):
        print("eager: construction")
    def build(self, shape):
        print("eager: build")
    def call(self, x):
        print(x)
        return self.helper(x)
    def helper(self, x):
        print(x)
        return x
"""
    assert flagged_rows(source) == [8, 11]


def test_keras_traced_methods_per_component_kind() -> None:
    source = """\
        import keras
        class Step(keras.Model):
            def train_step(self, data):
                print(data)
            def test_step(self, data):
                print(data)
            def predict_step(self, data):
                print(data)
        class MyLoss(keras.losses.Loss):
            def call(self, y_true, y_pred):
                print(y_pred)
        class MyMetric(keras.metrics.Metric):
            def update_state(self, y_true, y_pred, sample_weight=None):
                print(y_pred)
            def result(self):
                print("result")
            def reset_state(self):
                print("eager")
        """
    assert flagged_rows(source) == [4, 6, 8, 11, 14, 16]


def test_same_module_subclass_of_a_keras_class_inherits_its_kind() -> None:
    source = """\
        import keras
        class Base(keras.layers.Layer):
            pass
        class Child(Base):
            def call(self, x):
                print(x)
        class NotKeras:
            def call(self, x):
                print(x)
        """
    assert flagged_rows(source) == [6]


@pytest.mark.parametrize(
    "pipeline",
    [
        "tf.data.Dataset.range(3).map(fn)",
        "tf.data.Dataset.range(3).filter(fn)",
        "tf.data.Dataset.range(3).flat_map(fn)",
        "tf.data.Dataset.range(3).interleave(fn)",
        "tf.data.Dataset.range(3).reduce(0, fn)",
        "tf.data.Dataset.range(3).scan(0, fn)",
        "tf.data.Dataset.range(3).batch(2).map(map_func=fn)",
        "ds.map(fn)",
        "train_ds.map(fn)",
    ],
)
def test_dataset_transformations(pipeline: str) -> None:
    source = (
        "import tensorflow as tf\ndef fn(*x):\n    print(x)\n"
        f"ds = tf.data.Dataset.range(3)\nout = {pipeline}\n"
    )
    assert flagged_rows(source) == [3]


def test_dataset_lambda_and_names_assigned_from_datasets() -> None:
    source = """\
        import tensorflow as tf
        pipeline = tf.data.TFRecordDataset(["a"])
        pipeline = pipeline.shuffle(10)
        pipeline = pipeline.map(lambda x: print(x))
        """
    assert flagged_rows(source) == [4]


def test_map_on_something_that_is_not_a_dataset_is_not_graph_code() -> None:
    source = """\
        import tensorflow as tf
        import pandas as pd
        def fn(x):
            print(x)
        frame = pd.DataFrame({"a": [1]})
        frame["a"].map(fn)
        results = map(fn, [1, 2])
        """
    assert flagged_rows(source) == []


def test_transitive_calls_and_higher_order_ops() -> None:
    source = """\
        import tensorflow as tf
        def leaf(x):
            print(x)
        def middle(x):
            return leaf(x)
        def body(i):
            print(i)
            return i + 1
        def eager_only(x):
            print(x)
        @tf.function
        def top(x):
            tf.while_loop(lambda i: i < 3, body, [0])
            return middle(x)
        """
    assert flagged_rows(source) == [3, 7]


def test_exemptions_py_function_numpy_function_do_not_convert_init_scope() -> None:
    source = """\
        import tensorflow as tf
        def py_side(x):
            print(x)
        def np_side(x):
            print(x)
        @tf.autograph.experimental.do_not_convert
        def unconverted(x):
            print(x)
        @tf.function
        def top(x):
            with tf.init_scope():
                print("trace-time message")
            tf.py_function(py_side, [x], tf.float32)
            tf.numpy_function(func=np_side, inp=[x], Tout=tf.float32)
            print(x)
            return x
        """
    assert flagged_rows(source) == [15]


def test_nested_functions_inside_graph_code_are_graph_code() -> None:
    source = """\
        import tensorflow as tf
        @tf.function
        def top(x):
            def inner(y):
                print(y)
                return y
            return inner(x)
        """
    assert flagged_rows(source) == [5]


def test_files_without_tensorflow_are_never_graph_code() -> None:
    source = """\
        def function(f):
            return f
        @function
        def f(x):
            print(x)
        class Layer:
            def call(self, x):
                print(x)
        """
    assert flagged_rows(source) == []


def test_a_dataset_of_another_library_named_ds_is_not_tf_data() -> None:
    source = """\
        import grain
        import tensorflow as tf
        def read(path):
            print(path)
        def tf_pipeline(paths):
            ds = tf.data.Dataset.from_tensor_slices(paths)
            return ds.map(read)
        def grain_pipeline(paths):
            ds = grain.MapDataset.source(paths)
            ds = ds.map(lambda p: print(p))
            return ds
        """
    assert flagged_rows(source) == [4]


def test_eager_only_branches_and_other_backends_are_not_graph_code() -> None:
    source = """\
        import keras
        import tensorflow as tf
        import torch
        from keras import backend
        class Lookup(keras.layers.Layer):
            def call(self, inputs):
                if tf.executing_eagerly():
                    print("eager")
                if backend.backend() == "torch" and isinstance(inputs, torch.Tensor):
                    print("torch")
                if backend.backend() != "tensorflow":
                    inputs = self.numpy_path(inputs)
                else:
                    print("traced")
                if isinstance(inputs, (torch.Tensor, list)):
                    print("torch tensors")
                return inputs
            def numpy_path(self, inputs):
                print("only reached from a non-TensorFlow branch")
                return inputs
        """
    assert flagged_rows(source) == [14]


def test_properties_passed_to_tf_functions_are_not_graph_code() -> None:
    source = """\
        import keras
        import tensorflow as tf
        class Cell(keras.layers.Layer):
            @property
            def states(self):
                print("getter")
                return self._states
            def call(self, x):
                return tf.nest.map_structure(tf.identity, self.states)
        """
    assert flagged_rows(source) == []


def test_tensorflows_internal_py_func_spelling_is_an_exemption() -> None:
    source = """\
        import tensorflow as tf
        from tensorflow.python.ops import script_ops
        def py_method(ind):
            print(ind.numpy())
            return ind
        @tf.function
        def grab(indices):
            return script_ops.eager_py_func(py_method, [indices], [tf.int64])
        """
    assert flagged_rows(source) == []
