"""TF203 python-conversion-of-tensor: Python conversions need a value; a traced tensor has none."""

import keras
import tensorflow as tf


@tf.function
def sign(x):
    return 1.0 if bool(tf.reduce_sum(x) > 0) else -1.0  # expect: TF203


@tf.function
def caption(x):
    return f"mean {tf.reduce_mean(x):.2f}"  # expect: TF203


@tf.function
def peak(x):
    return tf.reduce_max(x).item()  # expect: TF203


@tf.function
def ordered(x):
    return tf.sort(x).tolist()  # expect: TF203


@tf.function
def average(x):
    return round(tf.reduce_mean(x))  # expect: TF203


@tf.function(autograph=False)
def half(x):
    return int(tf.size(x)) // 2  # expect: TF203


class Normalize(keras.layers.Layer):
    def call(self, inputs):
        largest = float(tf.reduce_max(inputs))  # expect: TF203
        return inputs / largest


class Flatten(keras.layers.Layer):
    def call(self, inputs):
        count = len(tf.reshape(inputs, [-1]))  # expect: TF203
        return tf.reshape(inputs, [count])


def cause(error):
    """The line of a (possibly Keras-wrapped) error message that says what went wrong."""
    lines = str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").splitlines()
    telling = ("argument must", "not well defined", "no attribute", "not allowed", "format string")
    return next(line.strip()[:110] for line in lines if any(t in line for t in telling))


if __name__ == "__main__":
    x = tf.constant([1.0, 2.0])
    for function in (sign, caption, half):
        print(f"{function.__name__} eagerly:", function.python_function(x))
        try:
            function(x)
        except (TypeError, tf.errors.OperatorNotAllowedInGraphError) as error:
            print(f"{function.__name__} traced: {type(error).__name__}: {cause(error)}")
    for function in (peak, ordered, average):
        try:
            function(x)
        except AttributeError as error:
            print(f"{function.__name__} traced: {cause(error)}")
    for layer in (Normalize(), Flatten()):
        print(f"{type(layer).__name__} eagerly:", layer(tf.constant([[1.0, 2.0]])).numpy())
        try:
            keras.Sequential([keras.Input((2,)), layer])
        except TypeError as error:
            print(f"{type(layer).__name__} in a model: {cause(error)}")
