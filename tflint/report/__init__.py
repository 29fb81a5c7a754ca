"""Reporters: a RunResult in, the text a user or a tool reads out."""

from __future__ import annotations

from collections.abc import Callable

from tflint.report.github import render_github
from tflint.report.json_format import render_json
from tflint.report.json_lines import render_json_lines
from tflint.report.sarif import render_sarif
from tflint.report.text import render_full, render_text
from tflint.runner import RunResult

Reporter = Callable[[RunResult], str]

REPORTERS: dict[str, Reporter] = {
    "text": render_text,
    "full": render_full,
    "json": render_json,
    "json-lines": render_json_lines,
    "github": render_github,
    "sarif": render_sarif,
}
