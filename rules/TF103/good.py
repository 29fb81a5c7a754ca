"""TF103 fixed: random numbers come from TensorFlow ops, drawn on every call."""

import random

import keras
import numpy as np
import tensorflow as tf

random.seed(0)
rng = np.random.default_rng(0)  # NumPy generator for eager data preparation only
generator = tf.random.Generator.from_seed(0)


@tf.function
def add_noise(x):
    return x + generator.normal(tf.shape(x), stddev=0.1)


@tf.function
def jitter(x, seed):
    shift = tf.random.stateless_uniform([], seed, minval=-1.0, maxval=1.0)
    return x + shift


@tf.function
def sampled(x):
    rng = tf.random.get_global_generator()  # a local TF generator shadowing the NumPy one
    return x * rng.uniform([])


class RandomDrop(keras.layers.Layer):
    def __init__(self, rate=0.5, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(random.randint(0, 1000))

    def call(self, inputs, training=False):
        if not training:
            return inputs
        keep = keras.random.uniform((), seed=self.seed_generator) >= self.rate
        return tf.where(keep, inputs, tf.zeros_like(inputs))


def py_noise(x):
    return x + np.float32(np.random.normal())  # runs eagerly inside tf.py_function


@tf.function
def with_py_function(x):
    return tf.py_function(py_noise, [x], tf.float32)


def augment(image):
    return tf.image.random_flip_left_right(image)


def make_dataset():
    data = rng.normal(size=(4, 2, 2, 1)).astype("float32")  # eager: drawn once, on purpose
    order = list(range(len(data)))
    random.shuffle(order)
    return tf.data.Dataset.from_tensor_slices(data[order]).map(augment)


if __name__ == "__main__":
    print(len({float(add_noise(tf.constant(0.0))) for _ in range(5)}), "distinct values")  # 5
    seeds = [tf.constant([step, 0]) for step in range(5)]
    print(len({float(jitter(tf.constant(0.0), seed)) for seed in seeds}), "distinct values")
    print(len({float(sampled(tf.constant(1.0))) for _ in range(5)}), "distinct values")
    drop = RandomDrop()
    traced_drop = tf.function(lambda x: drop(x, training=True))
    print([float(tf.reduce_sum(traced_drop(tf.constant([1.0, 2.0])))) for _ in range(5)])
    print(float(with_py_function(tf.constant(0.0))), float(with_py_function(tf.constant(0.0))))
    print(len(list(make_dataset())), "images")
