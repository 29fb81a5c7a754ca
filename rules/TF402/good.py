"""TF402 fixed: create each tf.function once and reuse it."""

import tensorflow as tf


def square(x):
    return x * x


fast_square = tf.function(square)


@tf.function
def forward(y):
    return y * 2.0


def predict(x):
    return forward(x) + 1.0


def apply_all(xs):
    return [fast_square(x) for x in xs]


def make_step(scale):
    """A factory: the nested tf.function is created once per factory call and returned."""

    @tf.function
    def step(x):
        return x * scale

    return step


class Model(tf.Module):
    def __init__(self):
        super().__init__()
        self.compiled = tf.function(self.forward)  # created once, stored on the object

    def forward(self, x):
        return x + 1.0


if __name__ == "__main__":
    for value in (1.0, 2.0, 3.0):
        predict(tf.constant(value))
    print("traces of forward:", forward.experimental_get_tracing_count())
    apply_all([tf.constant(1.0), tf.constant(2.0)])
    step = make_step(3.0)
    step(tf.constant(1.0))
    Model().compiled(tf.constant(1.0))
