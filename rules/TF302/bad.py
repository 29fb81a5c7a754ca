"""TF302 weights-created-in-call: Keras 3 builds a layer before `call` runs."""

import keras
import tensorflow as tf
from tensorflow import keras as tf_keras


class Scale(keras.layers.Layer):
    def call(self, inputs):
        scale = self.add_weight(shape=(inputs.shape[-1],), initializer="ones")  # expect: TF302
        return inputs * scale


class Offset(tf_keras.layers.Layer):
    def call(self, inputs):
        self.offset = keras.Variable(tf.zeros((inputs.shape[-1],)))  # expect: TF302
        return inputs + self.offset


class Projection(keras.Model):
    def call(self, inputs):
        self.kernel = tf.Variable(tf.ones((inputs.shape[-1], 2)))  # expect: TF302
        return tf.matmul(inputs, self.kernel)


def cause(error):
    """The line of a (possibly Keras-wrapped) error message that says what went wrong."""
    lines = str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").splitlines()
    return next(line.strip() for line in lines if "You cannot" in line or "lifted" in line)


class SimpleDense(keras.layers.Layer):
    """Broken twin of fixtures/components/layers.py SimpleDense: weights created in call."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def call(self, inputs):
        self.kernel = self.add_weight(shape=(inputs.shape[-1], self.units), name="kernel")  # expect: TF302
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")  # expect: TF302
        return keras.ops.matmul(inputs, self.kernel) + self.bias


if __name__ == "__main__":
    for layer in (Scale(), Offset()):
        try:
            layer(tf.constant([[1.0, 2.0]]))
        except ValueError as error:
            print(f"{type(layer).__name__}, called eagerly: {cause(error)}")
    projection = Projection()
    projection(tf.constant([[1.0, 2.0]]))
    print("Projection, called eagerly, has", len(projection.trainable_weights), "weights")
    try:
        keras.Sequential([keras.Input((2,)), Projection()])
    except ValueError as error:
        print(f"Projection in a model: {cause(error)}")
    try:
        SimpleDense(4)(tf.constant([[1.0, 2.0]]))
    except ValueError as error:
        print(f"SimpleDense, called eagerly: {cause(error)}")
