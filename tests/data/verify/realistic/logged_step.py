"""A hand-written training step that logs, jitters and keeps a history as it goes: the
`.numpy()` at its end raises in the graph, and must not hide what happens before it."""

import time

import keras
import numpy as np
import tensorflow as tf

model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
optimizer = keras.optimizers.SGD(0.01)
losses = []
steps_taken = 0


@tf.function
def train_step(features, targets):
    global steps_taken
    started = time.time()
    jitter = np.random.uniform(0.0, 0.1)
    with tf.GradientTape() as tape:
        predictions = model(features, training=True)
        loss = tf.reduce_mean(tf.square(predictions - targets)) + jitter
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    print("step finished after", time.time() - started, "seconds")
    steps_taken += 1
    losses.append(loss.numpy())
    return loss


if __name__ == "__main__":
    batch = tf.random.normal((8, 4))
    train_step(batch, tf.zeros((8, 1)))
