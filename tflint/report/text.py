"""ruff-style text: `path:row:col: CODE [*] message`, then a summary line."""

from __future__ import annotations

from tflint.diagnostics import Applicability, Diagnostic
from tflint.runner import RunResult


def position(diagnostic: Diagnostic) -> str:
    cell = f"cell {diagnostic.cell}:" if diagnostic.cell is not None else ""
    row, column = diagnostic.location.row, diagnostic.location.column
    return f"{diagnostic.filename}:{cell}{row}:{column}"


def is_safely_fixable(diagnostic: Diagnostic) -> bool:
    return diagnostic.fix is not None and diagnostic.fix.applicability is Applicability.SAFE


def format_line(diagnostic: Diagnostic) -> str:
    marker = "[*] " if is_safely_fixable(diagnostic) else ""
    line = f"{position(diagnostic)}: {diagnostic.code} {marker}{diagnostic.message}"
    verdict = diagnostic.verification
    if verdict is not None:
        line += f" [{verdict.status}: {verdict.evidence}]"
    return line


def render_text(run: RunResult) -> str:
    lines = [format_line(d) for d in run.diagnostics]
    count = len(run.diagnostics)
    if run.fixed:  # after --fix, ruff's wording
        total = count + run.fixed
        noun = "finding" if total == 1 else "findings"
        lines.append(f"Found {total} {noun} ({run.fixed} fixed, {count} remaining).")
    elif count == 0 and not run.internal_errors:
        lines.append("All checks passed!")
    elif count == 0:
        files = len(run.internal_errors)
        lines.append(f"No findings, but {files} file{'s' * (files != 1)} could not be analyzed.")
    else:
        noun = "finding" if count == 1 else "findings"
        lines.append(f"Found {count} {noun}.")
        fixable = sum(map(is_safely_fixable, run.diagnostics))
        if fixable:
            lines.append(f"[*] {fixable} fixable with the `--fix` option.")
    return "\n".join(lines) + "\n"
