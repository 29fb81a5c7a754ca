"""TF102-TF106 on small snippets: exact codes, rows and columns, what the message says, and the
look-alike idioms of real TensorFlow code that must stay quiet."""

from __future__ import annotations

import pytest
import tensorflow as tf

from tests.snippets import lint_snippet, positions
from tflint.diagnostics import Applicability, Diagnostic

CODES = frozenset({"TF102", "TF103", "TF104", "TF105", "TF106"})


def lint(source: str) -> list[Diagnostic]:
    return lint_snippet(source, CODES)


def found(source: str) -> list[tuple[int, int, str]]:
    return positions(lint(source))


def only_message(source: str) -> str:
    diagnostics = lint(source)
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0].message


def in_tf_function(body: str, header: str = "") -> str:
    """`body` (one line) as row 5, column 5 of a tf.function `f(x)`."""
    return f"import tensorflow as tf\n{header}\n\n@tf.function\ndef f(x):\n    {body}\n"


# -- TF102 python-io-in-graph ---------------------------------------------------------------


@pytest.mark.parametrize(
    "header, body, column, fragment",
    [
        ("import logging", "logging.info('x %s', x)", 5, "`logging.info()` logging"),
        ("import logging", "logging.log(10, 'x %s', x)", 5, "`logging.log()` logging"),
        ("from absl import logging", "logging.warning(x)", 5, "`absl.logging.warning()`"),
        ("", "tf.compat.v1.logging.info(f'{x}')", 5, "`tensorflow.compat.v1.logging.info()`"),
        ("import logging; log = logging.getLogger()", "log.debug('%s', x)", 5, "`log.debug()`"),
        ("", "tf.get_logger().error(str(x))", 5, "`tensorflow.get_logger(...).error()` logging"),
        ("", "open('steps.txt', 'a').write('step')", 5, "`open()`"),
        ("import sys", "sys.stdout.write('x')", 5, "`sys.stdout.write()`"),
        ("import sys", "sys.stderr.write('x')", 5, "`sys.stderr.write()`"),
        ("import warnings", "warnings.warn('slow path: {}'.format(x))", 5, "`warnings.warn()`"),
        ("import subprocess", "subprocess.run(['nvidia-smi'])", 5, "`subprocess.run()`"),
        ("import os", "os.system('date')", 5, "`os.system()`"),
        ("import os", "y = x * float(os.environ['SCALE'])", 19, "`os.environ[...]` in graph"),
        ("import os", "y = os.getenv('SCALE')", 9, "`os.getenv()` in graph code"),
        ("from os import environ", "y = environ.get('SCALE')", 9, "`os.environ.get()`"),
        ("", "y = float(input('scale? '))", 15, "`input()` in graph code"),
    ],
)
def test_python_io_spellings(header: str, body: str, column: int, fragment: str) -> None:
    source = in_tf_function(body, header)
    assert found(source) == [(6, column, "TF102")]
    assert fragment in only_message(source)


def test_output_and_read_messages_say_what_happens() -> None:
    output = only_message(in_tf_function("open('log.txt', 'a')"))
    assert "runs once per trace, not on every call" in output
    assert "(decorated with @tf.function)" in output
    read = only_message(in_tf_function("y = os.getenv('SCALE')", "import os"))
    assert "is read once per trace and the value is frozen into the graph" in read
    assert "pass it in as an argument" in read


def test_read_file_of_a_constant_path_is_flagged_in_each_spelling() -> None:
    source = """\
        import os
        import tensorflow as tf
        CONFIG = os.path.join("/data", "config.txt")
        LABELS = "labels.txt"

        @tf.function
        def f(x):
            a = tf.io.read_file("settings.txt")
            b = tf.io.read_file(CONFIG)
            c = tf.io.read_file(LABELS)
            d = tf.io.read_file(f"{LABELS}.bak")
            return a, b, c, d
        """
    assert found(source) == [(8, 9, "TF102"), (9, 9, "TF102"), (10, 9, "TF102"), (11, 9, "TF102")]
    assert "constant-folded" in lint(source)[0].message


