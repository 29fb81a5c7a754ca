"""Whole-project analysis through the real CLI and runner: graph code found across modules
(issue 11), in the project layouts Python imports from, and a cache that re-judges only the
files whose findings depend on an edited module."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from tflint.cache import project_cache_directory
from tflint.cli import main
from tflint.config import Settings
from tflint.runner import RunResult, lint_paths

UTILS = """\
history = []


def record(x):
    history.append(x)
"""
TF105_AFTER = (
    ": it happens once per trace, not on every call, and can leak symbolic tensors; use a "
    "`tf.Variable`, return the value, or a `tf.TensorArray`"
)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def run_cli(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> list[str]:
    """The finding lines the CLI prints, linting from `root`."""
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["--no-cache", *args])
    return [line for line in result.output.splitlines() if ": TF" in line]


def test_package_with_relative_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/utils.py": UTILS,
            "pkg/train.py": """\
                import tensorflow as tf

                from .utils import record


                @tf.function
                def train_step(x):
                    record(x)
                    return x * 2
            """,
        },
    )
    assert run_cli(tmp_path, monkeypatch, "pkg") == [
        "pkg/utils.py:5:5: TF105 `history.append(...)` changes a module-level variable from "
        "graph code (called from `train_step` (decorated with @tf.function) in "
        f"`pkg/train.py:8`){TF105_AFTER}"
    ]


SRC_LAYOUT_ACCUMULATOR = {
    "src/mylib/__init__.py": "",
    "src/mylib/accumulate.py": """\
            class Accumulator:
                def __init__(self):
                    self.total = 0

                def add(self, value):
                    self.total += 1
                    return value
        """,
    "scripts/train.py": """\
            import tensorflow as tf

            from mylib.accumulate import Accumulator

            acc = Accumulator()


            @tf.function
            def step(v):
                acc.add(v)
                return v
        """,
}


def test_src_layout_accumulator_class_in_another_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, SRC_LAYOUT_ACCUMULATOR)
    assert run_cli(tmp_path, monkeypatch, "src", "scripts") == [
        "scripts/train.py:10:5: TF105 `acc.add(...)` changes a module-level variable from graph "
        f"code (decorated with @tf.function){TF105_AFTER}",
        "src/mylib/accumulate.py:6:9: TF106 updating `self.total` in place in graph code "
        "(called from `step` (decorated with @tf.function) in `train.py:10`) runs once per "
        "trace: the attribute keeps a trace-time value (a symbolic tensor, or a count of "
        "traces) instead of changing on every call; keep state in `self.add_weight(...)` / "
        "`tf.Variable` and update it with `.assign*()`",
    ]


def test_constructor_method_and_sub_layer_of_classes_in_another_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        {
            "parts.py": """\
                import numpy as np


                class C:
                    def __init__(self):
                        print("built")

                    def h(self, x):
                        return np.sum(x)


                class Block:
                    def call(self, x):
                        return x.numpy()
            """,
            "model.py": """\
                import keras
                import tensorflow as tf

                from parts import Block, C


                class Net(keras.Model):
                    def __init__(self):
                        super().__init__()
                        self.block = Block()

                    def call(self, x):
                        return self.block(x)


                @tf.function
                def run(x):
                    C()
                    return C().h(x)
            """,
        },
    )
    found = run_cli(tmp_path, monkeypatch, ".")
    assert [line.split(" in graph code ")[0] for line in found] == [
        "parts.py:6:9: TF101 [*] `print`",
        "parts.py:9:16: TF201 [*] `np.sum()` on a tensor",
        "parts.py:14:16: TF202 `.numpy()`",
    ]
    assert [line.split(" in graph code ")[1].split(")")[0] + ")" for line in found] == [
        "(called from `run` (decorated with @tf.function)",
        "(called from `run` (decorated with @tf.function)",
        "(called from `Net.call` (Keras traces `Net.call`)",
    ]
    assert [line.split(" in `")[1].split("`")[0] for line in found] == [
        "model.py:18",
        "model.py:19",
        "model.py:13",
    ]


def test_imported_tf_function_wrapper_used_as_decorator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        {
            "wrappers.py": """\
                import tensorflow as tf


                def relaxed_function(f):
                    return tf.function(f, reduce_retracing=True)
            """,
            "use.py": """\
                from wrappers import relaxed_function


                @relaxed_function
                def step(x):
                    print(x)
                    return x
            """,
        },
    )
    assert run_cli(tmp_path, monkeypatch, ".") == [
        "use.py:6:5: TF101 [*] `print` in graph code (decorated with @relaxed_function, which "
        "wraps it in tf.function (`wrappers.py:4`)) runs once per trace, not on every call, "
        "and shows symbolic tensors; use `tf.print`"
    ]


def notebook(cells: list[str]) -> str:
    document = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
             "source": source.splitlines(keepends=True)}
            for source in cells
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip
    return json.dumps(document)


def test_notebook_importing_a_local_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"utils.py": UTILS})
    (tmp_path / "train.ipynb").write_text(
        notebook(
            [
                "import tensorflow as tf\nfrom utils import record",
                "@tf.function\ndef train_step(x):\n    record(x)\n    return x",
            ]
        )
    )
    assert run_cli(tmp_path, monkeypatch, ".") == [
        "utils.py:5:5: TF105 `history.append(...)` changes a module-level variable from "
        "graph code (called from `train_step` (decorated with @tf.function) in "
        f"`train.ipynb:cell 2:3`){TF105_AFTER}"
    ]


def test_partial_run_sees_the_case_when_both_files_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"utils.py": UTILS, "train.py": TRAIN})
    assert run_cli(tmp_path, monkeypatch, "utils.py") == []
    assert [line[:19] for line in run_cli(tmp_path, monkeypatch, "train.py", "utils.py")] == [
        "utils.py:5:5: TF105"
    ]


TRAIN = """\
import tensorflow as tf

