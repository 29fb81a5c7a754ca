"""TF205 batch-dim-from-static-shape: `x.shape[0]` is None when the batch size is not fixed."""

import tensorflow as tf

BATCHES = [tf.TensorSpec([None, 3], tf.float32)]


@tf.function(input_signature=BATCHES)
def padded(x):
    return tf.concat([x, tf.zeros([x.shape[0], 1])], axis=1)  # expect: TF205


@tf.function(input_signature=BATCHES)
def mean_row(x):
    return tf.reduce_sum(x, axis=0) / x.shape[0]  # expect: TF205


@tf.function(input_signature=BATCHES)
def positions(x):
    batch = x.shape[0]
    return tf.range(batch)  # expect: TF205


@tf.function(input_signature=BATCHES)
def flattened(x):
    rows, columns = x.shape
    return tf.reshape(x, [rows * columns])  # expect: TF205


def noise_like(x):
    return tf.random.normal([x.shape[0], 3])  # expect: TF205


@tf.function(input_signature=BATCHES)
def jittered(x):
    return x + noise_like(x)


def cause(error):
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1][:100]


if __name__ == "__main__":
    x = tf.ones([4, 3])
    for function in (padded, mean_row, positions, flattened, jittered):
        print(f"{function.__name__} eagerly:", function.python_function(x).shape)
        try:
            function(x)
        except (TypeError, ValueError) as error:
            print(f"{function.__name__} traced: {type(error).__name__}: {cause(error)}")
