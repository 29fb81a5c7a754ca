"""`--verify`: trace flagged code for real and attach a verdict to every finding.

This package's parent side (this module, `pool`, `protocol`, `sandbox`) never imports
TensorFlow or user code; the worker side (`worker`, `observe`, `target`, `inputs`, `compare`,
`pattern`, `group`, `verdicts`) runs only in isolated child processes (see `sandbox`).
Findings are grouped by (file, symbol): one request per group, so one import and one
eager/graph comparison serve every finding in a function, and the per-function timeout applies
to the group; a total deadline bounds the whole run.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from tflint.diagnostics import Diagnostic, Verification
from tflint.project.modules import ProjectModules
from tflint.verify.pool import Limits, Lost, Pool, WorkerError
from tflint.verify.protocol import Answer, Finding, Request, Root, Stage, Status

DEFAULT_MEMORY = 8 << 30
DEFAULT_TOTAL_TIMEOUT = 600.0
DEVICES = ("auto", "cpu", "gpu")
Progress = Callable[[int, int, str], None]  # findings done, findings in all, what runs now


class VerifyError(Exception):
    """A usage problem the CLI reports with exit code 2 (no GPU for `--device gpu`, an
    unknown device)."""


class VerifierUnavailable(VerifyError):
    """No worker could start (no TensorFlow, a broken `--python`): the lint findings are
    still reported, each `unverifiable` with this reason."""


def _unverifiable(reason: str) -> Verification:
    return Verification(Status.UNVERIFIABLE, reason)


def _skip_reason(diagnostic: Diagnostic, sources: dict[str, str]) -> str | None:
    """Why a finding cannot be sent to a worker at all, or None."""
    if diagnostic.code in ("TF001", "TF002"):
        return "the file cannot be parsed or read, so it cannot be imported"
    if diagnostic.cell is not None:
        return None if diagnostic.filename.endswith(".ipynb") else "a cell outside a notebook"
    if _resolved(diagnostic.filename) in sources:
        return None
    if diagnostic.filename == "-":
        return "stdin is verified only when named: --stdin-filename NAME.py"
    path = Path(diagnostic.filename)
    if path.suffix != ".py" or not path.is_file():
        return "only Python files on disk can be imported"
    return None


def _resolved(filename: str) -> str:
    return str(Path(filename).resolve())


def _pick_device(device: str, gpus: list[str], python: str) -> str:
    if device == "gpu" and not gpus:
        raise VerifyError(f"--device gpu: TensorFlow sees no GPU (interpreter: {python})")
    return "GPU:0" if gpus and device != "cpu" else "CPU:0"


class Verifier:
    """A pool of workers and the device they trace on; reusable across batches of findings."""

    def __init__(
        self,
        *,
        device: str = "auto",
        timeout: float = 60.0,
        python: str | None = None,
        jobs: int | None = None,
        memory: int = DEFAULT_MEMORY,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
    ) -> None:
        if device not in DEVICES:
            raise VerifyError(f"unknown device {device!r}: use one of {', '.join(DEVICES)}")
        self.timeout = timeout
        self.total_timeout = total_timeout
        self.seconds: list[float] = []  # worker time per (file, symbol) group, for benchmarks
        self.timings: list[tuple[Diagnostic, float]] = []  # per finding, its group's time
        # CPU seconds a worker may use over its life: the whole run on every core, and a margin
        cpu = int(max(timeout, total_timeout) * (os.cpu_count() or 1)) + 120
        try:
            self._pool = Pool(python, jobs or min(2, os.cpu_count() or 1), Limits(memory, cpu))
        except WorkerError as exc:
            raise VerifierUnavailable(str(exc)) from exc
        try:
            self.device = _pick_device(device, self._pool.hello.gpus, self._pool.python)
        except VerifyError:
            self._pool.close()
            raise

    @property
    def protections(self) -> list[str]:
        """The isolation the first worker reported (for --verbose)."""
        return self._pool.hello.protections

    def verify(
        self,
        diagnostics: list[Diagnostic],
        timeout: float | None = None,
        *,
        sources: dict[str, str] | None = None,
        progress: Progress | None = None,
        total_timeout: float | None = None,
        project: ProjectModules | None = None,
    ) -> list[Diagnostic]:
        """The same diagnostics, in the same order, each with `.verification` set. `sources`
        maps a finding's filename to the text to verify in place of the file (stdin);
        `timeout` and `total_timeout` override the verifier's for this batch. `project` (the
        run's files and roots, as the link step resolved imports) makes the project's import
        roots importable and lets code another module traces run from that module."""
        sources = {_resolved(name): text for name, text in (sources or {}).items()}
        verdicts: list[Verification | None] = [None] * len(diagnostics)
        groups = _groups(diagnostics, verdicts, sources, project)
        keys = sorted(groups, key=_order)
        requests = [
            _request(key, [diagnostics[i] for i in groups[key]], self.device, sources, project)
            for key in keys
        ]
        total, finished = sum(len(m) for m in groups.values()), 0

        # A module whose import hangs or crashes the worker would do it again for each of its
        # functions: its other requests get the same answer without a worker.
        broken_imports: dict[tuple[str, int | None], Lost] = {}

        def known(index: int) -> Lost | None:
            lost = broken_imports.get(_module_of(keys[index]))
            if lost is None and progress is not None:
                progress(finished, total, _label(keys[index]))
            return lost

        def done(index: int, answer: Answer | Lost) -> None:
            nonlocal finished
            members = groups[keys[index]]
            if isinstance(answer, Lost):
                if answer.stage is Stage.IMPORTING:
                    broken_imports[_module_of(keys[index])] = answer
                verifications = [_unverifiable(answer.reason)] * len(members)
            else:
                self.seconds.append(answer.seconds)
                self.timings.extend(
                    (diagnostics[m], answer.seconds / len(members)) for m in members
                )
                # the device ops landed on, as the worker saw
                verifications = [
                    Verification(r.status, r.evidence, answer.device) for r in answer.results
                ]
            for member, verification in zip(members, verifications, strict=True):
                verdicts[member] = verification
            finished += len(members)
            if progress is not None:
                progress(finished, total, "")

        deadline = time.monotonic() + (total_timeout or self.total_timeout)
        try:
            self._pool.map(requests, timeout or self.timeout, done, known, deadline)
        except WorkerError as exc:
            reason = f"the verifier could not restart a worker: {exc}"
            verdicts = [v or _unverifiable(reason) for v in verdicts]
        return [
            d.with_verification(v or _unverifiable("not verified"))
            for d, v in zip(diagnostics, verdicts, strict=True)
        ]

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# The traced function of another module that runs a finding's code: (its file, resolved;
# its qualified name; the notebook cell that defines it, None for a .py file).
Caller = tuple[str, str, int | None]
# (file, symbol, notebook cell up to which the cells are run: None for a .py file, the caller
# that traces the code when it is another module's)
Key = tuple[str, str | None, int | None, Caller | None]


def _order(key: Key) -> tuple[str, str, int, tuple[str, str, int]]:
    caller = key[3] or ("", "", None)
    return (key[0], key[1] or "", key[2] or 0, (caller[0], caller[1], caller[2] or 0))


def _module_of(key: Key) -> tuple[str, int | None]:
    """What one import covers: the file, or a notebook's cells up to one (for code another
    module traces, that module's)."""
    return (key[3][0], key[3][2]) if key[3] else (key[0], key[2])


