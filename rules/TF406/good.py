"""TF406 fixed: decide with ops inside graph code; catch op errors around the call."""

import keras
import tensorflow as tf


@tf.function
def safe_log(x):
    y = tf.math.log(x)
    return tf.where(tf.math.is_finite(y), y, tf.zeros_like(y))


@tf.function
def row_or_zeros(table, index):
    inside = (index >= 0) & (index < tf.shape(table)[0])
    return tf.cond(inside, lambda: tf.gather(table, index), lambda: tf.zeros_like(table[0]))


class LogScale(keras.layers.Layer):
    def call(self, inputs):
        return keras.ops.log(keras.ops.maximum(inputs, 1e-6))


def checked_log(x):
    try:  # outside graph code: the graph ran, its error reaches this except
        return safe_log_strict(x)
    except tf.errors.InvalidArgumentError:
        return tf.zeros_like(x)


@tf.function
def safe_log_strict(x):
    return tf.debugging.check_numerics(tf.math.log(x), "log of a non-positive value")


# Look-alikes that must stay quiet: errors that happen while tracing, or no op in the `try`.


@tf.function
def flexible(x, options):
    try:
        import tensorflow_addons as fast  # an ImportError is Python's, at trace time
    except ImportError:
        fast = None
    try:
        scale = options["scale"]  # pure Python in the try
    except Exception:
        scale = 1.0
    try:
        square = tf.reshape(x, (2, 2))  # a static shape mismatch raises while tracing
    except ValueError:
        square = tf.reshape(x, (1, -1))
    try:
        config = tf.io.gfile.GFile("missing.cfg").read()  # plain file access, at trace time
    except tf.errors.NotFoundError:
        config = ""
    try:
        total = tf.reduce_sum(square)
    except tf.errors.OpError as error:  # re-raised: the call ends either way
        raise RuntimeError("flexible failed") from error
    return total * scale, fast is None, config


if __name__ == "__main__":
    zero = tf.constant([0.0, 1.0])
    print(safe_log(zero).numpy(), checked_log(zero).numpy())
    table = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    print(row_or_zeros(table, tf.constant(5)).numpy(), LogScale()(zero))
    print(flexible(tf.ones(4), {"scale": 2.0}))
