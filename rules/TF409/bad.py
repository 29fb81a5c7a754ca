"""TF409 raise-in-tensor-branch: AutoGraph traces both branches of an `if` on a tensor."""

import tensorflow as tf


@tf.function
def safe_log(x):
    if tf.reduce_any(x <= 0.0):
        raise ValueError("safe_log needs positive values")  # expect: TF409
    return tf.math.log(x)


@tf.function
def checked_ratio(num, den):
    if tf.reduce_all(den != 0.0):
        ratio = num / den
    else:
        raise ValueError("den has zeros")  # expect: TF409
    return ratio


def require_batch(x, size):
    if tf.shape(x)[0] != size:
        raise ValueError("wrong batch size")  # expect: TF409
    return x


@tf.function
def first_rows(x):
    return require_batch(x, 2)[:, 0]


if __name__ == "__main__":
    x = tf.constant([1.0, 2.0])
    print("eagerly the checks pass:", safe_log.python_function(x).numpy())
    calls = (
        ("safe_log", lambda: safe_log(x)),
        ("checked_ratio", lambda: checked_ratio(x, x)),
        ("first_rows", lambda: first_rows(tf.ones((2, 3)))),
    )
    for name, call in calls:
        try:
            call()  # positive values, no zeros, the right size: it raises anyway
        except ValueError as error:
            print(f"{name}: {type(error).__name__}: {str(error).splitlines()[-1].strip()}")
