"""TF105 fixed: graph code keeps state in variables and returns values; Python containers it
mutates are its own (locals, per-trace closures, fresh tf.data elements)."""

import keras
import numpy as np
import tensorflow as tf

calls = tf.Variable(0)
history = []  # filled by the eager training loop below
SCALES = [1.0, 2.0, 3.0]  # read, never mutated, in graph code
table = tf.lookup.experimental.MutableHashTable(tf.string, tf.float32, default_value=-1.0)


@tf.function
def step(x):
    calls.assign_add(1)
    return x * 2.0


@tf.function
def scaled_sum(x):
    parts = []
    for scale in SCALES:  # a Python loop unrolled at trace time: a fresh list per trace
        parts.append(x * scale)
    return tf.add_n(parts)


@tf.function
def running_total(x):
    total = tf.zeros_like(x)
    collected = []

    def add(value):
        nonlocal total  # `total` belongs to this trace, like any local
        total = total + value
        collected.append(value)

    for scale in SCALES:
        add(x * scale)
    return total, tf.stack(collected)


@tf.function
def squares(n):
    values = tf.TensorArray(tf.float32, size=n)
    for i in tf.range(n):
        values = values.write(i, tf.cast(i * i, tf.float32))
    return values.stack()


@tf.function
def remember(keys, values):
    table.insert(keys, values)  # a TensorFlow op on a lookup table, run on every call
    return table.lookup(keys)


@tf.function
def with_options(x, **options):
    settings = {"scale": 2.0}
    settings.update(options)
    options.pop("unused", None)
    return x * settings["scale"]


def log_value(x):
    history.append(float(x))  # runs eagerly inside tf.py_function, on every call
    return x


@tf.function
def logged(x):
    return tf.py_function(log_value, [x], tf.float32)


def add_label(features):
    features["label"] = tf.cast(features["x"] > 1, tf.int32)  # each element is a fresh dict
    return features


examples = tf.data.Dataset.from_tensor_slices({"x": [1, 2, 3]}).map(add_label)


class Concat(keras.layers.Layer):
    def call(self, inputs, **kwargs):
        kwargs.pop("training", None)
        inputs = dict(inputs)
        inputs["sum"] = inputs["a"] + inputs["b"]
        return tf.concat(list(inputs.values()), axis=-1)


heads = {}  # filled by the first trace only


@tf.function
def scored(x):
    if "linear" not in heads:  # create-once: later traces find the head and skip this
        heads["linear"] = keras.layers.Dense(1, kernel_initializer="ones")
    return heads["linear"](x)


def make_projector():
    projector = None

    @tf.function
    def project(x):
        nonlocal projector
        if projector is None:  # the same idiom on a closure variable
            projector = keras.layers.Dense(2, kernel_initializer="ones")
        return projector(x)

    return project


class Sgd:
    """A functional optimizer: its `update` returns new values; it is not `dict.update`."""

    def update(self, grads, state, params):
        return [-0.1 * g for g in grads], state + 1


def make_step(optimizer):
    @tf.function
    def descend(params, state):
        grads = [2.0 * p for p in params]
        updates, state = optimizer.update(grads, state, params)
        return [p + u for p, u in zip(params, updates, strict=True)], state

    return descend


class Settings:
    traced = False


settings = Settings()


class Tally:
    def __init__(self):
        self.steps = tf.Variable(0)


tally = Tally()


@tf.function
def counted_step(x):
    tally.steps.assign_add(1)  # the counter is a variable: it counts every call
    settings.traced = True  # a plain value that does not evolve: the same on every trace
    scratch = Settings()
    scratch.total = x * 2.0  # an object made in the call: it lives and dies with the trace
    return scratch.total


def train(steps):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    for _ in range(steps):
        loss = model.train_on_batch(np.ones((4, 2)), np.ones((4, 1)))
        history.append(float(loss))  # eager loop: appended on every step



# A per-graph cache: each trace builds a new graph and records its own entry, keyed by that
# graph; once per trace is what it is for.
scales_by_graph = {}


def remember_scale(graph, scale):
    scales_by_graph[graph] = scale


@tf.function
def rescaled(x):
    remember_scale(tf.compat.v1.get_default_graph(), 2.0)
    return x * scales_by_graph[tf.compat.v1.get_default_graph()]

if __name__ == "__main__":
    print(rescaled(tf.constant([1.0])).numpy(), len(scales_by_graph))
    for value in (1.0, 2.0, 3.0):
        step(tf.constant(value))
    print("calls:", int(calls.numpy()))  # 3
    print(scaled_sum(tf.constant(1.0)), running_total(tf.constant(1.0)))
    print(squares(tf.constant(4)))
    print(remember(tf.constant(["a"]), tf.constant([1.0])))
    print(with_options(tf.constant(1.0), scale=3.0))
    for value in (1.0, 2.0):
        logged(tf.constant(value))
    print(list(examples.as_numpy_iterator()))
    print(Concat()({"a": tf.constant([[1.0]]), "b": tf.constant([[2.0]])}))
    train(3)
    print("history:", history)  # 2 py_function values, then 3 losses
    print([float(scored(tf.ones((1, 2)))[0, 0]) for _ in range(3)], "heads:", len(heads))  # 1
    project = make_projector()
    print(project(tf.ones((1, 3))).numpy(), project(tf.ones((2, 3))).numpy())
    for value in (1.0, 2.0, 3.0):
        counted_step(tf.constant(value))
    print("tally.steps:", int(tally.steps.numpy()), "traced:", settings.traced)  # 3, True
    params, state = make_step(Sgd())([tf.constant(1.0)], tf.constant(0))
    print("descended to", float(params[0]), "after", int(state), "step")
