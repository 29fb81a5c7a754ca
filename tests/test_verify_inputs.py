"""How the verifier builds inputs from a module's own example calls: only expressions the user
wrote, evaluated with the names their block assigned before them; nothing guessed."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.verify

tf = pytest.importorskip("tensorflow")

from tflint.verify.inputs import (  # noqa: E402 (needs TensorFlow)
    calls_of_instances,
    evaluated_calls,
    example_calls,
    generic,
)

SOURCE = textwrap.dedent(
    """
    import tensorflow as tf

    SCALE = 3.0

    def step(x, factor=1.0):
        return x * factor

    def main(values):
        step(values)  # a parameter: not evaluable here

    if __name__ == "__main__":
        x = tf.constant([1.0, 2.0])
        step(x, factor=SCALE)
        for value in (4.0, 5.0):
            step(tf.constant(value))
        for i, batch in enumerate([tf.ones(2)]):
            step(batch, i)
        step(*[x])  # starred: skipped
    """
)


def calls() -> list:
    namespace = {"tf": tf, "SCALE": 3.0, "__file__": "example.py"}
    return list(example_calls(ast.parse(SOURCE), "step", namespace))


def test_arguments_come_from_the_modules_own_expressions() -> None:
    found = calls()
    assert [c.source for c in found] == [
        "the example call at line 14",
        "the example call at line 16",
        "the example call at line 18",
    ]
    (x,) = found[0].args
    assert x.numpy().tolist() == [1.0, 2.0] and found[0].kwargs == {"factor": 3.0}
    assert float(found[1].args[0]) == 4.0  # the loop's first value
    assert found[2].args[1] == 0 and found[2].args[0].numpy().tolist() == [1.0, 1.0]


def test_unresolvable_and_starred_calls_are_skipped() -> None:
    lines = {c.source for c in calls()}
    assert "the example call at line 10" not in lines
    assert "the example call at line 19" not in lines


def test_generic_candidates_match_the_parameter_count() -> None:
    assert [len(c.args) for c in generic(2)][:3] == [2, 2, 2]
    assert [c.source for c in generic(0)] == ["no arguments"]


LAYER_SOURCE = textwrap.dedent(
    """
    import tensorflow as tf

    print(Block(4)(tf.zeros((2, 8, 8, 3))).shape)
    block = Block(8)
    block(tf.ones((1, 4, 4, 3)))
    Block(2)
    other(tf.ones(1))
    """
)


def test_a_layer_is_called_on_the_inputs_the_module_gives_its_instances() -> None:
    tree = ast.parse(LAYER_SOURCE)
    namespace = {"tf": tf, "__file__": "layers.py"}
    found = list(evaluated_calls(tree, namespace, calls_of_instances(tree, "Block")))
    assert [c.source for c in found] == [
        "the example call at line 4",
        "the example call at line 6",
    ]
    assert [tuple(c.args[0].shape) for c in found] == [(2, 8, 8, 3), (1, 4, 4, 3)]


UNSAFE_SOURCE = textwrap.dedent(
    """
    import os
    import numpy as np
    import tensorflow as tf

    def step(x, factor=1.0):
        return x * factor

    def unused():
        step(os.remove("precious.txt"))
        step(open("precious.txt", "w"))
        step(tf.io.write_file("out.txt", "x"))
        step(__import__("shutil").rmtree("/"))
        step((lambda: os.remove("precious.txt"))())

    if __name__ == "__main__":
        handle = open("precious.txt", "w")
        step(handle)
        step(np.zeros((2, 3)), factor=-2.0)
        step(tf.data.Dataset.range(4).batch(2))
    """
)


def test_only_data_and_constructors_are_evaluated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Calls of anything but constructors are refused, never run (a `step(os.remove(p))` in a
    function nobody calls stays unrun); literals, NumPy/TensorFlow constructors and dataset
    methods that build values are evaluated."""
    import os

    monkeypatch.chdir(tmp_path)
    namespace = {"tf": tf, "np": __import__("numpy"), "os": os, "__file__": "unsafe.py"}
    found = list(example_calls(ast.parse(UNSAFE_SOURCE), "step", namespace))
    assert [c.source for c in found] == [
        "the example call at line 19",
        "the example call at line 20",
    ]
    assert list(tmp_path.iterdir()) == []  # nothing was opened, written or removed
    assert found[0].args[0].shape == (2, 3) and found[0].kwargs == {"factor": -2.0}
    assert isinstance(found[1].args[0], tf.data.Dataset)


def test_a_missing_tensorflow_names_the_verify_extra() -> None:
    from tflint.verify.worker import _no_tensorflow

    error = ModuleNotFoundError("No module named 'tensorflow'")
    assert _no_tensorflow(error, own=True) == (
        "ModuleNotFoundError: No module named 'tensorflow' "
        "(install the verify extra: pip install 'tflint[verify]')"
    )
    assert _no_tensorflow(error, own=False).endswith("(install TensorFlow in that environment)")
