"""TF107 fixed: take the next element eagerly and pass it in, or iterate a tf.data.Dataset."""

import itertools

import numpy as np
import tensorflow as tf


def noise_batches():
    rng = np.random.default_rng(0)
    while True:
        yield rng.normal(size=(2,)).astype("float32")


noise = noise_batches()
steps = itertools.count(1)


@tf.function
def perturbed(x, delta):
    return x + delta


@tf.function
def scaled(x, step):
    return x * step


# Look-alikes that must stay quiet.

offsets = iter(tf.data.Dataset.range(100).repeat())  # a tf.data iterator advances per call


@tf.function
def shifted(x):
    return x + tf.cast(next(offsets), tf.float32)


@tf.function
def first_of(x):
    local = iter([1.0, 2.0])  # made afresh on every call: the same eagerly
    return x * next(local)


@tf.function
def from_argument(x, batches):
    return x + next(batches)  # an iterator passed in: the caller decides what it is


if __name__ == "__main__":
    x = tf.zeros((2,))
    print([perturbed(x, tf.constant(next(noise))).numpy().tolist() for _ in range(3)])
    print([scaled(x + 1.0, tf.constant(float(next(steps)))).numpy().tolist() for _ in range(3)])
    print([shifted(x).numpy().tolist() for _ in range(3)], first_of(x).numpy().tolist())
    print(from_argument(x, iter(tf.data.Dataset.from_tensors(tf.ones((2,))).repeat())).numpy())
