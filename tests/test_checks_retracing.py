"""TF402 and TF407 on small snippets: where re-creating a tf.function really happens per step,
and eager mode behind a debugging switch. TF402's claim is checked by counting traces."""

from __future__ import annotations

import textwrap

import pytest
import tensorflow as tf

from tests.snippets import lint_snippet, positions
from tflint.diagnostics import Diagnostic

CODES = frozenset({"TF402", "TF407"})


def lint(source: str) -> list[Diagnostic]:
    return lint_snippet(source, CODES)


def found(source: str) -> list[tuple[int, int, str]]:
    return positions(lint(source))


# -- TF402: nested @tf.function ----------------------------------------------------------------

PER_STEP = """\
import tensorflow as tf

traces = []


def predict(x):
    @tf.function
    def forward(y):
        traces.append(1)
        return y * 2.0

    return forward(x)


for step in range(3):
    predict(tf.constant(float(step)))
"""


def test_nested_tf_function_of_a_function_called_in_a_loop_is_flagged_and_retraces() -> None:
    (diagnostic,) = lint(PER_STEP)
    assert (diagnostic.code, diagnostic.location.row, diagnostic.location.column) == (
        "TF402",
        7,
        5,
    )
    assert diagnostic.message == (
        "`@tf.function` on `forward`, defined inside `predict`, creates a new tf.function and "
        "traces a new graph on every call of `predict`, which is called in a loop; define it "
        "once at module level (or return it from a factory)"
    )
    namespace: dict = {}
    exec(PER_STEP, namespace)
    assert len(namespace["traces"]) == 3  # one trace per call, as the message says


def _nested(body_after: str, *, options: str = "", outer_decorator: str = "") -> str:
    return textwrap.dedent(
        f"""\
        import tensorflow as tf


        {outer_decorator}
        def outer(x):
            @tf.function({options})
            def inner(y):
                return y + 1.0

        {textwrap.indent(textwrap.dedent(body_after), "    ")}
        """
    )


@pytest.mark.parametrize(
    "body_after, options, outer_decorator, caller",
    [
        # callers elsewhere and a plain trace: a one-shot routine is as likely as a per-step op
        ("return inner(x)", "", "", ""),
        # a one-shot routine that reuses the function many times
        ("for _ in range(10):\n    x = inner(x)\nreturn x", "", "", "for v in vs:\n    outer(v)"),
        ("return inner(x) + inner(x)", "jit_compile=True", "", ""),
        # a factory, or a closure that outlives the call
        ("return inner", "", "", "for v in vs:\n    outer(v)"),
        ("def wrapper(z):\n    return inner(z)\n\nreturn wrapper", "jit_compile=True", "", ""),
        # the enclosing function is graph code: once per trace
        ("return inner(x)", "jit_compile=True", "@tf.function", ""),
        # called once, at module level
        ("return inner(x)", "jit_compile=True", "", "outer(tf.constant(1.0))"),
        # handed to a TensorFlow op as a loop body: graph code
        ("return inner(x)", "", "", "tf.while_loop(lambda v: v < 3.0, outer, [0.0])"),
    ],
)
def test_nested_tf_function_not_made_per_step_is_quiet(
    body_after, options, outer_decorator, caller
) -> None:
    source = _nested(body_after, options=options, outer_decorator=outer_decorator)
    assert found(source + "\n\nvs = []\n" + caller + "\n") == []


def test_nested_tf_function_with_jit_compile_and_callers_elsewhere_is_flagged() -> None:
    (diagnostic,) = lint(_nested("return inner(x)", options="jit_compile=True"))
    assert diagnostic.message.endswith(
        "on every call of `outer`, which other modules call, and with `jit_compile` each of "
        "those calls compiles it anew with XLA; define it once at module level (or return it "
        "from a factory)"
    )


def test_nested_tf_function_only_in_graph_mode_branch_is_quiet() -> None:
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        def compiled(fn, x):
            if tf.executing_eagerly():
                return fn(x)
            else:

                @tf.function(jit_compile=True)
                def call_fn(y):
                    return fn(y)

                return call_fn(x)
        """
    )
    assert found(source) == []


def test_routine_compiling_itself_whole_is_quiet() -> None:
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        def run(x, jit=False):
            if jit:

                @tf.function(jit_compile=True)
                def whole():
                    return run(x, jit=False)

                return whole()
            return x * 2.0
        """
    )
    assert found(source) == []


def test_nested_tf_function_of_a_keras_call_helper_is_flagged() -> None:
    source = textwrap.dedent(
        """\
        import keras
        import tensorflow as tf


        def _unpool(x):
            @tf.function(experimental_implements="name: 'unpool'")
            def func(y):
                return y * 2.0

            return func(x)


        class Unpool(keras.layers.Layer):
            def call(self, inputs):
                return _unpool(inputs)
        """
    )
    (diagnostic,) = lint(source)
    assert diagnostic.location.row == 6
    assert "every call of `_unpool`, which runs on every eager call of the layer (" in (
        diagnostic.message
    )


