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


def test_the_else_of_a_graph_only_or_tensorflow_test_is_eager_only() -> None:
    """`not` and `else` read as Python evaluates them: the `else` of `if not
    tf.executing_eagerly():` and of `if backend() == "tensorflow":` never runs while tracing."""
    source = """\
        import keras
        import tensorflow as tf
        from keras import backend
        class Lookup(keras.layers.Layer):
            def call(self, inputs):
                if not tf.executing_eagerly():
                    print("traced")
                else:
                    print("eager")
                if backend.backend() == "tensorflow":
                    print("tensorflow")
                else:
                    inputs = self.numpy_path(inputs)
                return inputs
            def numpy_path(self, inputs):
                print("only reached from a non-TensorFlow branch")
                return inputs
        """
    assert flagged_rows(source) == [7, 11]


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


@pytest.mark.parametrize(
    "header, spelling",
    [
        ("import tensorflow as tf", "@tf.py_function(Tout=tf.float32)"),
        ("import tensorflow as tf", "@tf.numpy_function(Tout=tf.float32)"),
        ("import tensorflow.compat.v1 as tf", "@tf.py_function(Tout=tf.float32)"),
        ("from tensorflow import py_function", "@py_function(Tout=tf.float32)"),
    ],
)
def test_py_function_decorator_form_is_an_exemption(header: str, spelling: str) -> None:
    source = f"""\
        {header}
        import tensorflow as tf
        {spelling}
        def plus(x, y):
            print(x)
            return x + y
        @tf.function
        def outer(x, y):
            print(x)
            return plus(x, y)
        """
    assert flagged_rows(source) == [9]


@pytest.mark.parametrize(
    "header, call",
    [
        ("import tensorflow.compat.v1 as tf", "tf.py_function(decode, [x], tf.string)"),
        ("import tensorflow as tf", "tf.compat.v1.py_function(decode, [x], tf.string)"),
        ("import tensorflow as tf", "tf.compat.v1.numpy_function(decode, [x], tf.string)"),
        ("import tensorflow.compat.v1 as tf", "tf.py_func(decode, [x], tf.string)"),
    ],
)
def test_compat_v1_py_function_spellings_are_exemptions(header: str, call: str) -> None:
    source = f"""\
        {header}
        def decode(x):
            print(x)
            return x
        def to_graph(x):
            return {call}
        ds = tf.data.Dataset.range(3).map(to_graph)
        """
    assert flagged_rows(source) == []


def test_a_method_handed_to_py_func_by_reference_is_an_exemption() -> None:
    source = """\
        import tensorflow.compat.v1 as tf
        class Reader:
            def _decode(self, record):
                print(record)
                return record
            @tf.function
            def parse(self, record):
                print(record)
                return tf.py_func(self._decode, [record], tf.string)
        """
    assert flagged_rows(source) == [8]


def test_functions_run_through_a_same_module_py_function_wrapper_are_exemptions() -> None:
    source = """\
        import tensorflow as tf
        def eager_map(func):
            def wrapper(x):
                return tf.py_function(func, inp=(x,), Tout=tf.float64)
            return wrapper
        def run_eagerly(func, x):
            return tf.numpy_function(func, [x], tf.float64)
        def call_through(fn, x):
            return run_eagerly(fn, x)
        @eager_map
        def stamp(x):
            print(x)
            return x
        def plain(x):
            print(x)
            return x
        def relayed(x):
            print(x)
            return x
        ds = tf.data.Dataset.range(3).map(stamp)
        ds = ds.map(lambda x: run_eagerly(plain, x))
        ds = ds.map(lambda x: call_through(relayed, x))
        """
    assert flagged_rows(source) == []


def test_a_decorator_that_does_not_use_py_function_keeps_graph_code() -> None:
    source = """\
        import tensorflow as tf
        def logged(func):
            def wrapper(x):
                return func(x)
            return wrapper
        @logged
        def step(x):
            print(x)
            return x
        ds = tf.data.Dataset.range(3).map(step)
        """
    assert flagged_rows(source) == [8]


def test_tf_keras_py_metric_runs_update_state_and_result_eagerly() -> None:
    source = """\
        import tensorflow as tf
        from tf_keras import metrics
        class Median(metrics.PyMetric):
            def update_state(self, y_true, y_pred, sample_weight=None):
                print(y_pred)
            def result(self):
                print("result")
                return tf.constant(0.0)
        class Child(Median):
            def update_state(self, y_true, y_pred, sample_weight=None):
                print(y_pred)
        class Plain(metrics.Metric):
            def update_state(self, y_true, y_pred, sample_weight=None):
                print(y_pred)
        """
    assert flagged_rows(source) == [14]


def test_a_class_defined_twice_has_both_definitions_analysed() -> None:
    source = """\
        import keras
        class Block(keras.layers.Layer):
            def call(self, x):
                print("first")
                return self.helper(x)
            def helper(self, x):
                print("first helper")
                return x
        class Block(keras.layers.Layer):
            def call(self, x):
                print("second")
                return x
        """
    assert flagged_rows(source) == [4, 7, 11]


EAGER_MODEL = """\
    import keras
    import numpy as np
    import tensorflow as tf
    class Probe(keras.Model):
        def build(self, shape):
            self.scale = self.add_weight(shape=(shape[-1],))
        def call(self, x):
            print(x)
            return x * self.scale
        def train_step(self, data):
            print(data)
            return {}
    data = np.ones((2, 3), dtype="float32")
    probe = Probe()
    """