def _label(key: Key) -> str:
    cell = f" (cell {key[2]})" if key[2] else ""
    via = f" (from {key[3][1]} in {Path(key[3][0]).name})" if key[3] else ""
    return f"{Path(key[0]).name}{cell}: {key[1] or 'module-level code'}{via}"


def _groups(
    diagnostics: list[Diagnostic],
    verdicts: list[Verification | None],
    sources: dict[str, str],
    project: ProjectModules | None,
) -> dict[Key, list[int]]:
    """Findings by (file, symbol, cell, caller); those that cannot be sent get their verdict
    now."""
    groups: dict[Key, list[int]] = {}
    shown = _shown_files(project) if project is not None else {}
    for index, diagnostic in enumerate(diagnostics):
        reason = _skip_reason(diagnostic, sources)
        caller: Caller | None = None
        if not reason and project is not None:
            found = _caller(diagnostic, shown)
            if isinstance(found, str):
                reason = found
            else:
                caller = found
        if reason:
            verdicts[index] = _unverifiable(reason)
        else:
            key = (_resolved(diagnostic.filename), diagnostic.symbol, diagnostic.cell, caller)
            groups.setdefault(key, []).append(index)
    return groups


def _shown_files(project: ProjectModules) -> dict[str, list[str]]:
    """The run's files by the name messages give them (`pkg/train.py`)."""
    shown: dict[str, list[str]] = {}
    for file in project.files:
        shown.setdefault(project.display(file), []).append(file)
    return shown


