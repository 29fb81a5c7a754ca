"""TF206 fixed: train, predict, save and iterate as NumPy outside graph code."""

import os
import tempfile

import keras
import tensorflow as tf

WEIGHTS = os.path.join(tempfile.gettempdir(), "tf206.weights.h5")
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")


@tf.function
def scores(x):
    return model(x)  # the model is callable in graph code


def train(x, y):
    model.fit(x, y, epochs=1, verbose=0)
    model.save_weights(WEIGHTS)
    return scores(x)


@tf.function
def first_batch(x):
    batches = tf.data.Dataset.from_tensor_slices(x).batch(2)
    return next(iter(batches))  # a tf.data iterator: iterates in graph code


class Distilled(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.head = keras.layers.Dense(1)

    def call(self, inputs):
        return self.head(inputs)

    def train_step(self, data):
        x, _ = data
        target = self(x, training=False)
        return {"target": keras.ops.mean(target)}


# Look-alikes that must stay quiet.


class Ensemble(keras.Model):
    """Defines its own `predict`: calling it from graph code is calling this method."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.head = keras.layers.Dense(1)

    def predict(self, x, verbose=0):
        return self.head(x) * 0.5

    def call(self, inputs):
        return self.predict(inputs)


class Scaler:
    def fit(self, x):
        return tf.reduce_mean(x)


@tf.function
def standardised(x, scaler):
    mean = scaler.fit(x)  # not a Keras model: nothing says it needs eager values
    return x - mean


@tf.function
def one_step(x, y):
    return model.train_on_batch(x, y)  # runs in a tf.function (observed on TF 2.21)


if __name__ == "__main__":
    x, y = tf.ones((4, 3)), tf.ones((4, 1))
    print(train(x, y).shape, first_batch(x).shape, float(one_step(x, y)))
    distilled = Distilled()
    distilled.compile(optimizer="sgd", loss="mse")
    distilled.fit(x, y, epochs=1, verbose=0)
    print(Ensemble()(x).shape, float(tf.reduce_sum(standardised(x, Scaler()))))
    print(list(tf.data.Dataset.range(3).as_numpy_iterator()))  # eager code: fine
