"""What one `tflint` invocation does, given already-parsed options; returns the exit code."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from tflint.config import ConfigError, ConfigTree, Settings, load_config_file
from tflint.diagnostics import FixMode
from tflint.output import show_report
from tflint.report.paths import line_safe_path
from tflint.rules import RULES, is_known_prefix, rule_doc
from tflint.runner import RunResult, lint_paths, lint_stdin

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, like a shell
EXIT_TERMINATED = 143  # 128 + SIGTERM
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
    verify_total_timeout: float = 600.0
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


def configuration(options: Options) -> ConfigTree:
    """Each file's settings (its nearest pyproject.toml, or --config for all) with the command
    line's options on top. The configuration where the run starts is read now, so a broken
    one fails before anything is linted."""

    def adjust(settings: Settings) -> Settings:
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

    fixed = None if options.config is None else load_config_file(options.config)
    config = ConfigTree(fixed, adjust)
    config.for_path(_stdin_path(options) if options.paths == ("-",) else _first_path(options))
    return config


def effective_settings(options: Options) -> Settings:
    """The settings where the run starts (the first path's, or stdin's), with the command
    line's options: what `--explain` alone lists as enabled."""
    start = _stdin_path(options) if options.paths == ("-",) else _first_path(options)
    return configuration(options).for_path(start)


def _first_path(options: Options) -> Path:
    first = Path(options.paths[0]) if options.paths else Path.cwd()
    # os.path, since Path.is_dir raises PermissionError under a folder that cannot be searched
    return first / "pyproject.toml" if os.path.isdir(first) else first  # noqa: PTH112


def _stdin_path(options: Options) -> str:
    """Where `-` stands: its --stdin-filename (whose configuration it gets), else "-" (the
    working directory's)."""
    return options.stdin_filename or "-"


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
    """Ctrl-C and SIGTERM end the run the same way: workers are stopped, no file is left
    half-written, exit 130 (143 for SIGTERM), as a shell reports them."""
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main_thread else None
    try:
        return _run(options)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("error: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so the same clean-up runs."""


def _terminated(signum: int, frame: object) -> None:
    raise Terminated


def _run(options: Options) -> int:
    sources: dict[str, str] = {}  # what --verify runs in place of a file: the text given
    try:
        result, before = _lint(options, sources)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    if result.fixed_source is not None:
        return _show_fixed_stdin(result, options)
    fix = fix_mode(options)
    if fix is not None and not fix.write:
        return _show_diffs(result, options)
    if options.verify and result.diagnostics:
        verified = _verify(result, options, sources)
        if verified is not None:
            return verified
    if not write_stdout(lambda: show_report(result, options, before=before)):
        return EXIT_ERROR
    return exit_code(result, options)


def _lint(options: Options, sources: dict[str, str]) -> tuple[RunResult, RunResult | None]:
    """The run's result, and with --show-fixes and --fix the findings before fixing. A named
    stdin's text goes into `sources` (--verify verifies it, not the file on disk)."""
    config = configuration(options)
    fix = fix_mode(options)
    if options.paths == ("-",):
        stdin = sys.stdin.buffer.read()
        if options.stdin_filename:
            sources[_stdin_path(options)] = stdin.decode("utf-8", "replace")
        return lint_stdin(stdin, _stdin_path(options), config, fix), None
    paths = [Path(p) for p in (options.paths or (".",))]
    before = None
    if options.show_fixes and fix is not None and fix.write:  # what --fix will fix
        before = lint_paths(paths, config, jobs=options.jobs, use_cache=not options.no_cache)
    result = lint_paths(paths, config, jobs=options.jobs, use_cache=not options.no_cache, fix=fix)
    return result, before


def write_stdout(write: Callable[[], object]) -> bool:
    """Run `write` (which writes to stdout) and flush; when stdout fails (a full device) say
    so in one line on stderr and return False. stdout then goes to /dev/null, so the
    interpreter's own flush at exit cannot fail again with a traceback. A closed pipe is left
    to the command (`tflint | head` ends quietly)."""
    with contextlib.suppress(AttributeError, ValueError):  # a stream that cannot reconfigure
        sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    try:
        write()
        sys.stdout.flush()
    except OSError as error:
        if error.errno == errno.EPIPE:
            raise
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(f"error: cannot write to standard output: {error.strerror or error}", file=sys.stderr)
        return False
    return True


def fix_mode(options: Options) -> FixMode | None:
    if not (options.fix or options.diff):
        return None
    return FixMode(include_unsafe=options.unsafe_fixes, write=not options.diff)


def _show_fixed_stdin(result: RunResult, options: Options) -> int:
    """`-` with --fix, like ruff: the fixed source on stdout (for an editor to put back in
    its buffer), the findings left on stderr."""
    if not write_stdout(lambda: sys.stdout.buffer.write(result.fixed_source or b"")):
        return EXIT_ERROR
    show_report(result, options, stream=sys.stderr)
    return exit_code(result, options)


def _show_diffs(result: RunResult, options: Options) -> int:
    """--diff, like ruff's: the diffs on stdout, a count on stderr, exit 1 when there are any."""
    if not write_stdout(lambda: sys.stdout.write("".join(diff for _, diff in result.diffs))):
        return EXIT_ERROR
    noun = "finding" if result.fixed == 1 else "findings"
    print(
        f"Would fix {result.fixed} {noun}." if result.fixed else "No fixes to apply.",
        file=sys.stderr,
    )
    errors = report_errors(result, options.verbose)
    if errors is not None:
        return errors
    return EXIT_FINDINGS if result.diffs and not options.exit_zero else EXIT_CLEAN


def _verify(result: RunResult, options: Options, sources: dict[str, str]) -> int | None:
    from tflint.project.modules import ProjectModules
    from tflint.verify import VerifyError, verify_diagnostics  # imports TF lazily

    roots = [Path(p) for p in (options.paths or (".",))]
    project = ProjectModules(result.project, roots) if result.project else None
    try:
        result.diagnostics = verify_diagnostics(
            result.diagnostics,
            device=options.device,
            timeout=options.verify_timeout,
            total_timeout=options.verify_total_timeout,
            python=options.python,
            sources=sources,
            verbose=options.verbose,
            project=project,
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
    internal error) and the files that could not be analysed; EXIT_ERROR when there were
    any. With `verbose`, first what was deliberately not linted (a notebook's `%%bash` cell)."""
    if verbose:
        for filename, note in result.notes:
            print(f"{line_safe_path(filename)}: {note}", file=sys.stderr)
    for filename, message in result.file_errors:
        print(f"error: {line_safe_path(filename)}: {message}", file=sys.stderr)
    for filename, message in result.internal_errors:
        shown = line_safe_path(filename)
        print(f"error: internal error while linting {shown}: {message}", file=sys.stderr)
        if verbose and filename in result.tracebacks:
            print(result.tracebacks[filename], end="", file=sys.stderr)
    if result.internal_errors:
        print(f"error: this is a bug in tflint; {REPORT_BUG}", file=sys.stderr)
    for filename, reason in result.not_analysed:
        print(f"error: {line_safe_path(filename)}: not analysed: {reason}", file=sys.stderr)
    if result.not_analysed:
        count = len(result.not_analysed)
        print(f"error: {count} file{'s' * (count != 1)} could not be analysed", file=sys.stderr)
    failed = result.file_errors or result.internal_errors or result.not_analysed
    return EXIT_ERROR if failed else None
