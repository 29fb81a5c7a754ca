"""Logging that only happens now and then: the inputs that first come to mind never take these
branches, but tracing takes both sides of a tensor `if`."""

import logging

import tensorflow as tf

log = logging.getLogger("trainer")


@tf.function
def scaled_step(step, values):
    if step % 100 == 0:
        print("checkpoint reached at step", step)
    if tf.reduce_max(values) > 1000.0:
        log.warning("values are exploding")
    return values * 0.5
