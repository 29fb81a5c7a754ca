"""TF407 fixed: let Keras compile the step into a graph; keep eager mode for debugging."""

import keras
import numpy as np
import tensorflow as tf


def build_model(debug=False):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=debug)  # a switch, off by default
    return model


def trace_free_when_asked(options):
    """Eager mode switched on only behind an explicit debugging flag, as TF407 recommends."""
    if options.debug_eager:
        tf.config.run_functions_eagerly(True)


def configure(model, debug=False):
    if debug:
        model.run_eagerly = True
    return model


def restore_graph_mode():
    tf.config.run_functions_eagerly(False)


if __name__ == "__main__":
    model = build_model()
    print("run_eagerly:", model.run_eagerly)
    model.fit(np.ones((8, 4), "float32"), np.ones((8, 1), "float32"), epochs=1, verbose=0)
    restore_graph_mode()
