"""Configuration per file (issue 14.10 and 14.20): each file gets the settings of its nearest
pyproject.toml with [tool.tflint], as ruff's hierarchical configuration does, so results never
depend on which paths are named together or in what order; a configuration that cannot be read
is an error naming its file, exit 2."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tflint.cli import main

GRAPH_PRINT = "import tensorflow as tf\n\n@tf.function\ndef f(x):\n    print(x)\n    return x\n"


def run(args: list[str], cwd: Path, stdin: str | None = None) -> tuple[int, str, str]:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, ["--no-cache", *args], input=stdin)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def codes(output: str) -> list[tuple[str, str]]:
    return [(f["filename"], f["code"]) for f in json.loads(output)]


@pytest.fixture
def nested(tmp_path: Path) -> Path:
    """A repository whose `legacy/` package has its own configuration that ignores TF101."""
    (tmp_path / "pyproject.toml").write_text('[tool.tflint]\nselect = ["TF1"]\n')
    for package in ("app", "legacy"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "step.py").write_text(GRAPH_PRINT)
    (tmp_path / "legacy" / "pyproject.toml").write_text('[tool.tflint]\nignore = ["TF101"]\n')
    return tmp_path


@pytest.mark.parametrize(
    "paths",
    [
        ["app/step.py", "legacy/step.py"],
        ["legacy/step.py", "app/step.py"],
        ["legacy", "app"],
        ["."],
    ],
)
def test_issue14_20_each_file_gets_its_nearest_configuration(
    nested: Path, paths: list[str]
) -> None:
    code, out, _ = run(["--output-format", "json", *paths], nested)
    assert (code, codes(out)) == (1, [("app/step.py", "TF101")])


def test_issue14_20_config_paths_are_relative_to_their_own_file(nested: Path) -> None:
    (nested / "legacy" / "pyproject.toml").write_text(
        '[tool.tflint]\nextend-exclude = ["gen/*.py"]\n'
        '[tool.tflint.per-file-ignores]\n"old/*" = ["TF101"]\n'
    )
    for folder in ("gen", "old"):
        (nested / "legacy" / folder).mkdir()
        (nested / "legacy" / folder / "step.py").write_text(GRAPH_PRINT)
    code, out, _ = run(["--output-format", "json", "."], nested)
    assert (code, codes(out)) == (1, [("app/step.py", "TF101"), ("legacy/step.py", "TF101")])


def test_issue14_20_stdin_uses_the_configuration_of_its_filename(nested: Path) -> None:
    legacy = run(["--stdin-filename", "legacy/step.py", "-"], nested, GRAPH_PRINT)
    app = run(["--stdin-filename", "app/step.py", "-"], nested, GRAPH_PRINT)
    assert legacy == (0, "All checks passed!\n", "")
    assert app[0] == 1 and app[1].startswith("app/step.py:5:5: TF101 ")


def test_issue14_20_an_explicit_config_applies_to_every_file(nested: Path) -> None:
    (nested / "all.toml").write_text('select = ["TF101"]\n')
    code, out, _ = run(["--config", "all.toml", "--output-format", "json", "."], nested)
    assert (code, codes(out)) == (1, [("app/step.py", "TF101"), ("legacy/step.py", "TF101")])


def test_issue14_20_a_broken_nested_configuration_stops_the_run_before_fixing(
    nested: Path,
) -> None:
    (nested / "legacy" / "pyproject.toml").write_text("[tool.tflint]\nselect = 1\n")
    code, out, err = run(["--fix", "app", "legacy"], nested)
    legacy_config = (nested / "legacy" / "pyproject.toml").resolve()
    assert (code, out) == (2, "")
    assert err == (f"error: {legacy_config}: `select` must be a list of strings, got 1\n")
    assert (nested / "app" / "step.py").read_text() == GRAPH_PRINT  # nothing fixed


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"tool = 1\n", "`tool` must be a table, got 1"),
        (b'tool = "tflint"\n', "`tool` must be a table, got 'tflint'"),
        (
            b'[tool.tflint]\nselect = ["TF1"]  # caf\xe9\n',
            "not UTF-8 (byte 0xe9 at offset 37); TOML files must be UTF-8",
        ),
        (b"[tool.tflint]\nselect = [1]\n", "`select` must be a list of strings, got [1]"),
    ],
)
def test_issue14_10_a_bad_pyproject_above_the_path_exits_2_naming_it(
    tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "pyproject.toml").write_bytes(content)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "step.py").write_text(GRAPH_PRINT)
    code, out, err = run(["pkg"], tmp_path)
    assert (code, out) == (2, "")
    assert err == f"error: {(tmp_path / 'pyproject.toml').resolve()}: {message}\n"


def test_issue14_10_an_unreadable_pyproject_exits_2_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root reads any file whatever its mode, so the refusal is simulated where tflint reads."""
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.tflint]\nselect = ["TF1"]\n')
    (tmp_path / "step.py").write_text(GRAPH_PRINT)
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "pyproject.toml":
            raise PermissionError(13, "Permission denied")
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    code, out, err = run(["step.py"], tmp_path)
    assert (code, out) == (2, "")
    assert err == f"error: cannot read config file {config.resolve()}: Permission denied\n"
