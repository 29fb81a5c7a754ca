"""TF408 fixed: assign each TensorArray update back to the name."""

import tensorflow as tf


@tf.function
def squares(n):
    squares = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in tf.range(n):
        squares = squares.write(i, tf.cast(i * i, tf.float32))
    return squares.stack()


@tf.function
def reversed_rows(x):
    rows = tf.TensorArray(x.dtype, size=tf.shape(x)[0])
    rows = rows.unstack(x)
    return rows.gather(tf.range(tf.shape(x)[0] - 1, -1, -1))


def collect(values, steps):
    out = tf.TensorArray(tf.float32, size=steps)
    for step in range(steps):
        out = out.write(step, values[step] * 2.0)
    return out.stack()


@tf.function
def doubled(values):
    return collect(values, 3)


# Look-alikes that must stay quiet: results used, or not a TensorArray.


@tf.function
def pairs(x, log):
    first = tf.TensorArray(tf.float32, size=2).write(0, x).write(1, x * 2.0)  # chained, kept
    more = tf.TensorArray(tf.float32, size=2)
    more = more.scatter([0, 1], tf.stack([x, x]))
    log.write(0, "ignored")  # `log` is not a TensorArray this function made
    return first.stack(), more.stack()


class Recorder:
    def write(self, index, value):
        return index, value


if __name__ == "__main__":
    print(squares(tf.constant(4)).numpy())
    print(reversed_rows(tf.constant([[1.0, 2.0], [3.0, 4.0]])).numpy().tolist())
    print(doubled(tf.constant([1.0, 2.0, 3.0])).numpy())
    print(pairs(tf.constant(1.0), Recorder()))
