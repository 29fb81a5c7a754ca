"""TF301 fixed: create variables once — outside the function, in `__init__`/`build`, or under an
`is None` guard — and only update them in graph code."""

import keras
import tensorflow as tf

total = tf.Variable(0.0)


@tf.function
def accumulate(x):
    total.assign_add(tf.reduce_sum(x))
    return total.read_value()


class RunningMax(tf.Module):
    def __init__(self):
        self.best = None

    @tf.function
    def __call__(self, x):
        if self.best is None:  # the create-once idiom: only the first trace creates it
            self.best = tf.Variable(tf.fill(tf.shape(x), float("-inf")))
        return self.best.assign(tf.maximum(self.best, x))


class LazyLinear(tf.Module):
    """Variables made by the first trace under a "not built yet" flag, then only used."""

    def __init__(self):
        self.built = False

    @tf.function
    def __call__(self, x):
        if not self.built:
            self.w = tf.Variable(tf.ones((x.shape[-1], 1)))
            self.built = True
        return tf.matmul(x, self.w)


sums = {}  # one running sum per name, made by the first trace that needs it


@tf.function
def running_sum(x):
    if "total" not in sums:
        sums["total"] = tf.Variable(tf.zeros_like(x))
    return sums["total"].assign_add(x)


class Scale(tf.Module):
    def __init__(self):
        self.factor = tf.Variable(2.0)

    @tf.function
    def __call__(self, x):
        return x * self.factor


class Smoothing(keras.layers.Layer):
    def build(self, input_shape):
        self.state = self.add_weight(shape=input_shape[1:], initializer="zeros", trainable=False)

    def call(self, inputs):
        return inputs + self.state


class Counter(keras.metrics.Metric):
    def __init__(self, name="counter", **kwargs):
        super().__init__(name=name, **kwargs)
        self.seen = self.add_weight(name="seen", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.seen.assign_add(tf.cast(tf.size(y_pred), self.dtype))

    def result(self):
        return self.seen


def make_counter():
    return tf.Variable(0, trainable=False)  # eager helper, never called from graph code


if __name__ == "__main__":
    print(accumulate(tf.constant([1.0, 2.0])).numpy(), accumulate(tf.constant([3.0])).numpy())
    running_max = RunningMax()
    print(
        running_max(tf.constant([1.0, 5.0])).numpy(), running_max(tf.constant([3.0, 2.0])).numpy()
    )
    print(Scale()(tf.constant([1.0, 2.0])).numpy())
    linear = LazyLinear()
    print(linear(tf.ones((1, 3))).numpy(), linear(tf.ones((2, 3))).numpy())
    print(running_sum(tf.constant([1.0])).numpy(), running_sum(tf.constant([2.0])).numpy())
    model = keras.Sequential([keras.Input((2,)), Smoothing(), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", metrics=[Counter()])
    model.fit(tf.constant([[0.5, 1.0]]), tf.constant([[1.0, 1.0]]), epochs=1, verbose=0)
    print(make_counter().numpy())
