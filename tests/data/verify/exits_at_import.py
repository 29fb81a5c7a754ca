"""Calls sys.exit while being imported: the verifier must say so and go on."""

import sys

import tensorflow as tf


@tf.function
def double(x):
    print("tracing")
    return x * 2.0


sys.exit(3)
