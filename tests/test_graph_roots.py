"""Graph roots beyond decorators and Keras methods, and calls through objects, inside one module.

Each snippet puts `print(...)` (TF101) or another finding in the functions under test and
asserts the exact rows, and where it matters the message, which names the path.
"""

from __future__ import annotations

import textwrap

import pytest

from tflint.engine import lint_source
from tflint.graph import GraphReason


def findings(source: str, codes: frozenset[str] = frozenset({"TF101"})) -> list[tuple[int, str]]:
    code = textwrap.dedent(source).encode()
    found = lint_source(code, "snippet.py", codes)
    return sorted((d.location.row, d.message) for d in found)


def rows(source: str, codes: frozenset[str] = frozenset({"TF101"})) -> list[int]:
    return [row for row, _ in findings(source, codes)]


# -- functions Keras traces: compile's losses and metrics, Lambda layers -----------------------


@pytest.mark.parametrize(
    "compile_call",
    [
        'model.compile(loss=my_loss, optimizer="adam", metrics=[my_metric])',
        'model.compile("adam", my_loss, metrics=(my_metric,))',
        'model.compile(loss={"out": my_loss}, metrics={"out": [my_metric]})',
        "model.compile(loss=[my_loss],"
        " weighted_metrics=[keras.metrics.MeanMetricWrapper(my_metric)])",
    ],
)
def test_losses_and_metrics_given_to_compile_are_traced_by_fit(compile_call: str) -> None:
    source = f"""\
        import keras
        import tensorflow as tf
        def my_loss(y_true, y_pred):
            print("tracing the loss")
            return tf.reduce_mean(tf.square(y_true - y_pred))
        def my_metric(y_true, y_pred):
            print("tracing the metric")
            return tf.reduce_mean(y_pred)
        def unused(y_true, y_pred):
            print("never given to Keras")
        model = keras.Sequential([keras.layers.Dense(1)])
        {compile_call}
        """
    found = findings(source)
    assert [row for row, _ in found] == [4, 7]
    assert "traced by Keras `fit` as the loss given to `compile`" in found[0][1]
    assert "traced by Keras `fit` as a metric given to `compile`" in found[1][1]


def test_a_loss_is_traced_without_autograph() -> None:
    """Keras 3 traces the loss as plain Python (observed: `if <tensor>:` there raises
    OperatorNotAllowedInGraphError), and the helpers it calls are graph code too, also without
    AutoGraph."""
    import libcst as cst

    from tflint.graph import GraphContext
    from tflint.names import ImportMap

    source = """\
        import keras
        import tensorflow as tf
        def clipped(y_true, y_pred):
            return helper(y_true - y_pred)
        def helper(error):
            print("helper")
            return tf.reduce_mean(error)
        model = keras.Sequential([keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss=clipped)
        """
    found = findings(source)
    assert found == [
        (
            6,
            "`print` in graph code (called from graph code `clipped`) runs once per trace, not "
            "on every call, and shows symbolic tensors; use `tf.print`",
        )
    ]
    module = cst.parse_module(textwrap.dedent(source))
    graph = GraphContext(module, ImportMap.from_module(module))
    clipped, helper = (s for s in module.body if isinstance(s, cst.FunctionDef))
    assert graph.reason(clipped) == GraphReason(
        "traced by Keras `fit` as the loss given to `compile`", autograph=False
    )
    helper_reason = graph.reason(helper)
    assert helper_reason is not None and not helper_reason.autograph


def test_compile_with_run_eagerly_and_other_compiles_are_not_roots() -> None:
    source = """\
        import re
        import keras
        def my_loss(y_true, y_pred):
            print("eager: run_eagerly=True")
            return y_pred
        def pattern_loss(y_true, y_pred):
            print("not a Keras compile")
        model = keras.Sequential([keras.layers.Dense(1)])
        model.compile(loss=my_loss, run_eagerly=True)
        re.compile(pattern_loss)
        """
    assert rows(source) == []


def test_lambda_layers_run_their_function_traced() -> None:
    source = """\
        import keras
        def scale(t):
            print("tracing the Lambda")
            return t * 2
        inputs = keras.Input((3,))
        outputs = keras.layers.Lambda(scale)(inputs)
        model = keras.Sequential([keras.layers.Lambda(lambda t: print(t))])
        """
    found = findings(source)
    assert [row for row, _ in found] == [3, 7]
    assert "traced by Keras as the function of a `Lambda` layer" in found[0][1]


def test_a_lambda_layer_bound_to_a_name_or_returned_is_not_taken_for_traced() -> None:
    """Called on an eager tensor a Lambda layer runs its function eagerly (Keras 3.15): where
    a bound or returned layer ends up is not evident, so it stays quiet."""
    source = """\
        import keras
        def invert(t):
            print(t)
            return 1 - t
        def make_invert():
            return keras.layers.Lambda(invert)
        flip = keras.layers.Lambda(lambda t: print(t))
        """
    assert rows(source) == []


# -- TensorFlow's own tracing: vectorized_map, Dataset.map(partial), strategy.run -------------


