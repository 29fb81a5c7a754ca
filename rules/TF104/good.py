"""TF104 fixed: graph code reads the clock with `tf.timestamp()`; Python clocks stay eager."""

import time
from datetime import datetime

import keras
import numpy as np
import tensorflow as tf


@tf.function
def stamped(x):
    return x, tf.timestamp()


@tf.function
def timed_step(x):
    """The result, when the step started and how long it took: read on every call."""
    start = tf.timestamp()
    y = tf.linalg.matmul(x, x)
    with tf.control_dependencies([y]):
        return y, start, tf.timestamp() - start


class Decay(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.start = time.time()  # __init__ runs eagerly: a fixed reference point
        self.created = datetime.now().isoformat()

    def call(self, inputs):
        elapsed = tf.cast(tf.timestamp() - self.start, inputs.dtype)  # read on every call
        return inputs * tf.exp(-elapsed)


class StepTimer(keras.callbacks.Callback):
    """Keras runs callbacks eagerly, between the traced steps."""

    def on_train_batch_begin(self, batch, logs=None):
        self.started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.last = time.perf_counter() - self.started


def py_label(x):
    return tf.strings.join([x, datetime.now().strftime("%H:%M:%S.%f")], separator=" @ ")


@tf.function
def tagged(x):
    return tf.py_function(py_label, [x], tf.string)


def run_as_python(func):
    """A decorator whose wrapper hands the decorated function to tf.py_function."""

    def wrapper(x):
        return tf.py_function(func, inp=[x], Tout=tf.float64)

    return wrapper


@run_as_python
def arrival_time(x):
    return time.perf_counter()  # runs eagerly for every element, inside tf.py_function


def benchmark(steps):
    durations = []
    for _ in range(steps):
        start = time.perf_counter()
        timed_step(tf.ones((64, 64)))
        durations.append(time.perf_counter() - start)
    return durations


if __name__ == "__main__":
    first = stamped(tf.constant(1.0))[1]
    time.sleep(0.05)
    print("stamped:", float(first), float(stamped(tf.constant(1.0))[1]))  # 0.05 s apart
    print("timed_step:", [float(timed_step(tf.ones((64, 64)))[2]) for _ in range(3)])
    print(tagged(tf.constant("run")).numpy(), tagged(tf.constant("run")).numpy())
    print("benchmark:", benchmark(3))
    arrivals = [float(t) for t in tf.data.Dataset.range(3).map(arrival_time)]
    print("arrivals:", arrivals)  # three different readings
    traced_decay = tf.function(Decay())
    print("decay:", float(traced_decay(tf.constant(1.0))), end=" ")
    time.sleep(0.05)
    print(float(traced_decay(tf.constant(1.0))))  # smaller: time went on
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    timer = StepTimer()
    model.fit(np.ones((8, 2)), np.ones((8, 1)), batch_size=4, verbose=0, callbacks=[timer])
    print("last step took", timer.last)
