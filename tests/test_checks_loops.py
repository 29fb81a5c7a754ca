"""TF403, TF404, TF503 on small snippets: each spelling found with its exact message, each
look-alike of real code quiet, and the claims checked by running the code with TensorFlow."""

from __future__ import annotations

import importlib.util
import tempfile
import textwrap
from pathlib import Path
from types import ModuleType

import pytest
import tensorflow as tf

from tests.snippets import lint_snippet, positions, single
from tflint.diagnostics import Applicability, Diagnostic
from tflint.fixes import fix_source

CODES = frozenset({"TF403", "TF404", "TF503"})


def lint(source: str, codes: frozenset[str] = CODES) -> list[Diagnostic]:
    return lint_snippet(source, codes)


def found(source: str, codes: frozenset[str] = CODES) -> list[tuple[int, int, str]]:
    return positions(lint(source, codes))


def found_at(diagnostic: Diagnostic) -> tuple[str, int, int]:
    return diagnostic.code, diagnostic.location.row, diagnostic.location.column


def only(source: str) -> Diagnostic:
    return single(lint(source))


def load(source: str) -> ModuleType:
    """The snippet imported from a file: AutoGraph converts only code whose source it can read
    (not `exec`'d strings)."""
    folder = Path(tempfile.mkdtemp(prefix="tflint_loops_"))
    path = folder / f"snippet_{len(list(folder.iterdir()))}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(source: str, name: str, *args: object) -> object:
    """Define the snippet's functions and call one with real TensorFlow."""
    return getattr(load(source), name)(*args)


def tf_function(body: str, params: str = "x") -> str:
    """`body` (indented lines) as the body of a tf.function `f(params)` starting at row 6."""
    return (
        "import keras\nimport tensorflow as tf\n\n\n@tf.function\n"
        f"def f({params}):\n{textwrap.indent(textwrap.dedent(body), '    ')}"
    )


# -- TF403 python-loop-unrolled ------------------------------------------------------------------

_UNROLLED_CLAIM = (
    "in graph code (decorated with @tf.function) is unrolled while tracing: every iteration "
    "adds the body's ops to the graph again (1,000 iterations of `x = x * 0.5 + 1.0` make "
    "4,002 ops and over a second of tracing on TF 2.21); "
)
LONG_LOOP = tf_function(
    """\
    for _ in range(1000):
        x = x * 0.5 + 1.0
    return x
    """
)


def test_long_literal_range_is_flagged_and_really_unrolls() -> None:
    diagnostic = only(LONG_LOOP)
    assert found_at(diagnostic) == ("TF403", 7, 14)
    assert diagnostic.message == (
        f"a Python `for` over `range(1000)` {_UNROLLED_CLAIM}loop with `tf.range` so that "
        "AutoGraph builds one `tf.while_loop`"
    )
    graph = load(LONG_LOOP).f.get_concrete_function(tf.constant(1.0)).graph
    assert len(graph.get_operations()) == 4002


def test_the_unsafe_fix_makes_one_while_loop() -> None:
    diagnostic = only(LONG_LOOP)
    assert diagnostic.fix is not None
    assert diagnostic.fix.applicability is Applicability.UNSAFE
    assert fix_source(LONG_LOOP.encode(), "snippet.py", CODES, False)[0].decode() == LONG_LOOP
    fixed = fix_source(LONG_LOOP.encode(), "snippet.py", CODES, True)[0].decode()
    assert fixed == LONG_LOOP.replace("range(1000)", "tf.range(1000)")
    graph = load(fixed).f.get_concrete_function(tf.constant(1.0)).graph
    assert len(graph.get_operations()) < 50


@pytest.mark.parametrize(
    ("params", "bound", "what"),
    [
        ("x, n: int", "n", "the `int` parameter `n`"),
        ("x, steps=500", "steps", "the parameter `steps` (default 500)"),
    ],
)
def test_python_int_parameter_bounds_are_flagged(params: str, bound: str, what: str) -> None:
    source = tf_function(f"for _ in range({bound}):\n    x = tf.sin(x)\nreturn x\n", params)
    diagnostic = only(source)
    assert diagnostic.location.row == 7
    assert diagnostic.message.startswith(f"a Python `for` over {what} in graph code")


