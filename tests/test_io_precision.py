"""TF102 on log lines and warnings: once per trace is right for static facts (shapes, dtypes,
structure, configuration, constant text) and wrong where the message shows a value of the call
or a tensor decides whether it is issued. TF101 where AutoGraph converts `print` itself."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.snippets import lint_snippet, positions, run_tensorflow_program
from tflint.diagnostics import Diagnostic


def lint(source: str, codes: str = "TF102") -> list[Diagnostic]:
    return lint_snippet(source, frozenset({codes}))


def found(source: str, codes: str = "TF102") -> list[tuple[int, int, str]]:
    return positions(lint(source, codes))


def step(line: str) -> str:
    """`line` as row 9, column 5 of a tf.function `step(x, shape)`."""
    return (
        "import logging\nimport warnings\n\nimport tensorflow as tf\n\n\n@tf.function\n"
        f"def step(x, names, count=0):\n    {line}\n    return x\n"
    )


@pytest.mark.parametrize(
    "line",
    [
        "logging.info('built block for %s', x.shape)",
        "logging.info('block %s: %s -> %s', step.__name__, x.dtype, x.shape[-1])",
        "logging.info(f'input rank {x.shape.rank}, count={count}')",
        "warnings.warn('masking is not supported and is ignored')",
        "warnings.warn('inputs ' + str(x.shape) + ' are large', stacklevel=2)",
        "logging.warning('keys %s are ignored', [n for n in names if n])",
    ],
)
def test_static_facts_logged_once_per_trace_are_quiet(line: str) -> None:
    assert found(step(line)) == []


@pytest.mark.parametrize(
    "line, shown",
    [
        ("logging.info('x is %s', x)", "x"),
        ("logging.info(f'x is {x}')", "x"),
        ("logging.info('x is ' + str(x))", "x"),
        ("logging.info('x is {}'.format(tf.reduce_sum(x)))", "tf.reduce_sum(x)"),
        ("logging.info('x is %s' % (x * 2,))", "x * 2"),
        ("warnings.warn(f'mean {tf.reduce_mean(x)}')", "tf.reduce_mean(x)"),
    ],
)
def test_a_tensor_in_the_message_is_flagged(line: str, shown: str) -> None:
    diagnostics = lint(step(line))
    assert positions(diagnostics) == [(9, 5, "TF102")]
    assert f"shows `{shown}` as a symbolic tensor, never its value; use `tf.print`" in (
        diagnostics[0].message
    )


def test_a_variable_or_a_counter_in_a_keras_method() -> None:
    source = """\
        import logging
        import keras

        class Counting(keras.metrics.Metric):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.total = self.add_weight(name="total")
                self.calls = 0

            def update_state(self, values, sample_weight=None):
                self.calls += 1
                logging.info("calls so far: %d", self.calls)
                logging.info("total so far: %s", self.total)
                logging.info("%s", self.name)
                self.total.assign_add(keras.ops.sum(values))

            def result(self):
                return self.total
        """
    diagnostics = lint(source)
    assert positions(diagnostics) == [(12, 9, "TF102"), (13, 9, "TF102")]
    assert "the counter `self.calls` is shown with its value while tracing" in (
        diagnostics[0].message
    )
    assert "shows `self.total` as a symbolic tensor" in diagnostics[1].message


def test_a_warning_under_a_tensor_condition_says_what_happens() -> None:
    source = """\
        import warnings
        import keras
        import tensorflow as tf

        @tf.function
        def clipped(x):
            if tf.reduce_max(x) > 1.0:
                warnings.warn("values above 1 are clipped")
            if x.shape[0] > 100 and x is not None:
                warnings.warn("a large batch")
            return tf.clip_by_value(x, 0.0, 1.0)

        class Ratio(keras.metrics.Metric):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.seen = self.add_weight(name="seen")

            def result(self):
                if self.seen < 2:
                    warnings.warn("fewer than 2 samples")
                elif self.seen > 1e6:
                    warnings.warn("many samples")
                return self.seen
        """
    diagnostics = lint(source)
    assert positions(diagnostics) == [(8, 9, "TF102"), (20, 13, "TF102"), (22, 13, "TF102")]
    autograph, keras_traced, elif_branch = (d.message for d in diagnostics)
    assert autograph == (
        "`warnings.warn()` in graph code (decorated with @tf.function) is issued only if "
        "`tf.reduce_max(x) > 1.0`, a tensor: AutoGraph traces both branches, so it runs once "
        "per trace whatever the value, and never on later calls; use `tf.print` in the branch, "
        "or `tf.debugging.assert_*`"
    )
    assert keras_traced == (
        "`warnings.warn()` in graph code (Keras traces `Ratio.result`) is issued only if "
        "`self.seen < 2`, a tensor: the `if` raises `OperatorNotAllowedInGraphError` (a "
        "symbolic tensor used as a Python bool) when traced; check the value with "
        "`tf.debugging.assert_*` or `tf.cond`, or warn in eager code"
    )
    assert "`self.seen > 1e6`" in elif_branch


def test_files_processes_and_environment_reads_stay_flagged_whatever_they_show() -> None:
    source = step("open('trace.log', 'a').write('traced')")
    assert found(source) == [(9, 5, "TF102")]


# -- TF101 where AutoGraph converts print itself -----------------------------------------------

CONVERTING = """\
    import tensorflow as tf
    from tensorflow.autograph.experimental import Feature


    def helper(x):
        print("helper", x)
        return x


    @tf.function(experimental_autograph_options=Feature.BUILTIN_FUNCTIONS)
    def count(n):
        i = 0
        while i < n:
            print(i)
            i += 1
        print("traced")
        return helper(n)


    @tf.function(experimental_autograph_options=(Feature.LISTS, Feature.ALL))
    def everything(n):
        print(n)
        return n


    @tf.function(experimental_autograph_options=Feature.LISTS)
    def lists(n):
        print(n)
        return n


    @tf.function(autograph=False, experimental_autograph_options=Feature.ALL)
    def off(n):
        print(n)
        return n
    """


def test_the_compat_v1_spelling_of_the_feature_counts_too() -> None:
    source = """\
        import tensorflow.compat.v1 as tf

        @tf.function(experimental_autograph_options=tf.autograph.experimental.Feature.ALL)
        def count(n):
            print(n)
            return n
        """
    assert found(source, "TF101") == []


def test_print_is_quiet_only_where_autograph_converts_it() -> None:
    """Observed on TF 2.21: with BUILTIN_FUNCTIONS (or ALL) a print of a tensor prints on every
    call, in called functions too; a print of literals still prints once per trace; other
    features and autograph=False leave print alone."""
    assert found(CONVERTING, "TF101") == [(16, 5, "TF101"), (28, 5, "TF101"), (34, 5, "TF101")]


def test_the_converting_option_really_prints_on_every_call(tmp_path: Path) -> None:
    script = tmp_path / "converting.py"  # AutoGraph reads the source from a file
    calls = "\nfor n in (1, 2):\n    count(tf.constant(n))\n"
    script.write_text(textwrap.dedent(CONVERTING) + calls)
    run = run_tensorflow_program(script)
    # "traced" (literals only) prints once, while tracing; the tensors print on every call
    assert run.stdout.splitlines() == ["traced", "0", "helper 1", "0", "1", "helper 2"]
