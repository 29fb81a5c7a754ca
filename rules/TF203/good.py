"""TF203 fixed: stay in tensors while tracing; convert results outside graph code."""

import keras
import numpy as np
import tensorflow as tf


@tf.function
def sign(x):
    return tf.where(tf.reduce_sum(x) > 0, 1.0, -1.0)


@tf.function
def caption(x):
    return tf.strings.join(["mean ", tf.strings.as_string(tf.reduce_mean(x), precision=2)])


@tf.function
def peak(x):
    return tf.reduce_max(x)


@tf.function
def ordered(x):
    return tf.sort(x)


@tf.function
def average(x):
    return tf.round(tf.reduce_mean(x))


@tf.function(autograph=False)
def half(x):
    return tf.size(x) // 2


class Normalize(keras.layers.Layer):
    def call(self, inputs):
        largest = tf.reduce_max(inputs)
        return inputs / largest


class Flatten(keras.layers.Layer):
    def call(self, inputs):
        count = tf.shape(tf.reshape(inputs, [-1]))[0]
        return tf.reshape(inputs, [count])


# Look-alikes that must stay quiet.


@tf.function
def autograph_converts(x):
    total = float(tf.reduce_sum(x))  # AutoGraph turns float/int/len into tf.cast / tf.shape
    return total + float(len(x)) + float(int(tf.size(x)))


@tf.function
def scaled(x, factor, verbose):
    if bool(verbose):  # Python values passed in: retraced per value, converted fine
        tf.print("factor", f"{factor:.2f}", round(factor, 1))
    return x * factor


class Stack(keras.layers.Layer):
    def __init__(self, width, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.blocks = [keras.layers.Dense(width) for _ in range(2)]

    def call(self, inputs):
        first, second = inputs  # a list of tensors: len() of the list is a Python int
        depth = len(self.blocks) + len(inputs) + len(keras.ops.shape(first))  # a tuple
        features = int(first.shape[-1])  # a static dimension is a Python int
        name = f"{self.name:>12}"
        scale = np.float32(0.5).item()  # a NumPy scalar, not a tensor
        return (self.blocks[-1](first + second) * scale, depth, features, name)


def report(x):
    value = tf.reduce_mean(x)
    return f"eager mean {value:.2f} {float(value)} {round(float(value), 1)}"  # eager code



# A helper returning the static shape (or None), through a local name: a Python tuple while
# tracing, so `len` of it is the rank.
def static_shape(t):
    try:
        shape = t.shape
        if not isinstance(shape, tuple):
            shape = tuple(shape.as_list())
        return shape
    except ValueError:
        return None


@tf.function(autograph=False)
def flattened_pair(x, y):
    x_shape = static_shape(x)
    y_shape = static_shape(y)
    if len(x_shape) != len(y_shape):
        raise ValueError("ranks differ")
    return tf.reshape(x, [-1]), tf.reshape(y, [-1])

if __name__ == "__main__":
    print(flattened_pair(tf.ones((2, 2)), tf.zeros((1, 3)))[0].shape)
    x = tf.constant([1.0, 2.0])
    for function in (sign, caption, peak, ordered, average, half, autograph_converts):
        print(function.__name__, function(x).numpy())
    print(scaled(x, 0.5, True).numpy())
    model = keras.Sequential([keras.Input((2,)), Normalize(), Flatten()])
    print(model(tf.constant([[1.0, 2.0]])).numpy())
    outputs = Stack(2)([tf.ones((1, 3)), tf.ones((1, 3))])
    print(outputs[0].shape, outputs[1:], report(x))
