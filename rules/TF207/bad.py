"""TF207 identity-test-on-tensor: a tensor is never the `True`/`False` object."""

import keras
import tensorflow as tf


@tf.function
def clipped(x):
    over = tf.reduce_any(tf.abs(x) > 1.0)
    if over is True:  # expect: TF207
        return tf.clip_by_value(x, -1.0, 1.0)
    return x


@tf.function
def masked(x):
    valid = tf.reduce_all(tf.math.is_finite(x))
    return x if valid is not False else tf.zeros_like(x)  # expect: TF207


class Gate(keras.layers.Layer):
    def call(self, inputs):
        active = keras.ops.any(inputs > 0.0)
        if active is False:  # expect: TF207
            return keras.ops.zeros_like(inputs)
        return inputs


if __name__ == "__main__":
    big = tf.constant([3.0, -2.0])
    print("clipped eagerly and traced:", clipped.python_function(big).numpy(), clipped(big).numpy())
    broken = tf.constant([1.0, float("nan")])
    print("masked keeps the NaN:", masked(broken).numpy())
    print("Gate passes negatives:", Gate()(tf.constant([[-1.0, -2.0]])).numpy())