def test_literal_start_stop_step_counts_the_iterations() -> None:
    source = tf_function("for _ in range(0, 500, 2):\n    x = tf.sin(x)\nreturn x\n")
    assert only(source).message.startswith("a Python `for` over a range of 250 in graph code")


def test_keras_call_gets_keras_advice_and_no_fix() -> None:
    source = """\
    import keras


    class Refine(keras.layers.Layer):
        def call(self, inputs):
            for _ in range(200):
                inputs = keras.ops.tanh(inputs)
            return inputs
    """
    diagnostic = only(source)
    assert (diagnostic.location.row, diagnostic.fix) == (6, None)
    assert diagnostic.message.endswith(
        "AutoGraph is off here, so write the loop as `keras.ops.fori_loop` or `tf.while_loop`"
    )


@pytest.mark.parametrize(
    "body",
    [
        "for _ in range(3):\n    x = tf.sin(x)\n",  # a small literal range
        "for _ in range(99):\n    x = tf.sin(x)\n",
        "for j in range(x.shape[-1]):\n    x = x + 1.0\n",  # a static shape
        "for _ in range(tf.shape(x)[0]):\n    x = x + 1.0\n",  # a tensor: AutoGraph converts
        "for _ in tf.range(1000):\n    x = x + 1.0\n",
        "names = []\nfor i in range(1000):\n    names.append(str(i))\n",  # Python work only
    ],
)
def test_short_static_tensor_or_python_only_loops_are_quiet(body: str) -> None:
    assert found(tf_function(body + "return x\n")) == []


@pytest.mark.parametrize("params", ["x, n", "x, n=10"])
def test_parameters_not_known_to_be_large_python_ints_are_quiet(params: str) -> None:
    assert found(tf_function("for _ in range(n):\n    x = tf.sin(x)\nreturn x\n", params)) == []


def test_loop_over_sub_layers_is_quiet() -> None:
    source = """\
    import keras


    class Stack(keras.layers.Layer):
        def call(self, inputs):
            for layer in self.blocks:
                inputs = layer(inputs)
            return inputs
    """
    assert found(source) == []


def test_eager_code_is_quiet() -> None:
    source = """\
    import tensorflow as tf


    def warm(x):
        for _ in range(1000):
            x = tf.sin(x)
        return x
    """
    assert found(source) == []


# -- TF404 python-list-in-tensor-loop ------------------------------------------------------------

APPEND = tf_function(
    """\
    out = []
    for i in tf.range(n):
        out.append(x * tf.cast(i, tf.float32))
    return tf.stack(out)
    """,
    "x, n",
)


def test_append_in_tf_range_loop_is_flagged_and_raises() -> None:
    diagnostic = only(APPEND)
    assert found_at(diagnostic) == ("TF404", 9, 9)
    assert diagnostic.message == (
        "`out.append(...)` in a loop over `tf.range` (decorated with @tf.function): AutoGraph "
        "runs the loop as a `tf.while_loop` and traces its body once, so the list gets one "
        "item, not one per iteration, and a tensor of the loop body used after the loop raises "
        "`InaccessibleTensorError: ... is out of scope and cannot be used here`; collect values "
        "in a `tf.TensorArray` (`ta = ta.write(i, v)`, `ta.stack()` after the loop)"
    )
    with pytest.raises(ValueError, match="out of scope and cannot be used here"):
        run(APPEND, "f", tf.constant(1.0), tf.constant(3))


def test_item_assignment_with_the_loop_index_is_flagged_and_raises() -> None:
    source = tf_function(
        """\
        slots = [0.0] * 3
        for i in tf.range(3):
            slots[i] = x
        return slots
        """
    )
    diagnostic = only(source)
    assert (diagnostic.location.row, diagnostic.location.column) == (9, 9)
    assert diagnostic.message == (
        "item assignment `slots[...] = ...` with an index from a loop over `tf.range` "
        "(decorated with @tf.function): AutoGraph runs the loop as a `tf.while_loop`, where the "
        "index is a symbolic tensor, and a Python list raises `TypeError: list indices must be "
        "integers or slices, not SymbolicTensor`; write into a `tf.TensorArray` "
        "(`ta = ta.write(i, v)`) or build the result with `tf.tensor_scatter_nd_update`"
    )
    with pytest.raises(TypeError, match="list indices must be integers or slices"):
        run(source, "f", tf.constant(1.0))


