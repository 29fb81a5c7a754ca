"""TF101 fixed: `tf.print` runs on every call; Python `print` stays in eager code."""

import tensorflow as tf


@tf.function
def scale(x):
    tf.print("scaling", x)
    return x * 2.0


@tf.function
def pipeline(x):
    return describe(scale(x))


def describe(x):
    tf.print("shape:", tf.shape(x))
    return x


def py_log(x):
    print("value from py_function:", x.numpy())  # runs eagerly, on every call
    return x


@tf.function
def with_py_function(x):
    return tf.py_function(py_log, [x], tf.float32)


@tf.function
def with_init_scope(x):
    with tf.init_scope():
        print("tracing with_init_scope")  # deliberate: a trace-time message, eager code
    return x + 1.0


def report(history):
    print("loss history:", history)  # eager helper, never called from graph code


if __name__ == "__main__":
    for value in (1.0, 2.0, 3.0):
        scale(tf.constant(value))
    pipeline(tf.constant([1.0, 2.0]))
    with_py_function(tf.constant(1.0))
    with_init_scope(tf.constant(1.0))
    report([0.5, 0.25])
