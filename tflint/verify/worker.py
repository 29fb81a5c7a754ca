"""The child process: imports TensorFlow once, then verifies one group of findings per request.

Protocol: one JSON object per line. The worker first answers `{"tensorflow": version, "gpus":
[...]}` (or `{"error": ...}` when TensorFlow cannot be imported), then for each request
`{"file", "symbol", "findings": [{"code", "row", "column", "end_row", "end_column"}], "device"}`
it may send `{"stage": ...}` lines (so the parent can say what a crash interrupted) and then
`{"results": [{"status", "evidence"}, ...], "device", "seconds"}` (results in the findings'
order; the device ops really ran on; the worker time, for benchmarks).

The protocol streams are private duplicates of fd 0/1; fd 0 becomes /dev/null and fd 1 goes to
the worker's log (fd 2), so nothing user code prints or reads can touch the protocol.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import resource
import sys
import time
import tokenize
from pathlib import Path
from typing import IO, Any


def _private_stdio() -> tuple[IO[str], IO[str]]:
    protocol_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    protocol_out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdin = Path(os.devnull).open(encoding="utf-8")  # noqa: SIM115 (lives with the worker)
    sys.stdout = os.fdopen(1, "w", encoding="utf-8", buffering=1, closefd=False)
    return protocol_in, protocol_out


def _limit_memory() -> None:
    limit = int(os.environ.get("TFLINT_VERIFY_MEMORY", "0"))
    if limit > 0:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


class ImportFailed(Exception):
    """The user module could not be imported; the message says why."""


_counter = 0


def _package_of(path: Path) -> tuple[Path, str] | None:
    """For a file inside packages (directories with `__init__.py`): the directory above the
    top package and the file's dotted module name; None for a plain script."""
    parts = [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        directory = directory.parent
    return (directory, ".".join(parts)) if len(parts) > 1 else None


def load_module(path: str) -> tuple[Any, ast.Module, str]:
    """Import a file by path, never as `__main__` (so its main block does not run). A script
    gets a fresh name and its directory on sys.path, as `python file.py` would have it; a module
    inside a package is imported by its dotted name with the package's root on sys.path, so
    its absolute and relative imports work as in the project."""
    global _counter
    _counter += 1
    try:
        with tokenize.open(path) as handle:  # PEP 263 encoding, like the interpreter
            source = handle.read()
        tree = ast.parse(source, path)
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"cannot read the module: {type(exc).__name__}: {exc}") from exc
    file = Path(path).resolve()
    package = _package_of(file)
    for directory in (file.parent, *(package[:1] if package else ())):
        if str(directory) not in sys.path:
            sys.path.insert(0, str(directory))
    try:
        if package:
            return importlib.import_module(package[1]), tree, source
        stem = "".join(c if c.isalnum() else "_" for c in file.stem)
        name = f"_tflint_verify_{_counter}_{stem}"
        spec = importlib.util.spec_from_file_location(name, file)
        if spec is None or spec.loader is None:
            raise ImportFailed("cannot import the module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
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


def _forget_user_modules(before: set[str], path_before: list[str]) -> None:
    """Drop what the request imported from user code, so the next request starts clean."""
    from tflint.verify import observe

    for name in set(sys.modules) - before:
        file = getattr(sys.modules[name], "__file__", None)
        if name.startswith("_tflint_verify_") or (file and observe.is_user_file(file)):
            del sys.modules[name]
    sys.path[:] = path_before
    observe.creations.clear()
    observe.compiled.clear()


def handle(request: dict[str, Any], send: Any) -> dict[str, Any]:
    import tensorflow as tf

    from tflint.verify import probes

    modules_before, path_before = set(sys.modules), list(sys.path)
    environ_before, cwd_before = dict(os.environ), Path.cwd()
    findings = request["findings"]
    try:
        with tf.device(request["device"]):
            # Where an op really lands under this scope (soft placement may move it).
            device = tf.identity(0.0).device.rsplit("device:", 1)[-1]
            send({"stage": "importing the module"})
            try:
                module, tree, source = load_module(request["file"])
            except ImportFailed as exc:
                results = [probes.unverifiable(str(exc))] * len(findings)
            else:
                send({"stage": f"running `{request['symbol'] or 'module-level code'}`"})
                results = probes.verify_group(module, tree, source, request["symbol"], findings)
            return {"results": results, "device": device}
    finally:
        # No keras.backend.clear_session() / gc.collect(): each costs ~0.4 s with TensorFlow
        # loaded; dropping the module's references lets the collector reclaim it in time.
        tf.config.run_functions_eagerly(False)
        _forget_user_modules(modules_before, path_before)
        os.environ.clear()
        os.environ.update(environ_before)
        os.chdir(cwd_before)


def main() -> None:
    protocol_in, protocol_out = _private_stdio()

    def send(message: dict[str, Any]) -> None:
        protocol_out.write(json.dumps(message) + "\n")

    _limit_memory()
    try:
        import tensorflow as tf
    except BaseException as exc:  # a broken install may raise anything
        send({"error": f"{type(exc).__name__}: {exc}"})
        return
    import keras  # noqa: F401 (imported once here, not on the first request)

    from tflint.verify import observe

    observe.install(tf)
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    send({"tensorflow": tf.__version__, "gpus": gpus})
    for line in protocol_in:
        started = time.perf_counter()
        answer = handle(json.loads(line), send)
        answer["seconds"] = round(time.perf_counter() - started, 4)  # for bench/verify_speed.py
        send(answer)