# -- TF402: tf.function(...)(f) ----------------------------------------------------------------


def test_decorator_form_stored_for_reuse_is_quiet() -> None:
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        def _step(x):
            return x + 1.0


        def sample(xs, compiled=True):
            step = _step
            if compiled:
                step = tf.function(jit_compile=True, autograph=False)(_step)
            return [step(x) for x in xs]


        for _ in range(3):
            sample([tf.constant(1.0)])
        """
    )
    assert found(source) == []


def test_decorator_form_created_and_called_per_step_is_flagged() -> None:
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        def normalise(x):
            return tf.function(autograph=False)(lambda t: t / tf.reduce_max(t))(x)


        for _ in range(3):
            normalise(tf.constant([1.0, 2.0]))
        """
    )
    (diagnostic,) = lint(source)
    assert (diagnostic.location.row, diagnostic.location.column) == (5, 12)
    assert diagnostic.message == (
        "`tf.function(...)` created and called at once inside `normalise` builds a new "
        "function, and traces a new graph, on every call of `normalise`, which is called in a "
        "loop; create the tf.function once, outside"
    )


def test_created_and_called_once_in_a_one_shot_routine_is_quiet() -> None:
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        def summary(samples):
            return tf.function(tf.reduce_mean, autograph=False)(samples).numpy()


        def main():
            print(summary(tf.constant([1.0, 2.0])))
        """
    )
    assert found(source) == []


def test_tf_function_created_in_a_loop_is_flagged_and_retraces() -> None:
    source = "import tensorflow as tf\n\nfor v in values:\n    tf.function(tf.square)(v)\n"
    assert found(source) == [(4, 5, "TF402")]
    in_while = "import tensorflow as tf\n\nn = 0\nwhile n < 3:\n    tf.function(tf.square)(2.0)\n"
    assert found(in_while) == [(5, 5, "TF402")]
    counted = [tf.function(lambda y: y * 2.0) for _ in range(2)]
    for function in counted:
        function(tf.constant(1.0))
    assert [f.experimental_get_tracing_count() for f in counted] == [1, 1]  # each new one traces


# -- TF407 run_eagerly behind a debugging switch -------------------------------------------------


@pytest.mark.parametrize(
    "test",
    [
        "debug",
        "FLAGS.debug",
        "self.config.debug_mode",
        "args.eager_debug and x",
        "cfg.get('debug')",
    ],
)
def test_eager_mode_behind_a_debug_switch_is_quiet(test) -> None:
    source = textwrap.dedent(
        f"""\
        import tensorflow as tf


        def setup(model, debug, FLAGS, args, cfg, x):
            if {test}:
                tf.config.run_functions_eagerly(True)
                model.compile(loss="mse", run_eagerly=True)
                model.run_eagerly = True
        """
    )
    assert found(source) == []


@pytest.mark.parametrize(
    "header, row",
    [("if not debug:", 5), ("if verbose:", 5), ("if debug:\n        pass\n    else:", 7)],
)
def test_eager_mode_outside_a_debug_switch_is_flagged(header, row) -> None:
    source = (
        "import tensorflow as tf\n\n\ndef setup(debug, verbose):\n"
        f"    {header}\n        tf.config.run_functions_eagerly(True)\n"
    )
    assert found(source) == [(row + 1, 9, "TF407")]


@pytest.mark.parametrize(
    "test, branch",
    [
        ("tf.executing_eagerly() or not xla_ready", "else"),
        ("not tf.executing_eagerly()", "body"),
        ("not tf.executing_eagerly() and xla_ready", "body"),
    ],
)
def test_graph_only_branches_of_boolean_tests_are_quiet(test, branch) -> None:
    inner = (
        "@tf.function(jit_compile=True)\n"
        "        def call_fn(y):\n"
        "            return fn(y)\n\n"
        "        return call_fn(x)"
    )
    body, orelse = (inner, "return fn(x)") if branch == "body" else ("return fn(x)", inner)
    source = (
        "import tensorflow as tf\n\n\ndef compiled(fn, x, xla_ready):\n"
        f"    if {test}:\n        {body}\n    else:\n        {orelse}\n"
    )
    assert found(source) == []
    flipped = source.replace(f"if {test}:", "if xla_ready:")
    assert [code for _, _, code in found(flipped)] == ["TF402"]


def test_loop_over_literal_settings_and_forwarded_jit_compile_are_quiet() -> None:
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        def sweep():
            for scale in (0.5, 2.0):
                tf.function(lambda t: t * scale)(tf.constant(1.0))


        def run(x, jit_compile=False):
            @tf.function(jit_compile=jit_compile)
            def whole(y):
                return y * 2.0

            return whole(x)
        """
    )
    assert found(source) == []
