"""Reporters: a RunResult in, the text a user or a tool reads out."""

from __future__ import annotations

from collections.abc import Callable

from tflint.report.json_format import render_json
from tflint.report.text import render_text
from tflint.runner import RunResult

Reporter = Callable[[RunResult], str]

REPORTERS: dict[str, Reporter] = {
    "text": render_text,
    "json": render_json,
}
