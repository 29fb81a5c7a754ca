"""Lint (or fix) many files: discovery, the cache, the process pool, deterministic ordering.

The parent reads every file and looks its bytes up in the cache; only misses are linted, in
a process pool when there are enough of them to pay for starting one. Workers get the bytes the
parent read, so a cache entry always describes exactly the content that was linted. The linting
itself (tflint.work: LibCST, the checks) is imported only when a file must be linted, so a
run answered from the cache never pays its start-up.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tflint.cache import LintCache, project_cache_directory
from tflint.config import ConfigTree, Settings
from tflint.diagnostics import Diagnostic, FileFix, FileResult, FixMode, is_applicable
from tflint.files import Unreadable, discover, read_source, unreadable_diagnostic
from tflint.parallel import map_unordered
from tflint.project.link import Linker
from tflint.project.modules import ProjectModules, is_file
from tflint.project.summary import ModuleSummary, Reason

if TYPE_CHECKING:
    from tflint.work import Outcome

# Below this many files to lint, starting the pool (a forkserver that imports tflint, then the
# workers) costs more than it saves.
MIN_FILES_FOR_POOL = 8
WATCHED_FILE_BYTES = 16 * 1024  # files from this size on are linted in a watched worker


@dataclass
class RunResult:
    """What a run found, in the order reporters print it."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    internal_errors: list[tuple[str, str]] = field(default_factory=list)
    tracebacks: dict[str, str] = field(default_factory=dict)  # filename → traceback (--verbose)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (filename, note), --verbose
    files: int = 0
    fixed: int = 0
    diffs: list[tuple[str, str]] = field(default_factory=list)  # (filename, diff), --diff only
    file_errors: list[tuple[str, str]] = field(default_factory=list)  # e.g. read-only with --fix
    not_analysed: list[tuple[str, str]] = field(default_factory=list)  # (filename, why)
    fixed_source: bytes | None = None  # `-` with --fix: the source to print, fixed or as it was
    linted: list[str] = field(default_factory=list)  # files analysed, not answered by the cache
    # The project's files (those the link step saw), for --verify to find a tracing caller.
    project: list[str] = field(default_factory=list)

    def add(self, outcome: FileResult | FileFix) -> None:
        if isinstance(outcome, FileFix):
            filename = outcome.result.filename
            self.fixed += outcome.fixed
            if outcome.diff:
                self.diffs.append((filename, outcome.diff))
            if outcome.write_error is not None:
                self.file_errors.append((filename, outcome.write_error))
            outcome = outcome.result
        self.files += 1
        self.diagnostics.extend(outcome.diagnostics)
        if outcome.internal_error is not None:
            self.internal_errors.append((outcome.filename, outcome.internal_error))
        if outcome.traceback is not None:
            self.tracebacks[outcome.filename] = outcome.traceback
        if outcome.not_analysed is not None:
            self.not_analysed.append((outcome.filename, outcome.not_analysed))
        self.notes.extend((outcome.filename, note) for note in outcome.notes)

    def finish(self) -> RunResult:
        self.diagnostics.sort(key=lambda d: d.sort_key)
        self.internal_errors.sort()
        self.diffs.sort()
        self.file_errors.sort()
        self.not_analysed.sort()
        self.notes.sort()
        return self


@dataclass(frozen=True)
class Job:
    """One file's work, sent to a worker process: with the functions other modules make
    graph code in it (`roots`), and whether to summarise it for the link step."""

    filename: str
    source: bytes
    enabled: frozenset[str]
    fix: FixMode | None
    roots: tuple[tuple[str, Reason], ...] = ()
    summarize: bool = False


@dataclass
class _File:
    filename: str
    source: bytes
    enabled: frozenset[str]
    summary: ModuleSummary | None = None
    hint: dict[str, Reason] = field(default_factory=dict)  # the roots it was linted with
    first: FileResult | FileFix | None = None  # linted while summarising it


