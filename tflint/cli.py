"""The `tflint` command: options only; app.run does the work."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tflint import __version__
from tflint.app import Options, UsageError, explain, run, split_codes
from tflint.report import REPORTERS


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (TF1, TF101).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--extend-select", multiple=True, help="Codes to enable on top of the selection.")
@click.option(
    "--output-format",
    type=click.Choice(sorted(REPORTERS)),
    default="text",
    show_default=True,
    help="How findings are printed.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option(
    "--force-exclude",
    is_flag=True,
    help="Apply excludes to files named on the command line too (for pre-commit).",
)
@click.option("--explain", "explain_code", metavar="CODE", help="Print a rule's documentation.")
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
@click.option("--no-cache", is_flag=True, help="Neither read nor write .tflint_cache/.")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
@click.version_option(__version__, "--version", prog_name="tflint")
def main(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    output_format: str,
    exit_zero: bool,
    explain_code: str | None,
    stdin_filename: str | None,
    config: Path | None,
    verify: bool,
    device: str,
    verify_timeout: float,
    python: str | None,
    verbose: bool,
    fix: bool,
    diff: bool,
    unsafe_fixes: bool,
    jobs: int | None,
    no_cache: bool,
    force_exclude: bool,
) -> None:
    """Lint TensorFlow code for what breaks once it is traced into a graph."""
    if explain_code is not None:
        sys.exit(explain(explain_code))
    try:
        options = Options(
            paths=paths,
            select=split_codes(select) if select else None,
            ignore=split_codes(ignore),
            extend_select=split_codes(extend_select),
            output_format=output_format,
            exit_zero=exit_zero,
            stdin_filename=stdin_filename,
            config=config,
            verify=verify,
            device=device,
            verify_timeout=verify_timeout,
            python=python,
            verbose=verbose,
            fix=fix,
            diff=diff,
            unsafe_fixes=unsafe_fixes,
            jobs=jobs,
            no_cache=no_cache,
            force_exclude=force_exclude,
        )
    except UsageError as error:
        raise click.UsageError(str(error)) from None
    sys.exit(run(options))
