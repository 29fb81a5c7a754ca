"""Source snippets and expected messages shared by several test modules."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tflint.diagnostics import Diagnostic
from tflint.engine import lint_source

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


def lint_snippet(source: str, codes: frozenset[str]) -> list[Diagnostic]:
    """Findings of an indented snippet, in (location, code) order."""
    diagnostics = lint_source(textwrap.dedent(source).encode(), "snippet.py", codes)
    return sorted(diagnostics, key=lambda d: (d.location, d.code))


def positions(diagnostics: list[Diagnostic]) -> list[tuple[int, int, str]]:
    """(row, column, code) of each finding."""
    return [(d.location.row, d.location.column, d.code) for d in diagnostics]


def single(diagnostics: list[Diagnostic]) -> Diagnostic:
    """The one finding a snippet must have (the assertion shows all of them otherwise)."""
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0]


def run_tensorflow_program(script: Path) -> subprocess.CompletedProcess[str]:
    """Run a fixed or example program with real TensorFlow (its log noise silenced); it must
    exit 0. Tests read what it printed."""
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
