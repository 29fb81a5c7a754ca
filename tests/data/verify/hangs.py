"""Never returns from the flagged function: only the per-function timeout ends it."""

import tensorflow as tf


@tf.function
def spin(x):
    print("tracing")
    while True:
        pass
    return x
