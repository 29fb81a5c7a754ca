"""TF303 fixed: `get_config` returns every constructor parameter, so reloading restores them."""

import tempfile
from pathlib import Path

import keras
import tensorflow as tf
from keras.src.losses.losses import LossFunctionWrapper


@keras.saving.register_keras_serializable(package="tf303_good")
class ScaledHuber(keras.losses.Loss):
    def __init__(self, delta=1.0, name="scaled_huber", **kwargs):
        super().__init__(name=name, **kwargs)
        self.delta = delta

    def call(self, y_true, y_pred):
        return keras.losses.huber(y_true, y_pred, delta=self.delta)

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}


@keras.saving.register_keras_serializable(package="tf303_good")
class AboveThreshold(tf.keras.metrics.Metric):
    def __init__(self, threshold=0.5, name="above_threshold", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.threshold = threshold
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.count.assign_add(tf.reduce_sum(tf.cast(y_pred > self.threshold, self.dtype)))

    def result(self):
        return self.count

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


@keras.saving.register_keras_serializable(package="tf303_good")
class StrictAbove(AboveThreshold):
    def __init__(self, threshold=0.9, name="strict_above", dtype=None):
        super().__init__(threshold=threshold, name=name, dtype=dtype)  # the base saves it


# Look-alikes that must stay quiet: only base parameters, or a base whose get_config saves them.


@keras.saving.register_keras_serializable(package="tf303_good")
class MeanLogError(keras.losses.Loss):
    def __init__(self, name="mean_log_error", reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        return tf.reduce_mean(tf.math.log1p(tf.abs(y_true - y_pred)), axis=-1)


@keras.saving.register_keras_serializable(package="tf303_good")
class SmoothCrossentropy(keras.losses.BinaryCrossentropy):
    def __init__(self, label_smoothing=0.1, name="smooth_crossentropy", **kwargs):
        super().__init__(label_smoothing=label_smoothing, name=name, **kwargs)  # the base saves it


@keras.saving.register_keras_serializable(package="tf303_good")
def scaled_absolute_error(y_true, y_pred, scale=1.0):
    return scale * tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)


@keras.saving.register_keras_serializable(package="tf303_good")
class ScaledAbsoluteError(LossFunctionWrapper):
    def __init__(self, scale=1.0, name="scaled_absolute_error"):
        super().__init__(scaled_absolute_error, name=name, scale=scale)


@keras.saving.register_keras_serializable(package="tf303_good")
class ScaledAccuracy(keras.metrics.MeanMetricWrapper):
    def __init__(self, scale=1.0, name="scaled_accuracy", dtype=None):
        super().__init__(scaled_absolute_error, name=name, dtype=dtype, scale=scale)


def round_trip(model):
    path = Path(tempfile.mkdtemp()) / "model.keras"
    model.save(path)
    return keras.models.load_model(path)


class _ThresholdBase(keras.metrics.Metric):
    """An abstract base, like Keras' own `_IoUBase`: the subclasses users instantiate save
    the parameters in their get_config."""

    def __init__(self, threshold=0.5, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.threshold = threshold


class CountAbove(_ThresholdBase):
    def __init__(self, threshold=0.5, name="count_above", dtype=None):
        super().__init__(threshold=threshold, name=name, dtype=dtype)
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.count.assign_add(tf.reduce_sum(tf.cast(y_pred > self.threshold, self.dtype)))

    def result(self):
        return self.count

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


if __name__ == "__main__":
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss=ScaledHuber(delta=2.0), metrics=[AboveThreshold(0.9)])
    model.fit(tf.ones((4, 1)), tf.ones((4, 1)), epochs=1, verbose=0)
    print("delta:", model.loss.delta, "->", round_trip(model).loss.delta)  # 2.0 -> 2.0
    for cls, name, value in (
        (AboveThreshold, "threshold", 0.9),
        (StrictAbove, "threshold", 0.95),
        (SmoothCrossentropy, "label_smoothing", 0.3),
    ):
        restored = cls.from_config(cls(**{name: value}).get_config())
        print(f"{cls.__name__} {name}: {value} ->", restored.get_config()[name])
    for cls in (ScaledAbsoluteError, ScaledAccuracy):
        print(f"{cls.__name__}(scale=3.0) saves scale =", cls(scale=3.0).get_config()["scale"])
    print(MeanLogError.from_config(MeanLogError(name="mle").get_config()).name)