@pytest.mark.parametrize(
    ("loop", "what"),
    [
        ("for row in dataset:", "a dataset"),
        ("for i in range(tf.shape(x)[0]):", "`range` of a tensor"),
        ("for v in tf.reshape(x, [-1]):", "a tensor"),
    ],
)
def test_every_loop_autograph_converts_is_seen(loop: str, what: str) -> None:
    source = tf_function(f"out = []\n{loop}\n    out.append(x)\nreturn out\n", "x, dataset")
    assert only(source).message.startswith(f"`out.append(...)` in a loop over {what} (")


def test_a_list_stacked_into_the_same_name_after_the_loop_is_still_seen() -> None:
    source = tf_function(
        "out = []\nfor i in tf.range(3):\n    out.append(x)\nout = tf.stack(out)\nreturn out\n"
    )
    assert found(source) == [(9, 9, "TF404")]
    # `x` was made outside the loop: no error, but one item for three iterations
    assert run(source, "f", tf.constant(1.0)).shape == (1,)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="out of scope"):
        run(source.replace("append(x)", "append(x * 2.0)"), "f", tf.constant(1.0))


def test_range_of_a_tensor_really_raises() -> None:
    source = tf_function(
        "out = []\nfor i in range(tf.shape(x)[0]):\n    out.append(x[i] * 2.0)\n"
        "return tf.stack(out)\n"
    )
    with pytest.raises(ValueError, match="out of scope"):
        run(source, "f", tf.constant([1.0, 2.0]))


@pytest.mark.parametrize(
    "body",
    [
        # a Python loop: real appends while tracing
        "out = []\nfor i in range(3):\n    out.append(x)\nreturn tf.stack(out)\n",
        # a fresh list every iteration, used inside it
        "for i in tf.range(3):\n    parts = []\n    parts.append(x)\n    x = tf.add_n(parts)\n"
        "return x\n",
        # a constant index: AutoGraph carries the list as a loop variable
        "slot = [x]\nfor i in tf.range(3):\n    slot[0] = x * 2.0\nreturn slot[0]\n",
        # a dict entry is carried the same way
        "d = {}\nfor i in tf.range(3):\n    d[i] = x\nreturn x\n",
        # a Python list of tensors from TensorFlow: a Python loop
        "out = []\nfor p in tf.unstack(x):\n    out.append(p)\nreturn tf.stack(out)\n",
        "parts = tf.split(x, 2)\nout = []\nfor p in parts:\n    out.append(p)\n"
        "return tf.concat(out, 0)\n",
        # a bare parameter may be a Python list of tensors
        "out = []\nfor p in x:\n    out.append(p)\nreturn out\n",
        # a TensorArray is the fix
        "ta = tf.TensorArray(tf.float32, size=3)\nfor i in tf.range(3):\n"
        "    ta = ta.write(i, x)\nreturn ta.stack()\n",
    ],
)
def test_lists_autograph_handles_are_quiet(body: str) -> None:
    assert found(tf_function(body)) == []


def test_quiet_shapes_really_run() -> None:
    fresh = tf_function(
        "for i in tf.range(3):\n    parts = []\n    parts.append(x)\n    x = tf.add_n(parts)\n"
        "return x\n"
    )
    constant_index = tf_function(
        "slot = [x]\nfor i in tf.range(3):\n    slot[0] = slot[0] * 2.0\nreturn slot[0]\n"
    )
    assert float(run(fresh, "f", tf.constant(1.0))) == 1.0  # type: ignore[arg-type]
    assert float(run(constant_index, "f", tf.constant(1.0))) == 8.0  # type: ignore[arg-type]


def test_an_argument_list_is_tf105s_finding_not_tf404s() -> None:
    source = tf_function(
        "for i in tf.range(3):\n    out.append(x)\n    out[i] = x\nreturn x\n", "x, out"
    )
    reported = found(source, frozenset({"TF105", "TF404"}))
    assert [code for _, _, code in reported] == ["TF105", "TF105"]


def test_keras_call_is_tf501s_domain_not_tf404s() -> None:
    source = """\
    import keras
    import tensorflow as tf


    class Collect(keras.layers.Layer):
        def call(self, inputs):
            out = []
            for i in tf.range(3):
                out.append(inputs)
            return out
    """
    assert found(source) == []


