"""TF403 python-loop-unrolled: a long Python `range` loop is copied into the graph per iteration."""

import time

import keras
import tensorflow as tf


@tf.function
def smooth(x):
    for _ in range(1000):  # expect: TF403
        x = x * 0.5 + 1.0
    return x


@tf.function
def iterate(x, steps=500):
    for _ in range(steps):  # expect: TF403
        x = tf.sin(x)
    return x


class Refine(keras.layers.Layer):
    def call(self, inputs):
        for _ in range(200):  # expect: TF403
            inputs = keras.ops.tanh(inputs)
        return inputs


def graph_size(function, *args):
    """Ops in the traced graph, and the seconds tracing took."""
    start = time.perf_counter()
    graph = function.get_concrete_function(*args).graph
    return len(graph.get_operations()), time.perf_counter() - start


if __name__ == "__main__":
    x = tf.constant(1.0)
    ops, seconds = graph_size(smooth, x)
    print(f"smooth: {ops} ops, traced in {seconds:.2f} s")
    ops, seconds = graph_size(iterate, x)
    print(f"iterate: {ops} ops, traced in {seconds:.2f} s")
    print("Refine:", keras.Sequential([keras.Input((2,)), Refine()])(tf.ones((1, 2))).shape)