def test_read_file_of_a_tensor_path_is_quiet() -> None:
    source = """\
        import tensorflow as tf
        LABELS = "labels.txt"

        @tf.function
        def f(path, LABELS):
            name = tf.strings.join([path, ".txt"])
            return tf.io.read_file(path), tf.io.read_file(name), tf.io.read_file(LABELS)

        files = tf.data.Dataset.list_files("*.txt").map(tf.io.read_file)
        """
    assert found(source) == []


def test_io_outside_the_trace_is_quiet() -> None:
    source = """\
        import logging
        import os
        import warnings
        import keras
        import tensorflow as tf

        logger = logging.getLogger(__name__)
        SCALE = float(os.environ.get("SCALE", "1"))

        def log_value(x):
            logger.info("value %s", x.numpy())
            return x

        @tf.function
        def f(x):
            with tf.init_scope():
                logger.debug("tracing f")
            os.environ["TRACED"] = "1"
            return tf.py_function(log_value, [x], tf.float32)

        class Layer(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                warnings.warn("experimental")

            def build(self, input_shape):
                logger.info("building for %s", input_shape)

            def call(self, inputs):
                settings = {"axis": -1}
                return tf.reduce_sum(inputs, axis=settings.get("axis"))

        def train(steps):
            for step in range(steps):
                logger.info("step %d loss %s", step, float(f(tf.constant(1.0))))
        """
    assert found(source) == []


def test_a_local_object_named_like_the_module_logger_is_not_a_logger() -> None:
    source = """\
        import logging
        import tensorflow as tf
        logger = logging.getLogger(__name__)

        class Recorder:
            def info(self, value):
                return value

        @tf.function
        def f(x):
            logger = Recorder()
            return logger.info(x)
        """
    assert found(source) == []


# -- TF103 python-random-in-graph -----------------------------------------------------------


@pytest.mark.parametrize(
    "header, body, column, name",
    [
        ("import random", "y = x + random.random()", 13, "random.random"),
        ("import random", "y = random.choice([x, -x])", 9, "random.choice"),
        ("import numpy as np", "y = x + np.random.normal()", 13, "numpy.random.normal"),
        ("import numpy", "y = x + numpy.random.rand()", 13, "numpy.random.rand"),
        ("from numpy import random as npr", "y = x * npr.uniform()", 13, "numpy.random.uniform"),
        ("from numpy.random import normal", "y = x + normal()", 13, "numpy.random.normal"),
        ("import numpy.random as nr", "y = x + nr.randn()", 13, "numpy.random.randn"),
        (
            "import numpy as np; rng = np.random.default_rng(0)",
            "y = x + rng.integers(0, 9)",
            13,
            "rng.integers",
        ),
        (
            "import random; py_rng = random.Random(1)",
            "y = x + py_rng.gauss(0, 1)",
            13,
            "py_rng.gauss",
        ),
        (
            "import numpy as np",
            "y = x * np.random.default_rng().uniform()",
            13,
            "numpy.random.default_rng(...).uniform",
        ),
    ],
)
def test_python_random_spellings(header: str, body: str, column: int, name: str) -> None:
    source = in_tf_function(body, header)
    assert found(source) == [(6, column, "TF103")]
    message = only_message(source)
    assert f"`{name}()` in graph code (decorated with @tf.function) draws one value" in message
    assert "`tf.random.Generator`" in message


def test_random_draws_in_every_graph_code_kind() -> None:
    source = """\
        import random
        import keras
        import tensorflow as tf

        class Drop(keras.layers.Layer):
            def call(self, inputs):
                return inputs * random.random()

        class Noisy(keras.metrics.Mean):
            def update_state(self, values, sample_weight=None):
                return super().update_state(values + random.gauss(0, 1))

        def jitter(x):
            return x + random.uniform(-1, 1)

        @tf.function
        def f(x):
            return jitter(x)

        ds = tf.data.Dataset.range(3).map(lambda i: i + random.randint(0, 9))
        """
    assert found(source) == [
        (7, 25, "TF103"),
        (11, 46, "TF103"),
        (14, 16, "TF103"),
        (20, 49, "TF103"),
    ]
    assert "(Keras traces `Drop.call`)" in lint(source)[0].message
    assert "(traced by Dataset.map)" in lint(source)[3].message