def lint_paths(
    paths: Iterable[Path],
    settings: Settings | ConfigTree,
    *,
    jobs: int | None = None,
    use_cache: bool = True,
    fix: FixMode | None = None,
) -> RunResult:
    """Lint (with `fix`: fix) every file under `paths`, each with the settings of its nearest
    configuration (`settings`: a ConfigTree; plain Settings apply to every file). `jobs` is the
    number of worker processes (None: one per CPU; 1: this process, and one watched worker for
    files of WATCHED_FILE_BYTES or more). A broken configuration met on the way raises
    ConfigError before any file is linted or fixed.

    The run is one project: every file is summarised (from the cache, or while it is
    linted), the link step finds the functions other modules make graph code, and a file that
    gets such roots is judged with them; its result is cached under its content and its
    roots."""
    paths = list(paths)
    config = settings if isinstance(settings, ConfigTree) else ConfigTree(fixed=settings)
    cache = _open_cache(config, paths) if use_cache else None
    run = RunResult()
    files: list[_File] = []
    for item in discover(paths, config):
        source = item if isinstance(item, Unreadable) else read_source(item)
        filename = str(item.path) if isinstance(item, Unreadable) else str(item)
        enabled = config.codes_for(filename)
        if isinstance(source, Unreadable):
            run.add(FileResult(filename, _unreadable(source, enabled)))
            continue
        files.append(_File(filename, source, enabled))
    run.project = [file.filename for file in files]
    external = _link(files, paths, config, cache, jobs, run, fix)
    todo: list[Job] = []
    keys: dict[str, str] = {}
    for file in files:
        roots = external.get(file.filename, {})
        if cache is not None:
            keys[file.filename] = cache.key(file.filename, file.source, file.enabled, roots)
            if roots != file.hint:
                cache.put_roots_hint(file.filename, roots)
            cached = cache.get(keys[file.filename], file.filename)
            if cached is not None and not _needs_fixing(cached.diagnostics, fix):
                run.add(cached)
                continue
        if file.first is not None and roots == file.hint:
            _finish(run, cache, keys.get(file.filename), file.first)
            continue
        if _changed(file.first):  # fixed without the roots it turns out to get: again, with them
            assert isinstance(file.first, FileFix)
            run.fixed += file.first.fixed
            reread = read_source(Path(file.filename))
            file.source = file.source if isinstance(reread, Unreadable) else reread
        todo.append(Job(file.filename, file.source, file.enabled, fix, tuple(roots.items())))
    for job, outcome in _run_jobs(todo, jobs):
        run.linted.append(job.filename)
        _finish(run, cache, keys.get(job.filename), outcome.result)
    return run.finish()


def _link(
    files: list[_File],
    paths: list[Path],
    config: ConfigTree,
    cache: LintCache | None,
    jobs: int | None,
    run: RunResult,
    fix: FixMode | None,
) -> dict[str, dict[str, Reason]]:
    """The functions of each file that other modules make graph code (the link step). Its
    result is cached under the summary key of every file it reads (a partial run's other files
    included, where the cache holds their summaries): a run on unchanged files reads neither
    summaries nor results of the link. Not for fixes (the fixed code is summarised anew)."""
    partial = bool(paths) and all(is_file(path) for path in paths)
    context: dict[str, str] = {}
    if cache is not None and partial:
        context = _context_keys(paths, config, cache, [f.filename for f in files])
    link_key = None
    keys: dict[str, str] = {}
    if cache is not None:
        keys = {f.filename: cache.summary_key(f.filename, f.source, f.enabled) for f in files}
    if cache is not None and fix is None:
        link_key = cache.link_key(keys | context, paths)
        known = cache.get_link(link_key)
        if known is not None:
            run.project, external = known
            return external
    _summarise(files, keys, cache, jobs, run, fix)
    summaries = {f.filename: f.summary for f in files if f.summary is not None}
    if cache is not None:
        for filename, key in context.items():
            summary = cache.get_summary(key)
            if summary is not None:
                summaries[filename] = summary
    modules = ProjectModules(list(summaries), paths)
    run.project = modules.files
    external = Linker(summaries, modules).external_roots()
    if cache is not None and link_key is not None:
        cache.put_link(link_key, modules.files, external)
    return external


def _summarise(
    files: list[_File],
    keys: dict[str, str],
    cache: LintCache | None,
    jobs: int | None,
    run: RunResult,
    fix: FixMode | None,
) -> None:
    """Every file's summary: from the cache, or by linting (fixing) it with the roots it got
    last time, usually still right, and summarising it in the same worker."""
    todo: list[Job] = []
    by_name = {file.filename: file for file in files}
    for file in files:
        if cache is not None:
            file.summary = cache.get_summary(keys[file.filename])
            if file.summary is not None:
                continue
            file.hint = cache.roots_hint(file.filename)
        job = Job(file.filename, file.source, file.enabled, fix, tuple(file.hint.items()), True)
        todo.append(job)
    for job, outcome in _run_jobs(todo, jobs):
        run.linted.append(job.filename)
        file = by_name[job.filename]
        file.first, file.summary = outcome.result, outcome.summary
        if cache is not None and outcome.summary is not None and _cacheable(outcome.result):
            cache.put_summary(keys[job.filename], outcome.summary)


