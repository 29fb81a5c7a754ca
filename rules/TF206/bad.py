"""TF206 eager-only-api-in-graph: Keras' loops, saving and NumPy iteration need eager values."""

import os
import tempfile

import keras
import tensorflow as tf

WEIGHTS = os.path.join(tempfile.gettempdir(), "tf206.weights.h5")
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")


@tf.function
def train(x, y):
    model.fit(x, y, epochs=1, verbose=0)  # expect: TF206
    return model(x)


@tf.function
def scores(x):
    return model.predict(x, verbose=0)  # expect: TF206


@tf.function
def checkpoint(x):
    model.save_weights(WEIGHTS)  # expect: TF206
    return model(x)


@tf.function
def first_batch(x):
    batches = tf.data.Dataset.from_tensor_slices(x).batch(2)
    return next(batches.as_numpy_iterator())  # expect: TF206


@tf.function
def debug_step(x):
    tf.config.run_functions_eagerly(True)  # expect: TF206, TF407
    return model(x)


class Distilled(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.head = keras.layers.Dense(1)

    def call(self, inputs):
        return self.head(inputs)

    def train_step(self, data):
        x, _ = data
        self.save_weights(WEIGHTS)  # expect: TF206
        return {"mean": keras.ops.mean(self(x))}


def cause(error):
    """The last line of a (possibly Keras-wrapped) error message."""
    lines = str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").splitlines()
    return [line.strip() for line in lines if line.strip()][-1][:110]


if __name__ == "__main__":
    calls = [
        lambda: train(tf.ones((4, 3)), tf.ones((4, 1))),
        lambda: scores(tf.ones((4, 3))),
        lambda: checkpoint(tf.ones((4, 3))),
        lambda: first_batch(tf.ones((4, 3))),
    ]
    for name, call in zip(("train", "scores", "checkpoint", "first_batch"), calls, strict=True):
        try:
            call()
        except Exception as error:
            print(f"{name}: {type(error).__name__}: {cause(error)}")
    debug_step(tf.ones((4, 3)))
    print("after debug_step, functions run eagerly:", tf.config.functions_run_eagerly())
    tf.config.run_functions_eagerly(False)
    distilled = Distilled()
    distilled.compile(optimizer="sgd", loss="mse")
    try:
        distilled.fit(tf.ones((4, 3)), tf.ones((4, 1)), epochs=1, verbose=0)
    except Exception as error:
        print(f"Distilled in fit: {type(error).__name__}: {cause(error)}")
