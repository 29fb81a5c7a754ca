"""TF204 fixed: say the dtype where the tensor meets TensorFlow's 32-bit ones, or keep 64-bit
data away from them (alone, with Python numbers, with other 64-bit data, through Keras)."""

import keras
import numpy as np
import tensorflow as tf
from numpy import linspace

positions = tf.range(10)
grid = tf.convert_to_tensor(linspace(0.0, 1.0, 5), dtype=tf.float32)
weights = tf.constant(np.array([0.25, 0.75]), dtype=tf.float32)
bias = tf.Variable(np.zeros(3, np.float32))
counts = tf.Variable(tf.zeros(3))


def next_positions():
    return tf.range(10) + positions


def blend():
    return tf.ones(2) * weights


def reset_counts():
    counts.assign(tf.constant(np.ones(3), dtype=tf.float32))


@tf.function
def shift():
    offsets = tf.range(0.0, 1.0, 0.25)
    return tf.range(0.0, 1.0, 0.25) + offsets


# 64-bit on purpose, and nothing 32-bit ever meets it: quiet.
def reference_values():
    """Test-style data checked against NumPy: the dtype never meets a TensorFlow default."""
    expected = tf.constant(np.linspace(0.0, 1.0, 5))
    np.testing.assert_allclose(expected.numpy(), np.linspace(0.0, 1.0, 5))
    return expected


def precise_sum():
    """float64 meets float64, and Python numbers take the tensor's dtype."""
    samples = tf.constant(np.random.normal(size=100))
    centre = tf.constant(np.zeros(100))
    return tf.reduce_sum((samples - centre) * 0.5 + 1.0)


def picked_rows():
    """int64 indices are fine for gather and for indexing."""
    rows = tf.constant(np.arange(3))
    table = tf.ones((5, 2))
    return tf.gather(table, rows), table[rows[0]]


def through_a_layer():
    """Keras layers cast their inputs to the layer's float32 compute dtype."""
    features = tf.constant(np.random.rand(4, 3))
    return keras.layers.Dense(2)(features)


# Look-alikes that must stay quiet: the dtype is given, or no NumPy default is involved.
indices = tf.constant(np.arange(10), dtype=tf.int32)
steps = tf.constant(np.arange(10), tf.int32)
ramp = tf.constant(np.linspace(0.0, 1.0, 5, dtype=np.float32))
table = tf.constant(np.array([[1.0, 2.0]], np.float32))
mask = tf.constant(np.ones((2, 2), dtype="float32"))
scale = tf.constant(np.pi)
halves = tf.cast(tf.constant(np.arange(4)), tf.float32) / 2.0
doubles = tf.constant(np.arange(4).astype(np.float32)) * 2.0
float64_on_purpose = tf.Variable(np.zeros(3), dtype=tf.float64)


if __name__ == "__main__":
    print(next_positions().numpy(), blend().numpy(), shift().numpy())
    reset_counts()
    print(grid.dtype.name, bias.dtype.name, counts.numpy())
    print(reference_values().dtype.name, precise_sum().numpy(), picked_rows()[0].shape)
    print(through_a_layer().dtype.name)
    print((indices + steps).numpy(), (ramp * mask[0, 0]).numpy(), (table * scale).numpy())
    print(halves.numpy(), doubles.numpy(), float64_on_purpose.dtype.name)
