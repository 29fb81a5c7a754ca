"""TF403 fixed: `tf.range` makes one `tf.while_loop`; short or static loops stay Python."""

import keras
import tensorflow as tf


@tf.function
def smooth(x):
    for _ in tf.range(1000):  # one while loop, whatever the count
        x = x * 0.5 + 1.0
    return x


@tf.function
def iterate(x, steps):
    for _ in range(steps):  # `steps` passed as a tensor: AutoGraph makes it a tf.range loop
        x = tf.sin(x)
    return x


@tf.function
def pyramid(x):
    for _ in range(3):  # a few deliberate copies are cheap
        x = tf.nn.avg_pool1d(x, 2, 2, "VALID")
    return x


@tf.function
def per_feature(x):
    columns = []
    for j in range(x.shape[-1]):  # a static shape: the loop follows the model's width
        columns.append(tf.reduce_sum(x[:, j]))
    return tf.stack(columns)


@tf.function
def labels(x):
    names = []
    for i in range(1000):  # plain Python work adds nothing to the graph
        names.append(f"feature_{i}")
    return x, len(names)


class Stack(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [keras.layers.Dense(2) for _ in range(3)]

    def call(self, inputs):
        for block in self.blocks:  # one copy per sub-layer, by design
            inputs = block(inputs)
        return inputs


if __name__ == "__main__":
    x = tf.constant(1.0)
    graph = smooth.get_concrete_function(x).graph
    print(f"smooth: {len(graph.get_operations())} ops")
    print("iterate:", iterate(x, tf.constant(500)).numpy())
    print("pyramid:", pyramid(tf.ones((1, 16, 1))).shape)
    print("per_feature:", per_feature(tf.ones((2, 3))).numpy())
    print("labels:", labels(x)[1].numpy())
    print("Stack:", keras.Sequential([keras.Input((2,)), Stack()])(tf.ones((1, 2))).shape)
