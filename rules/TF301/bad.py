"""TF301 variable-created-in-graph: a tf.Variable made on every trace."""

import keras
import tensorflow as tf
from tensorflow import Variable


@tf.function
def accumulate(x):
    total = tf.Variable(0.0)  # expect: TF301
    total.assign_add(tf.reduce_sum(x))
    return total.read_value()


def running_max(x):
    best = Variable(tf.zeros_like(x))  # expect: TF301
    return best.assign(tf.maximum(best, x))


@tf.function
def track(x):
    return running_max(x)


@tf.function(jit_compile=False)
def counted(x):
    calls = keras.Variable(0)  # expect: TF301
    calls.assign_add(1)
    return x * tf.cast(calls.value, x.dtype)


@tf.function
def scaled(x):
    with tf.init_scope():
        factor = tf.Variable(2.0)  # expect: TF301
    return x * factor


class Smoothing(keras.layers.Layer):
    def call(self, inputs):
        state = tf.Variable(tf.zeros_like(inputs[0]), trainable=False)  # expect: TF301
        return inputs + state


class Counter(keras.metrics.Metric):
    def update_state(self, y_true, y_pred, sample_weight=None):
        self.seen = tf.Variable(0.0)  # expect: TF301
        self.seen.assign_add(tf.cast(tf.size(y_pred), "float32"))

    def result(self):
        return self.seen


def cause(error):
    """The line of a (possibly Keras-wrapped) error message that says what went wrong."""
    lines = str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").splitlines()
    return next(line.strip() for line in lines if "singleton" in line or "lifted" in line)


if __name__ == "__main__":
    for function in (accumulate, track, counted, scaled):
        try:
            function(tf.constant([1.0, 2.0]))
        except ValueError as error:
            print(f"{function.__name__}: {cause(error)}")
    print("eagerly the layer works:", Smoothing()(tf.constant([[1.0, 2.0]])).numpy())
    try:
        keras.Sequential([keras.Input((2,)), Smoothing()])
    except ValueError as error:
        print(f"Smoothing in a model: {cause(error)}")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", metrics=[Counter()])
    try:
        model.fit(tf.constant([[0.5, 1.0]]), tf.constant([[1.0, 1.0]]), epochs=1, verbose=0)
    except ValueError as error:
        print(f"Counter in fit: {cause(error)}")