# -- TF503 tensor-break-in-python-loop -----------------------------------------------------------

_BREAK_ERROR = (
    "`NotImplementedError: break and return statements which depend on a TF condition are not "
    "supported in Python for loops`"
)
BREAK = tf_function(
    """\
    for _ in range(5):
        x = x - 1.0
        if x < 0:
            break
    return x
    """
)


def test_break_on_a_tensor_in_a_python_loop_is_flagged_and_raises() -> None:
    diagnostic = only(BREAK)
    assert found_at(diagnostic) == ("TF503", 10, 13)
    assert diagnostic.message == (
        "`break` under a tensor condition inside a Python `for` loop (decorated with "
        "@tf.function): AutoGraph converts the `if` to `tf.cond` but leaves the loop to Python, "
        f"which cannot stop on a value known only at run time, and tracing raises {_BREAK_ERROR}"
        "; loop with `tf.range` (a `tf.while_loop` can stop on a tensor)"
    )
    with pytest.raises(NotImplementedError, match="depend on a TF condition"):
        run(BREAK, "f", tf.constant(3.0))
    assert float(run(BREAK.replace("range(5)", "tf.range(5)"), "f", tf.constant(3.0))) == -1.0  # type: ignore[arg-type]


def test_return_in_one_branch_names_the_else_branch_error() -> None:
    source = tf_function(
        "for _ in range(5):\n    x = x - 1.0\n    if tf.reduce_any(x < 0):\n        return x\n"
        "return x * 2.0\n"
    )
    diagnostic = only(source)
    assert diagnostic.location.row == 10
    assert (
        "tracing raises `ValueError: the else branch must also have a return statement`; set a "
        "flag and `break` out of a `tf.range` loop (a `return` inside one is not supported "
        "either), then pick the result with `tf.where`"
    ) in diagnostic.message
    with pytest.raises(ValueError, match="else branch must also have a return statement"):
        run(source, "f", tf.constant(3.0))


def test_return_in_both_branches_names_the_loop_error() -> None:
    source = tf_function(
        "for _ in range(5):\n    if x > 10.0:\n        return x\n    else:\n"
        "        return x * 2.0\nreturn x\n"
    )
    assert found(source) == [(9, 13, "TF503"), (11, 13, "TF503")]
    assert all(_BREAK_ERROR in d.message for d in lint(source))
    with pytest.raises(NotImplementedError, match="depend on a TF condition"):
        run(source, "f", tf.constant(3.0))


def test_loop_over_a_literal_list_is_a_python_loop_too() -> None:
    source = tf_function("for v in [1.0, 2.0]:\n    if x < v:\n        break\nreturn x\n")
    assert found(source) == [(9, 13, "TF503")]


@pytest.mark.parametrize(
    ("body", "params"),
    [
        ("for step in range(5):\n    if step >= 3:\n        break\n", "x"),  # a Python test
        ("for _ in range(3):\n    if bias is None:\n        break\n", "x, bias=None"),
        ("for _ in tf.range(5):\n    if x < 0:\n        break\n", "x"),  # a while loop
        ("for _ in range(n):\n    if x < 0:\n        break\n", "x, n"),  # n may be a tensor
        # the break belongs to the inner tf.range loop
        ("for _ in range(3):\n    for _ in tf.range(3):\n        if x < 0:\n            break\n",
         "x"),
        # a `return` in a nested function is that function's
        ("for _ in range(3):\n    def g(y):\n        if y < 0:\n            return y\n", "x"),
    ],
)  # fmt: skip
def test_python_decisions_and_tensor_loops_are_quiet(body: str, params: str) -> None:
    assert found(tf_function(body + "return x\n", params)) == []


@pytest.mark.parametrize(
    "source",
    [
        # autograph=False: the `if` on a tensor itself raises (TF501)
        "import tensorflow as tf\n\n\n@tf.function(autograph=False)\ndef f(x):\n"
        "    for _ in range(5):\n        if x < 0:\n            break\n    return x\n",
        # Keras never applies AutoGraph to `call` (TF501)
        "import keras\n\n\nclass L(keras.layers.Layer):\n    def call(self, x):\n"
        "        for _ in range(5):\n            if x < 0:\n                break\n"
        "        return x\n",
    ],
)
def test_code_without_autograph_is_tf501s_domain(source: str) -> None:
    assert found(source) == []
