"""TF402 function-created-repeatedly: a new tf.function per call means a new trace per call."""

import tensorflow as tf


def square(x):
    return x * x


def predict(x):
    @tf.function  # expect: TF402
    def forward(y):
        return y * 2.0

    return forward(x) + 1.0


def apply_all(xs):
    return [tf.function(square)(x) for x in xs]  # expect: TF402


def normalise(x):
    return tf.function(lambda t: t / tf.reduce_max(t))(x)  # expect: TF402


if __name__ == "__main__":
    for step in range(3):
        predict(tf.constant(float(step)))  # three calls, three new functions, three traces
    apply_all([tf.constant(1.0), tf.constant(2.0)])
    for _ in range(3):
        normalise(tf.constant([1.0, 2.0]))
