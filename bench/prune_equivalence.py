"""The safety net of statement pruning (tflint.prune): lint files both ways and diff.

    python bench/prune_equivalence.py [--jobs N] [--packages] PATH...

Every `.py` and `.ipynb` file under the PATHs (and, with --packages, the installed tensorflow
and keras sources) is linted with every rule twice, once with LibCST given only the statements
tflint.prune keeps and once whole, and the two results are compared: each finding's code, row,
column, end, message and fix, the file's internal error or "not analysed" reason, and the
file's own graph code and exempt functions by dotted name (what the whole-project link step
reads from it). Prints each difference and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tflint import prune
from tflint.engine import lint_bytes, lint_source
from tflint.notebooks import is_notebook, lint_notebook
from tflint.project import hooks
from tflint.project.own_graph import graph_roots
from tflint.rules import RULES

EVERY_CODE = frozenset(RULES)


def outcome(path: str, pruned: bool) -> tuple[object, ...]:
    """One file's result (findings, internal error, not-analysed reason) and own graph code."""
    source = Path(path).read_bytes()
    lint = lint_notebook if is_notebook(path) else lint_source
    prune.ENABLED = pruned
    with hooks.analysing({}) as capture:
        result = lint_bytes(source, path, EVERY_CODE, lint)
    graphs = tuple(repr(graph_roots(graph)) for graph in capture.graphs)
    return (result.diagnostics, result.internal_error, result.not_analysed, graphs)


def differences(path: str) -> list[str]:
    """What differs between the pruned and the whole lint of one file."""
    pruned, whole = outcome(path, True), outcome(path, False)
    if pruned == whole:
        return []
    found = [f"{path}: results differ"]
    for diagnostic in set(pruned[0]) ^ set(whole[0]):
        side = "pruned only" if diagnostic in pruned[0] else "whole only"
        found.append(f"  {side}: {diagnostic}")
    for index, label in enumerate(("internal error", "not analysed", "graph code"), start=1):
        if pruned[index] != whole[index]:
            found.append(f"  {label}: pruned {pruned[index]!r} / whole {whole[index]!r}")
    return found


def sources(paths: Iterable[str], packages: bool) -> list[str]:
    roots = [Path(p) for p in paths]
    if packages:
        for name in ("tensorflow", "keras"):
            spec = importlib.util.find_spec(name)
            assert spec is not None and spec.submodule_search_locations is not None
            roots.extend(Path(location) for location in spec.submodule_search_locations)
    files: list[str] = []
    for root in roots:
        if root.is_file():
            files.append(str(root))
            continue
        for pattern in ("*.py", "*.ipynb"):
            files.extend(str(path) for path in sorted(root.rglob(pattern)))
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--packages", action="store_true", help="the installed TF/Keras sources")
    args = parser.parse_args()
    files = sources(args.paths, args.packages)
    count = 0
    with ProcessPoolExecutor(args.jobs) as pool:
        for found in pool.map(differences, files, chunksize=8):
            if found:
                count += 1
                print("\n".join(found), flush=True)
    print(f"{len(files)} files compared, {count} with differences")
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main())
