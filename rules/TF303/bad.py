"""TF303 config-lost-on-save: a saved model reloads a configurable loss/metric with defaults."""

import tempfile
from pathlib import Path

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tf303_bad")
class ScaledHuber(keras.losses.Loss):  # expect: TF303
    def __init__(self, delta=1.0, name="scaled_huber", **kwargs):
        super().__init__(name=name, **kwargs)
        self.delta = delta

    def call(self, y_true, y_pred):
        return keras.losses.huber(y_true, y_pred, delta=self.delta)


@keras.saving.register_keras_serializable(package="tf303_bad")
class AboveThreshold(tf.keras.metrics.Metric):  # expect: TF303
    def __init__(self, threshold=0.5, name="above_threshold", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.threshold = threshold
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.count.assign_add(tf.reduce_sum(tf.cast(y_pred > self.threshold, self.dtype)))

    def result(self):
        return self.count


@keras.saving.register_keras_serializable(package="tf303_bad")
class SmoothedCrossentropy(keras.losses.BinaryCrossentropy):  # expect: TF303
    def __init__(self, smoothing=0.1, from_logits=False, name="smoothed_crossentropy", **kwargs):
        super().__init__(from_logits=from_logits, name=name, **kwargs)
        self.smoothing = smoothing

    def call(self, y_true, y_pred):
        y_true = y_true * (1.0 - self.smoothing) + 0.5 * self.smoothing
        return super().call(y_true, y_pred)


@keras.saving.register_keras_serializable(package="tf303_bad")
class StrictHuber(keras.losses.Huber):  # expect: TF303
    def __init__(self, delta=0.5, name="strict_huber", **kwargs):
        super().__init__(delta=delta, name=name, **kwargs)  # Huber's get_config drops delta


@keras.saving.register_keras_serializable(package="tf303_bad")
class PenalizedMSE(keras.losses.Loss):  # expect: TF303
    """No `**kwargs`: the saved config's `reduction` is not a parameter, so loading fails."""

    def __init__(self, penalty=0.1, name="penalized_mse"):
        super().__init__(name=name)
        self.penalty = penalty

    def call(self, y_true, y_pred):
        error = keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)
        return error + self.penalty * keras.ops.mean(keras.ops.square(y_pred), axis=-1)


def round_trip(model):
    path = Path(tempfile.mkdtemp()) / "model.keras"
    model.save(path)
    return keras.models.load_model(path)


class HuberLoss(keras.losses.Loss):  # expect: TF303
    """Broken twin of fixtures/components/losses.py HuberLoss: no get_config, so a saved
    model reloads it with delta=1.0, silently."""

    def __init__(self, delta=1.0, name="huber_loss", reduction="sum_over_batch_size"):
        super().__init__(name=name, reduction=reduction)
        self.delta = delta

    def call(self, y_true, y_pred):
        error = keras.ops.abs(y_pred - keras.ops.cast(y_true, y_pred.dtype))
        quadratic = 0.5 * keras.ops.square(error)
        linear = self.delta * error - 0.5 * self.delta**2
        return keras.ops.mean(keras.ops.where(error <= self.delta, quadratic, linear), axis=-1)


if __name__ == "__main__":
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss=ScaledHuber(delta=2.0), metrics=[AboveThreshold(0.9)])
    model.fit(tf.ones((4, 1)), tf.ones((4, 1)), epochs=1, verbose=0)
    print("delta:", model.loss.delta, "->", round_trip(model).loss.delta)  # 2.0 -> 1.0
    metric = AboveThreshold.from_config(AboveThreshold(threshold=0.9).get_config())
    print("threshold: 0.9 ->", metric.threshold)  # 0.5
    loss = SmoothedCrossentropy.from_config(SmoothedCrossentropy(smoothing=0.3).get_config())
    print("smoothing: 0.3 ->", loss.smoothing)  # 0.1
    loss = StrictHuber.from_config(StrictHuber(delta=0.25).get_config())
    print("StrictHuber delta: 0.25 ->", loss._fn_kwargs["delta"])  # 0.5
    model.compile(optimizer="sgd", loss=PenalizedMSE(penalty=0.5))
    try:
        round_trip(model)
    except TypeError as error:  # could not be deserialized ... unexpected keyword 'reduction'
        print("PenalizedMSE:", str(error).splitlines()[0][:60], "|", str(error).splitlines()[-1])