from utils import record


@tf.function
def train_step(x):
    record(x)
    return x * 2
"""
HELPER = """\
def scale(x):
    return x * 2
"""


def lint(root: Path) -> RunResult:
    return lint_paths([root], Settings(root=root), jobs=1)


def names(result: RunResult, root: Path) -> list[str]:
    return sorted(Path(name).relative_to(root).as_posix() for name in result.linted)


def test_editing_a_module_re_judges_only_the_files_that_depend_on_it(tmp_path: Path) -> None:
    write(tmp_path, {"utils.py": UTILS, "train.py": TRAIN, "helper.py": HELPER})
    first = lint(tmp_path)
    assert [d.code for d in first.diagnostics] == ["TF105"]
    assert names(first, tmp_path) == ["helper.py", "train.py", "utils.py", "utils.py"]
    warm = lint(tmp_path)
    assert (names(warm, tmp_path), [d.code for d in warm.diagnostics]) == ([], ["TF105"])
    # utils.py changes: only it is analysed again (with the roots train.py gives it)
    (tmp_path / "utils.py").write_text(UTILS + "\n\ndef other():\n    return 1\n")
    edited = lint(tmp_path)
    assert (names(edited, tmp_path), [d.code for d in edited.diagnostics]) == (
        ["utils.py"],
        ["TF105"],
    )
    # train.py stops calling record: train.py for its content, utils.py for its lost roots
    (tmp_path / "train.py").write_text(TRAIN.replace("    record(x)\n", ""))
    dropped = lint(tmp_path)
    assert (names(dropped, tmp_path), dropped.diagnostics) == (["train.py", "utils.py"], [])
    # a module nothing depends on: only itself
    (tmp_path / "helper.py").write_text(HELPER + "\n# changed\n")
    assert names(lint(tmp_path), tmp_path) == ["helper.py"]


def test_a_warm_run_on_unchanged_files_takes_the_link_from_the_cache(tmp_path: Path) -> None:
    """The link step's result is cached under every file's summary key: with the summaries
    gone from the cache, a warm run still finds the cross-module case and analyses nothing;
    once a file changes, the link runs again."""
    write(tmp_path, {"utils.py": UTILS, "train.py": TRAIN, "helper.py": HELPER})
    assert [d.code for d in lint(tmp_path).diagnostics] == ["TF105"]
    directory = project_cache_directory(tmp_path)
    assert directory is not None
    summaries = directory / "summaries"
    assert summaries.is_dir()
    shutil.rmtree(summaries)
    warm = lint(tmp_path)
    assert (names(warm, tmp_path), [d.code for d in warm.diagnostics]) == ([], ["TF105"])
    assert not summaries.exists()
    (tmp_path / "helper.py").write_text(HELPER + "\n# changed\n")
    edited = lint(tmp_path)
    assert (names(edited, tmp_path), [d.code for d in edited.diagnostics]) == (
        ["helper.py", "train.py", "utils.py"],
        ["TF105"],
    )


def test_partial_run_reads_the_other_files_summaries_from_the_cache(tmp_path: Path) -> None:
    write(tmp_path, {"utils.py": UTILS, "train.py": TRAIN, "helper.py": HELPER})
    settings = Settings(root=tmp_path)
    alone = lint_paths([tmp_path / "utils.py"], settings, jobs=1)
    assert alone.diagnostics == []  # nothing cached yet: train.py is not seen
    lint(tmp_path)  # a whole run caches every file's summary
    (tmp_path / "utils.py").write_text(UTILS + "\n\ndef other():\n    return 1\n")
    partial = lint_paths([tmp_path / "utils.py"], settings, jobs=1)
    assert [(d.code, d.location.row) for d in partial.diagnostics] == [("TF105", 5)]
    assert "called from `train_step`" in partial.diagnostics[0].message
    assert names(partial, tmp_path) == ["utils.py"]  # train.py was read from the cache only


def test_re_exports_handed_functions_and_py_function_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`from pkg import record` through the package's `__init__.py`, a function handed to
    tf.map_fn, and a function another module runs in tf.py_function (never graph code)."""
    write(
        tmp_path,
        {
            "pkg/__init__.py": "from .utils import record\n",
            "pkg/utils.py": UTILS,
            "pkg/eager.py": """\
                import tensorflow as tf

                seen = []


                def log(x):
                    seen.append(x)
                    return x


                def wrapped(x):
                    return tf.py_function(log, [x], tf.float32)
            """,
            "train.py": """\
                import tensorflow as tf

                from pkg import record
                from pkg.eager import log


                @tf.function
                def step(x):
                    tf.map_fn(record, x)
                    tf.py_function(log, [x], tf.float32)
                    return x
            """,
        },
    )
    found = run_cli(tmp_path, monkeypatch, ".")
    assert [line.split(" changes ")[0] for line in found] == [
        "pkg/utils.py:5:5: TF105 `history.append(...)`"
    ]
    assert "called from `step` (decorated with @tf.function) in `train.py:9`" in found[0]


