"""TF302 fixed: create weights in `build()` (or `__init__`), use them in `call`."""

import keras
import tensorflow as tf

try:
    import tf_keras  # Keras 2, for code not yet moved to Keras 3 (`pip install tf_keras`)
except ImportError:
    tf_keras = None


class Scale(keras.layers.Layer):
    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return inputs * self.scale


class Offset(keras.layers.Layer):
    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.offset = self.add_weight(shape=(units,), initializer="zeros")

    def call(self, inputs):
        return inputs + self.offset


class Projection(keras.Model):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), initializer="ones")

    def call(self, inputs):
        return tf.matmul(inputs, self.kernel)


# Look-alikes that must stay quiet: `call` of classes Keras does not build.


class Memory(tf.Module):
    def __init__(self):
        self.slot = None

    @tf.function
    def __call__(self, x):
        if self.slot is None:
            self.slot = tf.Variable(tf.zeros_like(x))
        return self.slot.assign_add(x)


if tf_keras is not None:

    class LegacyScale(tf_keras.layers.Layer):
        """Keras 2 tracks a weight `call` makes and lets it in; the guard makes it once."""

        def call(self, inputs):
            if not hasattr(self, "scale"):
                self.scale = self.add_weight(shape=(inputs.shape[-1],), initializer="ones")
            return inputs * self.scale


class Registry:
    def add_weight(self, name):
        return name

    def call(self, name):
        return self.add_weight(name)  # a plain class's own method, not Keras


if __name__ == "__main__":
    model = keras.Sequential([keras.Input((2,)), Scale(), Offset(), Projection()])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(tf.constant([[0.5, 1.0]]), tf.constant([[1.0, 1.0]]), epochs=1, verbose=0)
    print(len(model.trainable_weights), "trainable weights")
    memory = Memory()
    print(memory(tf.constant([1.0])).numpy(), memory(tf.constant([2.0])).numpy())
    print(Registry().call("w"))
    if tf_keras is not None:
        legacy = tf_keras.Sequential([tf_keras.Input((2,)), LegacyScale()])
        legacy.compile(optimizer="sgd", loss="mse")
        legacy.fit(tf.ones((4, 2)), tf.zeros((4, 2)), epochs=2, verbose=0)
        print("Keras 2 layer:", len(legacy.trainable_weights), "weight, now", legacy.get_weights())
