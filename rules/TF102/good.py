"""TF102 fixed: I/O happens in eager code and values flow into graph code as arguments."""

import logging
import os
import tempfile
import warnings

import keras
import tensorflow as tf

logger = logging.getLogger(__name__)
SCALE = float(os.environ.get("TF102_SCALE", "2"))  # read once, at import: eager code
CONFIG_PATH = os.path.join(tempfile.gettempdir(), "tflint_tf102_good_config.txt")


@tf.function
def train_step(x):
    tf.print("step with", x)  # a graph op: runs on every call
    return x * 2.0


@tf.function
def scaled(x, scale):
    return x * scale


@tf.function
def read_config(path):
    return tf.io.read_file(path)  # the path is a tensor: read on every call


def log_value(x):
    logger.info("value from py_function: %s", x.numpy())  # runs eagerly, on every call
    return x


@tf.function
def with_py_function(x):
    return tf.py_function(log_value, [x], tf.float32)


@tf.function
def with_init_scope(x):
    with tf.init_scope():
        logger.debug("tracing with_init_scope")  # deliberate: once per trace, eager code
    return x + 1.0


class Logged(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if os.environ.get("TF102_VERBOSE"):
            warnings.warn("Logged is verbose")  # __init__ runs eagerly

    def build(self, input_shape):
        logger.info("building Logged for %s", input_shape)  # build is not traced by fit

    def call(self, inputs):
        settings = {"axis": -1}
        return tf.reduce_sum(inputs, axis=settings.get("axis"))


class Projection(keras.layers.Layer):
    """Messages about facts fixed for the whole trace (shapes, dtypes, whether a mask came,
    settings): once per trace is exactly once per kind of input, which is what they are for."""

    def call(self, inputs, mask=None):
        if mask is not None:
            warnings.warn("Projection ignores its mask")
        logger.info("projecting %s inputs of shape %s", inputs.dtype.name, inputs.shape)
        return inputs


@tf.function
def traced_step(x):
    logger.debug("tracing traced_step for a batch of shape %s", x.shape)
    return x * 2.0


def parse(line, separator):
    return tf.strings.split(line, separator)


def load_lines(separator):
    lines = tf.data.Dataset.from_tensor_slices(["a,b", "c,d"])
    return lines.map(lambda line: parse(line, separator))


def train(steps):
    for step in range(steps):
        loss = train_step(tf.constant(float(step)))
        logger.info("step %d loss %.2f", step, float(loss))  # eager loop: logs every step
        with open(os.path.join(tempfile.gettempdir(), "tflint_tf102_good.log"), "a") as log:
            log.write(f"{step} {float(loss)}\n")



# A setting read only outside tf.function: under tracing the guard raises first, so the read
# never happens while a graph is built.
def worker_count():
    if tf.inside_function():
        raise RuntimeError("read the worker count eagerly, before tracing")
    return int(os.environ.get("WORKERS", "1"))


@tf.function
def split_evenly(x):
    try:
        workers = worker_count()
    except RuntimeError:  # while tracing: one shard
        workers = 1
    return x / workers


# A warning decided by a Python test of the argument (a seed given as a Python int): the same
# on every call of one trace, so once per trace is right.
def is_python_seed(seed):
    return seed is None or isinstance(seed, int)


@tf.function
def noise(shape, seed):
    if is_python_seed(seed):
        warnings.warn("a Python seed draws statefully", stacklevel=2)
        return tf.random.uniform(shape, seed=seed)
    return tf.random.stateless_uniform(shape, seed)


# A Python seed logged before it becomes a tensor: the log shows the int, once per trace, as
# the seed is drawn once per trace.
def fresh_seed(stateless=False):
    seed = int.from_bytes(os.urandom(4), "big")
    logging.warning("drawing with seed %s", seed)
    if stateless:
        seed = tf.constant([0, seed], dtype=tf.int64)
    return seed


@tf.function(autograph=False)
def jittered(x):
    return x + tf.random.stateless_normal(tf.shape(x), fresh_seed(stateless=True))

if __name__ == "__main__":
    print(jittered(tf.zeros([2])).shape)
    print(noise([2], 7).shape, noise([2], tf.constant([1, 2])).shape)
    print("workers", worker_count(), split_evenly(tf.constant(4.0)).numpy())
    logging.basicConfig(level=logging.INFO)
    train(3)
    print(scaled(tf.constant(1.0), tf.constant(SCALE)))
    with open(CONFIG_PATH, "w") as config:
        config.write("v1")
    print(read_config(tf.constant(CONFIG_PATH)))
    with open(CONFIG_PATH, "w") as config:
        config.write("v2")
    print(read_config(tf.constant(CONFIG_PATH)))  # "v2": read again on this call
    with_py_function(tf.constant(1.0))
    with_init_scope(tf.constant(1.0))
    Logged()(tf.constant([[1.0, 2.0]]))
    Projection()(tf.constant([[1.0, 2.0]]))
    traced_step(tf.constant([1.0]))
    print(list(load_lines(os.environ.get("TF102_SEPARATOR", ",")).as_numpy_iterator()))