def test_warm_run_answers_notebooks_with_notes_from_the_cache(tmp_path: Path) -> None:
    """A notebook's skipped cells are --verbose notes of its content: cached with it, so a
    warm run starts no worker for it."""
    write(tmp_path, {"utils.py": UTILS})
    (tmp_path / "train.ipynb").write_text(
        notebook(
            ["%%writefile out.txt\nhello", "import tensorflow as tf\nfrom utils import record"]
        )
    )
    first = lint(tmp_path)
    warm = lint(tmp_path)
    assert names(warm, tmp_path) == []
    assert (
        warm.notes
        == first.notes
        == [(str(tmp_path / "train.ipynb"), "cell 1 skipped: `%%writefile` cell (not Python)")]
    )


def test_a_default_run_links_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole-project analysis is on in every run: no option turns it on, and the old preview
    switch is no configuration key any more."""
    write(tmp_path, {"utils.py": UTILS, "train.py": TRAIN})
    monkeypatch.chdir(tmp_path)
    linked = CliRunner().invoke(main, ["--no-cache", "."])
    assert linked.exit_code == 1
    assert [line.split(" ")[1] for line in linked.output.splitlines() if ": TF" in line] == [
        "TF105"
    ]
    (tmp_path / "pyproject.toml").write_text("[tool.tflint]\npreview = true\n")
    configured = CliRunner().invoke(main, ["--no-cache", "."])
    assert configured.exit_code == 2
    assert "preview" in configured.output


def test_parameters_of_a_function_another_module_traces_are_what_its_callers_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A function reached from another module's tf.function gets tensors only in the
    parameters a call there passes one: a dtype, a Python seed, a list or a setting passed
    along stays a Python value (no TF201/TF102 on it), a tensor passed along is still one;
    tf.nest.map_structure passes the leaves of its structures (a dtype, or a tensor)."""
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/kinds.py": """\
                import logging

                import numpy as np


                def promote(left, right):
                    return (np.zeros([1], left) + np.zeros([1], right)).dtype


                def pick_seed(seed, fallback):
                    if seed is None:
                        logging.warning("no seed given, using %s", fallback)
                        return fallback
                    return seed


                def drop_axis(sizes, axis):
                    return np.delete(sizes, axis)


                def weight_count(values, weights):
                    return np.size(weights)


                def leaf_kind(kind):
                    return np.zeros([1], kind).dtype


                def grow(value):
                    return np.exp(value)
            """,
            "pkg/train.py": """\
                import tensorflow as tf

                from .kinds import drop_axis, grow, leaf_kind, pick_seed, promote, weight_count


                @tf.function
                def step(x, w, seed=None):
                    kind = promote(x.dtype, tf.float32)
                    seed = pick_seed(seed, 42)
                    sizes = drop_axis([1, 2, 3], 0)
                    kinds = tf.nest.map_structure(leaf_kind, {"x": x.dtype})
                    grown = tf.nest.map_structure(grow, [x])
                    total = tf.cast(x, kind) * weight_count(x, w) + len(sizes) + seed
                    return total, kinds, grown
            """,
        },
    )
    found = run_cli(tmp_path, monkeypatch, "pkg")
    assert [line.split(" on a tensor ")[0] for line in found] == [
        "pkg/kinds.py:22:12: TF201 `np.size()`",
        "pkg/kinds.py:30:12: TF201 [*] `np.exp()`",
    ]
    assert "called from `step` (decorated with @tf.function) in `pkg/train.py:13`" in found[0]
    assert "called from `step` (decorated with @tf.function) in `pkg/train.py:12`" in found[1]


SAMPLER_BASE = """\
class Sampler:
    def draw(self, mean, count):
        raise NotImplementedError
