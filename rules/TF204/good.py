"""TF204 fixed: say the dtype, or build the tensor with TensorFlow."""

import numpy as np
import tensorflow as tf
from numpy import linspace

positions = tf.range(10)
grid = tf.convert_to_tensor(linspace(0.0, 1.0, 5), dtype=tf.float32)
weights = tf.constant(np.array([0.25, 0.75]), dtype=tf.float32)
bias = tf.Variable(np.zeros(3, np.float32))
noise = tf.random.normal((2, 2))
labels = tf.random.uniform((4,), 0, 10, dtype=tf.int32)


@tf.function
def shift(x):
    offsets = tf.range(0.0, 1.0, 0.25)
    return x + offsets


# Look-alikes that must stay quiet: the dtype is given, or no NumPy default is involved.
indices = tf.constant(np.arange(10), dtype=tf.int32)
steps = tf.constant(np.arange(10), tf.int32)
ramp = tf.constant(np.linspace(0.0, 1.0, 5, dtype=np.float32))
table = tf.constant(np.array([[1.0, 2.0]], np.float32))
mask = tf.constant(np.ones((2, 2), dtype="float32"))
counts = tf.constant([1, 2, 3])
scale = tf.constant(np.pi)
halves = tf.cast(tf.constant(np.arange(4)), tf.float32) / 2.0
doubles = tf.constant(np.arange(4).astype(np.float32)) * 2.0
float64_on_purpose = tf.Variable(np.zeros(3), dtype=tf.float64)


if __name__ == "__main__":
    print((tf.range(10) + positions).numpy())
    print((tf.ones(2) * weights).numpy())
    print(shift(tf.constant([1.0, 2.0, 3.0, 4.0])).numpy())
    print(grid.dtype.name, bias.dtype.name, noise.dtype.name, labels.dtype.name)
    print((indices + steps).numpy(), (ramp * mask[0, 0]).numpy(), (table * scale).numpy())
    print(counts.numpy(), halves.numpy(), doubles.numpy(), float64_on_purpose.dtype.name)
