"""JSON shaped like ruff's `--output-format json`, plus tflint's own fields."""

from __future__ import annotations

import json
from typing import Any

from tflint.diagnostics import Diagnostic, Location
from tflint.report.paths import shown_path
from tflint.rules import RULES
from tflint.runner import RunResult


def _location(location: Location) -> dict[str, int]:
    return {"row": location.row, "column": location.column}


def diagnostic_to_json(diagnostic: Diagnostic) -> dict[str, Any]:
    fix = diagnostic.fix
    rule = RULES.get(diagnostic.code)
    verification = diagnostic.verification
    return {
        "cell": diagnostic.cell,
        "code": diagnostic.code,
        "end_location": _location(diagnostic.end_location),
        "filename": shown_path(diagnostic.filename),
        "fix": None
        if fix is None
        else {
            "applicability": fix.applicability.value,
            "edits": [
                {
                    "content": edit.content,
                    "end_location": _location(edit.end_location),
                    "location": _location(edit.location),
                }
                for edit in fix.edits
            ],
            "message": fix.message,
        },
        "location": _location(diagnostic.location),
        "message": diagnostic.message,
        "noqa_row": diagnostic.location.row,
        "symbol": diagnostic.symbol,
        "url": rule.url if rule else None,
        "verification": None
        if verification is None
        else {
            "device": verification.device,
            "evidence": verification.evidence,
            "status": verification.status,
        },
    }


def render_json(run: RunResult) -> str:
    return json.dumps([diagnostic_to_json(d) for d in run.diagnostics], indent=2) + "\n"