def _context_keys(
    paths: list[Path], config: ConfigTree, cache: LintCache, named: list[str]
) -> dict[str, str]:
    """A partial run (files named one by one, as pre-commit does): the summary keys of the
    project's other files whose summaries the cache holds, read by content (no parse), so that
    graph code reaching a named file from an unchanged one is still seen. A file the cache has
    no summary of (never linted as it is now) is left out."""
    root = config.for_directory(paths[0].absolute().parent).root
    seen = {Path(name).absolute() for name in named}
    found: dict[str, str] = {}
    for item in discover([root], config):
        if isinstance(item, Unreadable) or item.absolute() in seen:
            continue
        source = read_source(item)
        if isinstance(source, Unreadable):
            continue
        filename = str(item)
        key = cache.summary_key(filename, source, config.codes_for(filename))
        if cache.has_summary(key):
            found[filename] = key
    return found


def _changed(outcome: FileResult | FileFix | None) -> bool:
    return isinstance(outcome, FileFix) and bool(outcome.fixed or outcome.diff)


def _finish(
    run: RunResult, cache: LintCache | None, key: str | None, outcome: FileResult | FileFix
) -> None:
    run.add(outcome)
    if cache is not None and key is not None and _cacheable(outcome):
        result = outcome.result if isinstance(outcome, FileFix) else outcome
        cache.put(key, result)


def _open_cache(config: ConfigTree, paths: list[Path]) -> LintCache | None:
    """The cache of the project the first path belongs to (its configuration's directory), in
    the user's cache directory; None when there is no user cache directory."""
    first = paths[0] if paths else Path.cwd()
    root = config.for_directory(first if first.is_dir() else first.absolute().parent).root
    directory = project_cache_directory(root)
    return None if directory is None else LintCache(directory)


def _unreadable(problem: Unreadable, enabled: frozenset[str]) -> tuple[Diagnostic, ...]:
    return (unreadable_diagnostic(problem),) if "TF002" in enabled else ()


def _needs_fixing(diagnostics: tuple[Diagnostic, ...], fix: FixMode | None) -> bool:
    return fix is not None and any(is_applicable(d, fix.include_unsafe) for d in diagnostics)


def _cacheable(outcome: FileResult | FileFix) -> bool:
    """Only findings for the bytes on disk that were linted: no internal errors (they may be
    transient or fixed in the next version), nothing fixed or failed to write."""
    if isinstance(outcome, FileFix):
        if outcome.fixed or outcome.diff or outcome.write_error:
            return False
        outcome = outcome.result
    # The --verbose notes (a notebook's skipped cells) come from the content: cached with it.
    return outcome.internal_error is None and outcome.not_analysed is None


def _run_jobs(todo: list[Job], jobs: int | None) -> Iterable[tuple[Job, Outcome]]:
    if not todo:
        return ()
    # LibCST and the checks: not for a warm run
    from tflint.work import (
        WORKER_MEMORY_MB,
        crashed_outcome,
        run_project_job,
        too_complex_outcome,
    )

    run_job, crashed, too_complex = run_project_job, crashed_outcome, too_complex_outcome
    workers = jobs if jobs is not None else os.cpu_count() or 1
    if workers > 1 and len(todo) >= MIN_FILES_FOR_POOL:
        return map_unordered(run_job, todo, workers, crashed, too_complex, WORKER_MEMORY_MB)
    # A small run lints in this process, except files large enough to hold code that exhausts
    # memory (35 KB of nested conditional expressions took 3 GB): those go to one watched
    # worker, so such a file is TF002 "too complex" and never the end of the run.
    small = [job for job in todo if len(job.source) < WATCHED_FILE_BYTES]
    large = [job for job in todo if len(job.source) >= WATCHED_FILE_BYTES]
    in_process = ((job, run_job(job)) for job in small)
    if not large:
        return in_process
    watched = map_unordered(run_job, large, 1, crashed, too_complex, WORKER_MEMORY_MB)
    return itertools.chain(in_process, watched)


def lint_stdin(
    source: bytes, filename: str, settings: Settings | ConfigTree, fix: FixMode | None = None
) -> RunResult:
    """Lint (with `fix`: fix) source read from stdin. Nothing is written: with --fix the
    result carries the fixed source (the input as it was when nothing could be fixed), which
    goes to stdout as ruff does; --diff gets its diff as for a file."""
    from tflint.work import run_job

    run = RunResult()
    shown = None if fix is None else FixMode(fix.include_unsafe, write=False)
    outcome = run_job(Job(filename, source, settings.codes_for(filename), shown))
    run.add(outcome)
    if fix is not None and fix.write:
        fixed = outcome.fixed_source if isinstance(outcome, FileFix) else None
        run.fixed_source = source if fixed is None else fixed
    return run.finish()
