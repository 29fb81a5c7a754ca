"""Every rules/<CODE>/bad.py and good.py is a real TensorFlow program that runs to the end
(bad.py demonstrates its problem and catches the error it provokes); TF001/TF002's bad.py are
the exceptions by design: Python cannot even read them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.rule_examples import ROOT, rule_folders

UNRUNNABLE = {"TF001/bad.py": "SyntaxError", "TF002/bad.py": "SyntaxError"}


@pytest.fixture(scope="module")
def verdicts() -> dict[str, str | None]:
    paths = [str(f / name) for f in rule_folders() for name in ("bad.py", "good.py")]
    completed = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "example_runner.py"), *paths],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    results = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    return {r["path"].split("rules/")[-1]: r["error"] for r in results}


@pytest.mark.parametrize(
    "example",
    [f"{f.name}/{name}" for f in rule_folders() for name in ("bad.py", "good.py")],
)
def test_example_runs(example: str, verdicts: dict[str, str | None]) -> None:
    error = verdicts[example]
    if example in UNRUNNABLE:
        assert error is not None and error.startswith(UNRUNNABLE[example])
    else:
        assert error is None
