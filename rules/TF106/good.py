"""TF106 fixed: per-call state lives in variables updated with `.assign*()`; Python attributes
are set in eager code (`__init__`, `build`, `reset_state`) or hold static, per-trace facts."""

import keras
import numpy as np
import tensorflow as tf


class CountingLayer(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, name="calls")

    def call(self, inputs):
        self.calls.assign_add(1.0)
        return inputs * 2.0


class SumMetric(keras.metrics.Metric):
    def __init__(self, name="prediction_sum", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_weight(name="total", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(tf.reduce_sum(y_pred))

    def result(self):
        return self.total

    def reset_state(self):
        self.total.assign(0.0)


class StepCounter(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)
        self.steps = tf.Variable(0, trainable=False)

    def call(self, inputs):
        return self.dense(inputs)

    def train_step(self, data):
        self.steps.assign_add(1)
        return super().train_step(data)


class Scale(keras.layers.Layer):
    def build(self, input_shape):
        self.units = input_shape[-1]  # build runs once, eagerly: plain attributes are fine
        self.scale = self.add_weight(shape=(self.units,), initializer="ones", name="scale")
        self.built = True

    def call(self, inputs):
        self.input_dim = inputs.shape[-1]  # a static shape: the same on every trace
        return inputs * self.scale


class Accumulator(tf.Module):
    def __init__(self):
        self.v = None
        self.n = tf.Variable(0)

    @tf.function
    def __call__(self, x):
        if self.v is None:
            self.v = tf.Variable(tf.zeros_like(x))  # created once, on the first trace
        self.n.assign_add(1)
        self.v.assign_add(x)
        return self.v.read_value()


class Centered(keras.layers.Layer):
    """Attributes that hold the same thing on every trace: the axes, normalised once per trace
    to a tuple, and the mean, stored and then read back within the same trace."""

    def __init__(self, axes=(1,), **kwargs):
        super().__init__(**kwargs)
        self.axes = list(axes)

    def call(self, inputs):
        self.axes = tuple(self.axes)
        self.mean = tf.reduce_mean(inputs, axis=self.axes, keepdims=True)
        return inputs - self.mean


class Window:
    """Built inside the traced function below: made afresh on every trace, so what its
    constructor stores (a tensor included) is not state carried from one call to the next."""

    def __init__(self, values):
        self.values = values * 2.0


@tf.function
def doubled(values):
    return Window(values).values


class BatchTimer(keras.callbacks.Callback):
    """Callbacks run eagerly, between steps: attributes update on every batch."""

    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


if __name__ == "__main__":
    x, y = np.ones((32, 2), "float32"), np.ones((32, 1), "float32")
    counting = keras.Sequential([keras.Input((2,)), CountingLayer(), keras.layers.Dense(1)])
    counting.compile("sgd", "mse")
    timer = BatchTimer()
    counting.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[timer])
    print("calls:", float(counting.layers[0].calls.numpy()), "batches:", timer.batches)  # 8, 8
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=[SumMetric()])
    print("metric:", model.fit(x, y, batch_size=8, verbose=0).history["prediction_sum"])
    steps = StepCounter()
    steps.compile("sgd", "mse")
    steps.fit(x, y, batch_size=8, epochs=2, verbose=0)
    print("steps:", int(steps.steps.numpy()))  # 8
    scaled = keras.Sequential([keras.Input((2,)), Scale()])
    print(scaled.predict(x, verbose=0)[0])
    centered = keras.Sequential([keras.Input((2,)), Centered()])
    print("centered:", centered.predict(x[:2] * [[1.0, 3.0]], verbose=0)[0])  # [-1.  1.]
    accumulator = Accumulator()
    for _ in range(3):
        accumulator(tf.constant([1.0, 2.0]))
    print("n:", int(accumulator.n.numpy()), "v:", accumulator.v.numpy())  # 3, [3. 6.]
    print("doubled:", doubled(tf.constant([1.0, 2.0])).numpy())  # [2. 4.]
