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
from types import FrameType, ModuleType
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

Event = tuple[str, str, int | None]  # kind, key, line in the request's file (None: elsewhere)
_active: Counter[Event] | None = None
_active_file = ""


@dataclass(frozen=True)
class Creation:
    """A `tf.function` object the user's code created, and where."""

    function: Any
    filename: str
    line: int


creations: list[Creation] = []
compiled: list[Any] = []  # Keras models the user's code compiled (cleared per request)


@dataclass(frozen=True)
class Trace:
    """One graph TensorFlow traced (a tf.function's FuncGraph), and the seconds it took."""

    graph: Any
    seconds: float


traces: list[Trace] = []  # every trace since the request began (cleared per request)
_now = time.perf_counter  # bound before the clock taps: timing a trace is not a user event


@functools.cache
def _is_stdlib(filename: str) -> bool:
    if filename.startswith("<frozen"):
        return True
    path = os.path.realpath(filename)
    return path.startswith(_STDLIB) and not path.startswith(_PACKAGES)


@functools.cache
def is_user_file(filename: str) -> bool:
    if filename.startswith("<"):
        return False
    path = os.path.realpath(filename)
    if "__autograph_generated_file" in path:
        return False  # unmapped generated code: not the user's own lines
    return not _is_stdlib(path) and not path.startswith(_PACKAGES)


# AutoGraph runs converted user code from a generated file; its source maps lead back to the
# user's own lines. Filled by the `load_ast` tap.
_origins: dict[tuple[str, int], tuple[str, int]] = {}
_AUTOGRAPH = f"{os.sep}tensorflow{os.sep}python{os.sep}autograph{os.sep}"
_AUTOGRAPH_API = f"{_AUTOGRAPH}impl{os.sep}api.py"
_AUTOGRAPH_OPERATORS = f"{_AUTOGRAPH}operators{os.sep}"


def _origin(frame: FrameType) -> tuple[str, int]:
    where = (frame.f_code.co_filename, frame.f_lineno)
    return _origins.get(where, where)


def _skipped(frame: FrameType, filename: str) -> bool:
    """Frames between user code and a tap: the standard library (AutoGraph-converted or not),
    tflint's own taps, AutoGraph's call-through machinery (converted_call, do_not_convert) and
    its operators (which call back into converted code for `if`, `for` ...)."""
    return (
        _is_stdlib(filename)
        or filename.startswith(_PACKAGES[-1])
        or (_AUTOGRAPH_OPERATORS in filename)
        or (
            filename.endswith(_AUTOGRAPH_API)
            and frame.f_code.co_name
            in ("converted_call", "_call_unconverted", "_fall_back_unconverted", "wrapper")
        )
    )


