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
from functools import partial
from pathlib import Path

import libcst
import pytest

from tflint.config import Settings
from tflint.diagnostics import Diagnostic, FileResult
from tflint.engine import (
    PIECEWISE_MIN_BYTES,
    SyntaxProblem,
    lint_bytes,
    lint_source,
    parse,
    with_deep_stack,
)
from tflint.files import discover
from tflint.parallel import map_unordered
from tflint.prescan import may_have_findings
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


def big_files() -> list[Path]:
    """The files engine.parse parses in pieces in the two runs above: those of tensorflow and
    keras the pre-scan lets through, and every big one of the standard library."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    roots = package_directories("tensorflow", "keras")
    packages = [path for root in roots for path in root.rglob("*.py")]
    standard = [p for p in discover([stdlib], Settings(root=stdlib)) if isinstance(p, Path)]
    return [
        path
        for path in sorted(packages) + sorted(standard)
        if path.stat().st_size >= PIECEWISE_MIN_BYTES
        and python_accepts(str(path))
        and (path in standard or may_have_findings(path.read_bytes()))
    ]


def test_big_files_parsed_in_pieces_give_the_whole_tree() -> None:
    files = big_files()
    assert len(files) > 20
    differ = []
    for path in files:
        source = path.read_bytes()
        joined = parse(source)
        try:
            whole = libcst.parse_module(source)
        except libcst.ParserSyntaxError:
            assert isinstance(joined, SyntaxProblem), path
            continue
        same = isinstance(joined, libcst.Module) and with_deep_stack(
            partial(joined.deep_equals, whole)  # pydoc_data/topics.py nests deeply
        )
        if not same:
            differ.append(str(path))
    assert differ == []
