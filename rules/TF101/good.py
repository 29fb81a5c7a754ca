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


@tf.function
def shifted(x, offset):
    tf.print("x = ", x, ", offset = ", offset, sep="")  # the values, on every call
    return x + offset


@tf.function(experimental_autograph_options=tf.autograph.experimental.Feature.BUILTIN_FUNCTIONS)
def countdown(n):
    # With BUILTIN_FUNCTIONS AutoGraph itself turns a print of tensors into a per-call print.
    while n > 0:
        print("remaining", n)
        n -= 1
    return n


def make_step(show):
    print = show  # the caller's reporter, not the built-in print

    @tf.function
    def step(x):
        print(x)  # calls `show` while tracing, which is what the caller asked for
        return x * 2.0

    return step


@tf.function
def totals(x, print):
    return print(x)  # a parameter named `print`: whatever the caller passes


def report(history):
    print("loss history:", history)  # eager helper, never called from graph code


if __name__ == "__main__":
    for value in (1.0, 2.0, 3.0):
        scale(tf.constant(value))
    pipeline(tf.constant([1.0, 2.0]))
    with_py_function(tf.constant(1.0))
    with_init_scope(tf.constant(1.0))
    shifted(tf.constant(1.0), tf.constant(0.5))
    countdown(tf.constant(2))
    make_step(tf.print)(tf.constant(1.0))
    report([0.5, 0.25])