def test_tensorflow_keras_and_eager_randomness_is_quiet() -> None:
    source = """\
        import random
        import keras
        import numpy as np
        import tensorflow as tf

        random.seed(0)
        rng = np.random.default_rng(0)
        noise = np.random.normal(size=3)
        generator = tf.random.Generator.from_seed(1)

        @tf.function
        def f(x, seed):
            np.random.seed(0)
            local_rng = np.random.default_rng(0)
            y = x + generator.normal([]) + tf.random.stateless_uniform([], seed)
            return y + tf.random.uniform([]) + noise.mean()

        @tf.function
        def g(x):
            rng = tf.random.get_global_generator()
            return x * rng.uniform([])

        class Drop(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.seed_generator = keras.random.SeedGenerator(random.randint(0, 99))

            def call(self, inputs):
                return inputs * keras.random.uniform((), seed=self.seed_generator)

        def py_noise(x):
            return x + np.random.normal()

        @tf.function
        def h(x):
            return tf.py_function(py_noise, [x], tf.float32)

        def make_data():
            return tf.data.Dataset.from_tensor_slices(rng.normal(size=(4, 2)))
        """
    assert found(source) == []


# -- TF104 python-clock-in-graph ------------------------------------------------------------


@pytest.mark.parametrize(
    "header, body, column, name",
    [
        ("import time", "y = x + time.time()", 13, "time.time"),
        ("import time", "y = x + time.perf_counter()", 13, "time.perf_counter"),
        ("from time import monotonic", "y = x + monotonic()", 13, "time.monotonic"),
        ("import time", "y = x + time.time_ns()", 13, "time.time_ns"),
        ("from datetime import datetime", "y = datetime.now()", 9, "datetime.datetime.now"),
        ("import datetime", "y = datetime.datetime.utcnow()", 9, "datetime.datetime.utcnow"),
        ("import datetime as dt", "y = dt.datetime.today()", 9, "datetime.datetime.today"),
        ("from datetime import date", "y = date.today()", 9, "datetime.date.today"),
    ],
)
def test_python_clock_spellings(header: str, body: str, column: int, name: str) -> None:
    source = in_tf_function(body, header)
    assert found(source) == [(6, column, "TF104")]
    message = only_message(source)
    assert f"`{name}()` in graph code (decorated with @tf.function) is read once" in message
    assert "`tf.timestamp()`" in message


def test_clock_fix_is_unsafe_and_only_for_float_second_clocks() -> None:
    (diagnostic,) = lint(in_tf_function("y = x + time.time()", "import time"))
    assert diagnostic.fix is not None
    assert diagnostic.fix.applicability is Applicability.UNSAFE
    assert [edit.content for edit in diagnostic.fix.edits] == ["tf.timestamp()"]
    (no_fix,) = lint(in_tf_function("y = datetime.now()", "from datetime import datetime"))
    assert no_fix.fix is None
    (ns,) = lint(in_tf_function("y = time.time_ns()", "import time"))
    assert ns.fix is None


def test_timing_from_eager_code_and_tf_timestamp_are_quiet() -> None:
    source = """\
        import time
        from datetime import datetime
        import keras
        import tensorflow as tf

        @tf.function
        def step(x):
            return x * 2.0, tf.timestamp()

        class Timer(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                self.start = time.perf_counter()

        class Stamped(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.created = datetime.now().isoformat()

            def call(self, inputs):
                return inputs

        def benchmark(x):
            start = time.perf_counter()
            step(x)
            return time.perf_counter() - start
        """
    assert found(source) == []


# -- TF105 outer-state-mutation -------------------------------------------------------------


@pytest.mark.parametrize(
    "method, arguments",
    [("append", "x"), ("extend", "[x]"), ("insert", "0, x"), ("pop", ""), ("clear", ""),
     ("remove", "x")],
)  # fmt: skip
def test_mutating_a_module_level_list(method: str, arguments: str) -> None:
    source = in_tf_function(f"outputs.{method}({arguments})", "outputs = []")
    assert found(source) == [(6, 5, "TF105")]
    message = only_message(source)
    assert f"`outputs.{method}(...)` changes a module-level variable from graph code" in message
    assert "once per trace" in message


