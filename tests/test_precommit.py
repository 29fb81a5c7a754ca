"""The pre-commit hooks: the manifest, and the real `pre-commit try-repo` on this checkout.

try-repo installs the hook's environment from the checkout (pip, from PyPI: libcst, click)
into its own virtualenv under PRE_COMMIT_HOME, exactly as a user's `pre-commit` would; the
environment is shared by the tests in this module (one install when the checkout is clean;
with uncommitted changes try-repo snapshots them into a new repository, one install per call).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

CHECKOUT = Path(__file__).resolve().parent.parent
BAD = textwrap.dedent(
    """\
    import tensorflow as tf


    @tf.function
    def scale(x):
        print("scaling", x)
        return x * 2.0
    """
)
GOOD = BAD.replace('print("scaling", x)', 'tf.print("scaling", x)')


def test_manifest() -> None:
    hooks = {
        hook["id"]: hook
        for hook in yaml.safe_load((CHECKOUT / ".pre-commit-hooks.yaml").read_text())
    }
    assert list(hooks) == ["tflint", "tflint-fix"]
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "jupyter"]
        assert hook["require_serial"] is False
    # pre-commit names every file, so the hooks ask for excludes to hold for named files too
    assert hooks["tflint"]["entry"] == "tflint --force-exclude"
    assert hooks["tflint-fix"]["entry"] == "tflint --force-exclude --fix"


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "good.py").write_text(GOOD)
    subprocess.run(["git", "add", "bad.py", "good.py"], cwd=tmp_path, check=True)
    return tmp_path


def try_repo(hook: str, file: str, repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "GIT_AUTHOR_NAME": "tflint tests",
        "GIT_AUTHOR_EMAIL": "tests@tflint.invalid",
        "GIT_COMMITTER_NAME": "tflint tests",
        "GIT_COMMITTER_EMAIL": "tests@tflint.invalid",
    }
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(CHECKOUT), hook]
    return subprocess.run(
        [*command, "--files", file],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow  # about a minute: pip installs the hook's environment
def test_hook_fails_on_a_finding_and_passes_on_clean_code(
    repo: Path, pre_commit_home: Path
) -> None:
    failed = try_repo("tflint", "bad.py", repo, pre_commit_home)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert re.search(r"^tflint\.+Failed$", failed.stdout, re.MULTILINE)
    assert "bad.py:6:5: TF101 [*] `print` in graph code" in failed.stdout
    assert "Found 1 finding." in failed.stdout

    passed = try_repo("tflint", "good.py", repo, pre_commit_home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"^tflint\.+Passed$", passed.stdout, re.MULTILINE)
    assert "TF101" not in passed.stdout


@pytest.mark.slow
def test_fix_hook_rewrites_the_file(repo: Path, pre_commit_home: Path) -> None:
    result = try_repo("tflint-fix", "bad.py", repo, pre_commit_home)
    assert result.returncode == 1, result.stdout + result.stderr  # files were modified
    assert "files were modified by this hook" in result.stdout
    assert (repo / "bad.py").read_text() == GOOD
