"""`--verify` on code another module traces (issue 11): the verifier runs the traced function
of the caller's module, with the project's import roots importable in the worker, and observes
the flagged lines of the other file. Small multi-file projects, real TensorFlow, through the
CLI: a package with relative imports, a `src/` layout, a notebook importing a local module."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.test_project_cross_module import SRC_LAYOUT_ACCUMULATOR, notebook, write
from tflint.cli import main
from tflint.config import Settings
from tflint.diagnostics import Diagnostic, Location
from tflint.project.modules import ProjectModules
from tflint.runner import lint_paths
from tflint.verify import _caller, _shown_files, verify_diagnostics
from tflint.verify.protocol import Status

pytestmark = pytest.mark.verify

_FINDING = re.compile(r"^(\S+:\d+:\d+: TF\d+) .* \[([a-z-]+: .*)\]$")


def verdicts(
    root: Path, monkeypatch: pytest.MonkeyPatch, *paths: str, cache: bool = False
) -> list[tuple[str, str]]:
    """(`file:row:col: CODE`, `status: evidence`) of each finding `--verify` reports."""
    monkeypatch.chdir(root)
    options = ["--verify"] if cache else ["--no-cache", "--verify"]
    result = CliRunner().invoke(main, [*options, *paths])
    assert result.exit_code == 1, result.output
    found = [_FINDING.match(line) for line in result.output.splitlines() if ": TF" in line]
    assert all(found), result.output
    return [(match[1], match[2]) for match in found if match]


PACKAGE = {
    "pkg/__init__.py": "from .utils import record\n",
    "pkg/utils.py": """\
        import time

        history = []
        batches = []


        def record(x):
            history.append(x)
            return x


        def stamp():
            return time.time()


        def keep(batch):
            batches.append(batch)
    """,
    "pkg/base.py": """\
        import keras


        class Base(keras.layers.Layer):
            pass
    """,
    "pkg/parts.py": """\
        import numpy as np

        from .base import Base


        class C:
            def __init__(self):
                print("built")


        class D:
            def h(self, x):
                return np.sum(x)


        class Block(Base):
            def call(self, x):
                return x.numpy()


        class E:
            def __init__(self):
                self.n = 0

            def bump(self):
                self.n += 1
    """,
    "pkg/wrappers.py": """\
        import tensorflow as tf


        def relaxed_function(f):
            return tf.function(f, reduce_retracing=True)
    """,
    "pkg/train.py": """\
        import keras
        import tensorflow as tf

        from . import utils
        from .parts import Block, C, D, E
        from .utils import record
        from .wrappers import relaxed_function


        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.block = Block()

            def call(self, x):
                return self.block(x)


        @tf.function
        def train_step(x):
            record(x)
            return x * 2


        @tf.function
        def build(x):
            C()
            return x


        @tf.function
        def total(x):
            return D().h(x)


        @tf.function
        def timed(x):
            return x + utils.stamp()


        @tf.function
        def from_batch(batch):
            utils.keep(batch["image"])
            return batch["label"]


        @relaxed_function
        def show(x):
            print(x)
            return x


        @tf.function
        def bumped(x):
            E().bump()
            return x
    """,
}
UTILS = "history = []\n\n\ndef record(x):\n    history.append(x)\n"
NUMPY_ERROR = "NotImplementedError: Cannot convert a symbolic tf.Tensor (x:0) to a numpy array."


def test_package_with_relative_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Module state, a clock, a constructor, a method, a sub-layer's `call`: each run from the
    caller's tf.function or Keras model in pkg/train.py and observed in the other file. A
    caller that needs a dict of named tensors gets no inputs, and an object made inside the
    call cannot be read from outside it: unverifiable, saying so."""
    write(tmp_path, PACKAGE)
    assert verdicts(tmp_path, monkeypatch, ".") == [
        (
            "pkg/parts.py:8:9: TF101",
            "confirmed: print ran 1\u00d7 in 3 graph calls of build (train.py), 3\u00d7 in 3 "
            "eager calls",
        ),
        (
            "pkg/parts.py:13:16: TF201",
            f"confirmed: graph call of total (train.py) raised {NUMPY_ERROR}; eager calls ran",
        ),
        (
            "pkg/parts.py:18:16: TF202",
            "confirmed: graph call of Net (train.py) raised AttributeError: 'SymbolicTensor' "
            "object has no attribute 'numpy'; eager calls ran",
        ),
        (  # an instance made inside the traced call: its attribute cannot be read
            "pkg/parts.py:26:9: TF106",
            "unverifiable: the mutated state could not be observed from outside the call",
        ),
        (  # the project-local tf.function wrapper: the module's own function, as before
            "pkg/train.py:49:5: TF101",
            "confirmed: print ran 1\u00d7 in 3 graph calls of show, 3\u00d7 in 3 eager calls",
        ),
        (
            "pkg/utils.py:8:5: TF105",
            "confirmed: items in history changed by 1 in 3 graph calls of train_step "
            "(train.py), by 3 in 3 eager calls",
        ),
        (
            "pkg/utils.py:13:12: TF104",
            "confirmed: time.time ran 1\u00d7 in 3 graph calls of timed (train.py), 3\u00d7 in 3 "
            "eager calls",
        ),
        (
            "pkg/utils.py:17:5: TF105",
            "unverifiable: no inputs could be built (eager call raised TypeError: Only "
            "integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
            "tf.int32/tf\u2026)",
        ),
    ]


