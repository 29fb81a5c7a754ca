"""TF401 python-scalar-argument: a Python number that changes on every call retraces."""

import tensorflow as tf


@tf.function
def train_step(x, step):
    return x * tf.cast(step, tf.float32)


@tf.function
def scale(x, factor):
    return x * factor


class Trainer(tf.Module):
    @tf.function
    def update(self, x, epoch):
        return x + epoch

    def fit(self, x, epochs):
        for epoch in range(epochs):
            x = self.update(x, epoch)  # expect: TF401
        return x


def run(dataset):
    for step, batch in enumerate(dataset):
        train_step(batch, step)  # expect: TF401
    for factor in [0.5, 1.0, 2.0]:
        scale(tf.constant(1.0), factor)  # expect: TF401
    count = 0
    while count < 3:
        scale(tf.constant(1.0), count * 2)  # expect: TF401
        count += 1


if __name__ == "__main__":
    x = tf.constant([1.0, 2.0])
    for i in range(5):
        train_step(x, i)  # expect: TF401
    print("traces of train_step:", train_step.experimental_get_tracing_count())
    run(tf.data.Dataset.from_tensor_slices(tf.ones([4, 2])))
    Trainer().fit(x, 3)
