"""TF503 fixed: `tf.range` makes a `tf.while_loop`, which can stop on a tensor."""

import tensorflow as tf


@tf.function
def countdown(x):
    for _ in tf.range(5):
        x = x - 1.0
        if x < 0:
            break  # AutoGraph folds the break into the while loop's condition
    return x


@tf.function
def first_negative(x):
    found = tf.constant(False)
    for _ in tf.range(5):
        x = x - 1.0
        found = tf.reduce_any(x < 0)
        if found:
            break  # a `return` inside a `tf.range` loop is not supported either
    return tf.where(found, x, x * 2.0)


@tf.function
def settle(x):
    return tf.where(x > 10.0, x, x * 2.0)  # no early exit needed


@tf.function
def warmup(x, steps=3):
    for step in range(5):
        if step >= steps:
            break  # a Python condition: decided while tracing
        x = x * 0.5
    return x


@tf.function
def optional(x, bias=None):
    for _ in range(3):
        if bias is None:
            break  # an identity test is a Python decision
        x = x + bias
    return x


@tf.function
def shrink(x, n):
    for _ in range(n):  # `n` passed as a tensor: AutoGraph makes this a tf.range loop
        x = x - 1.0
        if x < 0:
            break
    return x


if __name__ == "__main__":
    x = tf.constant(3.0)
    print("countdown:", countdown(x).numpy(), "first_negative:", first_negative(x).numpy())
    print("settle:", settle(x).numpy(), "warmup:", warmup(x).numpy())
    print("optional:", optional(x).numpy(), "shrink:", shrink(x, tf.constant(5)).numpy())
