"""SARIF 2.1.0 for code scanning (GitHub's upload-sarif, Azure DevOps, IDE viewers).

One run: the driver lists every rule (id, name, descriptions from its rules/<CODE>/README.md,
help link) so results can point at them by index; each result carries its location as a URI
relative to the working directory (what code scanning resolves against the checkout) and, when
the finding has one, the fix as replacements. Columns count code points, like the rest of tflint.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tflint import __version__
from tflint.diagnostics import Diagnostic, Fix, Location
from tflint.report.paths import shown_path
from tflint.rules import RULES, Rule, rule_doc
from tflint.runner import RunResult

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/tflint-dev/tflint"
_RULE_INDEX = {code: index for index, code in enumerate(RULES)}
_HEADING = re.compile(r"^## +(.+?)\s*$", re.MULTILINE)


def doc_section(doc: str, heading: str) -> str | None:
    """The text under `## heading` in a rule README, up to the next `##` heading."""
    headings = list(_HEADING.finditer(doc))
    for match, following in zip(headings, [*headings[1:], None], strict=True):
        if match.group(1) == heading:
            end = following.start() if following is not None else len(doc)
            return doc[match.end() : end].strip()
    return None


@cache
def rule_descriptor(rule: Rule) -> dict[str, Any]:
    doc = rule_doc(rule.code)
    what = doc_section(doc, "What it does") if doc else None
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": what or rule.summary},
        "helpUri": rule.url,
        "defaultConfiguration": {"level": "error"},
    }
    if doc:
        descriptor["help"] = {"text": doc, "markdown": doc}
    return descriptor


def artifact_uri(filename: str) -> str:
    """A relative URI for files under the working directory, an absolute file URI otherwise."""
    path = Path(filename)
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        relative = Path(os.path.normpath(absolute)).relative_to(Path.cwd())
    except ValueError:
        return "file://" + quote(os.fsencode(Path(os.path.normpath(absolute)).as_posix()))
    return quote(os.fsencode(relative.as_posix()))  # a name's own bytes, %-encoded


def _region(start: Location, end: Location) -> dict[str, int]:
    """SARIF's lines and columns start at 1 (a region outside that makes the log invalid)."""
    return {
        "startLine": max(start.row, 1),
        "startColumn": max(start.column, 1),
        "endLine": max(end.row, start.row, 1),
        "endColumn": max(end.column, 1),
    }


def _fix(fix: Fix, uri: str) -> dict[str, Any]:
    return {
        "description": {"text": fix.message},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": uri},
                "replacements": [
                    {
                        "deletedRegion": _region(edit.location, edit.end_location),
                        "insertedContent": {"text": edit.content},
                    }
                    for edit in fix.edits
                ],
            }
        ],
        "properties": {"applicability": fix.applicability.value},
    }


def sarif_result(diagnostic: Diagnostic) -> dict[str, Any]:
    """One result. Rows in a notebook cell are not rows of the .ipynb file, so a notebook
    finding locates the file only and names the cell in its message and properties (its fix,
    in cell coordinates, cannot be expressed as a replacement in the file)."""
    uri = artifact_uri(diagnostic.filename)
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    message = diagnostic.message
    properties: dict[str, Any] = {}
    if diagnostic.cell is None:
        physical["region"] = _region(diagnostic.location, diagnostic.end_location)
    else:
        row, column = diagnostic.location.row, diagnostic.location.column
        message = f"cell {diagnostic.cell}, line {row}, column {column}: {message}"
        properties.update(cell=diagnostic.cell, row=row, column=column)
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "level": "error",
        "message": {"text": message},
        "locations": [{"physicalLocation": physical}],
    }
    if diagnostic.code in _RULE_INDEX:
        result["ruleIndex"] = _RULE_INDEX[diagnostic.code]
    if diagnostic.fix is not None and diagnostic.cell is None:
        result["fixes"] = [_fix(diagnostic.fix, uri)]
    if diagnostic.verification is not None:
        verdict = diagnostic.verification
        properties["verification"] = {"status": verdict.status, "evidence": verdict.evidence}
    if properties:
        result["properties"] = properties
    return result


def sarif_log(run: RunResult) -> dict[str, Any]:
    notifications = [
        {
            "level": "error",
            "message": {"text": f"internal error while linting {shown_path(name)}: {error}"},
        }
        for name, error in run.internal_errors
    ] + [
        {"level": "error", "message": {"text": f"{shown_path(name)} not analysed: {reason}"}}
        for name, reason in run.not_analysed
    ]
    invocation: dict[str, Any] = {"executionSuccessful": not notifications}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "tflint",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [rule_descriptor(rule) for rule in RULES.values()],
                    }
                },
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": [sarif_result(d) for d in run.diagnostics],
            }
        ],
    }


def render_sarif(run: RunResult) -> str:
    return json.dumps(sarif_log(run), indent=2) + "\n"
