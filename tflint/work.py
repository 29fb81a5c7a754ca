"""One file's work in a worker process: lint it, or fix it, as a Python file or a notebook.

Kept apart from tflint.runner so that the parent imports LibCST and the checks only when some
file is not answered by the cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tflint.diagnostics import FileFix, FileResult
from tflint.engine import lint_bytes, lint_source
from tflint.files import Unreadable, unreadable_diagnostic
from tflint.fixes import fix_file, fix_source
from tflint.notebooks import fix_notebook, is_notebook, lint_notebook, lint_notebook_file

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


def crashed(job: Job) -> FileResult:
    return FileResult(job.filename, internal_error="the worker process linting this file crashed")


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
