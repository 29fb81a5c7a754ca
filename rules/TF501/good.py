"""TF501 fixed: graph control flow as ops (`tf.cond`, `keras.ops.cond`, `tf.where`,
`keras.ops.fori_loop`, `tf.while_loop`) where AutoGraph does not run."""

import keras
import numpy as np
import tensorflow as tf


class PositiveGate(keras.layers.Layer):
    def call(self, inputs):
        return keras.ops.cond(keras.ops.sum(inputs) > 0, lambda: inputs * 2.0, lambda: inputs)


class Accumulate(keras.layers.Layer):
    def call(self, inputs):
        return keras.ops.fori_loop(0, 3, lambda _, acc: acc + 1.0, inputs)


class Clip(keras.layers.Layer):
    def call(self, inputs):
        return tf.where(tf.reduce_max(inputs) < 10.0, inputs, inputs / 10.0)


class Halving(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)

    def call(self, inputs):
        scale = tf.while_loop(
            lambda s: s > 1.0, lambda s: s / 2.0, [tf.reduce_max(tf.abs(inputs))]
        )[0]
        return self.dense(inputs / scale)


@tf.function(autograph=False)
def relu_sum(x):
    total = tf.reduce_sum(x)
    return tf.cond(total < 0, lambda: tf.zeros_like(total), lambda: total)


# Look-alikes that must stay quiet: Python values decide, or AutoGraph converts the code.


class Stack(keras.layers.Layer):
    def __init__(self, units, residual=False, mode="sum"):
        super().__init__()
        self.blocks = [keras.layers.Dense(units) for _ in range(2)]
        self.residual = residual
        self.mode = mode

    def call(self, inputs, training=None, mask=None):
        outputs = inputs
        for block in self.blocks:  # a Python list of layers
            outputs = block(outputs)
        if training:  # a Python flag
            outputs = outputs * 1.0
        if mask is not None:  # an identity test
            outputs = outputs * tf.cast(mask, outputs.dtype)[:, None]
        if inputs.shape[-1] == outputs.shape[-1] and self.residual:  # static shapes
            outputs = outputs + inputs
        for column in range(outputs.shape[-1]):  # a static count
            outputs = outputs + 0.0 * column
        if self.mode == "sum":  # a Python attribute compared with a string
            outputs = outputs + 0.0
        if tf.is_tensor(inputs):  # a Python bool about the value
            outputs = outputs * 1.0
        for part in tf.unstack(outputs, axis=-1):  # tf.unstack returns a Python list
            outputs = outputs + 0.0 * part[:, None]
        return outputs


class Merge(keras.layers.Layer):
    def call(self, inputs):
        if len(inputs) == 2:  # `inputs` is a Python list of tensors here
            return inputs[0] + inputs[1]
        return inputs[0]


class Converted(keras.layers.Layer):
    @tf.function  # the layer's own tf.function: AutoGraph converts this `call`
    def call(self, inputs):
        if tf.reduce_sum(inputs) > 0:
            return inputs * 2.0
        return inputs


@tf.function
def plain(x):
    # AutoGraph converts a plain tf.function: this becomes tf.cond and a graph loop.
    if tf.reduce_sum(x) > 0:
        x = x * 2.0
    for _ in tf.range(3):
        x = x + 1.0
    return x


if __name__ == "__main__":
    data = np.ones((4, 3), "float32")
    model = keras.Sequential([keras.Input((3,)), PositiveGate(), Accumulate(), Clip()])
    model.compile(optimizer="sgd", loss="mse")
    print(model.predict(data, verbose=0).shape)
    halving = Halving()
    halving.compile(optimizer="sgd", loss="mse")
    halving.fit(data, np.ones((4, 1), "float32"), epochs=1, verbose=0)
    print(relu_sum(tf.constant(data)).numpy(), plain(tf.constant(data)).numpy().shape)
    stacked = keras.Sequential([keras.Input((3,)), Stack(3, residual=True)])
    print(stacked.predict(data, verbose=0).shape)
    print(tf.function(lambda x: Merge()([x, x]))(data).shape)
    print(keras.Sequential([keras.Input((3,)), Converted()]).predict(data, verbose=0).shape)
