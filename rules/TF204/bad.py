"""TF204 numpy-dtype-leak: NumPy's 64-bit defaults leak into tensors TensorFlow makes 32-bit."""

import numpy as np
import tensorflow as tf
from numpy import linspace

positions = tf.constant(np.arange(10))  # expect: TF204
grid = tf.convert_to_tensor(linspace(0.0, 1.0, 5))  # expect: TF204
weights = tf.constant(np.array([0.25, 0.75]))  # expect: TF204
bias = tf.Variable(np.zeros(3))  # expect: TF204
noise = tf.constant(np.random.normal(size=(2, 2)))  # expect: TF204
labels = tf.constant(np.random.randint(0, 10, size=4))  # expect: TF204


@tf.function
def shift(x):
    offsets = tf.constant(np.arange(0.0, 1.0, 0.25))  # expect: TF204
    return x + offsets


if __name__ == "__main__":
    for name in ("positions", "grid", "weights", "bias", "noise", "labels"):
        print(name, globals()[name].dtype.name)
    try:
        tf.range(10) + positions
    except tf.errors.InvalidArgumentError as error:
        print("tf.range(10) + positions:", type(error).__name__, error.message)
    try:
        tf.ones(2) * weights
    except tf.errors.InvalidArgumentError as error:
        print("tf.ones(2) * weights:", type(error).__name__, error.message)
    try:
        shift(tf.constant([1.0, 2.0, 3.0, 4.0]))
    except (TypeError, tf.errors.InvalidArgumentError) as error:
        print("shift:", type(error).__name__, str(error).strip().splitlines()[-1].strip())
