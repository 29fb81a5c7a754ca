"""TF102 python-io-in-graph: Python I/O runs while TensorFlow traces, not on every call."""

import logging
import os
import subprocess
import sys
import tempfile
import warnings

import keras
import tensorflow as tf

logger = logging.getLogger(__name__)
STEP_LOG = os.path.join(tempfile.gettempdir(), "tflint_tf102_steps.txt")
CONFIG_PATH = os.path.join(tempfile.gettempdir(), "tflint_tf102_config.txt")


@tf.function
def train_step(x):
    logging.info("step with %s", x)  # expect: TF102
    logger.debug("loss input %s", x)  # expect: TF102
    with open(STEP_LOG, "a") as log_file:  # expect: TF102
        log_file.write("step\n")
    sys.stdout.write("training...\n")  # expect: TF102
    return x * 2.0


@tf.function
def scaled(x):
    scale = float(os.environ["TF102_SCALE"])  # expect: TF102
    offset = float(os.getenv("TF102_OFFSET", "0"))  # expect: TF102
    return x * scale + offset


def check_range(x):
    if os.environ.get("TF102_STRICT", "1") == "1":  # expect: TF102
        if tf.reduce_max(x) > 1.0:
            warnings.warn("values above 1.0 are clipped")  # expect: TF102
    return x


@tf.function
def clipped(x):
    return tf.clip_by_value(check_range(x), 0.0, 1.0)


@tf.function
def with_revision(x):
    revision = subprocess.run(  # expect: TF102
        [sys.executable, "--version"], capture_output=True, text=True
    ).stdout
    return tf.strings.join([x, revision])


@tf.function
def read_config(x):
    return tf.strings.join([x, tf.io.read_file(CONFIG_PATH)])  # expect: TF102


@tf.function
def read_labels(x):
    return tf.strings.join([x, tf.io.read_file("labels.txt")])  # expect: TF102


@tf.function
def ask_scale(x):
    return x * float(input("scale? "))  # expect: TF102


class Logged(keras.layers.Layer):
    def call(self, inputs):
        logger.warning("Logged.call on %s", inputs)  # expect: TF102
        return inputs


class LoggedMean(keras.metrics.Mean):
    def update_state(self, values, sample_weight=None):
        logging.getLogger("metrics").info("update with %s", values)  # expect: TF102
        return super().update_state(values, sample_weight)


def parse(line):
    separator = os.getenv("TF102_SEPARATOR", ",")  # expect: TF102
    return tf.strings.split(line, separator)


lines = tf.data.Dataset.from_tensor_slices(["a,b", "c,d"]).map(parse)


if __name__ == "__main__":
    logging.basicConfig(level=logging.DEBUG)
    os.environ["TF102_SCALE"] = "2"
    os.environ["TF102_SEPARATOR"] = ","
    with open(STEP_LOG, "w"):
        pass
    for value in (1.0, 2.0, 3.0):
        train_step(tf.constant(value))  # logs and writes the step file once, not three times
    with open(STEP_LOG) as steps:
        print("lines in the step file after 3 calls:", len(steps.readlines()))  # 1
    print(scaled(tf.constant(1.0)))
    os.environ["TF102_SCALE"] = "10"
    print(scaled(tf.constant(1.0)))  # still 2.0: the setting was frozen at trace time
    clipped(tf.constant([0.5, 2.0]))
    with_revision(tf.constant("python: "))
    with open(CONFIG_PATH, "w") as config:
        config.write("v1")
    print(read_config(tf.constant("config ")))
    with open(CONFIG_PATH, "w") as config:
        config.write("v2")
    print(read_config(tf.constant("config ")))  # still "config v1": the read was constant-folded
    Logged()(tf.constant([[1.0, 2.0]]))
    LoggedMean()(tf.constant([1.0, 2.0]))
    print(list(lines.as_numpy_iterator()))
