"""TF304 keras-object-created-in-graph: Keras objects made in graph code make variables per trace."""

import keras
import tensorflow as tf


@tf.function
def project(x):
    return keras.layers.Dense(2)(x)  # expect: TF304


@tf.function
def noisy(x):
    return keras.layers.Dropout(0.2)(x, training=True)  # expect: TF304


@tf.function
def running_mean(x):
    mean = keras.metrics.Mean()  # expect: TF304
    mean.update_state(x)
    return mean.result()


class Head(keras.layers.Layer):
    def call(self, inputs):
        return keras.layers.Dense(2)(inputs)  # expect: TF304


def cause(error):
    """The line of a (possibly Keras-wrapped) error message that says what went wrong."""
    lines = str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").splitlines()
    return next(line.strip() for line in lines if "singleton" in line)


if __name__ == "__main__":
    x = tf.ones((4, 3))
    for function in (project, noisy, running_mean):
        try:
            function(x)
        except ValueError as error:
            print(f"{function.__name__}: {cause(error)}")
    head = Head()
    print("eagerly Head runs, with", len(head.weights), "weights:", head(x).shape)
    model = keras.Sequential([keras.Input((3,)), Head()])
    model.compile(optimizer="sgd", loss="mse")
    try:
        model.fit(x, tf.ones((4, 2)), epochs=1, verbose=0)
    except ValueError as error:
        print(f"Head in fit: {cause(error)}")
