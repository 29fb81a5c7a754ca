"""An input pipeline built only when the file runs as a script: the verifier reads the dataset
and the mapped function from the `__main__` block without running the block."""

import random

import numpy as np
import tensorflow as tf

SCALE = 255.0


def augment(image, label):
    brightness = np.random.uniform(-0.1, 0.1)
    if random.random() < 0.5:
        image = tf.image.flip_left_right(image)
    return image / SCALE + brightness, label


if __name__ == "__main__":
    images = tf.random.uniform((8, 4, 4, 3), maxval=255.0)
    labels = tf.range(8)
    pipeline = tf.data.Dataset.from_tensor_slices((images, labels))
    pipeline = pipeline.shuffle(8).map(augment).batch(4)
    for batch, _ in pipeline:
        print(batch.shape)
