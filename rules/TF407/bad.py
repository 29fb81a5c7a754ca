"""TF407 run-eagerly-enabled: every training step runs as plain Python."""

import keras
import numpy as np
import tensorflow as tf


def build_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)  # expect: TF407
    return model


def debug_everything():
    tf.config.run_functions_eagerly(True)  # expect: TF407


def switch_to_eager(model):
    model.run_eagerly = True  # expect: TF407


if __name__ == "__main__":
    model = build_model()
    print("run_eagerly:", model.run_eagerly)
    switch_to_eager(model)
    model.fit(np.ones((8, 4), "float32"), np.ones((8, 1), "float32"), epochs=1, verbose=0)
