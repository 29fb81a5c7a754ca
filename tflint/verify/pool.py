"""Worker processes and the protocol that talks to them (parent side).

User code only ever runs in a worker: a child interpreter (ours or `--python PATH`) that
isolates itself (`sandbox`), imports TensorFlow once and then answers one `Request` at a time
over signed frames (`protocol`). A request that hangs, crashes the interpreter, ends it
(`os._exit`, a segfault) or writes into the protocol stream costs only that request: the parent
kills the worker with everything it started, starts a fresh one and goes on.

Workers are started from one long-lived thread (the pool's spawner): `PR_SET_PDEATHSIG` fires
when the thread that forked a worker ends, so a worker started from a short-lived thread would
be killed with it. Each worker gets a temporary directory as its working directory, home and
caches; it is removed when the worker ends.
"""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tflint.verify import sandbox
from tflint.verify.protocol import (
    Answer,
    Channel,
    Hello,
    Message,
    Progress,
    ProtocolError,
    Request,
    Stage,
)

# The worker runs with the chosen interpreter, which may not have tflint installed: append (never
# prepend, so the interpreter's own packages win) the directory that holds our package.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = "import sys; sys.path.append(sys.argv[1]); from tflint.verify.worker import main; main()"
STARTUP_TIMEOUT = 180.0


class WorkerError(Exception):
    """The worker could not answer: it timed out, died, or never started."""


@dataclass(frozen=True)
class Lost:
    """No answer: why, and what the worker was doing when it was lost."""

    reason: str
    stage: Stage = Stage.STARTING


@dataclass(frozen=True)
class Limits:
    """What each worker may use: address space (bytes) and CPU seconds over its life."""

    memory: int = 8 << 30
    cpu_seconds: int = 0


Spawn = Callable[[Callable[[], subprocess.Popen[bytes]]], subprocess.Popen[bytes]]


