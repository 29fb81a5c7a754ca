"""Worker processes and the JSON-lines protocol that talks to them (parent side).

User code only ever runs in a worker: a child interpreter (ours or `--python PATH`) that imports
TensorFlow once and then answers one request per line on its stdin with one line on its stdout.
A request that hangs, crashes the interpreter or ends it (`os._exit`, a segfault) costs only that
request: the parent kills the worker's process group, starts a fresh one and goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The worker runs with the chosen interpreter, which may not have tflint installed: append (never
# prepend, so the interpreter's own packages win) the directory that holds our package.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = "import sys; sys.path.append(sys.argv[1]); from tflint.verify.worker import main; main()"
STARTUP_TIMEOUT = 180.0


class WorkerError(Exception):
    """The worker could not answer: it timed out, died, or never started."""


@dataclass
class Hello:
    """What a fresh worker reports once TensorFlow is imported."""

    tensorflow: str
    gpus: list[str]


@dataclass(eq=False)  # compared (and hashed) by identity
class Worker:
    """One child interpreter with TensorFlow imported, and the stage it last reported."""

    proc: subprocess.Popen[bytes]
    log: Path
    hello: Hello
    _buffer: bytearray = field(default_factory=bytearray)
    stage: str = "starting"

    @classmethod
    def start(cls, python: str, memory_bytes: int) -> Worker:
        fd, log_name = tempfile.mkstemp(prefix="tflint-verify-", suffix=".log")
        env = dict(
            os.environ,
            TF_CPP_MIN_LOG_LEVEL="2",
            PYTHONUNBUFFERED="1",
            TFLINT_VERIFY_MEMORY=str(memory_bytes),
        )
        try:
            proc = subprocess.Popen(
                [python, "-c", _BOOT, _PACKAGE_ROOT],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=fd,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            os.close(fd)
            Path(log_name).unlink(missing_ok=True)
            raise WorkerError(f"cannot run {python}: {exc.strerror or exc}") from exc
        os.close(fd)
        worker = cls(proc, Path(log_name), Hello("", []))
        try:
            message = worker._read(STARTUP_TIMEOUT)
        except WorkerError as exc:  # died before saying hello: its last words say why
            reason = f"{python} did not start a worker: {exc}{worker.last_words}"
            worker.close()
            raise WorkerError(reason) from exc
        if "error" in message:
            worker.close()
            raise WorkerError(f"{python} cannot import TensorFlow: {message['error']}")
        worker.hello = Hello(message["tensorflow"], message["gpus"])
        return worker

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request; its answer, or WorkerError with why none came (worker then dead)."""
        assert self.proc.stdin is not None
        self.stage = "starting"
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError as exc:
            self.kill()
            raise WorkerError(self._death_reason()) from exc
        return self._read(timeout)

    def _read(self, timeout: float) -> dict[str, Any]:
        """The next answer line; stage lines (`{"stage": ...}`) only record progress."""
        deadline = time.monotonic() + timeout
        for line in self._lines(deadline, timeout):
            message = json.loads(line)
            if "stage" in message:
                self.stage = message["stage"]
                continue
            return message
        raise AssertionError("unreachable")

    def _lines(self, deadline: float, timeout: float) -> Iterator[bytes]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self._buffer[:newline])
                del self._buffer[: newline + 1]
                yield line
                continue
            left = deadline - time.monotonic()
            ready = select.select([fd], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                self.kill()
                raise WorkerError(f"timed out after {timeout:g} s while {self.stage}")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                self.kill()
                raise WorkerError(self._death_reason())
            self._buffer += chunk

    @property
    def last_words(self) -> str:
        """The last line the worker wrote to its log (stderr), as `: line`, or ''."""
        try:
            lines = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return f": {lines[-1][:120]}" if lines else ""

    def _death_reason(self) -> str:
        code = self.proc.wait()
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"the interpreter crashed with {name} while {self.stage}"
        return f"the process exited with code {code} while {self.stage}"

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """Kill the worker and anything it started (its own session); its log stays. Only
        while it is alive: once reaped, its id may belong to someone else."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def close(self) -> None:
        """End the worker: at EOF on its stdin it exits on its own, so its exit handlers remove
        AutoGraph's temporary files; one that does not is killed."""
        if self.proc.poll() is None and self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        self.kill()
        self.log.unlink(missing_ok=True)


class Pool:
    """`jobs` workers answering requests in parallel, each replaced when it dies."""

    def __init__(
        self, python: str | None = None, jobs: int = 1, memory_bytes: int = 8 << 30
    ) -> None:
        self.python = python or sys.executable
        self.memory_bytes = memory_bytes
        self.jobs = max(1, jobs)
        self._idle: queue.SimpleQueue[Worker] = queue.SimpleQueue()
        self._workers: set[Worker] = set()  # all live ones, busy or idle: close() kills them
        self._lock = threading.Lock()
        self._first = self._start()
        self._idle.put(self._first)
        self._started = 1

    def _start(self) -> Worker:
        worker = Worker.start(self.python, self.memory_bytes)
        with self._lock:
            self._workers.add(worker)
        return worker

    def _retire(self, worker: Worker) -> None:
        worker.close()
        with self._lock:
            self._workers.discard(worker)

    @property
    def hello(self) -> Hello:
        return self._first.hello

    def _take(self) -> Worker:
        with self._lock:
            if self._idle.empty() and self._started < self.jobs:
                self._started += 1
                grow = True
            else:
                grow = False
        if grow:
            try:
                return self._start()
            except WorkerError:
                with self._lock:
                    self._started -= 1
        while True:  # wait for a busy worker; give up once none is left to wait for
            try:
                return self._idle.get(timeout=1.0)
            except queue.Empty:
                with self._lock:
                    if self._started == 0:
                        raise WorkerError("no worker is left (none could be restarted)") from None

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """One answer; a dead worker is replaced and the failure becomes `{"lost": reason}`."""
        worker = self._take()
        try:
            return worker.ask(request, timeout)
        except WorkerError as exc:
            self._retire(worker)
            try:
                worker = self._start()
            except WorkerError:
                with self._lock:
                    self._started -= 1
                raise
            return {"lost": str(exc)}
        finally:
            if worker.alive:
                self._idle.put(worker)

    def map(
        self,
        requests: list[dict[str, Any]],
        timeout: float,
        done: Callable[[int, dict[str, Any]], None],
        known: Callable[[int], dict[str, Any] | None] = lambda _: None,
    ) -> None:
        """Answer every request, `jobs` at a time; `done(index, answer)` as each one finishes.
        `known(index)` may answer a request without a worker (checked just before sending)."""
        pending: queue.SimpleQueue[int] = queue.SimpleQueue()
        for index in range(len(requests)):
            pending.put(index)
        errors: list[BaseException] = []

        def drain() -> None:
            while not errors:
                try:
                    index = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    done(index, known(index) or self.ask(requests[index], timeout))
                except BaseException as exc:
                    errors.append(exc)

        threads = [
            threading.Thread(target=drain, daemon=True)
            for _ in range(min(self.jobs, len(requests)))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def close(self) -> None:
        for worker in list(self._workers):
            self._retire(worker)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
