"""JSON Lines: one finding per line, the same objects as `--output-format json`, so a consumer
can stream them (`jq -c`, log shippers) without holding the whole array."""

from __future__ import annotations

import json

from tflint.report.json_format import diagnostic_to_json
from tflint.runner import RunResult


def render_json_lines(run: RunResult) -> str:
    return "".join(json.dumps(diagnostic_to_json(d)) + "\n" for d in run.diagnostics)
