"""Plain Python that nothing traces: a finding here (a false positive) is never confirmed."""

import tensorflow as tf


def report(x):
    print("value:", x)  # a print in eager code
    return x


@tf.function
def step(x):
    return x * 2.0


if __name__ == "__main__":
    report(step(tf.constant([1.0, 2.0])))
