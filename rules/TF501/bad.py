"""TF501 tensor-control-flow-without-autograph: Keras 3 and `autograph=False` run Python
control flow as it is written, so an `if`/`while` on a tensor asks it for a Python bool."""

import keras
import numpy as np
import tensorflow as tf


class PositiveGate(keras.layers.Layer):
    def call(self, inputs):
        if tf.reduce_sum(inputs) > 0:  # expect: TF501
            return inputs * 2.0
        return inputs


class Accumulate(keras.layers.Layer):
    def call(self, inputs):
        for _ in tf.range(3):  # expect: TF501
            inputs = inputs + 1.0
        return inputs


class Clip(keras.layers.Layer):
    def call(self, inputs):
        return inputs if tf.reduce_max(inputs) < 10.0 else inputs / 10.0  # expect: TF501


class Halving(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)

    def call(self, inputs):
        scale = tf.reduce_max(tf.abs(inputs))
        while scale > 1.0:  # expect: TF501
            scale = scale / 2.0
        return self.dense(inputs / scale)


@tf.function(autograph=False)
def relu_sum(x):
    total = tf.reduce_sum(x)
    if total < 0:  # expect: TF501
        return tf.zeros_like(total)
    return total


@tf.function
def traced_call(layer, data):
    """Our own tf.function calling the layer: AutoGraph does not reach into its `call`."""
    return layer(data)


def cause(error):
    """The line of a (possibly Keras-wrapped) error message that says what went wrong."""
    lines = str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").splitlines()
    return next(line.strip() for line in lines if "is not allowed" in line)[:80]


if __name__ == "__main__":
    data = np.ones((4, 3), "float32")
    print("eagerly the layer works:", PositiveGate()(data).shape)
    for layer in (PositiveGate(), Accumulate(), Clip()):
        try:
            keras.Sequential([keras.Input((3,)), layer])
        except TypeError as error:  # OperatorNotAllowedInGraphError is a TypeError
            print(f"{type(layer).__name__} in a model: {cause(error)}")
        try:
            traced_call(layer, data)
        except TypeError as error:
            print(f"{type(layer).__name__} under tf.function: {cause(error)}")
    model = Halving()
    model.compile(optimizer="sgd", loss="mse")
    try:
        model.fit(data, np.ones((4, 1), "float32"), epochs=1, verbose=0)
    except TypeError as error:
        print(f"Halving in fit: {cause(error)}")
    try:
        relu_sum(tf.constant(data))
    except TypeError as error:
        print(f"relu_sum: {cause(error)}")
