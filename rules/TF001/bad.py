"""TF001 syntax-error: this file cannot be parsed, so nothing in it is checked."""

import tensorflow as tf


@tf.function
def step(x):
    return x *  # expect: TF001