def _caller(diagnostic: Diagnostic, shown: dict[str, list[str]]) -> Caller | str | None:
    """The other module's traced function the finding's message names ("called from
    `train_step` (...) in `pkg/train.py:8`"), found among the run's files (`shown`, by the
    name the link gave them); None for a finding the module's own code traces; a reason when
    the file the message names is not one of the run's (or more than one is)."""
    found = _TRACED_ELSEWHERE.search(diagnostic.message)
    if found is None or diagnostic.cell is not None:
        return None
    name, _, where = found[2].partition(":")
    cell = int(where.split(":")[0][5:]) if where.startswith("cell ") else None
    files = shown.get(name, [])
    if len(files) != 1:
        count = "is not one" if not files else f"names {len(files)}"
        return (
            f"traced from `{found[1]}` in another module, but `{name}` {count} of this run's files"
        )
    return _resolved(files[0]), found[1], cell


def _terminal_progress(done: int, total: int, current: str) -> None:
    """`verifying 3/20: train.py: train_step` on one rewritten stderr line."""
    text = f"verifying {done}/{total}" + (f": {current}" if current else "")
    end = "\n" if done == total and not current else ""
    sys.stderr.write(f"\r\x1b[K{text[:100]}{end}")
    sys.stderr.flush()


def verify_diagnostics(
    diagnostics: list[Diagnostic],
    *,
    device: str = "auto",
    timeout: float = 60.0,
    python: str | None = None,
    jobs: int | None = None,
    memory: int = DEFAULT_MEMORY,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
    sources: dict[str, str] | None = None,
    verbose: bool = False,
    project: ProjectModules | None = None,
) -> list[Diagnostic]:
    """The same diagnostics, in the same order, each with `.verification` set (the API the
    CLI's `--verify` calls). Workers start only when some finding can be imported. When none
    can start, every finding is `unverifiable` with the reason (and a warning says it on
    stderr): the lint findings are reported as without --verify. Progress goes to stderr when
    it is a terminal; with `verbose`, the isolation in place and the time per finding.
    `project`: the run's files and roots (see Verifier.verify)."""
    sources = {_resolved(name): text for name, text in (sources or {}).items()}
    if all(_skip_reason(d, sources) for d in diagnostics):
        return [
            d.with_verification(_unverifiable(_skip_reason(d, sources) or "")) for d in diagnostics
        ]
    try:
        verifier = Verifier(
            device=device,
            timeout=timeout,
            python=python,
            jobs=jobs,
            memory=memory,
            total_timeout=total_timeout,
        )
    except VerifierUnavailable as exc:
        print(f"warning: --verify could not start: {exc}", file=sys.stderr)
        return [d.with_verification(_unverifiable(str(exc))) for d in diagnostics]
    with verifier:
        if verbose:
            print(f"verify: isolation: {', '.join(verifier.protections)}", file=sys.stderr)
        progress = _terminal_progress if sys.stderr.isatty() else None
        results = verifier.verify(diagnostics, sources=sources, progress=progress, project=project)
    results = [_traced_elsewhere(d) for d in results]
    if verbose:
        for diagnostic, seconds in verifier.timings:
            print(
                f"verify: {diagnostic.filename}:{diagnostic.location.row}: "
                f"{diagnostic.code} {seconds:.2f} s",
                file=sys.stderr,
            )
    return results


