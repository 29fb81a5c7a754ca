"""The child process: isolates itself, imports TensorFlow once, then verifies one group of
findings per request.

The protocol (`protocol.py`) runs over private duplicates of fd 0/1, taken before anything
else; fd 0 becomes /dev/null and fd 1 the worker's log (fd 2), so what user code prints or reads
never touches it, and a frame it forges fails the signature check. The first line the parent
sends is the frame key; then the worker isolates itself (`sandbox.enter`), imports TensorFlow,
says `Hello`, and answers each `Request` with `Progress` frames and one `Answer`.
"""

from __future__ import annotations

import ast
import importlib.util
import linecache
import os
import sys
import time
import tokenize
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from tflint.verify import sandbox
from tflint.verify.protocol import (
    Answer,
    Channel,
    Hello,
    Message,
    Progress,
    ProtocolError,
    Request,
    Result,
    Stage,
)


def _private_stdio() -> tuple[IO[bytes], IO[bytes]]:
    protocol_in = os.fdopen(os.dup(0), "rb")
    protocol_out = os.fdopen(os.dup(1), "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdin = Path(os.devnull).open(encoding="utf-8")  # noqa: SIM115 (lives with the worker)
    sys.stdout = os.fdopen(1, "w", encoding="utf-8", buffering=1, closefd=False)
    return protocol_in, protocol_out


class ImportFailed(Exception):
    """The user module could not be imported; the message says why."""


_counter = 0
CELL_ERROR = "__tflint_cell_error__"  # the flagged notebook cell's exception, if it raised
_given_sources: set[str] = set()  # linecache entries of text run in place of a file


def _package_of(path: Path) -> tuple[Path, str] | None:
    """For a file inside packages (directories with `__init__.py`): the directory above the
    top package and the file's dotted module name; None for a plain script."""
    parts = [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        directory = directory.parent
    return (directory, ".".join(parts)) if len(parts) > 1 else None


def _read(path: str, text: str | None = None) -> tuple[str, ast.Module]:
    """The module's text (`text` when given) and its tree."""
    try:
        if text is None:
            with tokenize.open(path) as handle:  # PEP 263 encoding, like the interpreter
                text = handle.read()
        return text, ast.parse(text, path)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError) as exc:
        raise ImportFailed(f"cannot read the module: {type(exc).__name__}: {exc}") from exc


def load_module(
    path: str, text: str | None = None, cells: list[int] | None = None, paths: Sequence[str] = ()
) -> tuple[Any, ast.Module, str]:
    """Import a file by path, never as `__main__` (so its main block does not run). A script
    gets a fresh name and its directory on sys.path, as `python file.py` would have it; a module
    inside a package is imported by its dotted name with the package's root on sys.path, so
    its absolute and relative imports work as in the project. `paths` (the project's import
    roots: `src/`, the run's roots) come last on sys.path, so they can never shadow TensorFlow
    or the standard library. `text`, when given, is the source to run in place of the file's
    (stdin, notebook cells)."""
    global _counter
    _counter += 1
    given = text is not None
    source, tree = _read(path, text)
    file = Path(path).resolve()
    package = _package_of(file)
    for directory in (file.parent, *(package[:1] if package else ())):
        if str(directory) not in sys.path:
            sys.path.insert(0, str(directory))
    sys.path.extend(p for p in paths if p not in sys.path)
    try:
        if package and not given:
            return importlib.import_module(package[1]), tree, source
        if package:
            name, parent = package[1], package[1].rsplit(".", 1)[0]
            importlib.import_module(parent)
        else:
            stem = "".join(c if c.isalnum() else "_" for c in file.stem)
            name, parent = f"_tflint_verify_{_counter}_{stem}", ""
        module = _run_source(name, parent, file, source, cells)
    except ImportFailed:
        raise
    except SystemExit as exc:
        raise ImportFailed(f"the module calls sys.exit({exc.code!r}) when imported") from exc
    except MemoryError as exc:
        raise ImportFailed("importing the module ran out of memory") from exc
    except BaseException as exc:
        message = (str(exc).strip().splitlines() or [""])[0][:100]
        raise ImportFailed(f"importing the module raised {type(exc).__name__}: {message}") from exc
    return module, tree, source


def _run_source(
    name: str, package: str, file: Path, source: str, cells: list[int] | None = None
) -> ModuleType:
    """A module named `name` made by running `source` as if it were `file`. With `cells`
    (the first row of each notebook cell), each cell runs on its own, as in a notebook: one
    that raises (tutorials show errors on purpose) does not stop the next."""
    module = ModuleType(name)
    module.__file__ = str(file)
    module.__package__ = package
    module.__spec__ = importlib.util.spec_from_loader(name, loader=None, origin=str(file))
    sys.modules[name] = module
    # inspect.getsource (AutoGraph converts from it) must read this text, not the file on
    # disk (stdin's edited text, a notebook's JSON); an entry without mtime stays cached
    linecache.cache[str(file)] = (len(source), None, source.splitlines(True), str(file))
    _given_sources.add(str(file))
    if not cells:
        exec(compile(source, str(file), "exec"), vars(module))
        return module
    # Magics and shell lines arrive as IPython writes them (`get_ipython().system(...)`):
    # an inert shell makes each a no-op returning None, so no command ever runs.
    module.__dict__["get_ipython"] = _InertShell
    rows = source.splitlines(True)
    for first, end in zip(cells, [*cells[1:], len(rows) + 1], strict=True):
        text = "\n" * (first - 1) + "".join(rows[first - 1 : end - 1])  # rows keep numbers
        try:
            exec(compile(text, str(file), "exec"), vars(module))
        except Exception as exc:  # a cell that fails (on purpose, or a missing package):
            # the next one runs; a missing package, or the flagged cell's own error, is
            # kept for the findings of module-level code (see pattern.py)
            if first == cells[-1] or isinstance(exc, ImportError):
                module.__dict__.setdefault(CELL_ERROR, exc)
    return module


class _InertShell:
    """What `get_ipython()` returns in a verified notebook: every magic, shell command and
    help request is accepted and does nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _forget_user_modules(before: set[str], path_before: list[str]) -> None:
    """Drop what the request imported from user code, so the next request starts clean."""
    from tflint.verify import observe

    for name in set(sys.modules) - before:
        file = getattr(sys.modules[name], "__file__", None)
        if name.startswith("_tflint_verify_") or (file and observe.is_user_file(file)):
            del sys.modules[name]
    sys.path[:] = path_before
    for file in _given_sources:
        linecache.cache.pop(file, None)
    _given_sources.clear()
    observe.creations.clear()
    observe.compiled.clear()
    observe.traces.clear()
    observe.forget_conversions()


def imported(path: str, by: str) -> tuple[Any, ast.Module, str]:
    """The module the import of another module (`by`) made of the file at `path`, found by
    its file: code another module traces is observed as that module's run imported it."""
    target = Path(path).resolve()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and file.endswith(target.name) and Path(file).resolve() == target:
            source, tree = _read(path)
            return module, tree, source
    raise ImportFailed(f"importing {Path(by).name} did not import {target.name}")


def _results(request: Request, send: Any) -> list[Result]:
    from tflint.verify import verdicts

    findings = [asdict(f) for f in request.findings]
    send(Progress(Stage.IMPORTING))
    root, home = request.root, None
    try:
        if root is None:
            module, tree, source = load_module(
                request.file, request.source, request.cells, request.paths
            )
        else:  # the other module that traces the code, then the file as it imported it
            home = load_module(root.file, root.source, root.cells, request.paths)
            module, tree, source = imported(request.file, root.file)
    except ImportFailed as exc:
        return [verdicts.unverifiable(str(exc))] * len(findings)
    running = root.symbol if root else request.symbol or "module-level code"
    send(Progress(Stage.RUNNING, running))
    caller = (*home, root.symbol) if home and root else None
    return verdicts.verify_group(module, tree, source, request.symbol, findings, caller)


def handle(request: Request, send: Any) -> Answer:
    import tensorflow as tf

    modules_before, path_before = set(sys.modules), list(sys.path)
    environ_before, cwd_before = dict(os.environ), Path.cwd()
    try:
        with tf.device(request.device):
            # Where an op really lands under this scope (soft placement may move it).
            device = tf.identity(0.0).device.rsplit("device:", 1)[-1]
            return Answer(_results(request, send), device)
    finally:
        # No keras.backend.clear_session() / gc.collect(): each costs ~0.4 s with TensorFlow
        # loaded; dropping the module's references lets the collector reclaim it in time.
        tf.config.run_functions_eagerly(False)
        _forget_user_modules(modules_before, path_before)
        os.environ.clear()
        os.environ.update(environ_before)
        os.chdir(cwd_before)
        sandbox.reap_descendants()


def _settings() -> tuple[int, int, int]:
    """Our settings from the environment (then removed: user code has no use for them)."""
    values = [
        int(os.environ.pop(name, "0") or 0)
        for name in ("TFLINT_VERIFY_PARENT", "TFLINT_VERIFY_MEMORY", "TFLINT_VERIFY_CPU")
    ]
    return values[0], values[1], values[2]


def _no_tensorflow(exc: BaseException, own: bool) -> str:
    hint = (
        "install the verify extra: pip install 'tflint[verify]'"
        if own
        else "install TensorFlow in that environment"
    )
    return f"{type(exc).__name__}: {exc} ({hint})"


def main() -> None:
    protocol_in, protocol_out = _private_stdio()
    channel = Channel(bytes.fromhex(protocol_in.readline().decode().strip()))

    def send(message: Message) -> None:
        protocol_out.write(channel.encode(message))

    parent, memory, cpu = _settings()
    own = os.environ.pop("TFLINT_VERIFY_OWN_PYTHON", "") == "1"
    protections = sandbox.enter(parent, memory, cpu)
    try:
        import tensorflow as tf
    except BaseException as exc:  # a broken install may raise anything
        send(Hello(error=_no_tensorflow(exc, own)))
        return
    import keras  # noqa: F401 (imported once here, not on the first request)

    from tflint.verify import observe

    observe.install(tf)
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    send(Hello(tf.__version__, gpus, protections))
    for line in protocol_in:
        try:
            request = channel.decode(line)
        except ProtocolError:
            return  # not our parent's frame: end, the parent restarts a worker
        if not isinstance(request, Request):
            return
        started = time.perf_counter()
        answer = handle(request, send)
        # the worker time, for bench/verify_speed.py and --verbose
        send(Answer(answer.results, answer.device, round(time.perf_counter() - started, 4)))
