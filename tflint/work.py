"""One file's work in a worker process: lint it, or fix it, as a Python file or a notebook.

Kept apart from tflint.runner so that the parent imports LibCST and the checks only when some
file is not answered by the cache.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tflint.diagnostics import FileFix, FileResult
from tflint.engine import PYTHON_CHUNK_CHARS, chunk_cuts, lint_bytes, lint_source
from tflint.files import Unreadable, source_encoding, unreadable_diagnostic
from tflint.fixes import fix_file, fix_source
from tflint.notebooks import (
    fix_notebook,
    is_notebook,
    lint_notebook,
    lint_notebook_file,
    parse_notebook,
    python_source,
)
from tflint.project import hooks
from tflint.project.own_graph import graph_reasons, graph_roots
from tflint.project.summary import ModuleSummary, summarize

if TYPE_CHECKING:
    from tflint.runner import Job


def run_job(job: Job) -> FileResult | FileFix:
    """The worker function (module level, so forkserver or spawn workers can import it)."""
    if is_notebook(job.filename):
        if job.fix is None:
            return lint_notebook_file(job.source, job.filename, job.enabled)
        lint, fixer = lint_notebook, fix_notebook
    else:
        lint, fixer = lint_source, fix_source
    if job.fix is None:
        return lint_bytes(job.source, job.filename, job.enabled, lint)
    return fix_file(job.source, job.filename, job.enabled, job.fix, fixer, lint)


@dataclass(frozen=True)
class Outcome:
    """A file's result and, when asked for, its summary for the whole-project link step."""

    result: FileResult | FileFix
    summary: ModuleSummary | None = None


def run_project_job(job: Job) -> Outcome:
    """run_job with the external roots the link step gave the file, summarising it when asked
    (from the stdlib tree and the graph map the analysis built anyway, where it built them)."""
    with hooks.analysing(graph_reasons(dict(job.roots))) as capture:
        result = run_job(job)
        if not job.summarize:
            return Outcome(result)
        # The first of each: the file as read (--fix analyses its fixed text again later).
        graph = capture.graphs[0] if capture.graphs else None
        tree = capture.trees[0] if capture.trees else None
    try:
        return Outcome(result, summarize(tree or _tree(job), graph_roots(graph), _cells(job)))
    except Exception:  # one file's summary must never stop the run: it contributes nothing
        return Outcome(result)


def _tree(job: Job) -> ast.Module | None:
    """The stdlib tree of the file's Python (a notebook's joined cells), or None. A big file
    is parsed in chunks cut at top-level statements (engine.python_statements' reason: a
    whole parse of 10 MB holds over a gigabyte of nodes), whose statements are joined."""
    if is_notebook(job.filename):
        notebook = parse_notebook(job.source)
        if isinstance(notebook, str):
            return None
        text = python_source(notebook).code
    else:
        try:
            text = job.source.decode(source_encoding(job.source), errors="replace")
        except (SyntaxError, LookupError):  # a broken coding cookie: TF001 says so
            return None
    if len(text) < 2 * PYTHON_CHUNK_CHARS:
        return _parsed(text)
    body: list[ast.stmt] = []
    begin, rows = 0, 0
    for end in [*chunk_cuts(text), len(text)]:
        chunk = text[begin:end]
        tree = _parsed(chunk)
        if tree is None:  # a cut the chunks do not survive: whole, as the engine does
            return _parsed(text)
        body.extend(ast.increment_lineno(statement, rows) for statement in tree.body)
        rows += len(_LINE_BREAK.findall(chunk))
        begin = end
    return ast.Module(body=body, type_ignores=[])


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _parsed(text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _cells(job: Job) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A notebook's first joined-source row and number per cell (for `cell 3:4` in reasons)."""
    if not is_notebook(job.filename):
        return (), ()
    notebook = parse_notebook(job.source)
    if isinstance(notebook, str):
        return (), ()
    cells = python_source(notebook).cells
    return cells.first_rows, cells.numbers


def crashed(job: Job) -> FileResult:
    return FileResult(job.filename, internal_error="the worker process linting this file crashed")


def crashed_outcome(job: Job) -> Outcome:
    return Outcome(crashed(job))


def too_complex_outcome(job: Job) -> Outcome:
    return Outcome(too_complex(job))


# A worker holding more than this is killed and its file reported as TF002. Linting all of
# TensorFlow and Keras peaks at 160 MB per worker; LibCST's parser needs gigabytes for some
# small but deeply nested files (`x if x else ...` 2,900 times: 35 KB, 1.5 GB to parse).
WORKER_MEMORY_MB = 1024


def too_complex(job: Job) -> FileResult:
    """The result for a file whose worker went over WORKER_MEMORY_MB (its run goes on)."""
    problem = Unreadable(job.filename, f"too complex to analyse within {WORKER_MEMORY_MB} MB")
    return FileResult(
        job.filename, (unreadable_diagnostic(problem),) if "TF002" in job.enabled else ()
    )
