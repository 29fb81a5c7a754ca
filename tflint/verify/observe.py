"""Taps that let a worker observe what user code did, without changing what it computes.

Installed once per worker, before any user module is imported (so `from random import random`
binds the tapped function too). Outside a `Recording` every tap is a pass-through. Inside one,
each tap counts an event `(kind, key)` when user code (not TensorFlow, Keras or the standard
library) caused it: a logging record, a warning, a file open, an environment read, a Python RNG
draw, a clock read, an `input()`. Comparing the counts of an eager run with those of a graph run
is the evidence for the side-effect rules: the graph runs Python once per trace, not per call.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import random
import sys
import sysconfig
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

_RANDOM = (
    "random",
    "uniform",
    "randint",
    "randrange",
    "gauss",
    "normalvariate",
    "choice",
    "choices",
    "shuffle",
    "sample",
    "betavariate",
    "expovariate",
    "triangular",
    "getrandbits",
    "lognormvariate",
    "vonmisesvariate",
    "gammavariate",
)
_NUMPY_RANDOM = (
    "rand",
    "randn",
    "random",
    "random_sample",
    "ranf",
    "sample",
    "normal",
    "uniform",
    "randint",
    "choice",
    "shuffle",
    "permutation",
    "standard_normal",
    "binomial",
    "poisson",
    "beta",
    "exponential",
    "gamma",
    "bytes",
)
_CLOCKS = (
    "time",
    "time_ns",
    "perf_counter",
    "perf_counter_ns",
    "monotonic",
    "monotonic_ns",
    "process_time",
    "process_time_ns",
)


def _roots(*keys: str) -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    return tuple({os.path.realpath(paths[k]) + os.sep for k in keys if paths.get(k)})


# The standard library is skipped when looking for who caused an event; installed packages
# (TensorFlow, Keras) and tflint itself disqualify it: only user code counts.
_STDLIB = _roots("stdlib", "platstdlib")
_PACKAGES = (*_roots("purelib", "platlib"), str(Path(__file__).resolve().parents[1]) + os.sep)

_active: Counter[tuple[str, str]] | None = None


@dataclass(frozen=True)
class Creation:
    """A `tf.function` object the user's code created, and where."""

    function: Any
    filename: str
    line: int


creations: list[Creation] = []


@functools.cache
def _is_stdlib(filename: str) -> bool:
    if filename.startswith("<frozen"):
        return True
    path = os.path.realpath(filename)
    return path.startswith(_STDLIB) and not path.startswith(_PACKAGES)


@functools.cache
def _is_user_file(filename: str) -> bool:
    if filename.startswith("<"):
        return False
    path = os.path.realpath(filename)
    if "__autograph_generated_file" in path:
        return True  # AutoGraph's converted copy of a user function
    return not _is_stdlib(path) and not path.startswith(_PACKAGES)


