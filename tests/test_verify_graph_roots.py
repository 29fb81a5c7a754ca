"""`--verify` on graph roots beyond decorators and Keras methods (issue 11), in one module: the
verifier finds the module's own call that hands the function to its tracer (compile, a Lambda
layer, vectorized_map, Dataset.map through functools.partial, strategy.run inside a
tf.function) and runs it that way, next to an eager run. Real TensorFlow, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_project_cross_module import write
from tests.test_verify_cross_module import verdicts

pytestmark = pytest.mark.verify

ROOTS = """\
    import functools

    import keras
    import tensorflow as tf
    from tensorflow.python.eager import def_function

    strategy = tf.distribute.MirroredStrategy()


    def my_loss(y_true, y_pred):
        print("tracing the loss")
        return tf.reduce_mean(tf.square(y_true - y_pred))


    def scale(t):
        print("tracing the Lambda")
        return t * 2


    def per_example(x):
        print("traced by pfor")
        return x * 2


    def parse(record, factor):
        print("traced by tf.data")
        return record * factor


    def train_step(x):
        print("per replica, traced")
        return x


    @tf.function
    def distributed_step(x):
        return strategy.run(train_step, args=(x,))


    @def_function.function
    def internal(x):
        print(x)
        return x


    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(loss=my_loss, optimizer="adam")
    inputs = keras.Input((3,))
    outputs = keras.layers.Lambda(scale)(inputs)
    result = tf.vectorized_map(per_example, tf.ones((4, 3)))
    ds = tf.data.Dataset.range(4)
    ds = ds.map(functools.partial(parse, factor=2))
"""


def test_functions_handed_to_their_tracers_are_run_by_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"roots.py": ROOTS})
    times = "\u00d7"
    assert verdicts(tmp_path, monkeypatch, "roots.py") == [
        (  # fit traces the loss given to compile
            "roots.py:11:5: TF101",
            f"confirmed: print ran 1{times} in 3 graph calls of my_loss, 3{times} in 3 eager calls",
        ),
        (
            "roots.py:16:5: TF101",
            f"confirmed: print ran 1{times} in 3 graph calls of scale, 3{times} in 3 eager calls",
        ),
        (  # pfor traces on every call of vectorized_map; eagerly it would run per row
            "roots.py:21:5: TF101",
            f"confirmed: print ran 3{times} in 3 graph calls of tf.vectorized_map(per_example), "
            f"12{times} in 3 eager calls",
        ),
        (
            "roots.py:26:5: TF101",
            f"confirmed: print ran 1{times} in 9 graph calls of parse, 9{times} in 9 eager calls",
        ),
        (
            "roots.py:31:5: TF101",
            f"confirmed: print ran 1{times} in 3 graph calls of distributed_step, 3{times} in 3 "
            "eager calls",
        ),
        (
            "roots.py:42:5: TF101",
            f"confirmed: print ran 1{times} in 3 graph calls of internal, 3{times} in 3 eager "
            "calls",
        ),
    ]


def test_tf401_loops_of_the_issue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A decorated method called through an instance in a loop; a loop over a two-item list
    held in a variable (both values retrace); a module-level loop, which the import already
    ran: its traces were counted then."""
    write(
        tmp_path,
        {
            "loops.py": """\
                import tensorflow as tf


                def relaxed_function(f):
                    return tf.function(f, reduce_retracing=True)


                class Trainer:
                    @tf.function
                    def step(self, x, step):
                        return x * step


                @tf.function
                def f(n):
                    return n


                @relaxed_function
                def relaxed(n):
                    return n


                def main():
                    r = [3, 6]
                    for i in r:
                        f(i)


                trainer = Trainer()
                for epoch in range(10):
                    trainer.step(1.0, step=epoch)
                for i in range(5):
                    relaxed(i)
            """
        },
    )
    assert verdicts(tmp_path, monkeypatch, "--select", "TF401", "loops.py") == [
        (
            "loops.py:27:9: TF401",
            "confirmed: f traced 2\u00d7 in 2 calls with i = 3, 6 (the values the loop at line "
            "26 passes)",
        ),
        (
            "loops.py:32:5: TF401",
            "confirmed: step traced 3\u00d7 in 3 calls with epoch = 0, 1, 2 (the values the loop "
            "at line 31 passes)",
        ),
        (
            "loops.py:34:5: TF401",
            "confirmed: relaxed traced 5\u00d7 when importing the module ran the loop at line 33 "
            "(calls with i = 0, 1, 2 traced no more)",
        ),
    ]
