"""TF502 branch-only-variable: AutoGraph turns an `if` on a tensor into `tf.cond`, whose
branches must both produce every name the code reads after the `if`."""

import tensorflow as tf


@tf.function
def scaled(x):
    if tf.reduce_sum(x) > 0:  # expect: TF502
        factor = 2.0
    return x * factor


@tf.function
def clipped(x):
    peak = tf.reduce_max(x)
    if peak > 10.0:  # expect: TF502
        pass
    else:
        result = x
    return result


@tf.function
def bucket(x):
    total = tf.reduce_sum(x)
    if total > 100.0:
        label = tf.constant("large")
    elif total > 10.0:  # expect: TF502
        label = tf.constant("medium")
    return label


if __name__ == "__main__":
    data = tf.constant([1.0, 2.0])
    for function in (scaled, clipped, bucket):
        try:
            function(data)
        except ValueError as error:
            print(f"{function.__name__}: {str(error).splitlines()[-1].strip()}")
    print("eagerly, scaled's body works:", scaled.python_function(data).numpy())
