"""The TF101 fix on text built from tensors: `print(f"x = {x}")` must become a `tf.print` that
prints the values on every call (run here on real TensorFlow), never `tf.print(f"x = {x}")`,
which prints the frozen text `x = Tensor("x:0", ...)`. Where no exact rewrite exists there is no
fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.snippets import run_tensorflow_program
from tests.test_fixes import fixed

HEADER = "import tensorflow as tf\n\n\n@tf.function\ndef show(x, y):\n"


def in_function(line: str) -> str:
    return HEADER + f"    {line}\n    return x\n"


@pytest.mark.parametrize(
    "line, expected",
    [
        ('print(f"x = {x}")', 'tf.print("x =", x)'),
        ('print(f"x={x}, y={y}")', 'tf.print("x=", x, ", y=", y, sep="")'),
        ('print(f"{x} and {y}")', 'tf.print(x, "and", y)'),
        ('print(f"{x} {y}")', "tf.print(x, y)"),
        ('print(f"{x}{y}")', 'tf.print(x, y, sep="")'),
        ('print(f" {x} ")', 'tf.print("", x, "")'),
        ('print(f"shape {x.shape}: {x}")', 'tf.print(f"shape {x.shape}:", x)'),
        ('print(f"{x.shape[0]} rows")', 'tf.print(f"{x.shape[0]} rows")'),
        (
            "print(f'say \"{x}\"\\t{{y}}', end='')",
            'tf.print("say \\"", x, "\\"\\t{y}", sep="", end=\'\')',
        ),
        ('print(rf"\\d {x}")', 'tf.print("\\\\d", x)'),
        ('print("x = %s" % x)', 'tf.print("x =", x)'),
        ('print("x = %s, y = %s" % (x, y))', 'tf.print("x = ", x, ", y = ", y, sep="")'),
        ('print("100%% {}: %s" % x)', 'tf.print("100% {}:", x)'),
        ('print("x = {}".format(x))', 'tf.print("x =", x)'),
        ('print("{1} after {0}".format(x, y))', 'tf.print(y, "after", x)'),
        ('print("x = {v}".format(v=x))', 'tf.print("x =", x)'),
        ('print("values", f"{x} {y}", sep=" | ")', 'tf.print("values", "|", x, y)'),
    ],
)
def test_text_built_from_tensors_becomes_arguments(line: str, expected: str) -> None:
    assert fixed(in_function(line)) == in_function(expected)


@pytest.mark.parametrize(
    "line",
    [
        'print(f"{x:.2f}")',  # a format spec on a tensor: no exact tf.print spelling
        'print(f"{x!r}")',
        'print(f"{x=}")',
        'print("x = %d" % x)',
        'print("x = %s %s" % (x,))',
        'print("{0} {0}".format(x))',  # x printed twice: evaluated twice
        'print("{} {}".format(x))',  # a missing argument: raises while tracing
        'print("{0.shape}".format(x))',
        'print("{} {}".format(x.shape, x))',  # TensorShape([2]) is not (2,)
        'print(f"{x}", sep=separator)',
        'print(*x, f"{x}")',
        'print(f"x = {x}",  # the comment would be lost\n          end="")',
    ],
)
def test_no_fix_where_the_rewrite_is_not_exact(line: str) -> None:
    source = in_function(line).replace("def show(x, y):", "def show(x, y, separator=' '):")
    assert fixed(source) == source


def test_text_without_tensors_keeps_the_plain_fix() -> None:
    source = in_function('print(f"tracing {x.shape}", "once")')
    assert fixed(source) == source.replace("print(", "tf.print(")


PROGRAM = textwrap.dedent(
    """\
    import sys

    import tensorflow as tf


    @tf.function
    def show(x, y):
        print(f"x = {x}")
        print(f"x={x}, y={y}!")
        print("pair: %s and %s" % (x, y))
        print("sum {}".format(x + y), end=";\\n")
        print(f"rows {x.shape[0]}: {y}")
        return x


    print("calls:", file=sys.stderr, flush=True)
    for step in range(3):
        show(tf.constant([step, step + 1]), tf.constant(step * 10))
    """
)


def test_the_fixed_program_prints_the_values_on_every_call(tmp_path: Path) -> None:
    script = tmp_path / "program.py"
    script.write_text(fixed(PROGRAM))
    run = run_tensorflow_program(script)
    printed = run.stderr.split("calls:\n", 1)[1].splitlines()
    assert printed == [
        line
        for step in range(3)
        for line in (
            f"x = [{step} {step + 1}]",
            f"x=[{step} {step + 1}], y={step * 10}!",
            f"pair: [{step} {step + 1}] and {step * 10}",
            f"sum [{step * 11} {step * 11 + 1}];",
            f"rows 2: {step * 10}",
        )
    ]
    assert "Tensor(" not in run.stdout + run.stderr
