"""Imports a module that does not exist."""

import tensorflow as tf

import tflint_verify_no_such_module  # noqa: F401


@tf.function
def double(x):
    print("tracing")
    return x * 2.0
