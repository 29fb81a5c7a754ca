"""TF201 numpy-call-in-graph: NumPy functions cannot take the symbolic tensors of a graph."""

import keras
import numpy
import numpy as np
import tensorflow as tf
from numpy import exp


@tf.function
def total_energy(x):
    squared = np.square(x)  # expect: TF201
    return tf.reduce_sum(squared)


@tf.function(reduce_retracing=True)
def clip_unit(x):
    return numpy.clip(x, 0.0, 1.0)  # expect: TF201


@tf.function
def relu(x):
    return np.where(x > 0.0, x, 0.0)  # expect: TF201


def center(x):
    return x - np.mean(x)  # expect: TF201


@tf.function
def standardize(x):
    return center(x) / tf.math.reduce_std(x)


class Exponential(keras.layers.Layer):
    def call(self, inputs):
        return exp(inputs)  # expect: TF201


class LogCosh(keras.losses.Loss):
    def call(self, y_true, y_pred):
        error = y_pred - y_true
        return tf.reduce_mean(np.log(tf.cosh(error)), axis=-1)  # expect: TF201


class MeanAbsoluteError(keras.metrics.Metric):
    def __init__(self, name="mean_absolute_error", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_weight(name="total", initializer="zeros")
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = np.abs(y_true - y_pred)  # expect: TF201
        self.total.assign_add(tf.reduce_sum(errors))
        self.count.assign_add(tf.cast(tf.size(errors), self.dtype))

    def result(self):
        return self.total / self.count


def square_roots(values):
    return tf.data.Dataset.from_tensor_slices(values).map(lambda v: np.sqrt(v))  # expect: TF201


def cause(error):
    """The line of a (possibly Keras-wrapped) error message that says what went wrong."""
    lines = str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").splitlines()
    return next(line.strip() for line in lines if "Cannot convert" in line)


def fit_once(layer, loss, metric):
    model = keras.Sequential([keras.Input((2,)), layer])
    model.compile(optimizer="sgd", loss=loss, metrics=[metric])
    model.fit(tf.constant([[0.5, 1.0]]), tf.constant([[1.0, 1.0]]), epochs=1, verbose=0)


class HuberLoss(keras.losses.Loss):
    """Broken twin of fixtures/components/losses.py HuberLoss (delta 1): NumPy on a tensor."""

    def call(self, y_true, y_pred):
        abs_error = np.abs(y_pred - y_true)  # expect: TF201
        quadratic = 0.5 * keras.ops.square(abs_error)
        linear = abs_error - 0.5
        return keras.ops.mean(keras.ops.where(abs_error <= 1.0, quadratic, linear), axis=-1)


if __name__ == "__main__":
    for function in (total_energy, clip_unit, relu, standardize):
        try:
            function(tf.constant([1.0, 2.0]))
        except NotImplementedError as error:
            print(f"{function.__name__}: {cause(error)}")
    try:
        square_roots(tf.constant([1.0, 4.0]))
    except NotImplementedError as error:
        print(f"square_roots: {cause(error)}")
    try:
        fit_once(Exponential(), LogCosh(), MeanAbsoluteError())
    except NotImplementedError as error:
        print(f"Exponential in fit: {cause(error)}")
    try:
        fit_once(keras.layers.Dense(2), LogCosh(), "mae")
    except NotImplementedError as error:
        print(f"LogCosh in fit: {cause(error)}")
    try:
        fit_once(keras.layers.Dense(2), "mse", MeanAbsoluteError())
    except NotImplementedError as error:
        print(f"MeanAbsoluteError in fit: {cause(error)}")
