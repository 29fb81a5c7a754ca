"""TF104 python-clock-in-graph: Python clocks are read once, at trace time."""

import time
from datetime import date, datetime

import keras
import tensorflow as tf


@tf.function
def stamped(x):
    return x, tf.constant(time.time(), tf.float64)  # expect: TF104


@tf.function
def timed_step(x):
    start = time.perf_counter()  # expect: TF104
    y = tf.linalg.matmul(x, x)
    return y, time.perf_counter() - start  # expect: TF104


def run_label():
    return datetime.now().strftime("%H:%M:%S.%f")  # expect: TF104


@tf.function
def tagged(x):
    return tf.strings.join([x, run_label()], separator=" @ ")


class Decay(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.start = time.monotonic()

    def call(self, inputs):
        elapsed = time.monotonic() - self.start  # expect: TF104
        return inputs * tf.exp(-elapsed)


class LastUpdate(keras.metrics.Metric):
    def __init__(self, name="last_update", **kwargs):
        super().__init__(name=name, **kwargs)
        self.stamp = self.add_weight(name="stamp", initializer="zeros", dtype="float64")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.stamp.assign(datetime.utcnow().timestamp())  # expect: TF104

    def result(self):
        return self.stamp


records = tf.data.Dataset.range(3).map(lambda i: (i, date.today().isoformat()))  # expect: TF104


if __name__ == "__main__":
    first = stamped(tf.constant(1.0))[1]
    time.sleep(0.05)
    print("stamped:", float(first), float(stamped(tf.constant(1.0))[1]))  # the same time
    print("timed_step:", [float(timed_step(tf.ones((64, 64)))[1]) for _ in range(3)])  # equal
    print(tagged(tf.constant("run")).numpy(), end=" ")
    time.sleep(0.05)
    print(tagged(tf.constant("run")).numpy())  # the same label
    decay = Decay()
    traced_decay = tf.function(decay)
    print("decay:", float(traced_decay(tf.constant(1.0))), end=" ")
    time.sleep(0.05)
    print(float(traced_decay(tf.constant(1.0))))  # no decay between calls
    metric = LastUpdate()
    update = tf.function(metric.update_state)
    update(tf.constant([1.0]), tf.constant([1.0]))
    first_stamp = float(metric.result())
    time.sleep(0.05)
    update(tf.constant([1.0]), tf.constant([1.0]))
    print("metric stamps:", first_stamp, float(metric.result()))  # the same stamp
    print(list(records.as_numpy_iterator()))
