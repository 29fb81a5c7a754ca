"""Crashes the interpreter (SIGSEGV) at import."""

import ctypes

import tensorflow as tf

ctypes.string_at(0)


@tf.function
def double(x):
    print("tracing")
    return x * 2.0
