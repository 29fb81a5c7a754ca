"""TF202 fixed: stay in tensors inside graph code; call `.numpy()` on results, eagerly."""

import hashlib

import keras
import numpy as np
import tensorflow as tf


@tf.function
def largest(x):
    return tf.reduce_max(x)


@tf.function
def describe(x):
    return tf.identity(x)


class Rescale(keras.layers.Layer):
    def call(self, inputs):
        peak = keras.ops.max(inputs)
        return inputs / peak


class CountAbove(keras.metrics.Metric):
    def __init__(self, name="count_above", **kwargs):
        super().__init__(name=name, **kwargs)
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        above = tf.reduce_sum(tf.cast(y_pred > 0.5, self.dtype))
        self.count.assign_add(above)

    def result(self):
        return self.count


def incremented(values):
    return tf.data.Dataset.from_tensor_slices(values).map(lambda v: v + 1)


# Look-alikes that must stay quiet: `.numpy()` where the code runs eagerly.


class Counter(tf.Module):
    def __init__(self):
        self.calls = tf.Variable(0)

    @tf.function
    def __call__(self, x):
        self.calls.assign_add(1)
        with tf.init_scope():
            first_trace = self.calls.numpy() == 0  # init_scope: eager, runs once per trace
        return x if first_trace else x + 0.0


@tf.function
def checked(x):
    if tf.executing_eagerly():  # tracing skips this branch; run_functions_eagerly takes it
        tf.debugging.assert_all_finite(tf.constant(x.numpy()), "x has NaN or inf")
    return x * 2.0


def to_python(x):
    return x.numpy().tolist()  # runs eagerly inside tf.py_function


@tf.function
def listed(x):
    return tf.py_function(lambda t: tf.constant(to_python(t)), [x], tf.float32)


@tf.py_function(Tout=tf.string)
def digest(x):
    return hashlib.sha256(x.numpy()).hexdigest()  # the decorator form runs it eagerly too


@tf.function
def fingerprint(x):
    return digest(x)


def shout(text):
    return text.numpy().upper()


shouted = tf.data.Dataset.from_tensor_slices(["a", "b"]).map(
    lambda s: tf.compat.v1.py_function(shout, [s], tf.string)
)


# A script that only ever calls its component eagerly: `.numpy()` reads real values there.
class Peak(keras.layers.Layer):
    def build(self, input_shape):
        self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        self.seen = float(inputs.numpy().max())  # `build` exists: Keras runs this eagerly only
        return inputs * self.gain


class ManualFit(keras.Model):
    def __init__(self):
        super().__init__()
        self.head = keras.layers.Dense(1)
        self.history = []

    def train_step(self, data):
        features, target = data
        loss = keras.ops.mean((self.head(features) - target) ** 2)
        self.history.append(loss.numpy())  # called by name below, never by fit
        return {"loss": loss}


peak = Peak()
peak_output = peak(np.array([[1.0, 3.0]], dtype="float32"))
manual = ManualFit()
manual.train_step((np.ones((2, 2), "float32"), np.zeros((2, 1), "float32")))



# Both NumPy and tensor inputs: the NumPy-only branch never runs while tracing, because a
# traced function's tensor argument is never a NumPy array.
@tf.function
def halved(image):
    small = tf.image.resize(image, (2, 2))
    if isinstance(image, np.ndarray):
        return small.numpy()
    return small

if __name__ == "__main__":
    print(largest(tf.constant([1.0, 2.0])).numpy())
    print(describe(tf.constant([1.0, 2.0])).numpy().tolist())
    print(list(incremented(tf.constant([1, 2])).as_numpy_iterator()))
    model = keras.Sequential([keras.Input((2,)), Rescale(), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", metrics=[CountAbove()])
    model.fit(tf.constant([[0.5, 1.0]]), tf.constant([[1.0, 1.0]]), epochs=1, verbose=0)
    print(Counter()(tf.constant(1.0)).numpy())
    print(checked(tf.constant([1.0, 2.0])).numpy())
    print(listed(tf.constant([1.0, 2.0])).numpy())
    print(fingerprint(tf.constant("abc")).numpy(), list(shouted.as_numpy_iterator()))
    print("peak", peak.seen, "manual loss", manual.history)
    print(halved(np.ones((4, 4, 1), "float32")).shape)
