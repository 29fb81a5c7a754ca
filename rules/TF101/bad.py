"""TF101 print-in-graph: `print` runs while TensorFlow traces, not on every call."""

import keras
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


@tf.function
def shifted(x, offset):
    # The f-string is formatted once, while tracing: every call would show the same
    # `x = Tensor("x:0", ...)`. The fix passes x and offset to tf.print as arguments.
    print(f"x = {x}, offset = {offset}")  # expect: TF101
    return x + offset


# Broken twin of fixtures/components/training_loop.py: a custom training step that prints.
model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
optimizer = keras.optimizers.Adam(1e-2)
loss_fn = keras.losses.Huber()


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply(gradients, model.trainable_variables)
    print("loss:", loss)  # expect: TF101
    return loss


if __name__ == "__main__":
    for value in (1.0, 2.0, 3.0):
        scale(tf.constant(value))  # prints once (at the first trace), not three times
    pipeline(tf.constant([1.0, 2.0]))
    list(dataset)
    for value in (1.0, 2.0):
        shifted(tf.constant(value), tf.constant(0.5))