def _caller(skip: int) -> FrameType | None:
    """The first frame above `skip` levels that is not standard-library code."""
    frame: FrameType | None = sys._getframe(skip + 1)
    while frame is not None and _is_stdlib(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


def _count(kind: str, key: str, skip: int = 1) -> None:
    if _active is None:
        return
    frame = _caller(skip + 1)
    if frame is not None and _is_user_file(frame.f_code.co_filename):
        _active[(kind, key)] += 1


def _tap_functions(module: Any, names: tuple[str, ...], kind: str) -> None:
    for name in names:
        real = getattr(module, name, None)
        if real is None or not callable(real):
            continue

        def tapped(
            *args: Any, _real: Any = real, _key: str = f"{module.__name__}.{name}", **kwargs: Any
        ) -> Any:
            _count(kind, _key)
            return _real(*args, **kwargs)

        functools.update_wrapper(tapped, real)
        setattr(module, name, tapped)


class _CountingEnviron(type(os.environ)):  # type: ignore[misc]
    """os.environ with reads counted; swapped in by class so every reference sees it."""

    def __getitem__(self, key: str) -> str:
        _count("environ", str(key))
        return super().__getitem__(key)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _active is None:
        return
    if event == "open" and isinstance(args[0], str | bytes | os.PathLike):
        name = os.fsdecode(args[0])
        if not name.endswith((".py", ".pyc", ".so")):
            _count("open", name)
    elif event in ("subprocess.Popen", "os.system"):
        _count("subprocess", str(args[0])[:60])
    elif event == "builtins.input":
        _count("input", str(args[0])[:60])


def _tap_logging() -> None:
    real_handle = logging.Logger.handle
    real_enabled = logging.Logger.isEnabledFor

    def handle(self: logging.Logger, record: logging.LogRecord) -> None:
        if _active is None:
            real_handle(self, record)
        else:  # counted, not emitted: user logs must not reach tflint's output
            _count("logging", f"{record.levelname} {record.msg}"[:60])

    def is_enabled_for(self: logging.Logger, level: int) -> bool:
        return True if _active is not None else real_enabled(self, level)

    logging.Logger.handle = handle  # type: ignore[method-assign]
    logging.Logger.isEnabledFor = is_enabled_for  # type: ignore[method-assign]


def _tap_warnings() -> None:
    real_warn = warnings.warn

    @functools.wraps(real_warn)
    def warn(message: Any, *args: Any, **kwargs: Any) -> None:
        if _active is None:
            real_warn(message, *args, **kwargs)
        else:
            _count("warning", str(message)[:60])

    warnings.warn = warn


def _tap_tf_function(tf: Any) -> None:
    """Record every tf.function the user creates, so tracing counts can be read afterwards."""
    real = tf.function

    def record(function: Any, frame: FrameType | None) -> Any:
        if frame is not None and _is_user_file(frame.f_code.co_filename):
            creations.append(Creation(function, frame.f_code.co_filename, frame.f_lineno))
        return function

    @functools.wraps(real)
    def function(func: Any = None, *args: Any, **kwargs: Any) -> Any:
        frame = sys._getframe(1)
        if func is None:
            decorator = real(None, *args, **kwargs)
            return lambda f: record(decorator(f), frame)
        return record(real(func, *args, **kwargs), frame)

    tf.function = function


def install(tf: Any) -> None:
    """Put every tap in place; call once, before user code is imported."""
    _tap_functions(random, _RANDOM, "random")
    _tap_functions(time, _CLOCKS, "clock")
    try:
        import numpy.random
    except ImportError:
        pass
    else:
        _tap_functions(numpy.random, _NUMPY_RANDOM, "random")
    os.environ.__class__ = _CountingEnviron
    sys.addaudithook(_audit)
    _tap_logging()
    _tap_warnings()
    _tap_tf_function(tf)


class _LineCounter(io.StringIO):
    """A stream that keeps what was written; user output never reaches tflint's."""

    @property
    def lines(self) -> int:
        return self.getvalue().count("\n")


@dataclass
class Recording:
    """Events, print lines and the first exception of one run of user code."""

    events: Counter[tuple[str, str]] = field(default_factory=Counter)
    stdout_lines: int = 0
    error: BaseException | None = None

    def __enter__(self) -> Recording:
        global _active
        self._streams = (sys.stdout, sys.stderr)
        self._out, self._err = _LineCounter(), _LineCounter()
        sys.stdout, sys.stderr = self._out, self._err
        self._previous = _active
        _active = self.events
        return self

    def __exit__(self, *exc: object) -> None:
        global _active
        _active = self._previous
        sys.stdout, sys.stderr = self._streams
        self.stdout_lines = self._out.lines + self._err.lines

    def run(self, call: Callable[[], Any]) -> Any:
        """Call once; an Exception is kept (first one wins), not raised."""
        try:
            return call()
        except Exception as exc:
            if self.error is None:
                self.error = exc
            return None
