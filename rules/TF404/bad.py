"""TF404 python-list-in-tensor-loop: a Python list filled inside a `tf.while_loop`."""

import tensorflow as tf


@tf.function
def powers(x, n):
    out = []
    for i in tf.range(n):
        out.append(x ** tf.cast(i, tf.float32))  # expect: TF404
    return tf.stack(out)


@tf.function
def doubled(dataset):
    values = []
    for element in dataset:
        values.append(element * 2)  # expect: TF404
    return tf.add_n(values)


@tf.function
def scattered(x):
    slots = [0.0] * 4
    for i in tf.range(4):
        slots[i] = x * tf.cast(i, tf.float32)  # expect: TF404
    return tf.stack(slots)


def cause(error):
    """The line of a TensorFlow error message that names the exception."""
    return next(line.strip() for line in str(error).splitlines() if "Error" in line or "out of scope" in line)


if __name__ == "__main__":
    for call in (
        lambda: powers(tf.constant(2.0), tf.constant(3)),
        lambda: doubled(tf.data.Dataset.range(3)),
        lambda: scattered(tf.constant(1.0)),
    ):
        try:
            call()
        except (ValueError, TypeError) as error:
            print(type(error).__name__, cause(error))
