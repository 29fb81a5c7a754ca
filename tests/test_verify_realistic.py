"""`--verify` on code written the way projects write it, not the way our rule examples are:
every true finding of these modules comes back `confirmed`, with the evidence it rests on.

Each module in tests/data/verify/realistic/ stands for one cause that used to leave true
findings `unverifiable`: a `.numpy()` whose graph error masked the function's other findings;
no example call (TF401 in a loop, TF402 in a helper nobody calls here); inputs only the code
describes (unpacking, constructor widths, class ids against scores); branches ordinary inputs
never take; a `Dataset.map` that only the `__main__` block builds; a notebook.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from tflint.diagnostics import Diagnostic
from tflint.engine import lint_source
from tflint.notebooks import lint_notebook
from tflint.rules import RULES
from tflint.verify import Verifier

pytestmark = pytest.mark.verify

REALISTIC = Path(__file__).resolve().parent / "data" / "verify" / "realistic"
TIMES = "\u00d7"
NEUTRALISED = " (with `.numpy()` passed through: it raises in graphs)"


@pytest.fixture(scope="module")
def verifier() -> Iterator[Verifier]:
    with Verifier(device="cpu", timeout=60.0, jobs=2) as shared:
        yield shared


def lint(path: Path) -> list[Diagnostic]:
    """The findings as in a project (TF402 leaves files under tests/ alone), on the real file."""
    lint_file = lint_notebook if path.suffix == ".ipynb" else lint_source
    found = lint_file(path.read_bytes(), f"project/{path.name}", frozenset(RULES))
    return [dataclasses.replace(d, filename=str(path)) for d in found]


@pytest.fixture(scope="module")
def verdicts(verifier: Verifier) -> dict[tuple[str, int, str], tuple[str, str]]:
    findings = [d for path in sorted(REALISTIC.glob("*.*")) for d in lint(path)]
    return {
        (Path(r.filename).name, r.location.row, r.code): (
            r.verification.status,
            r.verification.evidence,
        )
        for r in verifier.verify(findings)
        if r.verification is not None
    }


def ran(what: str, graph: int, eager: int, where: str, calls: int = 3) -> str:
    return (
        f"{what} {graph}{TIMES} in {calls} graph calls of {where}, "
        f"{eager}{TIMES} in {calls} eager calls"
    )


EXPECTED = {
    # one `.numpy()` at the end of a training step: the step's other findings are judged with
    # it passed through, and the TF202 finding itself on the real graph error
    ("logged_step.py", 18, "TF105"): "steps_taken changed by 1 in 3 graph calls of train_step, "
    "by 3 in 3 eager calls" + NEUTRALISED,
    ("logged_step.py", 19, "TF104"): ran("time.time ran", 1, 3, "train_step") + NEUTRALISED,
    ("logged_step.py", 20, "TF103"): ran("numpy.random.uniform ran", 1, 3, "train_step")
    + NEUTRALISED,
    ("logged_step.py", 26, "TF101"): ran("print ran", 1, 3, "train_step") + NEUTRALISED,
    ("logged_step.py", 26, "TF104"): ran("time.time ran", 1, 3, "train_step") + NEUTRALISED,
    ("logged_step.py", 28, "TF105"): "items in losses changed by 1 in 3 graph calls of "
    "train_step, by 3 in 3 eager calls" + NEUTRALISED,
    ("logged_step.py", 28, "TF202"): "graph call of train_step raised AttributeError: "
    "'SymbolicTensor' object has no attribute 'numpy'; eager calls ran",
    # no example call anywhere: the loop's values, generic tensors for the helper
    ("epochs.py", 14, "TF401"): f"scaled_update traced 3{TIMES} in 3 calls with epoch = 0, 1, "
    "2 (the values the loop at line 13 passes)",
    ("epochs.py", 23, "TF402"): f"tf.function created 3{TIMES} at line 23 and traced 3{TIMES} "
    "during 3 calls of smooth",
    # inputs read from the code
    ("shapes_from_code.py", 12, "TF101"): ran("print ran", 1, 3, "PairDistance"),
    ("shapes_from_code.py", 25, "TF101"): ran("print ran", 2, 3, "Projection"),
    ("shapes_from_code.py", 36, "TF101"): ran("print ran", 1, 3, "TopTwoHits"),
    ("shapes_from_code.py", 55, "TF101"): ran("print ran", 1, 3, "Siamese"),
    # branches taken only by zeros / by large values
    ("rare_branches.py", 14, "TF101"): ran("print ran", 0, 3, "scaled_step")
    + " (inputs that take its branch: float32 tensors of shape (), every value zeros)",
    ("rare_branches.py", 16, "TF102"): ran(
        "log record 'WARNING values are exploding'", 0, 3, "scaled_step"
    )
    + " (inputs that take its branch: float32 tensors of shape (), every value 2000)",
    # a tf.data pipeline only the __main__ block builds, read without running the block
    ("pipeline_main.py", 13, "TF103"): ran("numpy.random.uniform ran", 1, 9, "augment", 9),
    ("pipeline_main.py", 14, "TF103"): ran("random.random ran", 1, 9, "augment", 9),
    # a notebook: its code cells up to the flagged one (magics set aside) make the module, each
    # run on its own (neither a package this machine lacks nor the cell that shows an error
    # on purpose stops the next); the last cell, which would raise, is never run
    ("regressor.ipynb", 3, "TF101"): ran("print ran", 1, 3, "fit_step"),
    ("regressor.ipynb", 4, "TF104"): ran("time.time ran", 1, 3, "fit_step"),
}


def test_every_finding_of_the_realistic_modules_is_listed(
    verdicts: dict[tuple[str, int, str], tuple[str, str]],
) -> None:
    assert sorted(verdicts) == sorted(EXPECTED)


@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda k: f"{k[0]}:{k[1]}:{k[2]}")
def test_each_true_finding_is_confirmed_with_its_evidence(
    key: tuple[str, int, str], verdicts: dict[tuple[str, int, str], tuple[str, str]]
) -> None:
    assert verdicts[key] == ("confirmed", EXPECTED[key])
