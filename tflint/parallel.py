"""Map a per-file function over many files in worker processes, surviving crashed workers.

A worker that dies (a segfault in a C extension, `os._exit`, the OOM killer) breaks a
ProcessPoolExecutor and fails every pending future. To find the culprit without re-running
everything serially, at most `2 * workers` items are in flight at once: when the pool breaks,
only those are suspects. Each suspect is re-run alone in a fresh one-worker pool, so the one that
crashes again is reported through `on_crash` and the others' results are kept; the rest of the
work continues in a fresh pool. Ctrl-C terminates the workers before KeyboardInterrupt
propagates, so no orphan keeps running.

Workers are forked from a `forkserver` (a fresh process that preloaded tflint, never a forked
copy of a parent that may hold TensorFlow's threads or locks), so a pool starts in milliseconds
after the first; where there is no forkserver, `spawn`. Either way `work` must be a module-level
function and items picklable.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

IN_FLIGHT_PER_WORKER = 2


def map_unordered(
    work: Callable[[Item], Result],
    items: list[Item],
    workers: int,
    on_crash: Callable[[Item], Result],
) -> Iterator[tuple[Item, Result]]:
    """(item, work(item)) for every item, in completion order; `on_crash(item)` stands in for
    the result of an item whose worker process died."""
    pending = list(reversed(items))  # popped from the end: submission follows `items` order
    while pending:
        suspects = yield from _run_until_broken(work, pending, workers)
        for item in suspects:
            yield item, _run_alone(work, item, on_crash)


def _run_until_broken(
    work: Callable[[Item], Result], pending: list[Item], workers: int
) -> Iterator[tuple[Item, Result]]:
    """Run items from `pending` until it is empty or the pool breaks; returns the items that
    were in flight when it broke."""
    in_flight: dict[Future[Result], Item] = {}
    executor = _executor(min(workers, len(pending)))
    try:
        while pending or in_flight:
            while pending and len(in_flight) < workers * IN_FLIGHT_PER_WORKER:
                item = pending.pop()
                in_flight[executor.submit(work, item)] = item
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    result = future.result()
                except BrokenProcessPool:
                    return list(in_flight.values())
                yield in_flight.pop(future), result
        return []
    except BaseException:
        _terminate(executor)
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _run_alone(
    work: Callable[[Item], Result], item: Item, on_crash: Callable[[Item], Result]
) -> Result:
    executor = _executor(1)
    try:
        return executor.submit(work, item).result()
    except BrokenProcessPool:
        return on_crash(item)
    except BaseException:
        _terminate(executor)
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _executor(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=_context(), initializer=_ignore_interrupts
    )


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tflint.work"])  # what every lint worker imports anyway
    return context


def _ignore_interrupts() -> None:
    """Ctrl-C reaches the whole process group; only the parent acts on it, ending workers with
    SIGTERM, which a worker turns into SystemExit so a fix being written removes its
    temporary file (files.write_atomically) instead of leaving it behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_terminate)


def _exit_on_terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _terminate(executor: ProcessPoolExecutor) -> None:
    # Python 3.14 has executor.terminate_workers(); before it, the process table is private.
    for process in list(getattr(executor, "_processes", {}).values()):
        process.terminate()
    for process in list(getattr(executor, "_processes", {}).values()):
        process.join(timeout=5)
