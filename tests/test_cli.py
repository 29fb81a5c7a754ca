"""End-to-end CLI behaviour: output, exit codes, selection, config, suppression, stdin."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.snippets import MESSAGE_101
from tests.snippets import PRINT_AND_CLOCK as BAD
from tflint import __version__
from tflint.cli import main


def run(args: list[str], cwd: Path, stdin: bytes | None = None):
    """Invoke the CLI in `cwd` with the cache off (tests must see real linting)."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["--no-cache", *args], input=stdin, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text(BAD)
    (tmp_path / "pkg" / "clean.py").write_text("import tensorflow as tf\nX = tf.constant(1)\n")
    return tmp_path


def test_text_output_and_exit_code(project: Path) -> None:
    result = run(["pkg"], project)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"pkg/model.py:8:5: TF101 [*] {MESSAGE_101}",
        "pkg/model.py:9:15: TF104 `time.time()` in graph code (decorated with @tf.function) is "
        "read once at trace time and is a constant on every call; use `tf.timestamp()`",
        "Found 2 findings.",
        "[*] 1 fixable with the `--fix` option (1 hidden fix can be enabled with the "
        "`--unsafe-fixes` option).",
    ]


def test_clean_run_exits_zero(project: Path) -> None:
    result = run(["pkg/clean.py"], project)
    assert (result.exit_code, result.output) == (0, "All checks passed!\n")


def test_exit_zero(project: Path) -> None:
    assert run(["--exit-zero", "pkg"], project).exit_code == 0


def test_json_output_is_shaped_like_ruff(project: Path) -> None:
    result = run(["--output-format", "json", "pkg"], project)
    findings = json.loads(result.output)
    assert [f["code"] for f in findings] == ["TF101", "TF104"]
    first = findings[0]
    assert first["filename"] == "pkg/model.py"
    assert first["location"] == {"row": 8, "column": 5}
    assert first["end_location"] == {"row": 8, "column": 13}
    assert first["message"] == MESSAGE_101
    assert first["url"].endswith("/rules/TF101/README.md")
    assert first["fix"] == {
        "applicability": "safe",
        "edits": [
            {
                "content": "tf.print",
                "end_location": {"row": 8, "column": 10},
                "location": {"row": 8, "column": 5},
            }
        ],
        "message": "Replace `print` with `tf.print`",
    }
    assert findings[1]["fix"]["applicability"] == "unsafe"


@pytest.mark.parametrize(
    "args, codes",
    [
        (["--select", "TF101"], ["TF101"]),
        (["--select", "TF1"], ["TF101", "TF104"]),
        (["--ignore", "TF104"], ["TF101"]),
        (["--ignore", "TF10"], []),
        (["--select", "TF2", "--extend-select", "TF104"], ["TF104"]),
        (["--select", "TF101,TF104", "--ignore", "TF1"], ["TF101", "TF104"]),  # specific wins
        (["--select", "TF1", "--ignore", "TF10", "--extend-select", "TF101"], ["TF101"]),
    ],
)
def test_select_ignore_prefixes(project: Path, args: list[str], codes: list[str]) -> None:
    result = run([*args, "--output-format", "json", "pkg"], project)
    assert [f["code"] for f in json.loads(result.output)] == codes


def test_unknown_code_is_a_usage_error(project: Path) -> None:
    result = run(["--select", "XX1", "pkg"], project)
    assert result.exit_code == 2
    assert "unknown rule code or prefix `XX1`" in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert (result.exit_code, result.output) == (0, f"tflint, version {__version__}\n")


def test_explain_unknown_code() -> None:
    result = CliRunner().invoke(main, ["--explain", "TF999"])
    assert result.exit_code == 2


def test_stdin_with_filename(project: Path) -> None:
    result = run(["-", "--stdin-filename", "from_stdin.py"], project, stdin=BAD.encode())
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith("from_stdin.py:8:5: TF101 ")


def test_noqa_comments(project: Path) -> None:
    source = BAD.replace("print(x)", "print(x)  # noqa: TF101").replace(
        "time.time()", "time.time()  # noqa"
    )
    (project / "pkg" / "model.py").write_text(source)
    assert run(["pkg/model.py"], project).exit_code == 0


def test_noqa_for_another_code_does_not_suppress(project: Path) -> None:
    (project / "pkg" / "model.py").write_text(BAD.replace("print(x)", "print(x)  # noqa: E501"))
    result = run(["--select", "TF101", "pkg/model.py"], project)
    assert result.exit_code == 1


@pytest.mark.parametrize(
    "comment, remaining", [("# tflint: noqa", 0), ("# tflint: noqa: TF104", 1)]
)
def test_file_level_noqa(project: Path, comment: str, remaining: int) -> None:
    (project / "pkg" / "model.py").write_text(f"{comment}\n{BAD}")
    result = run(["--output-format", "json", "pkg/model.py"], project)
    assert len(json.loads(result.output)) == remaining


def test_pyproject_config(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [tool.tflint]
            select = ["TF1"]
            ignore = ["TF104"]
            exclude = ["generated"]
            [tool.tflint.per-file-ignores]
            "legacy_*.py" = ["TF101"]
            """
        )
    )
    (project / "pkg" / "legacy_model.py").write_text(BAD)
    (project / "generated").mkdir()
    (project / "generated" / "model.py").write_text(BAD)
    result = run(["--output-format", "json", "."], project)
    assert [(f["filename"], f["code"]) for f in json.loads(result.output)] == [
        ("pkg/model.py", "TF101")
    ]


def test_explicit_config_file(project: Path) -> None:
    config = project / "custom.toml"
    config.write_text('select = ["TF104"]\n')
    result = run(["--config", "custom.toml", "--output-format", "json", "pkg"], project)
    assert [f["code"] for f in json.loads(result.output)] == ["TF104"]


@pytest.mark.parametrize(
    "table, message",
    [
        ('selec = ["TF1"]', "unknown key `selec` in [tool.tflint]"),
        ('select = "TF1"', "`select` must be a list of strings"),
        ('ignore = ["TF9"]', "`ignore` has unknown rule code or prefix `TF9`"),
        ('per-file-ignores = ["x"]', "`per-file-ignores` must be a table"),
    ],
)
def test_bad_config_names_the_key_and_exits_2(project: Path, table: str, message: str) -> None:
    (project / "pyproject.toml").write_text(f"[tool.tflint]\n{table}\n")
    result = run(["pkg"], project)
    assert result.exit_code == 2
    assert message in result.output


def test_invalid_toml_exits_2(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.tflint\nselect = \n")
    result = run(["pkg"], project)
    assert result.exit_code == 2
    assert "invalid TOML" in result.output


def test_force_exclude_applies_excludes_to_named_files(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.tflint]\nexclude = ["model.py"]\n')
    assert run(["pkg/model.py"], project).exit_code == 1  # named: linted, like ruff
    assert run(["--force-exclude", "pkg/model.py"], project).exit_code == 0
    (project / "pyproject.toml").write_text(
        '[tool.tflint]\nexclude = ["model.py"]\nforce-exclude = true\n'
    )
    assert run(["pkg/model.py"], project).exit_code == 0