"""
SAMPLER_GAUSS = """\
import tensorflow as tf

from .base import Sampler


class Gauss(Sampler):
    def draw(self, mean, count):
        return tf.stack([self._one(mean, i) for i in range(count)])

    def _one(self, mean, seed):
        @tf.function
        def noisy(x):
            return x + tf.random.stateless_normal(tf.shape(x), [seed, 0])

        return noisy(mean)
"""
POLICY = """\
import tensorflow as tf

from samplers.base import Sampler


class Policy:
    def __init__(self, sampler: Sampler):
        self._sampler = sampler

    @tf.function
    def act(self, mean):
        return self._sampler.draw(mean, 4)
"""


def test_a_method_called_on_a_declared_class_reaches_every_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`self._sampler = sampler` with `sampler: Sampler`: the object may be any subclass, so
    `self._sampler.draw(...)` in a tf.function makes `Gauss.draw` (an override in another
    module) graph code; its nested tf.function is then built while tracing (TF402 is not
    per step). Called eagerly instead, the helper's loop re-creates it per call: TF402."""
    write(
        tmp_path,
        {
            "samplers/__init__.py": "",
            "samplers/base.py": SAMPLER_BASE,
            "samplers/gauss.py": SAMPLER_GAUSS,
            "policy.py": POLICY,
        },
    )
    assert run_cli(tmp_path, monkeypatch, ".") == []
    (tmp_path / "policy.py").write_text(POLICY.replace("    @tf.function\n", ""))
    assert [line.split(" creates ")[0] for line in run_cli(tmp_path, monkeypatch, ".")] == [
        "samplers/gauss.py:11:9: TF402 `@tf.function` on `noisy`, defined inside `_one`,"
    ]


def test_a_decorator_from_another_module_runs_where_the_function_is_defined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`@register("name")` on a loss given to `compile`: the registry's decorator runs once,
    at import, not while Keras traces the loss (no TF105 on the registry's dict); a helper the
    loss calls is still graph code."""
    write(
        tmp_path,
        {
            "registry.py": """\
                _REGISTERED = {}
                calls = []


                def register(name):
                    def decorator(function):
                        _REGISTERED[name] = function
                        return function

                    return decorator


                def count(x):
                    calls.append(1)
                    return x
            """,
            "train.py": """\
                import keras
                import tensorflow as tf

                from registry import count, register


                @register("squared")
                def squared_error(y_true, y_pred):
                    return tf.reduce_mean(tf.square(count(y_true) - y_pred))


                model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
                model.compile(loss=squared_error)
            """,
        },
    )
    assert [line.split(" changes ")[0] for line in run_cli(tmp_path, monkeypatch, ".")] == [
        "registry.py:14:5: TF105 `calls.append(...)`"
    ]
