"""Keras components whose inputs only their own code describes: a layer that unpacks a pair, a
layer whose constructor needs a width, a metric comparing class ids with scores, and a model
whose training step unpacks `((left, right), target)`."""

import keras
import tensorflow as tf


class PairDistance(keras.layers.Layer):
    def call(self, inputs):
        anchor, other = inputs
        print("comparing batches of", anchor.shape[0])
        return tf.norm(anchor - other, axis=-1)


class Projection(keras.layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units))

    def call(self, features):
        print("projecting to", self.units)
        return features @ self.kernel


class TopTwoHits(keras.metrics.Metric):
    def __init__(self, name="top_two_hits", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_weight(name="hits", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        found = tf.math.in_top_k(tf.cast(y_true, tf.int32), y_pred, k=2)
        print("scoring a batch")
        self.hits.assign_add(tf.reduce_sum(tf.cast(found, tf.float32)))

    def result(self):
        return self.hits


class Siamese(keras.Model):
    def __init__(self):
        super().__init__()
        self.encoder = keras.layers.Dense(4)
        self.head = keras.layers.Dense(1)

    def call(self, inputs):
        left, right = inputs
        return self.head(tf.abs(self.encoder(left) - self.encoder(right)))

    def train_step(self, data):
        (left, right), target = data
        print("siamese step")
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(self((left, right)) - target))
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        return {"loss": loss}
