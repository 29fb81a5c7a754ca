"""The CI output formats: github workflow commands, SARIF 2.1.0 (checked against the official
schema), and JSON Lines — run end to end through the CLI on real files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_notebook

from tests.snippets import MESSAGE_101
from tests.snippets import PRINT_AND_CLOCK as MODEL
from tflint import __version__
from tflint.cli import main
from tflint.diagnostics import Diagnostic, Location
from tflint.report.github import workflow_command
from tflint.report.sarif import doc_section
from tflint.rules import RULES

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
CHECKOUT = Path(__file__).resolve().parent.parent
GITHUB_LINE = re.compile(
    r"::error file=[^,:]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=TF\d{3}::[^\r\n]+"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text(MODEL)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def tflint(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--no-cache", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_github_workflow_commands(project: Path) -> None:
    code, output = tflint("pkg", "--output-format", "github")
    assert code == 1
    lines = output.splitlines()
    assert all(GITHUB_LINE.fullmatch(line) for line in lines), lines
    assert lines[0] == (
        "::error file=pkg/model.py,line=8,col=5,endLine=8,endColumn=13,title=TF101::" + MESSAGE_101
    )
    assert [line.split("title=")[1][:5] for line in lines] == ["TF101", "TF104"]


def test_github_escapes_data_and_properties() -> None:
    diagnostic = Diagnostic(
        "TF101", "100% wrong\r\nnext: a, b", "dir:x,y/m.py", Location(3, 1), Location(4, 2)
    )
    assert workflow_command(diagnostic) == (
        "::error file=dir%3Ax%2Cy/m.py,line=3,col=1,endLine=4,endColumn=2,title=TF101"
        "::100%25 wrong%0D%0Anext: a, b"
    )


def test_github_names_the_notebook_cell_instead_of_a_file_line() -> None:
    diagnostic = Diagnostic("TF101", "msg", "nb.ipynb", Location(2, 5), Location(2, 9), cell=3)
    assert workflow_command(diagnostic) == (
        "::error file=nb.ipynb,title=TF101::cell 3, line 2, column 5: msg"
    )


def test_json_lines_are_the_json_objects(project: Path) -> None:
    code, output = tflint("pkg", "--output-format", "json-lines")
    assert code == 1
    objects = [json.loads(line) for line in output.splitlines()]
    assert objects == json.loads(tflint("pkg", "--output-format", "json")[1])
    assert [(o["code"], o["location"]["row"]) for o in objects] == [("TF101", 8), ("TF104", 9)]


def test_clean_run_prints_nothing_for_line_formats(project: Path) -> None:
    (project / "pkg" / "model.py").write_text("import tensorflow as tf\n")
    assert tflint("pkg", "--output-format", "github") == (0, "")
    assert tflint("pkg", "--output-format", "json-lines") == (0, "")


def validate_sarif(output: str) -> dict:
    log = json.loads(output)
    validator = jsonschema.Draft4Validator(
        SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    validator.validate(log)
    return log


def test_sarif_is_valid_and_complete(project: Path) -> None:
    code, output = tflint("pkg", "--output-format", "sarif")
    assert code == 1
    log = validate_sarif(output)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("tflint", __version__)
    assert driver["informationUri"] == "https://github.com/tflint-dev/tflint"
    assert [rule["id"] for rule in driver["rules"]] == list(RULES)
    rule_101 = driver["rules"][list(RULES).index("TF101")]
    readme = (CHECKOUT / "rules" / "TF101" / "README.md").read_text()
    assert rule_101["name"] == "print-in-graph"
    assert rule_101["shortDescription"] == {"text": RULES["TF101"].summary}
    assert rule_101["fullDescription"]["text"].startswith("Flags a call of Python's built-in")
    assert rule_101["fullDescription"]["text"] == doc_section(readme, "What it does")
    assert rule_101["helpUri"] == RULES["TF101"].url
    assert run["invocations"] == [{"executionSuccessful": True}]

    first, second = run["results"]
    assert first["ruleId"] == "TF101"
    assert driver["rules"][first["ruleIndex"]]["id"] == "TF101"
    assert first["level"] == "error"
    assert first["message"] == {"text": MESSAGE_101}
    assert first["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "pkg/model.py"},
                "region": {"startLine": 8, "startColumn": 5, "endLine": 8, "endColumn": 13},
            }
        }
    ]
    (fix,) = first["fixes"]
    (change,) = fix["artifactChanges"]
    assert change == {
        "artifactLocation": {"uri": "pkg/model.py"},
        "replacements": [
            {
                "deletedRegion": {"startLine": 8, "startColumn": 5, "endLine": 8, "endColumn": 10},
                "insertedContent": {"text": "tf.print"},
            }
        ],
    }
    assert second["ruleId"] == "TF104"


def test_sarif_fix_applied_by_hand_gives_the_fixed_file(project: Path) -> None:
    """The replacement regions mean what SARIF says: 1-based, end column exclusive."""
    log = validate_sarif(tflint("pkg", "--output-format", "sarif")[1])
    lines = MODEL.splitlines(keepends=True)
    (replacement,) = log["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][0]["replacements"]
    region = replacement["deletedRegion"]
    line = lines[region["startLine"] - 1]
    start, end = region["startColumn"] - 1, region["endColumn"] - 1
    fixed = line[:start] + replacement["insertedContent"]["text"] + line[end:]
    assert fixed == "    tf.print(x)\n"


def test_sarif_for_a_notebook_and_a_broken_file(project: Path) -> None:
    notebook = new_notebook()
    notebook.cells = [
        new_code_cell("import tensorflow as tf"),
        new_code_cell("@tf.function\ndef f(x):\n    print(x)\n    return x"),
    ]
    nbformat.write(notebook, project / "pkg" / "nb.ipynb")
    (project / "pkg" / "broken.ipynb").write_text("{")
    code, output = tflint("pkg", "--output-format", "sarif")
    assert code == 1
    results = validate_sarif(output)["runs"][0]["results"]
    by_uri = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in results}
    broken, cell = by_uri["pkg/broken.ipynb"], by_uri["pkg/nb.ipynb"]
    assert broken["ruleId"] == "TF002"
    assert cell["ruleId"] == "TF101"
    assert cell["message"]["text"].startswith("cell 2, line 3, column 5: `print` in graph code")
    assert cell["properties"] == {"cell": 2, "row": 3, "column": 5}
    assert "region" not in cell["locations"][0]["physicalLocation"]
    assert "fixes" not in cell


def test_sarif_without_findings_is_valid(project: Path) -> None:
    (project / "pkg" / "model.py").write_text("x = 1\n")
    code, output = tflint("pkg", "--output-format", "sarif")
    assert code == 0
    assert validate_sarif(output)["runs"][0]["results"] == []


def test_output_formats_offered_by_the_cli() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert "[full|github|json|json-lines|sarif|text]" in result.output


# -- issue 14.9 and 14.12: names that are not UTF-8 or hold a newline, positions Python gives -1 -


def run_with_strict_utf8_stdout(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "tflint", "--no-cache", *args],
        capture_output=True,
        cwd=cwd,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"},
        timeout=120,
    )


@pytest.fixture
def odd_names(tmp_path: Path) -> Path:
    (tmp_path / os.fsdecode(b"caf\xe9.py")).write_text(MODEL)  # latin-1 bytes: not UTF-8
    (tmp_path / "new\nline.py").write_text(MODEL)
    return tmp_path


@pytest.mark.parametrize("output_format", ["text", "json", "json-lines", "github", "sarif"])
def test_issue14_9_names_that_are_not_utf8_are_shown_as_ruff_does(
    odd_names: Path, output_format: str
) -> None:
    """Undecodable bytes become U+FFFD (ruff's lossy rendering) in every format, so a strict
    UTF-8 stdout never fails and JSON never carries lone surrogates; SARIF's URIs keep the
    name's own bytes, %-encoded."""
    completed = run_with_strict_utf8_stdout(odd_names, "--output-format", output_format, ".")
    assert (completed.returncode, completed.stderr) == (1, b"")
    output = completed.stdout.decode("utf-8")  # strict: raises on anything but UTF-8
    assert "\\ud" not in output.lower()  # no JSON surrogate escapes
    if output_format == "sarif":
        log = validate_sarif(output)
        uris = {
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for result in log["runs"][0]["results"]
        }
        assert uris == {"caf%E9.py", "new%0Aline.py"}
    elif output_format in ("json", "json-lines"):
        lines = output.splitlines() if output_format == "json-lines" else [output]
        names = {
            item["filename"]
            for line in lines
            for item in (json.loads(line) if output_format == "json" else [json.loads(line)])
        }
        assert "caf\ufffd.py" in names and "new\nline.py" in names
    elif output_format == "github":
        assert "::error file=caf\ufffd.py,line=" in output
        assert "::error file=new%0Aline.py,line=" in output
    else:
        assert "caf\ufffd.py:8:5: TF101 " in output


def test_issue14_12_a_newline_in_a_name_does_not_split_a_text_line(odd_names: Path) -> None:
    completed = run_with_strict_utf8_stdout(odd_names, "--select", "TF101", ".")
    lines = completed.stdout.decode().splitlines()
    assert [line.split(": TF")[0] for line in lines[:2]] == [
        "caf\ufffd.py:8:5",
        "new\\nline.py:8:5",
    ]
    assert len(lines) == 4  # two findings, the count and the fixable line


def test_issue14_12_an_encoding_problem_is_tf001_at_column_1_and_valid_sarif(
    project: Path,
) -> None:
    """Python reports a BOM with a latin-1 cookie at offset -1; SARIF columns start at 1."""
    (project / "pkg" / "bom.py").write_bytes(b"\xef\xbb\xbf# coding: latin-1\nx = 1\n")
    code, output = tflint("--output-format", "sarif", "pkg/bom.py")
    [result] = validate_sarif(output)["runs"][0]["results"]
    assert code == 1
    assert result["ruleId"] == "TF001"
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1,
        "startColumn": 1,
        "endLine": 1,
        "endColumn": 1,
    }
    assert tflint("pkg/bom.py")[1].startswith(
        "pkg/bom.py:1:1: TF001 syntax error: encoding problem: iso-8859-1 with BOM\n"
    )
