"""Where and how a run's report is shown: the output file or stdout, colours, `--quiet` /
`--silent`, `--statistics`, `--show-fixes`, and the warning when no file was found."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import IO, TYPE_CHECKING

from tflint.diagnostics import is_applicable
from tflint.report import REPORTERS
from tflint.report.text import BOLD, RED, View, render_full, render_text, summary
from tflint.rules import RULES
from tflint.runner import RunResult

if TYPE_CHECKING:
    from tflint.app import Options

EXIT_ERROR = 2  # as tflint.app's (which imports this module)
TEXT_FORMATS = {"text": render_text, "full": render_full}


def wants_color(stream: IO[str]) -> bool:
    """Colours on a terminal, as ruff: never with NO_COLOR set (no-color.org), always with
    FORCE_COLOR set."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


def show_report(
    result: RunResult,
    options: Options,
    stream: IO[str] | None = None,
    before: RunResult | None = None,
) -> None:
    """Write the report (to --output-file, else `stream`, else stdout); `before` is the run
    before --fix, for --show-fixes."""
    if not options.silent:
        text = render(result, options, before)
        if options.output_file is not None:
            _write_report(options.output_file, text)
        else:
            (stream or sys.stdout).write(text)
    warn_if_nothing_found(result, options)


def _write_report(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:  # a usage problem: exit 2 with one line, as for the config
        print(f"error: cannot write {path}: {error.strerror or error}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR) from None


def render(result: RunResult, options: Options, before: RunResult | None = None) -> str:
    view = _view(result, options, before)
    if options.statistics:
        return statistics(result, options, view)
    reporter = TEXT_FORMATS.get(options.output_format)
    if reporter is not None:
        return reporter(result, view)
    return REPORTERS[options.output_format](result)


def _view(result: RunResult, options: Options, before: RunResult | None) -> View:
    color = options.color and options.output_file is None
    fixed = before is not None
    if options.show_fixes:
        from tflint.report.text import fixes_by_file

        offered = before.diagnostics if before is not None else result.diagnostics
        remaining = result.diagnostics if fixed else ()
        fixes = fixes_by_file(offered, options.unsafe_fixes, remaining)
    else:
        fixes = {}
    return View(
        color=color,
        quiet=options.quiet,
        unsafe_fixes=options.unsafe_fixes,
        show_fixes=options.show_fixes,
        fixes=fixes,
        fixed=fixed,
        excerpts=options.paths != ("-",),
    )


def statistics(result: RunResult, options: Options, view: View) -> str:
    """ruff's `--statistics`: one row per code (count, code, `[*]` when fixable, name), then
    the summary; with `--output-format json`, a list of objects."""
    counts = Counter(d.code for d in result.diagnostics)
    fixable = Counter(d.code for d in result.diagnostics if is_applicable(d, options.unsafe_fixes))
    rows = [
        {"code": code, "name": RULES[code].name, "count": count, "fixable": fixable[code] > 0}
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    if options.output_format == "json":
        return json.dumps(rows, indent=2) + "\n"
    width = max((len(str(row["count"])) for row in rows), default=1)
    lines = [
        f"{row['count']:>{width}}\t{view.paint(str(row['code']), BOLD, RED)}\t"
        f"{'[*]' if row['fixable'] else '[ ]'} {row['name']}"
        for row in rows
    ]
    if not view.quiet:
        lines += summary(result, view)
    return "".join(line + "\n" for line in lines)


def warn_if_nothing_found(result: RunResult, options: Options) -> None:
    """ruff's warning: a run over no Python file is not a pass (stderr, exit status 0)."""
    if result.files or options.quiet or options.silent or options.paths == ("-",):
        return
    where = ", ".join(options.paths or (".",))
    print(f"warning: No Python files found under {where}", file=sys.stderr)
