"""The wheel carries what an installed tflint needs: rule docs for --explain, the console
script, and no TensorFlow dependency in the core."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(out.glob("tflint-*.whl"))


def test_wheel_contents_and_metadata(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(n for n in names if n.endswith("METADATA"))
        requires = [
            line
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:") and "extra ==" not in line
        ]
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt")))
    assert "tflint/_rules/TF101/README.md" in names
    assert "tflint/_rules/TF407/bad.py" in names
    assert sorted(r.split()[1].split(">")[0] for r in requires) == ["click", "libcst", "pathspec"]
    assert b"tflint = tflint.cli:main" in entry_points


def test_explain_works_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
         str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = "import tflint, sys; print(tflint.__file__)"
    located = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert located.stdout.startswith(str(target))
    explained = subprocess.run(
        [sys.executable, "-m", "tflint", "--explain", "TF303"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert explained.returncode == 0
    assert explained.stdout == (ROOT / "rules" / "TF303" / "README.md").read_text()