@pytest.mark.parametrize(
    "body, what",
    [
        ("cache.update(last=x)", "`cache.update(...)`"),
        ("cache.setdefault('x', x)", "`cache.setdefault(...)`"),
        ("cache['last'] = x", "item assignment to `cache[...]`"),
        ("del cache['last']", "item assignment to `cache[...]`"),
        ("seen.add(1)", "`seen.add(...)`"),
    ],
)
def test_mutating_module_level_dicts_and_sets(body: str, what: str) -> None:
    source = in_tf_function(body, "cache = {}\nseen = set()")
    (diagnostic,) = lint(source)
    assert diagnostic.code == "TF105"
    assert diagnostic.location.row == 7
    assert diagnostic.message.startswith(f"{what} changes a module-level variable")


def test_global_rebinding_is_reported_at_the_declaration() -> None:
    source = """\
        import tensorflow as tf
        calls = 0

        @tf.function
        def f(x):
            global calls
            calls += 1
            return x
        """
    assert found(source) == [(6, 5, "TF105")]
    assert only_message(source).startswith("rebinding `global calls` changes a module-level")


def test_a_global_only_read_is_quiet() -> None:
    source = in_tf_function("global SCALE\n    return x * SCALE", "SCALE = 2.0")
    assert found(source) == []


def test_closure_state_of_an_eager_factory_is_flagged() -> None:
    source = """\
        import tensorflow as tf

        def make_step():
            count = 0
            history = []

            @tf.function
            def step(x):
                nonlocal count
                count += 1
                history.append(x)
                return x

            return step
        """
    assert found(source) == [(9, 9, "TF105"), (11, 9, "TF105")]
    first, second = (d.message for d in lint(source))
    assert first.startswith("rebinding `nonlocal count` changes a closure variable of eager code")
    assert second.startswith("`history.append(...)` changes a closure variable of eager code")


def test_state_owned_by_the_trace_is_quiet() -> None:
    source = """\
        import tensorflow as tf
        SCALES = [1.0, 2.0]

        @tf.function
        def f(x):
            parts = []
            for scale in SCALES:
                parts.append(x * scale)
            settings = {"axis": 0}
            settings.update(axis=-1)
            total = tf.zeros_like(x)

            def add(value):
                nonlocal total
                total = total + value
                parts.append(value)

            add(x)
            return tf.add_n(parts), total
        """
    assert found(source) == []


def test_mutating_an_argument_of_a_tf_function_is_flagged_with_tensorflows_error() -> None:
    source = in_tf_function("return x", "") + "\n@tf.function\ndef g(x, acc):\n    acc.append(x)\n"
    assert found(source) == [(10, 5, "TF105")]
    message = only_message(source)
    assert "`acc.append(...)` mutates `acc`, an argument of a tf.function" in message
    assert "should not modify its Python input arguments" in message


def test_parameters_that_hold_fresh_structures_are_quiet() -> None:
    source = """\
        import keras
        import tensorflow as tf

        def add_label(features):
            features["label"] = features["x"] > 1
            return features

        examples = tf.data.Dataset.from_tensor_slices({"x": [1, 2]}).map(add_label)

        class Concat(keras.layers.Layer):
            def call(self, inputs, **kwargs):
                kwargs.pop("training", None)
                inputs["sum"] = inputs["a"] + inputs["b"]
                return inputs["sum"]

        def helper(parts, x):
            parts.append(x)
            return parts

        @tf.function
        def f(x, options, *args, **kwargs):
            options = dict(options)
            options["scale"] = 2.0
            kwargs.pop("unused", None)
            return helper([], x)
        """
    assert found(source) == []


def test_tensorflow_objects_and_eager_loops_are_quiet() -> None:
    source = """\
        import tensorflow as tf
        history = []
        table = tf.lookup.experimental.MutableHashTable(tf.string, tf.float32, default_value=-1.0)

        @tf.function
        def remember(keys, values):
            table.insert(keys, values)
            return table.lookup(keys)

        def log_value(x):
            history.append(float(x))
            return x

        @tf.function
        def logged(x):
            return tf.py_function(log_value, [x], tf.float32)

        def train(steps):
            for step in range(steps):
                history.append(float(logged(tf.constant(1.0))))
        """
    assert found(source) == []


