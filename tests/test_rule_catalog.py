"""Every rule is proven by its examples: rules/<CODE>/bad.py reports exactly the lines marked
`# expect: CODE`, good.py reports nothing, and the README has the documented sections."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.rule_examples import (
    RULES_DIR,
    actual_findings,
    expected_findings,
    rule_folders,
)
from tflint.cli import main
from tflint.rules import RULES

README_SECTIONS = (
    "## What it does",
    "## Why is this bad?",
    "## Observed at run time",
    "## Example",
    "## Use instead",
    "## Fix safety",
    "## Verification",
)
FOLDERS = rule_folders()


def test_every_registered_rule_has_a_folder_and_every_folder_a_rule() -> None:
    assert sorted(p.name for p in FOLDERS) == sorted(RULES)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_readme_has_every_section(folder) -> None:
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert text.startswith(f"# {folder.name} {RULES[folder.name].name}\n")
    missing = [section for section in README_SECTIONS if section not in text]
    assert not missing


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_bad_reports_exactly_the_marked_lines(folder) -> None:
    bad = folder / "bad.py"
    expected = expected_findings(bad)
    assert expected, "bad.py must mark at least one finding"
    assert {code for _, code in expected} >= {folder.name}
    assert actual_findings(bad) == expected


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_good_is_clean(folder) -> None:
    assert actual_findings(folder / "good.py") == set()


@pytest.mark.parametrize("code", sorted(RULES))
def test_explain_prints_the_rule_doc(code) -> None:
    result = CliRunner().invoke(main, ["--explain", code])
    assert result.exit_code == 0
    assert result.output == (RULES_DIR / code / "README.md").read_text(encoding="utf-8")
