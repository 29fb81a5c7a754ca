"""TF202 tensor-numpy-in-graph: symbolic tensors have no `.numpy()`."""

import keras
import tensorflow as tf


@tf.function
def largest(x):
    return float(x.numpy().max())  # expect: TF202


def as_python(x):
    return x.numpy().tolist()  # expect: TF202


@tf.function
def describe(x):
    return as_python(x)


class Rescale(keras.layers.Layer):
    def call(self, inputs):
        peak = inputs.numpy().max()  # expect: TF202
        return inputs / peak


class CountAbove(keras.metrics.Metric):
    def __init__(self, name="count_above", **kwargs):
        super().__init__(name=name, **kwargs)
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        above = (y_pred.numpy() > 0.5).sum()  # expect: TF202
        self.count.assign_add(float(above))

    def result(self):
        return self.count


def incremented(values):
    return tf.data.Dataset.from_tensor_slices(values).map(lambda v: v.numpy() + 1)  # expect: TF202


def cause(error):
    """The line of a (possibly Keras-wrapped) error message that says what went wrong."""
    lines = str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").splitlines()
    return next(line.strip() for line in lines if "has no attribute" in line)


if __name__ == "__main__":
    for function in (largest, describe):
        try:
            function(tf.constant([1.0, 2.0]))
        except AttributeError as error:
            print(f"{function.__name__}: {cause(error)}")
    try:
        incremented(tf.constant([1, 2]))
    except AttributeError as error:
        print(f"incremented: {cause(error)}")
    print("eagerly the layer works:", Rescale()(tf.constant([[1.0, 2.0]])).numpy())
    try:
        keras.Sequential([keras.Input((2,)), Rescale()])
    except AttributeError as error:
        print(f"Rescale in a model: {cause(error)}")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", metrics=[CountAbove()])
    try:
        model.fit(tf.constant([[0.5, 1.0]]), tf.constant([[1.0, 1.0]]), epochs=1, verbose=0)
    except AttributeError as error:
        print(f"CountAbove in fit: {cause(error)}")
