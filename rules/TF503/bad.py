"""TF503 tensor-break-in-python-loop: a Python loop cannot stop on a tensor condition."""

import tensorflow as tf


@tf.function
def countdown(x):
    for _ in range(5):
        x = x - 1.0
        if x < 0:
            break  # expect: TF503
    return x


@tf.function
def first_negative(x):
    for _ in range(5):
        x = x - 1.0
        if tf.reduce_any(x < 0):
            return x  # expect: TF503
    return x * 2.0


@tf.function
def settle(x):
    for _ in range(5):
        if x > 10.0:
            return x  # expect: TF503
        else:
            return x * 2.0  # expect: TF503
    return x


def cause(error):
    """The line of a TensorFlow error message that names the exception."""
    return next(line.strip() for line in str(error).splitlines() if "Error:" in line)


if __name__ == "__main__":
    for function in (countdown, first_negative, settle):
        try:
            function(tf.constant(3.0))
        except (NotImplementedError, ValueError) as error:
            print(f"{function.__name__}: {cause(error)}")
