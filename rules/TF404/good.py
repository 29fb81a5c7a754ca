"""TF404 fixed: a `tf.TensorArray` carries one value per iteration out of a `tf.while_loop`."""

import tensorflow as tf


@tf.function
def powers(x, n):
    out = tf.TensorArray(tf.float32, size=n)
    for i in tf.range(n):
        out = out.write(i, x ** tf.cast(i, tf.float32))
    return out.stack()


@tf.function
def doubled(dataset):
    total = tf.constant(0, tf.int64)
    for element in dataset:
        total += element * 2  # a tensor carried by the loop, not a list
    return total


@tf.function
def unrolled(x):
    out = []
    for i in range(3):  # a Python loop: three real appends while tracing
        out.append(x * i)
    return tf.stack(out)


@tf.function
def per_step(x, n):
    total = tf.zeros_like(x)
    for _ in tf.range(n):
        parts = []  # a fresh list every iteration, used inside it
        parts.append(x)
        parts.append(x * 2.0)
        total += tf.add_n(parts)
    return total


@tf.function
def latest(x):
    slot = [x]
    for i in tf.range(3):
        slot[0] = x * tf.cast(i, tf.float32)  # a constant index: AutoGraph carries the list
    return slot[0]


@tf.function
def by_name(x):
    state = {}
    for i in tf.range(3):
        state["last"] = x * tf.cast(i, tf.float32)  # a dict entry is carried the same way
    return state["last"]


if __name__ == "__main__":
    x = tf.constant(2.0)
    print("powers:", powers(x, tf.constant(3)).numpy())
    print("doubled:", doubled(tf.data.Dataset.range(3)).numpy())
    print("unrolled:", unrolled(x).numpy())
    print("per_step:", per_step(x, tf.constant(2)).numpy())
    print("latest:", latest(x).numpy(), "by_name:", by_name(x).numpy())
