"""A tf.function whose inputs cannot be built: no signature, no example call, and no generic
tensor fits (it indexes a dict argument)."""

import tensorflow as tf


@tf.function
def pick(batch):
    print("tracing")
    return batch["features"] * 2.0
