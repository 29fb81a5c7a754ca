"""TF107 python-iterator-in-graph: `next()` on a Python iterator runs once per trace."""

import itertools

import numpy as np
import tensorflow as tf


def noise_batches():
    rng = np.random.default_rng(0)
    while True:
        yield rng.normal(size=(2,)).astype("float32")


noise = noise_batches()
steps = itertools.count(1)
offsets = (float(i * i) for i in itertools.count())


@tf.function
def perturbed(x):
    return x + next(noise)  # expect: TF107


@tf.function
def scaled(x):
    return x + next(steps)  # expect: TF107


@tf.function
def shifted(x):
    return x + next(offsets)  # expect: TF107


if __name__ == "__main__":
    x = tf.zeros((2,))
    for function in (perturbed, scaled, shifted):
        print(function.__name__, [function(x).numpy().tolist() for _ in range(3)])
    print("the generator moved once:", next(steps), "is the next count")
