"""`--add-noqa`: silence every current finding with a `# noqa: CODE` on its line, as ruff does
when a project adopts a linter (or a new rule) and fixes its findings later.

A code is added to a `# noqa: X` comment the line already has (its codes and everything else on
the line are kept); otherwise `  # noqa: CODE` goes at the end of the line. A line whose end is
inside a string or after a backslash continuation cannot take a comment: its findings are
counted as skipped and the line is left alone. Notebooks are not edited.
"""

from __future__ import annotations

import io
import re
import sys
import tokenize
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tflint.config import ConfigError
from tflint.diagnostics import Diagnostic
from tflint.files import Unreadable, read_source, source_encoding, write_atomically
from tflint.output import warn_if_nothing_found

if TYPE_CHECKING:
    from tflint.app import Options

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I)
_LINE = re.compile(r"[^\n]*\n|[^\n]+")
NOT_NOQA_ABLE = frozenset({"TF001", "TF002"})  # the file could not be read or parsed


@dataclass
class NoqaResult:
    added: int = 0  # findings given a noqa code
    skipped: int = 0  # findings whose line cannot take a comment (or in a notebook)
    errors: list[tuple[str, str]] | None = None  # (filename, why it could not be written)


def add_noqa(diagnostics: Iterable[Diagnostic]) -> NoqaResult:
    """Add `# noqa` codes for `diagnostics` to their files (written atomically)."""
    by_file: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    result = NoqaResult(errors=[])
    for diagnostic in diagnostics:
        if diagnostic.code in NOT_NOQA_ABLE:
            continue
        if diagnostic.cell is not None:
            result.skipped += 1
            continue
        by_file[diagnostic.filename][diagnostic.location.row].add(diagnostic.code)
    for filename, rows in sorted(by_file.items()):
        _add_to_file(Path(filename), rows, result)
    return result


def _add_to_file(path: Path, rows: dict[int, set[str]], result: NoqaResult) -> None:
    source = read_source(path)
    wanted = sum(len(codes) for codes in rows.values())
    if isinstance(source, Unreadable):
        result.skipped += wanted
        return
    encoding = source_encoding(source)
    text = source.decode(encoding)
    open_rows = _comment_rows(text)
    lines = _LINE.findall(text)
    if open_rows is None or _suppressed_rows_differ(source, lines):
        result.skipped += wanted
        return
    for row, codes in rows.items():
        if row in open_rows and row <= len(lines):
            lines[row - 1] = with_noqa(lines[row - 1], codes)
            result.added += len(codes)
        else:
            result.skipped += len(codes)
    try:
        write_atomically(
            path, "".join(lines).encode(encoding), mode=path.stat().st_mode, durable=True
        )
    except OSError as error:
        assert result.errors is not None
        result.errors.append((str(path), f"cannot add noqa comments: {error.strerror or error}"))
        result.added -= sum(len(codes) for row, codes in rows.items() if row in open_rows)


def _suppressed_rows_differ(source: bytes, lines: list[str]) -> bool:
    """tflint reads `# noqa` by `bytes.splitlines` rows; a file with a lone CR (or other
    line break those see and `\\n` does not) would put the comment on the wrong row."""
    return source.count(b"\r") > source.count(b"\r\n") or len(source.splitlines()) != len(lines)


def _comment_rows(text: str) -> set[int] | None:
    """Rows whose end is where a comment may go: a logical or physical line end outside a
    string (tokenize's NEWLINE/NL). None when the text does not tokenize."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    return {t.start[0] for t in tokens if t.type in (tokenize.NEWLINE, tokenize.NL)}


def with_noqa(line: str, codes: set[str]) -> str:
    """The line with `codes` in its `# noqa: ...` comment, adding one when it has none."""
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    match = _NOQA.search(body)
    if match is None:
        return f"{body.rstrip()}  {_comment(sorted(codes))}{ending}"
    if match.group("codes") is None:
        return line  # a bare noqa comment silences everything already
    present = re.split(r"[\s,]+", match.group("codes").strip())
    merged = present + sorted(codes - {code.upper() for code in present})
    start, end = match.span()
    return f"{body[:start]}{_comment(merged)}{body[end:]}{ending}"


def _comment(codes: list[str]) -> str:
    return "#" + f" noqa: {', '.join(codes)}"  # split: linters would read it as a directive


def add_noqa_command(options: Options) -> int:
    """`tflint --add-noqa PATHS`: lint, then add the comments; exit 0 (2 when a file could not
    be written)."""
    from tflint.app import EXIT_CLEAN, EXIT_ERROR, configuration
    from tflint.runner import lint_paths

    try:
        settings = configuration(options)  # each file's nearest configuration
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    paths = [Path(p) for p in (options.paths or (".",))]
    run = lint_paths(paths, settings, jobs=options.jobs, use_cache=not options.no_cache)
    result = add_noqa(run.diagnostics)
    if not options.silent:
        noun = "directive" if result.added == 1 else "directives"
        print(f"Added {result.added} noqa {noun}.", file=sys.stderr)
        if result.skipped:
            print(
                f"warning: {result.skipped} finding(s) left without one: the line ends inside "
                "a string or after `\\`, or is in a notebook",
                file=sys.stderr,
            )
    warn_if_nothing_found(run, options)
    for filename, message in result.errors or ():
        print(f"error: {filename}: {message}", file=sys.stderr)
    return EXIT_ERROR if result.errors else EXIT_CLEAN
