"""TF405 assert-on-tensor: `assert` needs a Python bool, and a traced tensor has none."""

import keras
import tensorflow as tf


@tf.function
def normalized(x):
    assert tf.reduce_all(tf.math.is_finite(x)), "x has NaN or inf"  # expect: TF405
    return x / tf.reduce_max(tf.abs(x))


@tf.function
def scaled(x, factor):
    assert factor > 0  # expect: TF405
    return x * factor


def check_same_length(a, b):
    assert tf.shape(a)[0] == tf.shape(b)[0]  # expect: TF405


@tf.function
def weighted(values, weights):
    check_same_length(values, weights)
    return tf.reduce_sum(values * weights)


class Clip(keras.layers.Layer):
    def call(self, inputs):
        assert keras.ops.all(keras.ops.isfinite(inputs))  # expect: TF405
        return keras.ops.clip(inputs, -1.0, 1.0)


def cause(error):
    """The line of a (possibly Keras-wrapped) error message that says what went wrong."""
    lines = str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").splitlines()
    return next(line.strip() for line in lines if "Python `bool`" in line)[:80]


if __name__ == "__main__":
    x = tf.constant([1.0, 2.0])
    print("eagerly the checks pass:", normalized.python_function(x).numpy())
    calls = (
        ("normalized", lambda: normalized(x)),
        ("scaled", lambda: scaled(x, tf.constant(2.0))),
        ("weighted", lambda: weighted(x, x)),
        ("Clip in a model", lambda: keras.Sequential([keras.Input((2,)), Clip()])),
    )
    for name, call in calls:
        try:
            call()
        except TypeError as error:  # OperatorNotAllowedInGraphError, for every input
            print(f"{name}: {type(error).__name__}: {cause(error)}")
