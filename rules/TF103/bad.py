"""TF103 python-random-in-graph: Python and NumPy random numbers are drawn once, at trace time."""

import random

import keras
import numpy as np
import tensorflow as tf
from numpy import random as npr
from numpy.random import default_rng

rng = default_rng(0)
py_rng = random.Random(0)


@tf.function
def add_noise(x):
    return x + np.random.normal(0.0, 0.1)  # expect: TF103


@tf.function
def jitter(x):
    shift = random.uniform(-1.0, 1.0)  # expect: TF103
    scale = npr.uniform(0.9, 1.1)  # expect: TF103
    return x * scale + shift


def pick_offset():
    return rng.integers(0, 10)  # expect: TF103


@tf.function
def offset(x):
    return x + tf.cast(pick_offset(), tf.float32)


@tf.function
def sampled(x):
    return x * np.random.default_rng().uniform()  # expect: TF103


class RandomDrop(keras.layers.Layer):
    def call(self, inputs, training=False):
        if training and random.random() < 0.5:  # expect: TF103
            return tf.zeros_like(inputs)
        return inputs


def augment(image):
    if py_rng.random() < 0.5:  # expect: TF103
        image = tf.image.flip_left_right(image)
    return image


images = tf.data.Dataset.from_tensor_slices(tf.reshape(tf.range(8.0), (2, 2, 2, 1))).map(augment)


class GaussianNoise(keras.layers.Layer):
    """Broken twin of fixtures/components/layers.py GaussianNoise: NumPy draws the noise."""

    def __init__(self, stddev, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev

    def call(self, inputs, training=False):
        if training:
            noise = np.random.normal(0.0, self.stddev, size=inputs.shape)  # expect: TF103
            return inputs + noise
        return inputs


if __name__ == "__main__":
    for function in (add_noise, jitter, offset, sampled):
        values = {float(function(tf.constant(0.0))) for _ in range(5)}
        print(f"{function.__name__}: {len(values)} distinct value(s) over 5 calls")  # 1
    drop = RandomDrop()
    traced_drop = tf.function(lambda x: drop(x, training=True))
    kept = [float(tf.reduce_sum(traced_drop(tf.constant([1.0, 2.0])))) for _ in range(5)]
    print("RandomDrop sums over 5 calls:", kept)  # all 3.0 or all 0.0
    for _ in range(2):
        print([image[0, :, 0].numpy().tolist() for image in images])  # the same both epochs
    print(GaussianNoise(0.1)(tf.ones((2, 3)), training=True))  # noise drawn at trace time