@dataclass(eq=False)  # compared (and hashed) by identity
class Worker:
    """One isolated child interpreter with TensorFlow imported, and what it last reported."""

    proc: subprocess.Popen[bytes]
    workdir: Path
    channel: Channel
    hello: Hello = field(default_factory=Hello)
    _buffer: bytearray = field(default_factory=bytearray)
    progress: Progress = field(default_factory=lambda: Progress(Stage.STARTING))

    @property
    def log(self) -> Path:
        return self.workdir / "worker.log"

    @classmethod
    def start(cls, python: str, limits: Limits, spawn: Spawn) -> Worker:
        workdir = Path(tempfile.mkdtemp(prefix="tflint-verify-"))
        env = sandbox.worker_environment(
            workdir,
            {
                "TFLINT_VERIFY_PARENT": str(os.getpid()),
                "TFLINT_VERIFY_MEMORY": str(limits.memory),
                "TFLINT_VERIFY_CPU": str(limits.cpu_seconds),
                "TFLINT_VERIFY_OWN_PYTHON": "1" if python == sys.executable else "",
            },
        )
        key = secrets.token_bytes(32)
        try:
            with (workdir / "worker.log").open("wb") as log:
                proc = spawn(
                    lambda: subprocess.Popen(
                        [python, "-c", _BOOT, _PACKAGE_ROOT],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=log,
                        env=env,
                        cwd=workdir,
                        start_new_session=True,
                    )
                )
        except OSError as exc:
            shutil.rmtree(workdir, ignore_errors=True)
            raise WorkerError(f"cannot run {python}: {exc.strerror or exc}") from exc
        worker = cls(proc, workdir, Channel(key))
        try:
            assert proc.stdin is not None
            proc.stdin.write(key.hex().encode() + b"\n")
            proc.stdin.flush()
            message = worker._read(STARTUP_TIMEOUT)
        except (WorkerError, OSError) as exc:  # died before saying hello: its last words say why
            reason = f"{python} did not start a worker: {exc}{worker.last_words}"
            worker.close()
            raise WorkerError(reason) from exc
        except BaseException:  # Ctrl-C while TensorFlow loads: nothing may stay behind
            worker.close()
            raise
        if not isinstance(message, Hello) or message.error:
            worker.close()
            error = message.error if isinstance(message, Hello) else "no hello"
            raise WorkerError(f"{python} cannot import TensorFlow: {error}")
        worker.hello = message
        return worker

    def ask(self, request: Request, timeout: float) -> Answer:
        """Send one request; its answer, or WorkerError with why none came (worker then dead)."""
        assert self.proc.stdin is not None
        self.progress = Progress(Stage.STARTING)
        try:
            self.proc.stdin.write(self.channel.encode(request))
            self.proc.stdin.flush()
        except OSError as exc:
            self.kill()
            raise WorkerError(self._death_reason()) from exc
        answer = self._read(timeout)
        if not isinstance(answer, Answer) or len(answer.results) != len(request.findings):
            self.kill()
            raise WorkerError(f"the worker sent an unexpected message while {self.doing}")
        return answer

    @property
    def doing(self) -> str:
        return self.progress.describe()

    def _read(self, timeout: float) -> Message:
        """The next message that is not progress (progress is recorded); a frame that fails
        its check kills the worker: something else wrote into the stream."""
        deadline = time.monotonic() + timeout
        for line in self._lines(deadline, timeout):
            try:
                message = self.channel.decode(line)
            except ProtocolError as exc:
                self.kill()
                raise WorkerError(
                    f"the protocol stream was corrupted ({exc}) while {self.doing}; "
                    "something in the module wrote to it"
                ) from exc
            if isinstance(message, Progress):
                self.progress = message
                continue
            return message
        raise AssertionError("unreachable")

    def _lines(self, deadline: float, timeout: float) -> Iterator[bytes]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self._buffer[: newline + 1])
                del self._buffer[: newline + 1]
                yield line
                continue
            left = deadline - time.monotonic()
            ready = select.select([fd], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                self.kill()
                raise WorkerError(f"timed out after {round(timeout, 1):g} s while {self.doing}")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                self.kill()
                raise WorkerError(self._death_reason())
            self._buffer += chunk
            if len(self._buffer) > 16 << 20:  # no frame of ours is this long
                self.kill()
                raise WorkerError(f"the protocol stream was flooded while {self.doing}")

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
            return f"the interpreter crashed with {name} while {self.doing}"
        return f"the process exited with code {code} while {self.doing}"

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """Kill the worker, its process group and every process below it (those that left
        the group with `setsid` too). Only while it is alive: once reaped, its id may belong
        to someone else."""
        if self.proc.poll() is None:
            below = sandbox.descendants(self.proc.pid)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            for pid in below:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def close(self) -> None:
        """End the worker now and remove its directory (its home, caches and temporary
        files: nothing it wrote outlives it there)."""
        self.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


class Pool:
    """`jobs` workers answering requests in parallel, each replaced when it dies."""

    def __init__(
        self, python: str | None = None, jobs: int = 1, limits: Limits | None = None
    ) -> None:
        self.python = python or sys.executable
        self.limits = limits or Limits()
        self.jobs = max(1, jobs)
        self._idle: queue.SimpleQueue[Worker] = queue.SimpleQueue()
        self._workers: set[Worker] = set()  # all live ones, busy or idle: close() kills them
        self._lock = threading.Lock()
        self._closing = False
        self._spawner = ThreadPoolExecutor(1, thread_name_prefix="tflint-verify-spawner")
        try:
            self._first = self._start()
        except BaseException:
            self._spawner.shutdown()
            raise
        self._idle.put(self._first)
        self._started = 1

    def _spawn(self, popen: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        return self._spawner.submit(popen).result()

    def _start(self) -> Worker:
        if self._closing:
            raise WorkerError("the verifier is closing")
        worker = Worker.start(self.python, self.limits, self._spawn)
        with self._lock:
            self._workers.add(worker)
            if self._closing:  # close() ran while this one started
                worker.close()
                raise WorkerError("the verifier is closing")
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
            if self._closing:
                raise WorkerError("the verifier is closing")
            try:
                return self._idle.get(timeout=1.0)
            except queue.Empty:
                with self._lock:
                    if self._started == 0:
                        raise WorkerError("no worker is left (none could be restarted)") from None

    def ask(self, request: Request, timeout: float) -> Answer | Lost:
        """One answer; a dead worker is replaced and the failure becomes `Lost`."""
        worker = self._take()
        try:
            return worker.ask(request, timeout)
        except WorkerError as exc:
            stage = worker.progress.stage
            self._retire(worker)
            try:
                worker = self._start()
            except WorkerError:
                with self._lock:
                    self._started -= 1
                raise
            return Lost(str(exc), stage)
        finally:
            if worker.alive:
                self._idle.put(worker)

    def map(
        self,
        requests: list[Request],
        timeout: float,
        done: Callable[[int, Answer | Lost], None],
        known: Callable[[int], Lost | None] = lambda _: None,
        deadline: float | None = None,
    ) -> None:
        """Answer every request, `jobs` at a time; `done(index, answer)` as each one finishes.
        `known(index)` may answer a request without a worker (checked just before sending).
        Past `deadline` (a `time.monotonic()` value) requests are answered `Lost` unsent, and
        one in flight gets only the time left."""
        pending: queue.SimpleQueue[int] = queue.SimpleQueue()
        for index in range(len(requests)):
            pending.put(index)
        errors: list[BaseException] = []

        def answer(index: int) -> Answer | Lost:
            early = known(index)
            if early is not None:
                return early
            left = timeout if deadline is None else min(timeout, deadline - time.monotonic())
            if left <= 0:
                return Lost("the total time for --verify ran out before this function's turn")
            return self.ask(requests[index], left)

        def drain() -> None:
            while not errors and not self._closing:
                try:
                    index = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    done(index, answer(index))
                except BaseException as exc:
                    errors.append(exc)

        threads = [
            threading.Thread(target=drain, daemon=True)
            for _ in range(min(self.jobs, len(requests)))
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        except BaseException:  # Ctrl-C: stop at once, no fresh workers
            self.close()
            raise
        if errors:
            raise errors[0]

    def close(self) -> None:
        """Kill every worker now (busy ones included) and start no more."""
        with self._lock:
            self._closing = True
            workers = list(self._workers)
        for worker in workers:
            self._retire(worker)
        self._spawner.shutdown(wait=False)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
