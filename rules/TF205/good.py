"""TF205 fixed: read the batch size with `tf.shape(x)[0]`, a tensor known when the graph runs."""

import keras
import tensorflow as tf

BATCHES = [tf.TensorSpec([None, 3], tf.float32)]


@tf.function(input_signature=BATCHES)
def padded(x):
    return tf.concat([x, tf.zeros([tf.shape(x)[0], 1])], axis=1)


@tf.function(input_signature=BATCHES)
def mean_row(x):
    return tf.reduce_sum(x, axis=0) / tf.cast(tf.shape(x)[0], x.dtype)


@tf.function(input_signature=BATCHES)
def positions(x):
    batch = tf.shape(x)[0]
    return tf.range(batch)


@tf.function(input_signature=BATCHES)
def flattened(x):
    return tf.reshape(x, [-1])


def noise_like(x):
    return tf.random.normal(tf.shape(x))


@tf.function(input_signature=BATCHES)
def jittered(x):
    return x + noise_like(x)


# Look-alikes that must stay quiet.


@tf.function(input_signature=BATCHES)
def checked(x):
    if x.shape[0] is None:  # a static check: None is what it tests for
        batch = tf.shape(x)[0]
    else:
        batch = x.shape[0]
    tf.debugging.assert_equal(tf.shape(x)[0], batch, message=f"batch {x.shape[0]}")
    return tf.zeros([batch, x.shape[-1]])  # the last dimension is fixed by the signature


@tf.function(input_signature=[tf.TensorSpec([8, 3], tf.float32)])
def fixed_batch(x):
    return tf.zeros([x.shape[0], 1])  # the signature fixes the batch at 8


@tf.function
def retraced(x):
    return tf.zeros([x.shape[0], 1])  # no signature: every new batch size is a new trace


class Head(keras.layers.Layer):
    def call(self, inputs):
        if inputs.shape[0] is not None and inputs.shape[0] > 1024:
            raise ValueError(f"batch {inputs.shape[0]} too large")  # static checks, messages
        return inputs * 2.0


class Unrolled(keras.layers.Layer):
    def call(self, inputs):
        if inputs.shape[0] is not None:  # guarded: a Python loop only over a known batch
            return keras.ops.stack([inputs[i] * 2.0 for i in range(inputs.shape[0])])
        return inputs * 2.0


class Recurrent(keras.layers.Layer):
    def call(self, inputs):
        state = tf.zeros([inputs.shape[0], 3])  # the module builds its input with batch_shape
        return inputs + state


def eager_padding(x):
    return tf.zeros([x.shape[0], 1])  # eager code: shapes are always known


if __name__ == "__main__":
    x = tf.ones([4, 3])
    for function in (padded, mean_row, positions, flattened, jittered, checked, retraced):
        print(function.__name__, function(x).shape)
    print(fixed_batch(tf.ones([8, 3])).shape, eager_padding(x).shape)
    model = keras.Sequential([keras.Input((3,)), Head(), Unrolled()])
    print(model(x).shape)
    fixed = keras.Input(batch_shape=(4, 3))
    print(keras.Model(fixed, Recurrent()(fixed))(x).shape)