# -- TF106 python-attribute-state -----------------------------------------------------------


def test_attribute_state_in_keras_and_tf_function_methods() -> None:
    source = """\
        import keras
        import tensorflow as tf

        class Counting(keras.layers.Layer):
            def call(self, inputs):
                self.calls += 1
                self.last = inputs * 2.0
                return inputs

        class Total(keras.metrics.Metric):
            def update_state(self, y_true, y_pred, sample_weight=None):
                self.total = self.total + tf.reduce_sum(y_pred)

        class Model(keras.Model):
            def train_step(self, data):
                self.h, self.c = self.lstm(data)
                return self.track(data)

            def track(self, data):
                self.seen: int = self.seen + 1
                return data, data

        class Module(tf.Module):
            @tf.function
            def __call__(self, x):
                self.v = self.v + x
                return self.v
        """
    assert found(source) == [
        (6, 9, "TF106"),
        (7, 9, "TF106"),
        (12, 9, "TF106"),
        (16, 9, "TF106"),
        (16, 17, "TF106"),
        (20, 9, "TF106"),
        (26, 9, "TF106"),
    ]
    messages = [d.message for d in lint(source)]
    assert messages[0].startswith("updating `self.calls` in place in graph code (Keras traces")
    assert messages[1].startswith("storing a tensor in `self.last`")
    assert messages[2].startswith("`self.total = ...` computed from itself")
    assert "(called from graph code `train_step`)" in messages[5]
    assert "`.assign*()`" in messages[6]


def test_variables_eager_methods_and_static_facts_are_quiet() -> None:
    source = """\
        import keras
        import tensorflow as tf

        class Counting(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.calls = 0

            def build(self, input_shape):
                self.units = input_shape[-1]
                self.scale = self.add_weight(shape=(self.units,), initializer="ones")
                self.built = True

            def call(self, inputs, training=None):
                self.input_dim = inputs.shape[-1]
                self.flat_metrics = self.build_metrics(inputs)
                self.training_flag = training
                self.scale.assign_add(tf.ones_like(self.scale))
                return inputs * self.scale

            def build_metrics(self, inputs):
                return [keras.metrics.Mean()]

        class Total(keras.metrics.Metric):
            def update_state(self, y_true, y_pred, sample_weight=None):
                self.total.assign_add(tf.reduce_sum(y_pred))

            def reset_state(self):
                self.total = 0.0

        class Module(tf.Module):
            def __init__(self):
                self.v = None

            @tf.function
            def __call__(self, x):
                if self.v is None:
                    self.v = tf.Variable(tf.zeros_like(x))
                self.v.assign_add(x)
                return self.v.read_value()

        class Timer(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                self.batches = self.batches + 1
        """
    assert found(source) == []


# -- TF105: attributes of outer objects -----------------------------------------------------

OUTER_OBJECT = """\
    import tensorflow as tf

    class Stats:
        n = 0

    stats = Stats()

    @tf.function
    def f(x, box):
        {body}
        return x
    """


@pytest.mark.parametrize(
    "body, what",
    [
        ("stats.n += 1", "`stats.n += ...`"),
        ("stats.n -= x", "`stats.n -= ...`"),
        ("stats.n = stats.n + 1", "`stats.n = ...`"),
        ("stats.last = x * 2.0", "`stats.last = ...`"),
        ("stats.last: tf.Tensor = tf.identity(x)", "`stats.last = ...`"),
    ],
)
def test_attributes_of_a_module_level_object(body: str, what: str) -> None:
    source = OUTER_OBJECT.format(body=body)
    assert found(source) == [(10, 5, "TF105")]
    assert only_message(source) == (
        f"{what} changes a module-level variable from graph code (decorated with "
        "@tf.function): it happens once per trace, not on every call, and can leak symbolic "
        "tensors; use a `tf.Variable`, return the value, or a `tf.TensorArray`"
    )


