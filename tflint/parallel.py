"""Map a per-file function over many files in worker processes, surviving crashed workers.

A worker that dies (a segfault in a C extension, `os._exit`, the OOM killer) breaks a
ProcessPoolExecutor and fails every pending future. To find the culprit without re-running
everything serially, at most `2 * workers` items are in flight at once: when the pool breaks,
only those are suspects. Each suspect is re-run alone in a process of its own, so the one that
crashes again is reported through `on_crash` and the others' results are kept; the rest of the
work continues in a fresh pool.

Memory: with `memory_limit_mb`, the parent watches each worker's resident memory (the worker
itself cannot: LibCST's parser holds the GIL) and kills one that goes over; an item that does
that again alone is reported through `on_memory` (TF002 "too complex to analyse") instead of
`on_crash`.

Ending: Ctrl-C (and SIGTERM, which tflint.app turns into an exception the same way) terminates
the workers, then kills those still running after half a second, before the exception
propagates. A worker also exits by itself when the tflint process that started it is gone
(SIGKILL, a crash), watching it through a pidfd (a thread blocked in select, woken by the
kernel) or, where there is none, by polling; so no orphan keeps running.

Workers are forked from a `forkserver` (a fresh process that preloaded tflint, never a forked
copy of a parent that may hold TensorFlow's threads or locks), so a pool starts in milliseconds
after the first; where there is no forkserver, `spawn`. Either way `work` must be a module-level
function and items picklable.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

IN_FLIGHT_PER_WORKER = 2


def map_unordered(
    work: Callable[[Item], Result],
    items: list[Item],
    workers: int,
    on_crash: Callable[[Item], Result],
    on_memory: Callable[[Item], Result] | None = None,
    memory_limit_mb: int | None = None,
) -> Iterator[tuple[Item, Result]]:
    """(item, work(item)) for every item, in completion order; `on_crash(item)` stands in for
    the result of an item whose worker process died, `on_memory(item)` for one whose worker
    went over `memory_limit_mb` of resident memory (default: on_crash)."""
    limit = None if memory_limit_mb is None else memory_limit_mb * 1024 * 1024
    pending = list(reversed(items))  # popped from the end: submission follows `items` order
    while pending:
        suspects = yield from _run_until_broken(work, pending, workers, limit)
        for item in suspects:
            yield item, _run_alone(work, item, on_crash, on_memory or on_crash, limit)


POLL_SECONDS = 0.05  # how often the parent looks at the workers' memory


def _run_until_broken(
    work: Callable[[Item], Result], pending: list[Item], workers: int, limit: int | None
) -> Generator[tuple[Item, Result], None, list[Item]]:
    """Run items from `pending` until it is empty or the pool breaks; returns the items that
    were in flight when it broke."""
    in_flight: dict[Future[Result], Item] = {}
    executor = _executor(min(workers, len(pending)))
    try:
        while pending or in_flight:
            while pending and len(in_flight) < workers * IN_FLIGHT_PER_WORKER:
                item = pending.pop()
                in_flight[executor.submit(work, item)] = item
            timeout = None if limit is None else POLL_SECONDS
            done, _ = wait(in_flight, timeout=timeout, return_when=FIRST_COMPLETED)
            if limit is not None:
                for process in _processes(executor):
                    if process.pid is not None and _over(process.pid, limit):
                        process.kill()
            for future in done:
                try:
                    result = future.result()
                except BrokenProcessPool:
                    return list(in_flight.values())
                yield in_flight.pop(future), result
        return []
    except BaseException:
        _terminate(_processes(executor))
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _run_alone(
    work: Callable[[Item], Result],
    item: Item,
    on_crash: Callable[[Item], Result],
    on_memory: Callable[[Item], Result],
    limit: int | None,
) -> Result:
    """Run one item in a process of its own, whose exit the parent sees (a pool hides it)."""
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(  # type: ignore[attr-defined]
        target=_run_one, args=(work, item, sender, os.getpid())
    )
    process.start()
    sender.close()
    try:
        while not receiver.poll(POLL_SECONDS):
            if limit is not None and process.pid is not None and _over(process.pid, limit):
                process.kill()
                process.join()
                return on_memory(item)
            if not process.is_alive() and not receiver.poll(0):
                return on_crash(item)
        try:
            return receiver.recv()  # type: ignore[no-any-return]
        except EOFError:  # died after its last poll
            return on_crash(item)
    except BaseException:
        _terminate([process])
        raise
    finally:
        receiver.close()
        process.join()


def _run_one(work: Callable[[Item], Result], item: Item, sender: Connection, parent: int) -> None:
    _worker_setup(parent)
    sender.send(work(item))


def _executor(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_context(),
        initializer=_worker_setup,
        initargs=(os.getpid(),),
    )


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tflint.work"])  # what every lint worker imports anyway
    return context


def _worker_setup(parent: int) -> None:
    """Ctrl-C reaches the whole process group; only the parent acts on it, ending workers with
    SIGTERM, which a worker turns into SystemExit so a fix being written removes its
    temporary file (files.write_atomically) instead of leaving it behind. A worker whose
    parent is gone exits at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_terminate)
    threading.Thread(target=_exit_with, args=(parent,), name="tflint-parent", daemon=True).start()


def _exit_with(parent: int) -> None:
    """Block until the process `parent` has ended, then end this one. Runs in a thread: a
    pidfd becomes readable when its process exits (Linux); elsewhere, poll."""
    try:
        descriptor = os.pidfd_open(parent)
    except (AttributeError, OSError):
        while _alive(parent):
            time.sleep(0.2)
    else:
        select.select([descriptor], [], [])
    os._exit(EXIT_ORPHANED)


EXIT_ORPHANED = 128 + signal.SIGTERM


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the pid now belongs to someone else's process
        return False
    return True


def _exit_on_terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _over(pid: int, limit: int) -> bool:
    """Whether the process's resident memory exceeds `limit` bytes (Linux; elsewhere never)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:  # noqa: PTH123  (hot, tiny read)
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return False
    return pages * _PAGE_SIZE > limit


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _processes(executor: ProcessPoolExecutor) -> list[multiprocessing.process.BaseProcess]:
    # Python 3.14 has executor.terminate_workers(); before it, the process table is private.
    return list(getattr(executor, "_processes", {}).values())


TERMINATE_GRACE_SECONDS = 0.5


def _terminate(processes: list[multiprocessing.process.BaseProcess]) -> None:
    """SIGTERM (a fix being written cleans up), then SIGKILL for those still running after
    half a second (a worker deep in LibCST's parser reacts only when it returns)."""
    for process in processes:
        with contextlib.suppress(OSError, ValueError):
            process.terminate()
    deadline = time.monotonic() + TERMINATE_GRACE_SECONDS
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(timeout=1)
