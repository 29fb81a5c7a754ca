"""Shared helpers for tests that read the rule catalog (rules/<CODE>/)."""

from __future__ import annotations

import re
from pathlib import Path

from tflint.engine import lint_source
from tflint.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "rules"
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>TF\d{3}(?:\s*,\s*TF\d{3})*)")
ALL_CODES = frozenset(RULES)


def rule_folders() -> list[Path]:
    return sorted(p for p in RULES_DIR.iterdir() if p.is_dir())


def expected_findings(path: Path) -> set[tuple[int, str]]:
    """(row, code) for every `# expect: CODE[, CODE]` marker in a file."""
    expected = set()
    text = path.read_bytes().decode("utf-8", errors="replace")  # TF002's example is not UTF-8
    for row, line in enumerate(text.splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            expected.update((row, code.strip()) for code in match.group("codes").split(","))
    return expected


def actual_findings(path: Path) -> set[tuple[int, str]]:
    diagnostics = lint_source(path.read_bytes(), str(path), ALL_CODES)
    return {(d.location.row, d.code) for d in diagnostics}