@pytest.mark.parametrize(
    "use, rows",
    [
        ("probe(tf.ones((2, 3)))\nprobe.train_step((data, data))\nprint(probe.weights)", []),
        ("out = probe(data[:1] * 2)", []),
        ("probe.compile(loss='mse')\nprobe.fit(data, data)", [8, 11]),
        ("probe.train_step((data, data))\nprobe.predict(data)", [8, 11]),
        ("model = keras.Sequential([probe])", [8, 11]),
        ("inputs = keras.Input((3,))\noutputs = probe(inputs)", [8]),
        ("def run(x):\n    return probe(x)", [8]),
        ("@tf.function\ndef step(x):\n    return probe.train_step(x)", [8, 11]),
    ],
)
def test_keras_methods_a_script_only_runs_eagerly_are_not_traced(use: str, rows: list[int]) -> None:
    assert flagged_rows(textwrap.dedent(EAGER_MODEL) + use + "\n") == rows


def test_keras_call_without_build_is_still_traced_by_its_first_eager_call() -> None:
    # Keras 3 builds such a layer by running `call` on symbolic tensors first (TF 2.21).
    source = """\
        import keras
        import tensorflow as tf
        class Scaled(keras.layers.Layer):
            def __init__(self):
                super().__init__()
                self.dense = keras.layers.Dense(2)
            def call(self, x):
                print(x)
                return self.dense(x)
        layer = Scaled()
        layer(tf.ones((1, 2)))
        """
    assert flagged_rows(source) == [8]


def test_keras_call_without_sub_layers_runs_eagerly_on_an_eager_call() -> None:
    """A layer with no `build` and no objects made in `__init__` runs `call` once, eagerly,
    when called on an eager value (observed on Keras 3.15), and an element drawn from a
    Dataset with `next(iter(ds))` in top-level code is eager."""
    source = """\
        import keras
        import tensorflow as tf
        class Flip(keras.layers.Layer):
            def __init__(self, factor=0.5):
                super().__init__()
                self.factor = factor
            def call(self, x):
                print(x)
                return 255 - x
        ds = tf.data.Dataset.from_tensor_slices(tf.zeros((4, 2))).batch(2)
        batch, label = next(iter(ds)), None
        image = next(iter(ds))
        Flip()(image)
        """
    assert flagged_rows(source) == []


def test_a_function_local_of_the_same_name_does_not_decide_a_top_level_value() -> None:
    source = """\
        import keras
        import tensorflow as tf
        class Flip(keras.layers.Layer):
            def call(self, x):
                print(x)
                return 255 - x
        def prepare(pair):
            image, label = pair
            return image
        image = tf.ones((1, 2))
        Flip()(image)
        """
    assert flagged_rows(source) == []


def test_library_classes_and_main_blocks_keep_keras_methods_traced() -> None:
    source = """\
        import keras
        import tensorflow as tf
        class Mean(keras.metrics.Metric):
            def update_state(self, y_true, y_pred, sample_weight=None):
                print(y_pred)
        def demo():
            metric = Mean()
            metric.update_state(tf.ones(2), tf.ones(2))
        if __name__ == "__main__":
            Mean()(tf.ones(2), tf.ones(2))
        """
    assert flagged_rows(source) == [5]


def test_the_graph_index_answers_which_functions_are_tf_functions() -> None:
    """Checks ask the index for a function's `@tf.function` (and its options) instead of
    re-reading decorators: the first tf.function decorator in any spelling, None otherwise."""
    import libcst as cst

    from tflint.graph import GraphContext
    from tflint.names import ImportMap

    module = cst.parse_module(
        textwrap.dedent(
            """\
            import functools
            from tensorflow import function as compiled

            @functools.lru_cache
            @compiled(jit_compile=True)
            def fast(x):
                return x

            @functools.lru_cache
            def plain(x):
                return x
            """
        )
    )
    graph = GraphContext(module, ImportMap.from_module(module))
    fast, plain = (s for s in module.body if isinstance(s, cst.FunctionDef))
    found = graph.tf_function_decorator(fast)
    assert found is not None
    assert found.decorator is fast.decorators[1]
    assert list(found.options) == ["jit_compile"]
    assert graph.tf_function_decorator(plain) is None


def test_external_roots_mark_functions_and_methods_and_reach_their_callees() -> None:
    """The whole-project link step hands a module the functions other modules trace; they
    become graph code with the given reason, and so do the same-module helpers they call."""
    import libcst as cst

    from tflint.graph import GraphContext, GraphReason
    from tflint.names import ImportMap

    module = cst.parse_module(
        textwrap.dedent(
            """
            def record(x):
                return helper(x)

            def helper(x):
                return x

            class Base:
                def add(self, v):
                    return v

            class Accumulator(Base):
                pass

            def untouched(x):
                return x
            """
        )
    )
    reason = GraphReason("called from `train_step` (decorated with @tf.function) in `train.py:40`")
    graph = GraphContext(
        module,
        ImportMap.from_module(module),
        {"record": reason, "Accumulator.add": reason, "missing": reason, "Nope.add": reason},
    )
    functions = {s.name.value: s for s in module.body if isinstance(s, cst.FunctionDef)}
    base = next(s for s in module.body if isinstance(s, cst.ClassDef) and s.name.value == "Base")
    add = base.body.body[0]
    assert isinstance(add, cst.FunctionDef)
    assert graph.reason(functions["record"]) == reason
    assert graph.reason(add) == reason
    helper_reason = graph.reason(functions["helper"])
    assert helper_reason is not None and helper_reason.text == "called from graph code `record`"
    assert graph.reason(functions["untouched"]) is None
    assert graph.function_named("Accumulator.add") is add
    assert graph.function_named("missing") is None
    assert graph.function_named("Accumulator.add.x") is None
