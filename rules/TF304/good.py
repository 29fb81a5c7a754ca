"""TF304 fixed: create Keras objects once (in `__init__`/`build`, or outside the function)."""

import keras
import tensorflow as tf

dense = keras.layers.Dense(2)
dropout = keras.layers.Dropout(0.2)
mean = keras.metrics.Mean()


@tf.function
def project(x):
    return dense(x)


@tf.function
def noisy(x):
    return dropout(x, training=True)


@tf.function
def running_mean(x):
    mean.update_state(x)
    return mean.result()


class Head(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(2)

    def call(self, inputs):
        return self.dense(inputs)


# Look-alikes that must stay quiet.


@tf.function
def activated(x):
    # Layers without variables or seed generators run in a tf.function (observed on TF 2.21).
    x = keras.layers.ReLU()(x)
    x = keras.layers.Flatten()(x)
    return keras.layers.Activation("tanh")(x)


@tf.function
def squared_error(x):
    return keras.losses.MeanSquaredError()(x, tf.zeros_like(x))  # a loss holds no variable


class LazyHead(tf.Module):
    def __init__(self):
        super().__init__()
        self.projection = None

    @tf.function
    def __call__(self, inputs):
        if self.projection is None:  # create-once: only the first trace makes it
            self.projection = keras.layers.Dense(2)
        return self.projection(inputs)


class Scaled(keras.layers.Layer):
    def build(self, input_shape):
        self.scale = keras.layers.Dense(input_shape[-1])  # build runs once

    def call(self, inputs):
        return self.scale(inputs)


def mean_metric(name):
    return keras.metrics.Mean(name=name)


class MetricSet(keras.metrics.Metric):
    """Builds its metrics in `build`, which `update_state` runs once."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.members = None

    def build(self, names):
        self.members = [mean_metric(name) for name in names]

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.members is None:
            self.build(["error"])
        for member in self.members:
            member.update_state(y_pred - y_true)

    def result(self):
        return self.members[0].result()


def make_model():
    # Eager code: building a model is what this function is for.
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Dropout(0.1)])



# An RNN over the module's own cell that creates no variables (a running sum): the wrapper
# and the cell have nothing to create again on each trace.
class RunningSum(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.state_size = units

    def call(self, inputs, states):
        total = inputs + states[0]
        return total, [total]


@tf.function
def cumulative(x):
    cell = RunningSum(x.shape[-1])
    return keras.layers.RNN(cell, return_sequences=True)(x)

if __name__ == "__main__":
    print(cumulative(tf.ones((1, 3, 2))).numpy().tolist())
    x = tf.ones((4, 3))
    print(project(x).shape, noisy(x).shape, float(running_mean(x)))
    print(activated(x).shape, float(squared_error(x)))
    model = keras.Sequential([keras.Input((3,)), Scaled(), Head()])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, tf.ones((4, 2)), epochs=2, verbose=0)
    lazy = LazyHead()
    print(lazy(x).shape, lazy(x).shape, len(lazy.projection.weights), "weights, made once")
    print(len(model.weights), "weights", make_model()(x).shape)
    metric_set = MetricSet()
    metric_set.update_state(tf.zeros((4, 2)), tf.ones((4, 2)))
    print("metric set:", float(metric_set.result()))
