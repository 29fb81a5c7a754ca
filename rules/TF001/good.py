"""TF001 fixed: the file parses, so every rule can check it."""

import tensorflow as tf


@tf.function
def step(x):
    return x * 2.0


if __name__ == "__main__":
    print(step(tf.constant(1.0)))
