"""Text for people: `text` (ruff's concise form, one line per finding: what grep, editors and
pre-commit read) and `full` (ruff's default: the claim, the source line with a caret under the
code, and the advice on its own `help:` line), each followed by a summary.

A rule's message is `claim; advice` (one `; `, tested over every rule's examples), so `full`
can show the advice apart without the checks knowing about layouts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tflint.diagnostics import Applicability, Diagnostic, is_applicable
from tflint.files import Unreadable, read_source, source_encoding
from tflint.report.paths import line_safe_path
from tflint.rules import RULES
from tflint.runner import RunResult

# SGR codes, as ruff colours its output: bold names, red codes, cyan fix markers.
BOLD, RED, CYAN, GREEN, BLUE = "\x1b[1m", "\x1b[31m", "\x1b[36m", "\x1b[32m", "\x1b[34m"
RESET = "\x1b[0m"


@dataclass(frozen=True)
class View:
    """How the text reporters show a run: what the command line asked for."""

    color: bool = False
    quiet: bool = False  # findings only: no summary, no hints
    unsafe_fixes: bool = False  # `[*]` marks unsafe fixes too, and none are "hidden"
    show_fixes: bool = False
    # filename → code → count, the fixes applied (--fix) or available; for --show-fixes
    fixes: dict[str, Counter[str]] = field(default_factory=dict)
    fixed: bool = False  # `fixes` were applied (--fix), not only available
    excerpts: bool = True  # False for stdin: the file on disk is not what was linted

    def paint(self, text: str, *styles: str) -> str:
        return f"{''.join(styles)}{text}{RESET}" if self.color and text else text


def split_message(diagnostic: Diagnostic) -> tuple[str, str | None]:
    """(claim, advice): a rule's message is `claim; advice`; TF001/TF002 have no advice."""
    claim, separator, advice = diagnostic.message.rpartition("; ")
    if not separator or diagnostic.code in ("TF001", "TF002"):
        return diagnostic.message, None
    return claim, advice


def position(diagnostic: Diagnostic) -> str:
    cell = f"cell {diagnostic.cell}:" if diagnostic.cell is not None else ""
    row, column = diagnostic.location.row, diagnostic.location.column
    return f"{line_safe_path(diagnostic.filename)}:{cell}{row}:{column}"


def is_safely_fixable(diagnostic: Diagnostic) -> bool:
    return diagnostic.fix is not None and diagnostic.fix.applicability is Applicability.SAFE


def _header(diagnostic: Diagnostic, message: str, view: View) -> str:
    fixable = is_applicable(diagnostic, view.unsafe_fixes)
    marker = view.paint("[*]", CYAN) + " " if fixable else ""
    where = view.paint(position(diagnostic), BOLD)
    line = f"{where}: {view.paint(diagnostic.code, BOLD, RED)} {marker}{message}"
    verdict = diagnostic.verification
    if verdict is not None:
        line += f" [{verdict.status}: {verdict.evidence}]"
    return line


def format_line(diagnostic: Diagnostic, view: View | None = None) -> str:
    return _header(diagnostic, diagnostic.message, view or View())


def render_text(run: RunResult, view: View | None = None) -> str:
    view = view or View()
    return _render(run, view, [format_line(d, view) for d in run.diagnostics])


def render_full(run: RunResult, view: View | None = None) -> str:
    view = view or View()
    sources = _SourceLines(view.excerpts)
    return _render(run, view, [_full(d, view, sources) for d in run.diagnostics])


def _render(run: RunResult, view: View, findings: list[str]) -> str:
    lines = findings if view.quiet else findings + fix_listing(view) + summary(run, view)
    return "".join(line + "\n" for line in lines)


def _full(diagnostic: Diagnostic, view: View, sources: _SourceLines) -> str:
    """The claim, the flagged source line with a caret under the code, then `= help:`."""
    claim, advice = split_message(diagnostic)
    block = [_header(diagnostic, claim, view)]
    line = sources.line(diagnostic)
    if line is not None:
        row = str(diagnostic.location.row)
        gutter = " " * len(row)
        start = diagnostic.location.column - 1
        end = diagnostic.end_location.column - 1
        if diagnostic.end_location.row != diagnostic.location.row:
            end = len(line)  # a node over several lines: underline the rest of its first
        end = max(end, start + 1)
        indent = " " * len(line[:start].expandtabs())
        caret = "^" * max(1, len(line[start:end].expandtabs()))
        block += [
            view.paint(f"{gutter} |", BLUE),
            f"{view.paint(f'{row} |', BLUE)} {line.expandtabs()}",
            f"{view.paint(f'{gutter} |', BLUE)} {indent}{view.paint(caret, RED)} "
            + view.paint(diagnostic.code, RED),
            view.paint(f"{gutter} |", BLUE),
        ]
    if advice is not None:
        block.append(
            f"{' ' * len(str(diagnostic.location.row))} = {view.paint('help', GREEN)}: " + advice
        )
    return "\n".join(block) + "\n"