def user_line() -> tuple[str, int] | None:
    """The user file and line that caused the current event, or None when library code
    (TensorFlow, Keras, ...) caused it."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename, line = _origin(frame)
        if not _skipped(frame, filename):
            return (filename, line) if is_user_file(filename) else None
        frame = frame.f_back
    return None


def _count(kind: str, key: str) -> None:
    if _active is None:
        return
    where = user_line()
    if where is not None:
        _active[(kind, key, where[1] if where[0] == _active_file else None)] += 1


def _dotted(owner: Any) -> str:
    """`random.random` for a module's function, `random.Random.random` for a class's method."""
    return (
        owner.__name__
        if isinstance(owner, ModuleType)
        else (f"{owner.__module__}.{owner.__qualname__}")
    )


def _tap_functions(module: Any, names: tuple[str, ...], kind: str) -> None:
    for name in names:
        real = getattr(module, name, None)
        if real is None or not callable(real):
            continue

        def tapped(
            *args: Any, _real: Any = real, _key: str = f"{_dotted(module)}.{name}", **kwargs: Any
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
        if frame is not None and is_user_file(frame.f_code.co_filename):
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


def _tap_tracing() -> None:
    """Record every FuncGraph built, with its tracing time (TF403's unrolled-loop evidence)."""
    from tensorflow.python.framework import func_graph

    real = func_graph.func_graph_from_py_func

    @functools.wraps(real)
    def traced(*args: Any, **kwargs: Any) -> Any:
        start = _now()
        graph = real(*args, **kwargs)
        traces.append(Trace(graph, _now() - start))
        return graph

    func_graph.func_graph_from_py_func = traced


def _tap_keras_compile() -> None:
    import keras

    real = keras.Model.compile

    @functools.wraps(real)
    def compile(self: Any, *args: Any, **kwargs: Any) -> Any:
        if user_line() is not None:
            compiled.append(self)
        return real(self, *args, **kwargs)

    keras.Model.compile = compile


def install(tf: Any) -> None:
    """Put every tap in place; call once, before user code is imported."""
    _tap_functions(random, _RANDOM, "random")
    _tap_functions(random.Random, _RANDOM, "random")  # methods of the user's own Random()
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
    _tap_tracing()
    _tap_autograph()
    _tap_keras_compile()


def forget_conversions() -> None:
    """Drop AutoGraph's converted functions. It caches them by code object, and code objects
    compare equal across files (the file name is not compared): the same `step` at the same
    line of the next request's module would reuse this one's conversion, and its events
    would map back to this module's file."""
    try:
        from tensorflow.python.autograph.impl import api  # type: ignore[import-untyped]
        from tensorflow.python.autograph.pyct import cache  # type: ignore[import-untyped]
    except ImportError:
        return
    transpiler = getattr(api, "_TRANSPILER", None)
    if transpiler is not None and hasattr(transpiler, "_cache"):
        transpiler._cache = cache.CodeObjectCache()


def _tap_autograph() -> None:
    """Keep AutoGraph's source maps (generated line → user line) as it makes them, and keep it
    from converting tflint's own code (the taps inspect their callers' frames)."""
    try:
        from tensorflow.python.autograph.core import config
        from tensorflow.python.autograph.pyct import loader
    except ImportError:  # another TensorFlow layout: graph events keep generated lines
        return
    config.CONVERSION_RULES = (config.DoNotConvert("tflint"), *config.CONVERSION_RULES)
    real = loader.load_ast

    @functools.wraps(real)
    def load_ast(*args: Any, **kwargs: Any) -> Any:
        module, source, source_map = real(*args, **kwargs)
        for generated, origin in (source_map or {}).items():
            _origins[(generated.filename, generated.lineno)] = (
                origin.loc.filename,
                origin.loc.lineno,
            )
        return module, source, source_map

    loader.load_ast = load_ast


class _Sink(io.StringIO):
    """Swallows user output, counting each completed line as an event of the line that wrote
    it: `print` ends each call with one write of its `end` ("\n")."""

    def write(self, text: str) -> int:
        if text.endswith("\n"):
            _count("stdout", "")
        return len(text)


@dataclass
class Recording:
    """Events and the first exception of one run of user code from `file`."""

    file: str
    events: Counter[Event] = field(default_factory=Counter)
    error: BaseException | None = None

    def __enter__(self) -> Recording:
        global _active, _active_file
        self._saved = (sys.stdin, sys.stdout, sys.stderr, _active, _active_file)
        sys.stdin = io.StringIO("1\n" * 1000)  # `input()` gets an answer; it is counted
        sys.stdout = sys.stderr = _Sink()
        _active, _active_file = self.events, self.file
        return self

    def __exit__(self, *exc: object) -> None:
        global _active, _active_file
        sys.stdin, sys.stdout, sys.stderr, _active, _active_file = self._saved

    def run(self, call: Callable[[], Any]) -> Any:
        """Call once; an Exception is kept (first one wins), not raised."""
        try:
            return call()
        except Exception as exc:
            if self.error is None:
                self.error = exc
            return None

    def count(self, kind: str, rows: range) -> Counter[str]:
        """Events of `kind` caused by the given lines of the file, by key."""
        counts: Counter[str] = Counter()
        for (event_kind, key, line), number in self.events.items():
            if event_kind == kind and line in rows:
                counts[key] += number
        return counts