def test_attributes_of_an_argument_and_of_a_closure_object() -> None:
    source = OUTER_OBJECT.format(body="box.count += 1")
    assert found(source) == [(10, 5, "TF105")]
    assert only_message(source).startswith(
        "`box.count += ...` mutates `box`, an argument of a tf.function (decorated with "
        "@tf.function): the object is changed once per trace, not on every call"
    )
    closure = """\
        import tensorflow as tf

        def make():
            class Box:
                n = 0
            tally = Box()

            @tf.function
            def f(x):
                tally.n += 1
                return x

            return f
        """
    assert found(closure) == [(10, 9, "TF105")]


@pytest.mark.parametrize(
    "body",
    [
        "stats.ready = True",  # a plain value that does not evolve: the same on every trace
        "stats.units = x.shape[-1]",
        "local = Stats(); local.n += 1",  # made in the call
        "if stats.scale is None: stats.scale = 2.0",  # create-once, no tensor kept
        "tf.config.optimizer = 1",  # an imported module, not a module-level variable
    ],
)
def test_attribute_look_alikes_are_quiet(body: str) -> None:
    assert found(OUTER_OBJECT.format(body=body)) == []


def test_self_stays_with_tf106_and_tf_objects_are_quiet() -> None:
    source = """\
        import keras
        import tensorflow as tf

        optimizer = keras.optimizers.SGD(0.1)

        class Model(tf.Module):
            def __init__(self):
                self.n = 0

            def make(self):
                @tf.function
                def g(x):
                    self.n += 1
                    return x
                return g

        @tf.function
        def decay(x):
            optimizer.learning_rate = x * 0.5
            return x
        """
    assert [code for _, _, code in found(source)] == []


def test_an_outer_object_attribute_changes_once_per_trace() -> None:
    """What the attribute form of TF105 claims, with real TensorFlow."""

    class Stats:
        def __init__(self) -> None:
            self.n = 0
            self.last: tf.Tensor | None = None

    stats = Stats()

    @tf.function
    def f(x: tf.Tensor) -> tf.Tensor:
        stats.n += 1
        stats.last = x * 2.0
        return x

    for value in (1.0, 2.0, 3.0):
        f(tf.constant(value))
    assert stats.n == 1
    with pytest.raises(TypeError, match="out of scope"):
        stats.last + 1.0


# -- create-once guards (TF105) -------------------------------------------------------------

GUARDED = """\
import tensorflow as tf

cache = {{}}
holder = []
model = None


def build():
    return tf.keras.layers.Dense(1)


@tf.function
def f(x):
    {body}
    return x
"""


@pytest.mark.parametrize(
    "body",
    [
        "if not cache:\n        cache['model'] = build()",
        "if 'model' not in cache:\n        cache['model'] = build()",
        "if cache.get('model') is None:\n        cache['model'] = build()",
        "if cache['model'] is None:\n        cache['model'] = build()",
        "if not holder:\n        holder.append(build())",
        "if holder:\n        pass\n    else:\n        holder.append(True)",
        "if 'v' in cache:\n        pass\n    else:\n        cache.setdefault('v', tf.Variable(1))",
        "global model\n    if model is None:\n        model = build()",
        "global model\n    if not model:\n        model = tf.random.Generator.from_seed(1)",
    ],
)
def test_create_once_guards_on_outer_state_are_quiet(body: str) -> None:
    assert found(GUARDED.format(body=body)) == []


def test_create_once_guard_in_a_closure_is_quiet() -> None:
    source = """\
        import tensorflow as tf

        def make():
            model = None

            @tf.function
            def run(x):
                nonlocal model
                if not model:
                    model = tf.keras.layers.Dense(1)
                return model(x)

            return run
        """
    assert found(source) == []


@pytest.mark.parametrize(
    "body, row",
    [
        # the trace keeps a tensor of its own: the next trace reads it out of scope
        ("if 'y' not in cache:\n        cache['y'] = x * 2.0", 15),
        ("if not holder:\n        holder.append(x + 1.0)", 15),
        # the guard tests other state than the one changed
        ("if not holder:\n        cache['model'] = build()", 15),
        # a counter is not created once
        ("if cache:\n        holder.append(1)", 15),
        ("global model\n    if model is None:\n        model = x + 1.0", 14),
        ("global model\n    if model is None:\n        model = build()\n    model = None", 14),
    ],
)
def test_guards_that_keep_trace_tensors_or_test_other_state_are_flagged(
    body: str, row: int
) -> None:
    assert found(GUARDED.format(body=body)) == [(row, 5 if row == 14 else 9, "TF105")]