# The reason the whole-project link step gives code another module traces (project/link.py).
_TRACED_ELSEWHERE = re.compile(r"called from `([^`]+)` \((?:[^()]|\([^()]*\))*\) in `([^`]+)`")


def _traced_elsewhere(diagnostic: Diagnostic) -> Diagnostic:
    """A finding in code only another module traces, verified without the project's files
    (`project`; the CLI always gives them): the verifier imports and runs this module alone,
    so it finds nothing here that traces it; say that, and where the tracing caller is,
    instead of the generic "nothing in the module traces it"."""
    verification = diagnostic.verification
    found = _TRACED_ELSEWHERE.search(diagnostic.message)
    if (
        verification is None
        or found is None
        or verification.status != "unverifiable"
        or not verification.evidence.startswith("nothing in the module traces")
    ):
        return diagnostic
    evidence = (
        f"traced from another module (`{found[1]}` in `{found[2]}`): without the project's "
        "files the verifier imports and runs one module alone, so it cannot trace this code "
        "the way that caller does"
    )
    return diagnostic.with_verification(replace(verification, evidence=evidence))


def _request(
    key: Key,
    members: list[Diagnostic],
    device: str,
    sources: dict[str, str],
    project: ProjectModules | None,
) -> Request:
    file, symbol, cell, caller = key
    source, offset, cells = sources.get(file), 0, None
    if cell is not None:
        source, cells = materialise(file, cell)
        offset = cells[-1] - 1 if cells else 0
    findings = [
        Finding(d.code, start.row + offset, start.column, end.row + offset, end.column)
        for d in members
        for start, end in [(d.location, d.end_location)]
    ]
    root = None
    if caller is not None:
        root_source, root_cells = sources.get(caller[0]), None
        if caller[2] is not None:
            root_source, root_cells = materialise(caller[0], caller[2])
        root = Root(caller[0], caller[1], root_source, root_cells)
    paths = _import_roots([caller[0], file] if caller else [file], project)
    return Request(file, symbol, f"/{device}", findings, source, cells, paths, root)


def _import_roots(files: list[str], project: ProjectModules | None) -> list[str]:
    """Where the link step looked up the files' absolute imports (the directory above a
    package, `src/`, up to the roots of the run), nearest first, existing directories only."""
    if project is None:
        return []
    found: list[str] = []
    for file in files:
        for directory in project.search_path(file):
            if str(directory) not in found and directory.is_dir():
                found.append(str(directory))
    return found


def materialise(path: str, cell: int) -> tuple[str, list[int]]:
    """A notebook's code cells up to `cell` (later ones are not run), joined as one module
    with IPython syntax (`%magic`, `!shell`) written as IPython runs it (the worker makes those
    calls no-ops; other languages' `%%cell` magics are blank rows), and the row where each of
    those cells starts in it (`cell` last). An unreadable notebook
    gives an empty module: its findings come back unverifiable."""
    from dataclasses import replace

    from tflint.notebooks import parse_notebook, python_source

    try:
        notebook = parse_notebook(Path(path).read_bytes())
    except OSError:
        return "", []
    if isinstance(notebook, str):
        return "", []
    upto = replace(notebook, cells=tuple(c for c in notebook.cells if c.number <= cell))
    prepared = python_source(upto)
    source, cells = prepared.code, prepared.cells
    if not cells.numbers or cells.numbers[-1] != cell:
        return source, []
    return source, list(cells.first_rows)
