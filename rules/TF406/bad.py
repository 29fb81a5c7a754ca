"""TF406 try-except-in-graph: op errors happen when the graph runs, after the `try` is gone."""

import keras
import tensorflow as tf


@tf.function
def safe_log(x):
    try:
        return tf.debugging.check_numerics(tf.math.log(x), "log of a non-positive value")
    except tf.errors.InvalidArgumentError:  # expect: TF406
        return tf.zeros_like(x)


@tf.function
def row_or_zeros(table, index):
    try:
        return tf.gather(table, index)
    except Exception:  # expect: TF406
        return tf.zeros_like(table[0])


class LogScale(keras.layers.Layer):
    def call(self, inputs):
        try:
            return tf.debugging.check_numerics(keras.ops.log(inputs), "log of a non-positive input")
        except (ValueError, tf.errors.OpError):  # expect: TF406
            return keras.ops.log(keras.ops.maximum(inputs, 1e-6))


if __name__ == "__main__":
    zero = tf.constant([0.0, 1.0])
    print("eagerly the except works:", safe_log.python_function(zero).numpy())
    table = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    print("eagerly the except works:", row_or_zeros.python_function(table, 5).numpy())
    calls = (
        ("safe_log", lambda: safe_log(zero)),
        ("row_or_zeros", lambda: row_or_zeros(table, tf.constant(5))),
        ("LogScale", lambda: tf.function(LogScale())(zero)),
    )
    for name, call in calls:
        try:
            call()
        except tf.errors.InvalidArgumentError as error:  # escaped the function's own except
            print(f"{name}: {type(error).__name__}: {error.message.splitlines()[0][:70]}")