@pytest.mark.parametrize(
    "body",
    [
        "updates, state = optimizer.update(x, state, x)",
        "return optimizer.update(x)",
        "queue.insert(x)",
        "queue.clear(x)",
        "items.append(x, axis=0)",
    ],
)
def test_mutating_names_that_cannot_be_the_container_methods_are_quiet(body: str) -> None:
    source = f"""\
        import tensorflow as tf

        def make(optimizer, queue, items, state):
            @tf.function
            def step(x):
                {body}

            return step
        """
    assert found(source) == []


ARGUMENT = """\
import tensorflow as tf


class Box:
    def __init__(self):
        self.items = []

    def append(self, value):
        self.items.append(value)


@tf.function
def f(x, acc{annotation}):
    acc.append(x)
    return x
{calls}"""


@pytest.mark.parametrize(
    "annotation, calls, fragment",
    [
        (": list", "", "TensorFlow raises `ValueError: ... should not modify its Python input "
         "arguments` on the first call (a list or dict argument); "),
        ("", "\nf(tf.constant(1.0), [])\n", "raises `ValueError"),
        (": Box", "", "the object is changed once per trace, not on every call, and keeps what "
         'the trace put there (a symbolic tensor raises "out of scope" when used later); '),
        ("", "\nf(tf.constant(1.0), Box())\n", "the object is changed once per trace"),
        ("", "", "a list or dict argument makes TensorFlow raise `ValueError: ... should not "
         "modify its Python input arguments` on the first call; any other object is changed "
         "once per trace"),
    ],
)  # fmt: skip
def test_mutating_an_argument_says_what_happens_to_that_argument(
    annotation: str, calls: str, fragment: str
) -> None:
    message = only_message(ARGUMENT.format(annotation=annotation, calls=calls))
    assert message.startswith("`acc.append(...)` mutates `acc`, an argument of a tf.function")
    assert fragment in message
    assert message.endswith("modify a copy, or return the new value")


def test_tensorflow_raises_for_a_changed_list_argument_but_not_for_an_object() -> None:
    """What the TF105 messages on arguments rest on, with real TensorFlow."""

    class Box:
        def __init__(self) -> None:
            self.items: list[tf.Tensor] = []

        def append(self, value: tf.Tensor) -> None:
            self.items.append(value)

    @tf.function
    def f(x: tf.Tensor, acc: list | Box) -> tf.Tensor:
        acc.append(x)
        return x

    with pytest.raises(ValueError, match="should not modify its Python input arguments"):
        f(tf.constant(1.0), [])
    box = Box()
    for value in (1.0, 2.0, 3.0):
        f(tf.constant(value), box)
    assert len(box.items) == 1  # one trace for the same object: appended once, not 3 times
    with pytest.raises(TypeError, match="out of scope"):
        box.items[0] + 1.0


# -- TF106: per-trace scratch values and normalised configuration ---------------------------


def test_tensor_kept_for_the_rest_of_the_trace_and_normalised_config_are_quiet() -> None:
    source = """\
        import keras
        import tensorflow as tf

        class Memory(keras.layers.Layer):
            def call(self, inputs, setup=False):
                if setup:
                    return self.setup(inputs)
                self.axes = tuple(self.axes)
                return inputs

            def setup(self, memory):
                self.values = tf.identity(memory)
                self.keys = self.values * 2.0
                return self.keys
        """
    assert found(source) == []


def test_tensors_kept_for_later_traces_or_for_eager_code_are_flagged() -> None:
    source = """\
        import keras
        import tensorflow as tf

        class Cached(keras.layers.Layer):
            def call(self, inputs):
                self.last = inputs * 2.0
                if self.scale is None:
                    self.scale = inputs * 3.0
                y = inputs + self.previous
                self.previous = inputs * 4.0
                self.axes = tuple(self.axes) + (1,)
                return self.scale + y + self.previous
        """
    assert found(source) == [(6, 9, "TF106"), (8, 13, "TF106"), (10, 9, "TF106"), (11, 9, "TF106")]