def test_re_export_and_a_function_handed_to_map_fn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`from pkg import record` through `__init__.py`, handed to tf.map_fn in a top-level
    script: eagerly map_fn calls it once per row, as a graph once per trace."""
    write(
        tmp_path,
        {
            **{name: PACKAGE[name] for name in ("pkg/__init__.py", "pkg/utils.py")},
            "run.py": """\
                import tensorflow as tf

                from pkg import record


                @tf.function
                def step(x):
                    tf.map_fn(record, x)
                    return x
            """,
        },
    )
    assert verdicts(tmp_path, monkeypatch, ".") == [
        (
            "pkg/utils.py:8:5: TF105",
            "confirmed: items in history changed by 1 in 3 graph calls of step (run.py), by 6 "
            "in 3 eager calls",
        ),
    ]


def test_src_layout_accumulator_class_in_another_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mylib` lives under `src/`: the worker imports it from there, as the link resolved it.
    The method's `self.total` is read on the caller's global instance; the caller's own
    `acc.add(...)` finding is judged by the attributes the call changes."""
    write(tmp_path, SRC_LAYOUT_ACCUMULATOR)
    assert verdicts(tmp_path, monkeypatch, "src", "scripts") == [
        (
            "scripts/train.py:10:5: TF105",
            "confirmed: acc.total changed by 1 in 3 graph calls of step, by 3 in 3 eager calls",
        ),
        (
            "src/mylib/accumulate.py:6:9: TF106",
            "confirmed: self.total changed by 1 in 3 graph calls of step (train.py), by 3 in 3 "
            "eager calls",
        ),
    ]


def test_notebook_importing_a_local_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller is a notebook cell: its cells up to that one run, then its tf.function."""
    write(tmp_path, {"utils.py": UTILS})
    (tmp_path / "train.ipynb").write_text(
        notebook(
            [
                "import tensorflow as tf\nfrom utils import record",
                "@tf.function\ndef train_step(x):\n    record(x)\n    return x",
            ]
        )
    )
    assert verdicts(tmp_path, monkeypatch, ".") == [
        (
            "utils.py:5:5: TF105",
            "confirmed: items in history changed by 1 in 3 graph calls of train_step "
            "(train.ipynb), by 3 in 3 eager calls",
        ),
    ]


TRAIN = """\
import tensorflow as tf

from utils import record


@tf.function
def train_step(x):
    record(x)
    return x
"""


def test_a_partial_run_verifies_from_the_caller_the_cache_knows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pre-commit names only the changed file: the caller's summary comes from the cache,
    and the verifier runs the caller's file from disk."""
    write(tmp_path, {"utils.py": UTILS, "train.py": TRAIN})
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["."]).exit_code == 1  # caches the summaries
    (tmp_path / "utils.py").write_text(UTILS + "\n\ndef other():\n    return 1\n")
    assert verdicts(tmp_path, monkeypatch, "utils.py", cache=True) == [
        (
            "utils.py:5:5: TF105",
            "confirmed: items in history changed by 1 in 3 graph calls of train_step "
            "(train.py), by 3 in 3 eager calls",
        ),
    ]


def test_without_the_project_the_caller_is_named_and_the_finding_unverifiable(
    tmp_path: Path,
) -> None:
    """The API without `project` (the run's files) runs the flagged module alone: nothing
    there traces the code, and the verdict says which module does."""
    write(tmp_path, {"utils.py": UTILS, "train.py": TRAIN})
    result = lint_paths([tmp_path], Settings(root=tmp_path), jobs=1)
    [verified] = verify_diagnostics(result.diagnostics, device="cpu")
    assert verified.verification is not None
    assert (verified.verification.status, verified.verification.evidence) == (
        Status.UNVERIFIABLE,
        "traced from another module (`train_step` in `train.py:8`): without the project's "
        "files the verifier imports and runs one module alone, so it cannot trace this code "
        "the way that caller does",
    )


def flagged(message: str) -> Diagnostic:
    return Diagnostic("TF105", message, "utils.py", Location(5, 5), Location(5, 20), "record")


def test_the_caller_is_the_one_file_of_the_run_the_message_names(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"utils.py": UTILS, "a/train.py": TRAIN, "b/train.py": TRAIN, "nb.ipynb": "{}"},
    )
    files = [str(tmp_path / name) for name in ("utils.py", "a/train.py", "b/train.py", "nb.ipynb")]
    project = _shown_files(ProjectModules(files[:2] + files[3:], [tmp_path]))
    via = "called from `train_step` (decorated with @tf.function) in `{}`"
    assert _caller(flagged(via.format("train.py:8")), project) == (
        str((tmp_path / "a/train.py").resolve()),
        "train_step",
        None,
    )
    assert _caller(flagged(via.format("nb.ipynb:cell 2:3")), project) == (
        str((tmp_path / "nb.ipynb").resolve()),
        "train_step",
        2,
    )
    assert _caller(flagged("`print` in graph code (decorated with @tf.function)"), project) is None
    assert _caller(flagged(via.format("other.py:3")), project) == (
        "traced from `train_step` in another module, but `other.py` is not one of this run's files"
    )
    everything = _shown_files(ProjectModules(files, [tmp_path]))
    assert _caller(flagged(via.format("train.py:8")), everything) == (
        "traced from `train_step` in another module, but `train.py` names 2 of this run's files"
    )
