"""TF405 fixed: check tensor values with `tf.debugging.assert_*`, which run in the graph."""

import keras
import tensorflow as tf


@tf.function
def normalized(x):
    tf.debugging.assert_all_finite(x, "x has NaN or inf")
    return x / tf.reduce_max(tf.abs(x))


@tf.function
def scaled(x, factor):
    tf.debugging.assert_positive(factor)
    return x * factor


def check_same_length(a, b):
    tf.debugging.assert_equal(tf.shape(a)[0], tf.shape(b)[0])


@tf.function
def weighted(values, weights):
    check_same_length(values, weights)
    return tf.reduce_sum(values * weights)


class Clip(keras.layers.Layer):
    def call(self, inputs):
        tf.debugging.assert_all_finite(inputs, "inputs have NaN or inf")
        return keras.ops.clip(inputs, -1.0, 1.0)


# Look-alikes that must stay quiet: asserts on Python values, which tracing evaluates fine.


@tf.function
def stacked(x, axis=0, scale=2.0):
    assert x is not None  # an identity test: a Python bool
    assert x.shape[-1] == 2  # static shapes are Python values
    assert x.shape.rank == 2 and len(x.shape) == 2
    assert x.dtype == tf.float32
    assert isinstance(axis, int) and axis in (0, 1)
    assert scale > 0  # a literal default: a Python number
    assert tf.is_tensor(x)
    return tf.stack([x, x * scale], axis=axis)


class Dense2(keras.layers.Layer):
    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        assert units > 0  # the constructor runs eagerly
        self.units = units
        self.dense = keras.layers.Dense(units)

    def call(self, inputs, training=None, mask=None):
        assert mask is None or training is not None or training is None
        assert len(self.dense.weights) in (0, 2)
        return self.dense(inputs)


@tf.function(experimental_autograph_options=tf.autograph.experimental.Feature.ASSERT_STATEMENTS)
def converted(x):
    assert tf.reduce_all(x > 0), "x must be positive"  # AutoGraph turns this into tf.Assert
    return tf.sqrt(x)


if __name__ == "__main__":
    x = tf.constant([1.0, 2.0])
    print(normalized(x).numpy(), scaled(x, tf.constant(2.0)).numpy(), weighted(x, x).numpy())
    model = keras.Sequential([keras.Input((2,)), Clip(), Dense2()])
    print(model(tf.constant([[3.0, -0.5]])).shape)
    print(stacked(tf.ones((3, 2))).shape, converted(x).numpy())
    try:
        converted(tf.constant([-1.0]))
    except tf.errors.InvalidArgumentError:
        print("converted: the assert ran in the graph and failed at run time")
