"""TF408 tensorarray-write-discarded: in a graph, a TensorArray update returns a new array."""

import tensorflow as tf


@tf.function
def squares(n):
    squares = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in tf.range(n):
        squares.write(i, tf.cast(i * i, tf.float32))  # expect: TF408
    return squares.stack()


@tf.function
def reversed_rows(x):
    rows = tf.TensorArray(x.dtype, size=tf.shape(x)[0])
    rows.unstack(x)  # expect: TF408
    return rows.gather(tf.range(tf.shape(x)[0] - 1, -1, -1))


def collect(values, steps):
    out = tf.TensorArray(tf.float32, size=steps)
    for step in range(steps):
        out.write(step, values[step] * 2.0)  # expect: TF408
    return out.stack()


@tf.function
def doubled(values):
    return collect(values, 3)


if __name__ == "__main__":
    print("eagerly the writes land:", squares.python_function(tf.constant(4)).numpy())
    print("squares(4) as a graph:", squares(tf.constant(4)).numpy())  # []
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    print("reversed_rows as a graph:", reversed_rows(x).numpy().tolist())  # zeros
    print("doubled as a graph:", doubled(tf.constant([1.0, 2.0, 3.0])).numpy())  # zeros
