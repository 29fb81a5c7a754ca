"""Lint many files: discovery, per-file work, deterministic ordering."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tflint.config import Settings
from tflint.diagnostics import Diagnostic, FileResult
from tflint.engine import lint_file, lint_source, unreadable_diagnostic
from tflint.files import Unreadable, discover


@dataclass
class RunResult:
    """What a run found, in the order reporters print it."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    internal_errors: list[tuple[str, str]] = field(default_factory=list)
    files: int = 0

    def add(self, result: FileResult) -> None:
        self.files += 1
        self.diagnostics.extend(result.diagnostics)
        if result.internal_error is not None:
            self.internal_errors.append((result.filename, result.internal_error))

    def finish(self) -> RunResult:
        self.diagnostics.sort(key=lambda d: d.sort_key)
        self.internal_errors.sort()
        return self


def lint_paths(paths: Iterable[Path], settings: Settings) -> RunResult:
    run = RunResult()
    for item in discover(list(paths), settings):
        if isinstance(item, Unreadable):
            enabled = settings.codes_for(item.path)
            diagnostics = (unreadable_diagnostic(item),) if "TF002" in enabled else ()
            run.add(FileResult(item.path, diagnostics))
        else:
            run.add(lint_file(item, settings))
    return run.finish()


def lint_stdin(source: bytes, filename: str, settings: Settings) -> RunResult:
    run = RunResult()
    try:
        diagnostics = lint_source(source, filename, settings.codes_for(filename))
        run.add(FileResult(filename, tuple(diagnostics)))
    except Exception as error:  # noqa: BLE001 - reported as an internal error, exit 2
        run.add(FileResult(filename, internal_error=f"{type(error).__name__}: {error}"))
    return run.finish()
