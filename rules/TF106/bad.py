"""TF106 python-attribute-state: `self.<attr>` updated in graph code changes once per trace."""

import keras
import numpy as np
import tensorflow as tf


class CountingLayer(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = 0

    def call(self, inputs):
        self.calls += 1  # expect: TF106
        return inputs * 2.0


class SumMetric(keras.metrics.Metric):
    def __init__(self, name="prediction_sum", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total = self.total + tf.reduce_sum(y_pred)  # expect: TF106

    def result(self):
        return tf.convert_to_tensor(self.total)

    def reset_state(self):
        self.total = 0.0


class StepCounter(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)
        self.steps = 0

    def call(self, inputs):
        return self.dense(inputs)

    def train_step(self, data):
        self.steps += 1  # expect: TF106
        return super().train_step(data)


class CachedScale(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scale = None

    def call(self, inputs):
        if self.scale is None:
            self.scale = tf.ones_like(inputs[0]) * 2.0  # expect: TF106
        return inputs * self.scale


class Accumulator(tf.Module):
    def __init__(self):
        self.v = tf.Variable(0.0)
        self.n = 0
        self.last = None

    @tf.function
    def __call__(self, x):
        self.n += 1  # expect: TF106
        self.v = self.v + tf.reduce_sum(x)  # expect: TF106
        self.remember(x)
        return self.v

    def remember(self, x):
        self.last = x  # expect: TF106


class StreamingHuber(keras.metrics.Metric):
    """Broken twin of fixtures/components/metrics.py StreamingHuber: Python attributes
    instead of metric variables."""

    def __init__(self, name="streaming_huber", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = 0.0
        self.count = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = keras.losses.huber(y_true, y_pred)
        self.total += keras.ops.sum(values)  # expect: TF106
        self.count += keras.ops.cast(keras.ops.shape(values)[0], "float32")  # expect: TF106

    def result(self):
        return self.total / self.count

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0


if __name__ == "__main__":
    x, y = np.ones((32, 2), "float32"), np.ones((32, 1), "float32")
    counting = keras.Sequential([keras.Input((2,)), CountingLayer(), keras.layers.Dense(1)])
    counting.compile("sgd", "mse")
    counting.fit(x, y, batch_size=8, epochs=2, verbose=0)
    print("CountingLayer.calls after 8 steps:", counting.layers[0].calls)  # 2
    metric = SumMetric()
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=[metric])
    print("metric history:", model.fit(x, y, batch_size=8, verbose=0).history["prediction_sum"])
    steps = StepCounter()
    steps.compile("sgd", "mse")
    steps.fit(x, y, batch_size=8, epochs=2, verbose=0)
    print("StepCounter.steps after 8 steps:", steps.steps)  # 2
    cached = keras.Sequential([keras.Input((2,)), CachedScale()])
    try:
        cached.predict(x, verbose=0)
    except TypeError as error:
        print("TypeError:", str(error).splitlines()[0])
    accumulator = Accumulator()
    accumulator(tf.constant([1.0, 2.0]))
    accumulator(tf.constant([1.0, 2.0]))
    print("n:", accumulator.n, "v:", accumulator.v, "last:", accumulator.last)  # n 1, tensors
