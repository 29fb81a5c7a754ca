"""Source snippets and expected messages shared by several test modules."""

import textwrap

# A tf.function with one safely fixable finding (TF101, line 8) and one unsafe one (TF104).
PRINT_AND_CLOCK = textwrap.dedent(
    """\
    import time

    import tensorflow as tf


    @tf.function
    def step(x):
        print(x)
        started = time.time()
        return x + started
    """
)
MESSAGE_101 = (
    "`print` in graph code (decorated with @tf.function) runs once per trace, not on every "
    "call, and shows symbolic tensors; use `tf.print`"
)
