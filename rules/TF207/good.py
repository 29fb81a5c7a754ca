"""TF207 fixed: decide on the tensor's value (`tf.cond`, `tf.where`, AutoGraph's `if t:`)."""

import keras
import tensorflow as tf


@tf.function
def clipped(x):
    over = tf.reduce_any(tf.abs(x) > 1.0)
    if over:  # AutoGraph turns this into tf.cond on the value
        return tf.clip_by_value(x, -1.0, 1.0)
    return x


@tf.function
def masked(x):
    valid = tf.reduce_all(tf.math.is_finite(x))
    return tf.where(valid, x, tf.zeros_like(x))


class Gate(keras.layers.Layer):
    def call(self, inputs):
        active = keras.ops.any(inputs > 0.0)
        return keras.ops.where(active, inputs, keras.ops.zeros_like(inputs))


# Look-alikes that must stay quiet: identity tests on Python values.


@tf.function
def scaled(x, normalize, scale=None):
    if normalize is True:  # a Python bool argument: one trace per value
        x = x / tf.reduce_max(x)
    if scale is None:
        return x
    return x * scale


class Dropout(keras.layers.Layer):
    def call(self, inputs, training=None, mask=None):
        if training is True and mask is not None:  # Keras passes Python flags
            return inputs * 0.5
        if self.built is False:
            return inputs
        return inputs


if __name__ == "__main__":
    big = tf.constant([3.0, -2.0])
    print(clipped(big).numpy(), masked(tf.constant([1.0, float("nan")])).numpy())
    print(Gate()(tf.constant([[-1.0, -2.0]])).numpy(), scaled(big, True).numpy())
    print(Dropout()(tf.ones((1, 2)), training=True).numpy())
