"""Real code never breaks tflint: the installed tensorflow and keras sources through the real
pipeline (pre-scan, pool), and the whole standard library with the pre-scan off (every file
parsed, mapped and walked), give no internal error, and TF001 only where Python's own parser
rejects the file too.

Slow (minutes): not in the default run.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import sysconfig
import warnings
from collections import Counter
from pathlib import Path

import pytest

from tflint.config import Settings
from tflint.diagnostics import Diagnostic, FileResult
from tflint.engine import lint_bytes, lint_source
from tflint.files import discover
from tflint.parallel import map_unordered
from tflint.rules import RULES
from tflint.runner import lint_paths

pytestmark = pytest.mark.slow
ALL_CODES = frozenset(RULES)


def package_directories(*names: str) -> list[Path]:
    directories = []
    for name in names:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.submodule_search_locations is not None, name
        directories.extend(Path(location) for location in spec.submodule_search_locations)
    return directories


def python_accepts(path: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(Path(path).read_bytes())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def syntax_errors_python_accepts(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.filename for d in diagnostics if d.code == "TF001" and python_accepts(d.filename)]


def test_tensorflow_and_keras_sources(tmp_path: Path) -> None:
    directories = package_directories("tensorflow", "keras")
    result = lint_paths(directories, Settings(root=tmp_path), use_cache=False)
    assert result.files > 2500
    assert result.internal_errors == []
    assert syntax_errors_python_accepts(result.diagnostics) == []
    counts = Counter(d.code for d in result.diagnostics)
    print(
        f"\nfindings on tensorflow + keras ({result.files} files): {dict(sorted(counts.items()))}"
    )


def lint_unscreened(item: tuple[str, bytes]) -> FileResult:
    """The worker: every file parsed and analyzed, as if the pre-scan let it through."""
    filename, source = item

    def unscreened(source: bytes, filename: str, enabled: frozenset[str]) -> list[Diagnostic]:
        return lint_source(source, filename, enabled, gate=False)

    return lint_bytes(source, filename, ALL_CODES, unscreened)


def worker_crashed(item: tuple[str, bytes]) -> FileResult:
    return FileResult(item[0], internal_error="the worker process crashed")


def test_the_standard_library_with_the_prescan_off() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = [p for p in discover([stdlib], Settings(root=stdlib)) if isinstance(p, Path)]
    assert len(files) > 1000
    items = [(str(path), path.read_bytes()) for path in files]
    results = [
        result
        for _, result in map_unordered(lint_unscreened, items, os.cpu_count() or 1, worker_crashed)
    ]
    internal_errors = [
        (str(Path(r.filename).relative_to(stdlib)), r.internal_error)
        for r in results
        if r.internal_error
    ]
    assert internal_errors == []
    diagnostics = [d for result in results for d in result.diagnostics]
    assert syntax_errors_python_accepts(diagnostics) == []
