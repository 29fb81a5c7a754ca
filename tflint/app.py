"""What one `tflint` invocation does, given already-parsed options; returns the exit code."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from tflint.config import ConfigError, Settings, load_settings
from tflint.diagnostics import FixMode
from tflint.output import show_report
from tflint.rules import RULES, is_known_prefix, rule_doc
from tflint.runner import RunResult, lint_paths, lint_stdin

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, like a shell
REPORT_BUG = "please report it at https://github.com/tflint-dev/tflint/issues with the file"


class UsageError(Exception):
    """Bad command-line input: exit 2 with the message."""


@dataclass(frozen=True)
class Options:
    paths: tuple[str, ...] = ()
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    output_format: str = "text"
    exit_zero: bool = False
    stdin_filename: str | None = None
    config: Path | None = None
    verify: bool = False
    device: str = "auto"
    verify_timeout: float = 60.0
    python: str | None = None
    verbose: bool = False
    fix: bool = False
    diff: bool = False
    unsafe_fixes: bool = False
    jobs: int | None = None  # None: one worker process per CPU
    no_cache: bool = False
    force_exclude: bool = False
    respect_gitignore: bool | None = None  # None: as configured (default: respect)
    # How the report is shown (tflint.output)
    color: bool = False
    quiet: bool = False
    silent: bool = False
    output_file: Path | None = None
    statistics: bool = False
    show_fixes: bool = False


def split_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    codes = tuple(code.strip().upper() for value in values for code in value.split(",") if code)
    for code in codes:
        if not is_known_prefix(code):
            raise UsageError(f"unknown rule code or prefix `{code}`")
    return codes


def effective_settings(options: Options) -> Settings:
    start = Path(options.paths[0]) if options.paths and options.paths[0] != "-" else Path.cwd()
    # A file, or a path that cannot be read: its folder holds the config. (os.path, since
    # Path.is_dir raises PermissionError under a folder that cannot be searched.)
    if not os.path.isdir(start):  # noqa: PTH112
        start = start.parent if str(start.parent) else Path.cwd()
    settings = load_settings(options.config, start)
    return replace(
        settings,
        select=options.select if options.select is not None else settings.select,
        ignore=settings.ignore + options.ignore,
        extend_select=settings.extend_select + options.extend_select,
        force_exclude=settings.force_exclude or options.force_exclude,
        respect_gitignore=settings.respect_gitignore
        if options.respect_gitignore is None
        else options.respect_gitignore,
    )


def explain(code: str) -> int:
    code = code.strip().upper()
    rule = RULES.get(code)
    doc = rule_doc(code) if rule else None
    if rule is None or doc is None:
        print(f"error: unknown rule `{code}`; known: {', '.join(RULES)}", file=sys.stderr)
        return EXIT_ERROR
    print(doc, end="" if doc.endswith("\n") else "\n")
    return EXIT_CLEAN


def run(options: Options) -> int:
    try:
        return _run(options)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run(options: Options) -> int:
    try:
        settings = effective_settings(options)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    fix = fix_mode(options)
    before = None  # --show-fixes with --fix: the findings before fixing
    if options.paths == ("-",):
        stdin = sys.stdin.buffer.read()
        result = lint_stdin(stdin, options.stdin_filename or "-", settings, fix)
        if result.fixed_source is not None:
            return _show_fixed_stdin(result, options)
    else:
        paths = [Path(p) for p in (options.paths or (".",))]
        if options.show_fixes and fix is not None and fix.write:  # what --fix will fix
            before = lint_paths(paths, settings, jobs=options.jobs, use_cache=not options.no_cache)
        result = lint_paths(
            paths, settings, jobs=options.jobs, use_cache=not options.no_cache, fix=fix
        )
    if fix is not None and not fix.write:
        return _show_diffs(result, options)
    if options.verify and result.diagnostics:
        verified = _verify(result, options)
        if verified is not None:
            return verified
    show_report(result, options, before=before)
    return exit_code(result, options)


def fix_mode(options: Options) -> FixMode | None:
    if not (options.fix or options.diff):
        return None
    return FixMode(include_unsafe=options.unsafe_fixes, write=not options.diff)


def _show_fixed_stdin(result: RunResult, options: Options) -> int:
    """`-` with --fix, like ruff: the fixed source on stdout (for an editor to put back in
    its buffer), the findings left on stderr."""
    sys.stdout.buffer.write(result.fixed_source or b"")
    sys.stdout.flush()
    show_report(result, options, stream=sys.stderr)
    return exit_code(result, options)


def _show_diffs(result: RunResult, options: Options) -> int:
    """--diff, like ruff's: the diffs on stdout, a count on stderr, exit 1 when there are any."""
    sys.stdout.write("".join(diff for _, diff in result.diffs))
    noun = "finding" if result.fixed == 1 else "findings"
    print(
        f"Would fix {result.fixed} {noun}." if result.fixed else "No fixes to apply.",
        file=sys.stderr,
    )
    errors = report_errors(result, options.verbose)
    if errors is not None:
        return errors
    return EXIT_FINDINGS if result.diffs and not options.exit_zero else EXIT_CLEAN


def _verify(result: RunResult, options: Options) -> int | None:
    from tflint.verify import VerifyError, verify_diagnostics  # imports TF lazily

    try:
        result.diagnostics = verify_diagnostics(
            result.diagnostics,
            device=options.device,
            timeout=options.verify_timeout,
            python=options.python,
        )
    except VerifyError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    return None


def exit_code(result: RunResult, options: Options) -> int:
    errors = report_errors(result, options.verbose)
    if errors is not None:
        return errors
    if result.diagnostics and not options.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def report_errors(result: RunResult, verbose: bool = False) -> int | None:
    """Print the files that failed (one line each, and with `verbose` the traceback of an
    internal error); EXIT_ERROR when there were any."""
    for filename, message in result.file_errors:
        print(f"error: {filename}: {message}", file=sys.stderr)
    for filename, message in result.internal_errors:
        print(f"error: internal error while linting {filename}: {message}", file=sys.stderr)
        if verbose and filename in result.tracebacks:
            print(result.tracebacks[filename], end="", file=sys.stderr)
    if result.internal_errors:
        print(f"error: this is a bug in tflint; {REPORT_BUG}", file=sys.stderr)
    return EXIT_ERROR if result.file_errors or result.internal_errors else None
