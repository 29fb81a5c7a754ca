"""Every rule is proven by its examples: rules/<CODE>/bad.py reports exactly the lines marked
`# expect: CODE`, good.py reports nothing, and the README has the documented sections."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from click.testing import CliRunner

from tests.rule_examples import (
    ALL_CODES,
    RULES_DIR,
    actual_findings,
    expected_findings,
    rule_folders,
)
from tflint.checks import ALL_CHECKS
from tflint.cli import main
from tflint.engine import lint_source
from tflint.prescan import may_have_findings
from tflint.report.text import split_message
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


# -- one registry: everything that is keyed by a rule code agrees with tflint/rules.py ------

FILE_CODES = frozenset({"TF001", "TF002"})  # reported by the engine for files, by no check
CHECKED_CODES = sorted(set(RULES) - FILE_CODES)
README = RULES_DIR.parent / "README.md"


def test_every_rule_has_exactly_one_check_and_every_check_a_rule() -> None:
    claimed = Counter(code for check in ALL_CHECKS for code in check.codes)
    assert sorted(claimed) == CHECKED_CODES
    assert [code for code, count in claimed.items() if count > 1] == []


@pytest.mark.verify
def test_every_rule_has_a_verdict_and_every_verdict_a_rule() -> None:
    from tests.test_verify import TIER1
    from tflint.verify import verdicts

    keyed = [
        *verdicts.SIDE_EFFECT_KINDS,
        *verdicts.EXPECTED_ERRORS,
        *verdicts.DIVERGENCE,
        *verdicts._PROBES,
    ]
    assert set(keyed) <= set(CHECKED_CODES)
    assert sorted(set(verdicts.DIVERGENCE) | set(verdicts._PROBES)) == CHECKED_CODES
    assert set(verdicts.DIVERGENCE).isdisjoint(verdicts._PROBES)  # one way to judge each code
    assert sorted(TIER1) == CHECKED_CODES


@pytest.mark.parametrize("code", CHECKED_CODES)
def test_the_prescan_keeps_every_bad_example(code: str) -> None:
    assert may_have_findings((RULES_DIR / code / "bad.py").read_bytes())


@pytest.mark.parametrize("code", CHECKED_CODES)
def test_rule_fix_is_what_the_check_offers(code: str) -> None:
    """`Rule.fix` (shown by the rule listing) is the applicability of every fix the rule's
    check offers, and bad.py shows at least one; None: the check never offers a fix."""
    bad = RULES_DIR / code / "bad.py"
    findings = [d for d in lint_source(bad.read_bytes(), str(bad), ALL_CODES) if d.code == code]
    offered = {d.fix.applicability for d in findings if d.fix is not None}
    expected = set() if RULES[code].fix is None else {RULES[code].fix}
    assert offered == expected


@pytest.mark.parametrize("code", CHECKED_CODES)
def test_messages_are_a_claim_then_advice(code: str) -> None:
    """`claim; advice`, one `; ` each: the `full` format prints the advice as `help:`."""
    bad = RULES_DIR / code / "bad.py"
    for finding in lint_source(bad.read_bytes(), str(bad), ALL_CODES):
        claim, advice = split_message(finding)
        assert finding.message.count("; ") == 1, finding.message
        assert claim and advice, finding.message


def test_readme_table_lists_every_rule_with_its_name_and_fix() -> None:
    rows = re.findall(r"^\| (TF\d{3}) \| ([a-z-]+) \| .* \| ([^|]*) \|$", README.read_text(), re.M)
    assert [(code, name) for code, name, _ in rows] == [(r.code, r.name) for r in RULES.values()]
    for code, _, fix in rows:
        applicability = RULES[code].fix
        assert fix.startswith(applicability.value if applicability else "—"), (code, fix)
