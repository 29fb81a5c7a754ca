"""TF401 fixed: pass tensors, or pin the signature, so one trace serves every call."""

import tensorflow as tf


@tf.function
def train_step(x, step):
    return x * tf.cast(step, tf.float32)


@tf.function(input_signature=[tf.TensorSpec([None], tf.float32), tf.TensorSpec([], tf.int32)])
def scale(x, factor):
    return x * tf.cast(factor, tf.float32)


@tf.function
def forward(x, training):
    return x * 0.5 if training else x


def run(dataset, x):
    for step, batch in enumerate(dataset):
        train_step(batch, tf.constant(step))  # a tensor: same trace every step
    for factor in range(3):
        scale(x, factor)  # input_signature converts the int to a tensor
    for batch in dataset:
        train_step(batch, tf.constant(0))  # tensors from the dataset
    for _ in range(3):
        forward(x, training=True)  # a constant flag: one trace
    for layer_size in (16, 32):
        print("planning a layer of", layer_size)  # not a tf.function call


if __name__ == "__main__":
    x = tf.constant([1.0, 2.0])
    for i in range(5):
        train_step(x, tf.constant(i))
    print("traces of train_step:", train_step.experimental_get_tracing_count())
    run(tf.data.Dataset.from_tensor_slices(tf.ones([4, 2])), x)
