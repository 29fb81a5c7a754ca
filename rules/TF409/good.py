"""TF409 fixed: check tensor values with ops that run in the graph; raise on Python values."""

import keras
import tensorflow as tf


@tf.function
def safe_log(x):
    tf.debugging.assert_positive(x, "safe_log needs positive values")
    return tf.math.log(x)


@tf.function
def checked_ratio(num, den):
    tf.debugging.Assert(tf.reduce_all(den != 0.0), ["den has zeros"])
    return num / den


def require_batch(x, size):
    tf.debugging.assert_equal(tf.shape(x)[0], size, "wrong batch size")
    return x


@tf.function
def first_rows(x):
    return require_batch(x, 2)[:, 0]


# Look-alikes that must stay quiet: `raise` under an `if` Python decides while tracing.


@tf.function
def pooled(x, mode="mean", gamma=2.0):
    if mode not in ("mean", "max"):
        raise ValueError(f"unknown mode {mode!r}")  # a Python string
    if x.shape.rank != 2:
        raise ValueError("pooled needs a matrix")  # static shapes are Python values
    if x is None or not tf.is_tensor(x):
        raise TypeError("x must be a tensor")
    if gamma < 0:  # a literal default, rebound to a tensor only further down
        raise ValueError("gamma must be non-negative")
    gamma = tf.cast(gamma, x.dtype)
    pooled = tf.reduce_mean(x, axis=0) if mode == "mean" else tf.reduce_max(x, axis=0)
    return pooled * gamma


class Gate(keras.layers.Layer):
    def call(self, inputs, training=None):
        if training is None:  # a flag and an identity test
            raise ValueError("pass training=")
        return inputs


if __name__ == "__main__":
    x = tf.constant([1.0, 2.0])
    print(safe_log(x).numpy(), checked_ratio(x, x).numpy(), first_rows(tf.ones((2, 3))).numpy())
    print(pooled(tf.ones((2, 3))).numpy(), Gate()(x, training=False).numpy())
    try:
        safe_log(tf.constant([-1.0]))
    except tf.errors.InvalidArgumentError:
        print("safe_log: the check ran in the graph and failed at run time")
