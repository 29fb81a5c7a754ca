"""The `tflint` command: options only; app.run does the work."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Any

import click

from tflint import __version__
from tflint.app import (
    EXIT_CLEAN,
    EXIT_ERROR,
    Options,
    UsageError,
    effective_settings,
    explain,
    run,
    split_codes,
)
from tflint.config import ConfigError
from tflint.output import wants_color
from tflint.report import REPORTERS
from tflint.rules import rule_table

HELP_HINT = "For more information, try 'tflint --help'."


class _Command(click.Command):
    """One error style for flags and configuration alike (`error: ...` on stderr, exit 2),
    as ruff prints them, instead of click's `Usage: ... Error: ...` block."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.ClickException as error:
            print(f"error: {error.format_message()}", file=sys.stderr)
            if isinstance(error, click.UsageError):
                print(HELP_HINT, file=sys.stderr)
            sys.exit(error.exit_code)
        except click.Abort:
            print("error: interrupted", file=sys.stderr)
            sys.exit(130)
        except OSError as error:
            if error.errno != errno.EPIPE:  # `tflint | head`: the reader left, as click does
                raise
            # Python's recipe: point stdout at /dev/null so the flush at exit cannot fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)


@click.command(cls=_Command, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1)  # plain strings: what cannot be read is TF002, not a usage error
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (TF1, TF101).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--extend-select", multiple=True, help="Codes to enable on top of the selection.")
@click.option(
    "--output-format",
    type=click.Choice(sorted(REPORTERS)),
    help="How findings are printed [default: full on a terminal, else text].",
)
@click.option(
    "-o",
    "--output-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this file instead of stdout.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print findings only: no summary or hints.")
@click.option("-s", "--silent", is_flag=True, help="Print nothing (the exit status still tells).")
@click.option("--statistics", is_flag=True, help="Count findings per code instead of listing them.")
@click.option(
    "--show-fixes", is_flag=True, help="List the fixes applied (with --fix) or available."
)
@click.option("--add-noqa", is_flag=True, help="Add `# noqa: CODE` to every line with a finding.")
@click.option(
    "--no-respect-gitignore",
    is_flag=True,
    help="Lint files that .gitignore files ignore too.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option(
    "--force-exclude",
    is_flag=True,
    help="Apply excludes to files named on the command line too (for pre-commit).",
)
@click.option(
    "--explain",
    "explain_code",
    is_flag=False,
    flag_value="",
    metavar="[CODE]",
    help="Print a rule's documentation; without a code, list every rule.",
)
@click.option("--stdin-filename", help="The name of the file read from `-` (stdin).")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A pyproject.toml (with [tool.tflint]) or tflint TOML file to use.",
)
@click.option(
    "--verify", is_flag=True, help="Trace flagged functions with TensorFlow to prove them."
)
@click.option(
    "--device",
    type=click.Choice(["cpu", "gpu", "auto"]),
    default="auto",
    show_default=True,
    help="Where --verify traces.",
)
@click.option(
    "--verify-timeout",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="Seconds allowed per verified function.",
)
@click.option(
    "--verify-total-timeout",
    type=click.FloatRange(min=1.0),
    default=600.0,
    show_default=True,
    help="Seconds allowed for the whole --verify run.",
)
@click.option("--python", "python", help="Interpreter (with TensorFlow) that --verify runs.")
@click.option("--fix", is_flag=True, help="Apply safe fixes in place; report what remains.")
@click.option(
    "--diff", is_flag=True, help="Print the fixes as a unified diff instead of writing them."
)
@click.option(
    "--unsafe-fixes", is_flag=True, help="With --fix/--diff, also apply fixes marked unsafe."
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes [default: one per CPU; 1 lints in this process].",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
@click.version_option(__version__, "--version", prog_name="tflint")
def main(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    output_format: str | None,
    output_file: Path | None,
    quiet: bool,
    silent: bool,
    statistics: bool,
    show_fixes: bool,
    add_noqa: bool,
    no_respect_gitignore: bool,
    exit_zero: bool,
    explain_code: str | None,
    stdin_filename: str | None,
    config: Path | None,
    verify: bool,
    device: str,
    verify_timeout: float,
    verify_total_timeout: float,
    python: str | None,
    verbose: bool,
    fix: bool,
    diff: bool,
    unsafe_fixes: bool,
    jobs: int | None,
    no_cache: bool,
    force_exclude: bool,
) -> None:
    """Lint TensorFlow code for what breaks once it is traced into a graph.

    `tflint check PATHS` works too, as ruff users type it."""
    if explain_code:
        sys.exit(explain(explain_code))
    try:
        options = Options(
            paths=_without_check(paths),
            select=_selection(select),
            ignore=split_codes(ignore),
            extend_select=split_codes(extend_select),
            output_format=output_format
            or ("full" if output_file is None and sys.stdout.isatty() else "text"),
            exit_zero=exit_zero,
            stdin_filename=stdin_filename,
            config=config,
            verify=verify,
            device=device,
            verify_timeout=verify_timeout,
            verify_total_timeout=verify_total_timeout,
            python=python,
            verbose=verbose,
            fix=fix,
            diff=diff,
            unsafe_fixes=unsafe_fixes,
            jobs=jobs,
            no_cache=no_cache,
            force_exclude=force_exclude,
            respect_gitignore=False if no_respect_gitignore else None,
            color=wants_color(sys.stdout),
            quiet=quiet or silent,
            silent=silent,
            output_file=output_file,
            statistics=statistics,
            show_fixes=show_fixes,
        )
        _check_combinations(options, add_noqa)
    except UsageError as error:
        raise click.UsageError(str(error)) from None
    if explain_code == "":
        sys.exit(_list_rules(options))
    if add_noqa:
        from tflint.noqa import add_noqa_command

        sys.exit(add_noqa_command(options))
    sys.exit(run(options))


def _without_check(paths: tuple[str, ...]) -> tuple[str, ...]:
    """`tflint check .` (ruff's subcommand habit) is `tflint .`, unless `check` is a path."""
    if paths[:1] == ("check",) and not os.path.lexists("check"):
        return paths[1:]
    return paths


def _selection(select: tuple[str, ...]) -> tuple[str, ...] | None:
    if not select:
        return None
    codes = split_codes(select)
    if not codes:  # `--select ''` would silently check nothing
        raise UsageError("`--select` needs a rule code or prefix (`ALL` selects every rule)")
    return codes


def _check_combinations(options: Options, add_noqa: bool) -> None:
    if add_noqa and (options.fix or options.diff or options.paths == ("-",)):
        raise UsageError("`--add-noqa` edits files: not with `--fix`, `--diff` or `-`")
    if options.statistics and options.output_format not in ("text", "full", "json"):
        raise UsageError("`--statistics` prints text or json (`--output-format json`)")


def _list_rules(options: Options) -> int:
    try:
        settings = effective_settings(options)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rule_table(settings.enabled))
    return EXIT_CLEAN
