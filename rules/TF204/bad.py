"""TF204 numpy-dtype-leak: a NumPy-made 64-bit tensor meets one TensorFlow made 32-bit."""

import numpy as np
import tensorflow as tf
from numpy import linspace

positions = tf.constant(np.arange(10))  # expect: TF204
grid = tf.convert_to_tensor(linspace(0.0, 1.0, 5))  # expect: TF204
weights = tf.constant(np.array([0.25, 0.75]))  # expect: TF204
bias = tf.Variable(np.zeros(3))  # expect: TF204
noise = tf.constant(np.random.normal(size=(2, 2)))  # expect: TF204
labels = tf.constant(np.random.randint(0, 10, size=4))  # expect: TF204
counts = tf.Variable(tf.zeros(3))


def next_positions():
    return tf.range(10) + positions  # int32 + int64


def blend():
    return tf.ones(2) * weights  # float32 * float64


def rescaled_grid():
    return grid * tf.linspace(0.0, 2.0, 5)


def biased():
    return bias + tf.zeros(3)


def jitter():
    return tf.eye(2) + noise


def all_labels():
    return tf.concat([tf.range(4), labels], axis=0)


def reset_counts():
    counts.assign(tf.constant(np.ones(3)))  # expect: TF204


@tf.function
def shift():
    offsets = tf.constant(np.arange(0.0, 1.0, 0.25))  # expect: TF204
    return tf.range(0.0, 1.0, 0.25) + offsets


if __name__ == "__main__":
    for name in ("positions", "grid", "weights", "bias", "noise", "labels"):
        print(name, globals()[name].dtype.name)
    steps = (next_positions, blend, rescaled_grid, biased, jitter, all_labels, reset_counts, shift)
    for step in steps:
        try:
            step()
        except (tf.errors.InvalidArgumentError, TypeError, ValueError) as error:
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            print(f"{step.__name__}: {type(error).__name__}: {lines[-1] if lines else ''}"[:200])