def test_vectorized_map_traces_its_function_even_when_called_eagerly() -> None:
    source = """\
        import tensorflow as tf
        def per_example(x):
            print("traced by pfor")
            return x * 2
        result = tf.vectorized_map(per_example, tf.ones((4, 3)))
        """
    found = findings(source)
    assert [row for row, _ in found] == [3]
    assert "traced by tf.vectorized_map" in found[0][1]


def test_dataset_transformations_see_through_functools_partial() -> None:
    source = """\
        import functools
        import tensorflow as tf
        def parse(record, scale):
            print("traced by tf.data")
            return record * scale
        ds = tf.data.Dataset.range(4)
        ds = ds.map(functools.partial(parse, scale=2))
        """
    assert rows(source) == [4]


def test_strategy_run_calls_its_function_like_the_caller() -> None:
    source = """\
        import tensorflow as tf
        strategy = tf.distribute.MirroredStrategy()
        def train_step(x):
            print("per replica, traced")
            return x
        def eager_step(x):
            print("per replica, eager")
            return x
        @tf.function
        def distributed_step(x):
            return strategy.run(train_step, args=(x,))
        def eager_loop(x):
            return strategy.experimental_run_v2(eager_step, args=(x,))
        """
    found = findings(source)
    assert [row for row, _ in found] == [4]
    assert "called from graph code `distributed_step`" in found[0][1]


# -- tf.function in other spellings ------------------------------------------------------------


@pytest.mark.parametrize(
    "header, decorator",
    [
        ("from tensorflow.python.eager import def_function", "@def_function.function"),
        (
            "from tensorflow.python.eager.polymorphic_function import polymorphic_function",
            "@polymorphic_function.function",
        ),
        ("import tensorflow as tf", "@tf.function(jit_compile=True)"),
    ],
)
def test_tensorflows_internal_spellings_of_tf_function(header: str, decorator: str) -> None:
    source = f"{header}\n{decorator}\ndef f(x):\n    print(x)\n"
    assert rows(source) == [4]


def test_the_decorator_form_called_on_a_function() -> None:
    source = """\
        import tensorflow as tf
        def slow(x):
            print(x)
        fast = tf.function(jit_compile=True)(slow)
        """
    assert rows(source) == [3]


def test_a_project_wrapper_of_tf_function_makes_graph_code() -> None:
    source = """\
        import tensorflow as tf
        def relaxed_function(f):
            return tf.function(f, reduce_retracing=True)
        @relaxed_function
        def step(x):
            print("decorated")
            return x
        def body(x):
            print("wrapped")
            return x
        fast = relaxed_function(body)
        def plain(x):
            print("eager")
        """
    found = findings(source)
    assert [row for row, _ in found] == [6, 9]
    assert "decorated with `relaxed_function`, which wraps it in tf.function" in found[0][1]
    assert "wrapped by `relaxed_function`, which wraps it in tf.function" in found[1][1]


def test_wrapper_names_are_exposed_for_the_project_summary() -> None:
    import libcst as cst

    from tflint.graph import GraphContext
    from tflint.names import ImportMap

    module = cst.parse_module(
        textwrap.dedent(
            """\
            import tensorflow as tf
            def relaxed_function(f):
                return tf.function(f, reduce_retracing=True)
            def compiled(g, jit=True):
                return tf.function(g, jit_compile=jit)
            def not_a_wrapper(f):
                return tf.function(other)
            """
        )
    )
    graph = GraphContext(module, ImportMap.from_module(module))
    assert sorted(graph.tf_function_wrappers) == ["compiled", "relaxed_function"]
    assert graph.tf_function_wrappers["relaxed_function"][0] == 0


# -- objects whose class the module defines ----------------------------------------------------


def test_constructing_an_object_in_graph_code_runs_its_init_and_methods() -> None:
    source = """\
        import tensorflow as tf
        class Helper:
            def __init__(self, scale):
                print("init")
                self.scale = scale
            def h(self, x):
                print("h")
                return x * self.scale
            def unused(self):
                print("never called")
        @tf.function
        def step(x):
            return Helper(2).h(x)
        """
    found = findings(source)
    assert [row for row, _ in found] == [4, 7]
    assert all("called from graph code `step`" in message for _, message in found)


@pytest.mark.parametrize(
    "step",
    [
        "acc = Accumulator()\n@tf.function\ndef step(v):\n    return acc.add(v)\n",
        "@tf.function\ndef step(v):\n    acc = Accumulator()\n    return acc.add(v)\n",
        "@tf.function\ndef step(acc: Accumulator, v):\n    return acc.add(v)\n",
        '@tf.function\ndef step(acc: "Accumulator", v):\n    return acc.add(v)\n',
    ],
    ids=["module level", "same scope", "annotated parameter", "string annotation"],
)
def test_methods_run_through_a_name_bound_to_a_known_class(step: str) -> None:
    source = (
        "import tensorflow as tf\n"
        "class Accumulator:\n"
        "    def add(self, v):\n"
        "        print('add')\n"
        "        return v\n" + step
    )
    found = findings(source)
    assert [row for row, _ in found] == [4]
    assert "called from graph code `step`" in found[0][1]


