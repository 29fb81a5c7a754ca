"""TF105 outer-state-mutation: changing outer Python state from graph code happens per trace."""

import keras
import numpy as np
import tensorflow as tf

calls = 0
outputs = []
pending = [1.0, 2.0, 3.0]
latest = {}
seen_inputs = set()
batch_sizes = []
stats = {}
window = []
mapped = []


@tf.function
def step(x):
    global calls  # expect: TF105
    calls += 1
    y = x * 2.0
    outputs.append(y)  # expect: TF105
    latest["y"] = y  # expect: TF105
    return y


@tf.function
def consume(x):
    window.clear()  # expect: TF105
    window.insert(0, x)  # expect: TF105
    latest.update(last=x)  # expect: TF105
    return x * pending.pop()  # expect: TF105


def make_counter():
    count = 0
    history = []

    @tf.function
    def counted(x):
        nonlocal count  # expect: TF105
        count += 1
        history.extend([x])  # expect: TF105
        return x

    return counted, lambda: (count, len(history))


@tf.function
def accumulate(x, acc):
    acc.append(x)  # expect: TF105
    return x


def record(name, value):
    stats.setdefault(name, []).append(value)  # expect: TF105
    return value


@tf.function
def recorded(x):
    return record("x", x)


class InputTracker(keras.layers.Layer):
    def call(self, inputs):
        seen_inputs.add(inputs.ref())  # expect: TF105
        return inputs


class BatchCount(keras.metrics.Metric):
    def __init__(self, name="batch_count", **kwargs):
        super().__init__(name=name, **kwargs)
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        batch_sizes.append(tf.shape(y_pred)[0])  # expect: TF105
        self.count.assign_add(1.0)

    def result(self):
        return self.count


memo = {}


@tf.function
def memoized(x):
    if "scale" not in memo:  # a create-once guard, but what it keeps is a tensor of this trace
        memo["scale"] = tf.reduce_mean(x) * 2.0  # expect: TF105
    return x * memo["scale"]


class Tally:
    def __init__(self):
        self.steps = 0
        self.last = None


tally = Tally()


@tf.function
def counted_step(x):
    tally.steps += 1  # expect: TF105
    tally.last = x * 2.0  # expect: TF105
    return x * 2.0


def remember(i):
    mapped.append(i)  # expect: TF105
    return i


numbers = tf.data.Dataset.range(3).map(remember)


if __name__ == "__main__":
    for value in (1.0, 2.0, 3.0):
        step(tf.constant(value))
    print("calls:", calls, "outputs:", len(outputs))  # 1 and 1 after 3 calls
    try:
        print(outputs[0] + 1.0)
    except TypeError as error:  # the list holds a symbolic tensor of a finished trace
        print("TypeError:", str(error).splitlines()[0])
    print([float(consume(tf.constant(1.0))) for _ in range(3)], "pending:", pending)
    counted, state = make_counter()
    for value in (1.0, 2.0, 3.0):
        counted(tf.constant(value))
    print("count, history:", state())  # (1, 1)
    try:
        accumulate(tf.constant(1.0), [])
    except ValueError as error:
        print("ValueError:", str(error).splitlines()[0])
    recorded(tf.constant(1.0))
    recorded(tf.constant(2.0))
    print("stats:", stats)
    model = keras.Sequential([keras.Input((2,)), InputTracker(), keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=[BatchCount()])
    model.fit(np.ones((16, 2)), np.ones((16, 1)), batch_size=4, epochs=2, verbose=0)
    print("seen_inputs:", len(seen_inputs), "batch_sizes:", len(batch_sizes), "after 8 steps")
    print(list(numbers.as_numpy_iterator()), "mapped:", len(mapped))  # 3 elements, 1 append
    for value in (1.0, 2.0, 3.0):
        counted_step(tf.constant(value))
    print("tally.steps:", tally.steps, "after 3 calls")  # 1
    try:
        print(tally.last + 1.0)
    except TypeError as error:  # a symbolic tensor of the finished trace
        print("tally.last:", str(error).splitlines()[0][:70])
    memoized(tf.constant(1.0))
    try:
        memoized(tf.constant([1.0, 2.0]))  # a new shape: a second trace reads the first's tensor
    except TypeError as error:
        print("memoized, retraced:", str(error).splitlines()[0][:70])
