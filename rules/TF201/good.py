"""TF201 fixed: TensorFlow ops on tensors; NumPy only on Python values, shapes and in eager code."""

import keras
import numpy as np
import tensorflow as tf
import tensorflow.experimental.numpy as tnp


@tf.function
def total_energy(x):
    squared = tf.square(x)
    return tf.reduce_sum(squared)


@tf.function(reduce_retracing=True)
def clip_unit(x):
    return tf.clip_by_value(x, 0.0, 1.0)


@tf.function
def relu(x):
    return tf.where(x > 0.0, x, 0.0)


def center(x):
    return x - tf.reduce_mean(x)


@tf.function
def standardize(x):
    return center(x) / tf.math.reduce_std(x)


class Exponential(keras.layers.Layer):
    def call(self, inputs):
        return keras.ops.exp(inputs)


class LogCosh(keras.losses.Loss):
    def call(self, y_true, y_pred):
        error = y_pred - y_true
        return tf.reduce_mean(tf.math.log(tf.cosh(error)), axis=-1)


class MeanAbsoluteError(keras.metrics.Metric):
    def __init__(self, name="mean_absolute_error", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_weight(name="total", initializer="zeros")
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = tf.abs(y_true - y_pred)
        self.total.assign_add(tf.reduce_sum(errors))
        self.count.assign_add(tf.cast(tf.size(errors), self.dtype))

    def result(self):
        return self.total / self.count


def square_roots(values):
    return tf.data.Dataset.from_tensor_slices(values).map(lambda v: tf.sqrt(v))


# Look-alikes that must stay quiet: NumPy on Python values, dtypes and static shapes.


@tf.function
def scaled_flatten(x):
    features = np.prod(x.shape[1:])  # static shape: a Python int at trace time
    flat = tf.reshape(x, [-1, features])
    return flat / np.sqrt(2) * np.pi


@tf.function
def add_axis(x):
    return tf.cast(x[:, np.newaxis], np.float32) * np.float32(0.5)


class Gaussian(keras.layers.Layer):
    def __init__(self, sigma=1.0, **kwargs):
        super().__init__(**kwargs)
        self.sigma = sigma

    def call(self, inputs):
        kernel = gaussian_kernel(self.sigma, 5)  # Python values in, a NumPy array out
        return tf.nn.conv1d(inputs, kernel.reshape(5, 1, 1).astype("float32"), 1, "SAME")


def gaussian_kernel(sigma, size):
    positions = np.arange(size) - size // 2
    kernel = np.exp(-(positions**2) / (2 * sigma**2))
    return kernel / np.sum(kernel)


def sort_rows(values):
    return np.sort(values, axis=-1)  # runs eagerly inside tf.numpy_function


def describe(values):
    return np.float32(np.median(values.numpy()))  # runs eagerly inside tf.py_function


@tf.function
def sorted_with_median(x):
    ordered = tf.numpy_function(sort_rows, [x], tf.float32)
    median = tf.py_function(describe, [x], tf.float32)
    return ordered, median


@tf.function
def with_tnp(x):
    return tnp.exp(x)  # tf.experimental.numpy is TensorFlow, not NumPy


def summarize(history):
    return float(np.mean(history))  # eager helper, never called from graph code



# A function tf.nest.map_structure runs gets one leaf of each structure: here dtypes, Python
# values while tracing, so NumPy may build arrays of them.
def wider(first, second):
    return (np.zeros([1], first) + np.zeros([1], second)).dtype


@tf.function
def promoted(x, y):
    left, right = {"a": x.dtype.as_numpy_dtype}, {"a": y.dtype.as_numpy_dtype}
    common = tf.nest.map_structure(wider, left, right)
    return tf.cast(x, common["a"]) + tf.cast(y, common["a"])


# An array built with NumPy while tracing and converted to a tensor at the end: NumPy runs on
# the array (a Python value) before the conversion rebinds the name.
@tf.function
def repeated_rows(x):
    multiples = np.ones(len(x.shape), dtype="int32")
    multiples[0] = 3
    multiples = np.delete(multiples, 1)
    multiples = tf.constant(multiples)
    return tf.tile(tf.reduce_sum(x, 1), multiples)

if __name__ == "__main__":
    print(total_energy(tf.constant([1.0, 2.0])).numpy())
    print(clip_unit(tf.constant([-1.0, 2.0])).numpy())
    print(relu(tf.constant([-1.0, 2.0])).numpy())
    print(standardize(tf.constant([1.0, 2.0])).numpy())
    print(list(square_roots(tf.constant([1.0, 4.0])).as_numpy_iterator()))
    print(scaled_flatten(tf.constant([[1.0, 2.0]])).numpy())
    print(add_axis(tf.constant([1, 2])).numpy())
    print(sorted_with_median(tf.constant([[2.0, 1.0, 3.0]])))
    print(with_tnp(tf.constant([0.0, 1.0])).numpy())
    model = keras.Sequential([keras.Input((2,)), Exponential()])
    model.compile(optimizer="sgd", loss=LogCosh(), metrics=[MeanAbsoluteError()])
    model.fit(tf.constant([[0.5, 1.0]]), tf.constant([[1.0, 1.0]]), epochs=1, verbose=0)
    smooth = keras.Sequential([keras.Input((8, 1)), Gaussian()])
    print(smooth.predict(tf.ones((1, 8, 1)), verbose=0).shape)
    print(summarize([0.5, 0.25]))
    print(repeated_rows(tf.ones((2, 3))).shape)
    print(promoted(tf.constant([1], tf.int32), tf.constant([0.5])).numpy())
