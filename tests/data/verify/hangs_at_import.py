"""Never finishes importing: every function in it is unverifiable, and only the first ones
cost a timeout."""

import tensorflow as tf


@tf.function
def first(x):
    print("tracing")
    return x


@tf.function
def second(x):
    print("tracing")
    return x


@tf.function
def third(x):
    print("tracing")
    return x


while True:
    pass
