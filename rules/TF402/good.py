"""TF402 fixed: create each tf.function once and reuse it."""

import tensorflow as tf


def square(x):
    return x * x


fast_square = tf.function(square)


@tf.function
def forward(y):
    return y * 2.0


def predict(x):
    return forward(x) + 1.0


def apply_all(xs):
    return [fast_square(x) for x in xs]


def make_step(scale):
    """A factory: the nested tf.function is created once per factory call and returned."""

    @tf.function
    def step(x):
        return x * scale

    return step


def fit_line(xs, steps=20):
    """A one-shot routine: it makes its step once per run, then calls it many times."""
    slope = tf.Variable(0.0)

    @tf.function
    def step(x):
        slope.assign_add(0.1 * tf.reduce_mean(x - slope * x))

    for _ in range(steps):
        step(xs)
    return slope


def smooth(values, use_xla=False):
    """The decorator form stored and reused, not a call: `tf.function(**options)(f)`."""
    kernel = _smooth_once
    if use_xla:
        kernel = tf.function(jit_compile=True, autograph=False)(_smooth_once)
    return [kernel(v) for v in values]


def _smooth_once(v):
    return (v + tf.roll(v, 1, axis=0)) / 2.0


@tf.function
def traced_outer(x):
    """Graph code: the inner tf.function is created once per trace of `traced_outer`."""

    @tf.function
    def inner(y):
        return y * 3.0

    return inner(x)


def maybe_compiled(fn, x, xla_ready=True):
    """Under `if tf.executing_eagerly() or ...: ... else:` the else runs only while tracing."""
    if tf.executing_eagerly() or not xla_ready:
        return fn(x)
    else:

        @tf.function
        def call_fn(y):
            return fn(y)

        return call_fn(x)


def report(x):
    """Called once, from the script's entry point: one trace per run is the point."""

    @tf.function(autograph=False)
    def summarise(y):
        return tf.reduce_mean(y), tf.math.reduce_std(y)

    return summarise(x)


def compare_settings():
    """A loop over two literal settings: two tf.functions, one per setting, not one per step."""
    results = []
    for scale in (0.5, 2.0):
        results.append(tf.function(lambda t, s=scale: t * s)(tf.constant(1.0)))
    return results


def run_sampler(x, jit_compile=False):
    """`jit_compile=jit_compile`: the caller chooses to compile this whole run with XLA."""

    @tf.function(jit_compile=jit_compile)
    def whole_run(y):
        return tf.reduce_sum(tf.math.cumsum(y))

    return whole_run(x)


class Model(tf.Module):
    def __init__(self):
        super().__init__()
        self.compiled = tf.function(self.forward)  # created once, stored on the object

    def forward(self, x):
        return x + 1.0


if __name__ == "__main__":
    for value in (1.0, 2.0, 3.0):
        predict(tf.constant(value))
    print("traces of forward:", forward.experimental_get_tracing_count())
    apply_all([tf.constant(1.0), tf.constant(2.0)])
    step = make_step(3.0)
    step(tf.constant(1.0))
    Model().compiled(tf.constant(1.0))
    fit_line(tf.constant([1.0, 2.0]))
    smooth([tf.constant([1.0, 2.0, 3.0])], use_xla=False)
    traced_outer(tf.constant(1.0))
    maybe_compiled(tf.square, tf.constant(2.0))
    print([t.numpy() for t in report(tf.constant([1.0, 2.0, 4.0]))])
    print([r.numpy() for r in compare_settings()], run_sampler(tf.constant([1.0, 2.0])).numpy())