def test_a_parameter_passed_an_instance_at_every_call_site() -> None:
    source = """\
        import tensorflow as tf
        class Accumulator:
            def add(self, v):
                print("add")
                return v
        @tf.function
        def step(acc, v):
            return acc.add(v)
        def main():
            acc = Accumulator()
            step(acc, 1.0)
            step(Accumulator(), 2.0)
        """
    assert rows(source) == [4]


def test_unknown_or_mixed_bindings_resolve_to_nothing() -> None:
    source = """\
        import tensorflow as tf
        class Accumulator:
            def add(self, v):
                print("add")
                return v
        class Other:
            def add(self, v):
                return v
        @tf.function
        def step(acc, v):
            return acc.add(v)
        @tf.function
        def mixed(flag, v):
            acc = Accumulator()
            if flag:
                acc = Other()
            return acc.add(v)
        step(make(), 1.0)
        """
    assert rows(source) == []


def test_self_attribute_sub_objects_run_their_methods() -> None:
    """`self.block(x)` runs `Block.call` for a Keras layer (Layer.__call__), `__call__` for a
    plain class, and `self.head.predict(x)` that method."""
    source = """\
        import keras
        import tensorflow as tf
        class Block:
            def __call__(self, x):
                print("block")
                return x
        class Head:
            def predict(self, x):
                print("head")
                return x
        class Model(keras.Model):
            def __init__(self):
                super().__init__()
                self.block = Block()
                self.head = Head()
            def call(self, x):
                return self.head.predict(self.block(x))
        """
    found = findings(source)
    assert [row for row, _ in found] == [5, 9]
    assert all("called from graph code `call`" in message for _, message in found)


def test_an_accumulator_attribute_becomes_a_symbolic_tensor() -> None:
    """Issue 11's TensorFlow bug report: `self.total += ...` in a method a tf.function runs
    through an object stores a graph tensor on the Python object (TF106)."""
    source = """\
        import tensorflow as tf
        class Accumulator:
            def __init__(self):
                self.total = 0.0
            def add(self, v):
                self.total += tf.reduce_sum(v)
        acc = Accumulator()
        @tf.function
        def step(v):
            acc.add(v)
        """
    found = findings(source, frozenset({"TF106"}))
    assert [row for row, _ in found] == [6]


# -- TF401 through objects and named lists -----------------------------------------------------


def test_tf401_a_decorated_method_called_through_an_instance_in_a_loop() -> None:
    source = """\
        import tensorflow as tf
        class Trainer:
            @tf.function
            def step(self, x, step):
                return x * step
            @tf.function(input_signature=[tf.TensorSpec([]), tf.TensorSpec([], tf.int64)])
            def fixed(self, x, step):
                return x
        trainer = Trainer()
        for epoch in range(10):
            trainer.step(1.0, step=epoch)
            trainer.fixed(1.0, step=epoch)
        """
    assert findings(source, frozenset({"TF401"})) == [
        (
            11,
            "`trainer.step` is a tf.function called with the Python value `epoch`, which changes "
            "every iteration: each new value traces a new graph; pass `tf.constant(...)`, or "
            "give the function an `input_signature`",
        )
    ]


def test_tf401_a_loop_over_a_list_held_in_a_variable() -> None:
    source = """\
        import tensorflow as tf
        @tf.function
        def f(n):
            return n
        def main(items):
            r = [3, 6]
            for i in r:
                f(i)
            for item in items:
                f(item)
        """
    assert rows(source, frozenset({"TF401"})) == [8]


def test_tf401_a_function_from_a_project_wrapper() -> None:
    source = """\
        import tensorflow as tf
        def relaxed_function(f):
            return tf.function(f, reduce_retracing=True)
        @relaxed_function
        def step(n):
            return n
        def body(n):
            return n
        fast = relaxed_function(body)
        for i in range(5):
            step(i)
            fast(i)
        """
    assert rows(source, frozenset({"TF401"})) == [11, 12]


def test_a_constructor_call_feeds_init_its_arguments_after_self() -> None:
    """`Scaler(x, 3)` passes the tensor `x` to `factor`, not to `self`: NumPy on `factor` is
    flagged (TF201), on `size` (a Python int) not."""
    source = """\
        import numpy as np
        import tensorflow as tf
        class Scaler:
            def __init__(self, factor, size):
                self.factor = np.exp(factor)
                self.size = np.sqrt(size)
        @tf.function
        def step(x):
            return Scaler(x, 3).factor
        """
    assert rows(source, frozenset({"TF201"})) == [5]


def test_functions_in_a_list_handed_to_a_tensorflow_op() -> None:
    source = """\
        import tensorflow as tf
        def branch_a():
            print("a")
            return tf.constant(0)
        def branch_b():
            print("b")
            return tf.constant(1)
        @tf.function
        def pick(i):
            return tf.switch_case(i, branch_fns=[branch_a, branch_b])
        """
    assert rows(source) == [3, 6]
