"""Allocates more memory than the worker's cap allows, at import."""

import tensorflow as tf

BUFFER = bytearray(64 << 30)


@tf.function
def double(x):
    print("tracing")
    return x * 2.0