class _SourceLines:
    """The flagged lines, read once per file (plain files only: notebook cells and stdin are
    shown without a source excerpt)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.files: dict[str, list[str] | None] = {}

    def line(self, diagnostic: Diagnostic) -> str | None:
        if not self.enabled or diagnostic.cell is not None or diagnostic.code in ("TF001", "TF002"):
            return None
        if diagnostic.filename not in self.files:
            self.files[diagnostic.filename] = _read_lines(diagnostic.filename)
        lines = self.files[diagnostic.filename]
        row = diagnostic.location.row
        if lines is None or not 1 <= row <= len(lines):
            return None
        return lines[row - 1]


def _read_lines(filename: str) -> list[str] | None:
    data = read_source(Path(filename))
    if isinstance(data, Unreadable):
        return None
    try:
        text = data.decode(source_encoding(data)).lstrip("\ufeff")
    except (SyntaxError, UnicodeDecodeError):
        return None
    return [line.removesuffix("\r") for line in text.split("\n")]  # rows as the parser counts


def summary(run: RunResult, view: View) -> list[str]:
    """ruff's summary lines: the count, what is fixable, and the fixes left hidden."""
    count = len(run.diagnostics)
    hint = _hidden_fixes(run.diagnostics, view)
    if run.fixed:  # after --fix, ruff's wording
        total = count + run.fixed
        lines = [f"Found {total} {_findings(total)} ({run.fixed} fixed, {count} remaining)."]
        return lines + ([f"No fixes available ({hint})."] if hint else [])
    if count == 0 and not run.internal_errors and not run.not_analysed:
        # Never a pass over nothing: with no file linted the CLI warns on stderr instead.
        return ["All checks passed!"] if run.files else []
    if count == 0:
        files = len(run.internal_errors) + len(run.not_analysed)
        return [f"No findings, but {files} file{'s' * (files != 1)} could not be analyzed."]
    lines = [f"Found {count} {_findings(count)}."]
    fixable = sum(is_applicable(d, view.unsafe_fixes) for d in run.diagnostics)
    if fixable:
        extra = f" ({hint})" if hint else ""
        lines.append(f"[*] {fixable} fixable with the `--fix` option{extra}.")
    elif hint:
        lines.append(f"No fixes available ({hint}).")
    return lines


def _hidden_fixes(diagnostics: Iterable[Diagnostic], view: View) -> str | None:
    if view.unsafe_fixes:
        return None
    hidden = sum(d.fix is not None and not is_safely_fixable(d) for d in diagnostics)
    if not hidden:
        return None
    fixes = "fix" if hidden == 1 else "fixes"
    return f"{hidden} hidden {fixes} can be enabled with the `--unsafe-fixes` option"


def _findings(count: int) -> str:
    return "finding" if count == 1 else "findings"


def fix_listing(view: View) -> list[str]:
    """--show-fixes: per file, how many findings of each code were (or would be) fixed."""
    if not view.show_fixes:
        return []
    total = sum(sum(codes.values()) for codes in view.fixes.values())
    if not total:
        return ["No fixes applied." if view.fixed else "No fixes available."]
    verb = "Fixed" if view.fixed else "Fixes available for"
    lines = [f"{verb} {total} {_findings(total)}:"]
    for filename, codes in sorted(view.fixes.items()):
        if codes:
            lines.append(f"- {view.paint(line_safe_path(filename), BOLD)}:")
            lines += [
                f"    {count} \u00d7 {view.paint(code, BOLD, RED)} ({RULES[code].name})"
                for code, count in sorted(codes.items())
            ]
    return lines


def fixes_by_file(
    diagnostics: Iterable[Diagnostic], include_unsafe: bool, remaining: Iterable[Diagnostic] = ()
) -> dict[str, Counter[str]]:
    """filename → code → fixes: those `diagnostics` offer, less the findings still
    `remaining` after --fix (what was fixed is what was offered and is gone)."""
    offered: dict[str, Counter[str]] = {}
    for diagnostic in diagnostics:
        if is_applicable(diagnostic, include_unsafe):
            offered.setdefault(diagnostic.filename, Counter())[diagnostic.code] += 1
    for diagnostic in remaining:
        if diagnostic.filename in offered and is_applicable(diagnostic, include_unsafe):
            offered[diagnostic.filename][diagnostic.code] -= 1
    return {name: +codes for name, codes in offered.items() if +codes}
