"""TF101 print-in-graph: `print` runs while TensorFlow traces, not on every call."""

import tensorflow as tf


@tf.function
def scale(x):
    print("scaling", x)  # expect: TF101
    return x * 2.0


def describe(x):
    print("shape:", x.shape)  # expect: TF101
    return x


@tf.function
def pipeline(x):
    return describe(scale(x))


dataset = tf.data.Dataset.range(3).map(lambda i: print(i) or i)  # expect: TF101


if __name__ == "__main__":
    for value in (1.0, 2.0, 3.0):
        scale(tf.constant(value))  # prints once (at the first trace), not three times
    pipeline(tf.constant([1.0, 2.0]))
    list(dataset)
