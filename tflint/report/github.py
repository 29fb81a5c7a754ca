"""GitHub Actions workflow commands: one `::error ...::message` line per finding, which the
runner turns into an annotation on the pull request's diff.

Escaping follows the Actions toolkit (`@actions/core` command.ts): `%`, CR and LF in the message,
and additionally `:` and `,` in property values, since those delimit the properties.
"""

from __future__ import annotations

from tflint.diagnostics import Diagnostic
from tflint.report.paths import shown_path
from tflint.runner import RunResult


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(diagnostic: Diagnostic) -> str:
    """An annotation for one finding. Rows in a notebook cell are not rows of the .ipynb file,
    so a notebook finding annotates the file and names the cell and row in the message."""
    properties = [("file", shown_path(diagnostic.filename))]
    message = diagnostic.message
    if diagnostic.cell is None:
        start, end = diagnostic.location, diagnostic.end_location
        properties += [
            ("line", str(start.row)),
            ("col", str(start.column)),
            ("endLine", str(end.row)),
            ("endColumn", str(end.column)),
        ]
    else:
        row, column = diagnostic.location.row, diagnostic.location.column
        message = f"cell {diagnostic.cell}, line {row}, column {column}: {message}"
    properties.append(("title", diagnostic.code))
    verdict = diagnostic.verification
    if verdict is not None:
        message += f" [{verdict.status}: {verdict.evidence}]"
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::error {rendered}::{escape_data(message)}"


def render_github(run: RunResult) -> str:
    return "".join(workflow_command(d) + "\n" for d in run.diagnostics)
