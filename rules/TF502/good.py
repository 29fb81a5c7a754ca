"""TF502 fixed: give the name a value before the `if`, or in every branch."""

import tensorflow as tf


@tf.function
def scaled(x):
    factor = 1.0
    if tf.reduce_sum(x) > 0:
        factor = 2.0
    return x * factor


@tf.function
def clipped(x):
    peak = tf.reduce_max(x)
    if peak > 10.0:
        result = x / peak
    else:
        result = x
    return result


@tf.function
def bucket(x):
    total = tf.reduce_sum(x)
    if total > 100.0:
        label = tf.constant("large")
    elif total > 10.0:
        label = tf.constant("medium")
    else:
        label = tf.constant("small")
    return label


# Look-alikes that must stay quiet.


@tf.function
def early_exit(x):
    if tf.reduce_sum(x) > 0:
        doubled = x * 2.0
        return doubled  # the branch leaves: nothing it sets is read later
    return x


@tf.function
def other_branch_leaves(x):
    if tf.reduce_sum(x) > 0:
        shifted = x + 1.0
    else:
        return x
    return shifted


@tf.function
def scratch(x):
    if tf.reduce_sum(x) > 0:
        unused = x * 2.0  # never read after the `if`
    return x


@tf.function
def reset(x):
    if tf.reduce_sum(x) > 0:
        offset = x
    offset = tf.zeros_like(x)  # assigned again before anything reads it
    return x + offset


@tf.function
def python_flag(x, double=True):
    if double:  # a Python value: a plain Python `if`, no tf.cond
        y = x * 2.0
    return y


@tf.function
def looped(x):
    for _ in tf.range(3):  # a loop: AutoGraph accepts names first set in its body
        last = x * 2.0
    return last


if __name__ == "__main__":
    data = tf.constant([1.0, 2.0])
    for function in (scaled, clipped, bucket, early_exit, other_branch_leaves, scratch, reset):
        print(function.__name__, function(data).numpy())
    print(python_flag(data).numpy(), looped(data).numpy())
