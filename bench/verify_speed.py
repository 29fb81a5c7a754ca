"""How fast `--verify` is: worker start-up (TensorFlow import) and the cost per verified
function once workers are up (median and p90), over every finding in rules/*/bad.py and in the
realistic modules of tests/data/verify/realistic/ (a notebook among them).

Run: python bench/verify_speed.py [--jobs N]. Prints the figures; not run by pytest.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path

from tflint.engine import lint_source
from tflint.notebooks import lint_notebook
from tflint.rules import RULES
from tflint.verify import Verifier

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2)
    jobs = parser.parse_args().jobs
    paths = [
        *sorted(ROOT.glob("rules/*/bad.py")),
        *sorted(ROOT.glob("tests/data/verify/realistic/*.*")),
    ]
    diagnostics = [
        d
        for path in paths
        for d in (lint_notebook if path.suffix == ".ipynb" else lint_source)(
            path.read_bytes(), str(path), frozenset(RULES)
        )
    ]
    functions = len(
        {(d.filename, d.symbol) for d in diagnostics if d.code not in ("TF001", "TF002")}
    )
    started = time.perf_counter()
    with Verifier(device="cpu", jobs=jobs) as verifier:
        startup = time.perf_counter() - started
        # Bring every worker up (each imports TensorFlow once) before timing.
        verifier.verify(diagnostics[: jobs * 4])
        verifier.seconds.clear()
        started = time.perf_counter()
        results = verifier.verify(diagnostics)
        wall = time.perf_counter() - started
        per_function = sorted(verifier.seconds)
    statuses = Counter(r.verification.status for r in results if r.verification)
    print(f"findings: {len(diagnostics)} in {functions} functions; jobs: {jobs}")
    print(f"first worker up (TensorFlow imported): {startup:.2f} s")
    print(
        f"verify wall time, workers warm: {wall:.2f} s "
        f"= {wall / functions:.3f} s per function with {jobs} workers in parallel"
    )
    print(
        f"worker time per function: median {statistics.median(per_function):.3f} s, "
        f"p90 {per_function[int(len(per_function) * 0.9)]:.3f} s, "
        f"max {per_function[-1]:.3f} s"
    )
    print("verdicts:", dict(statuses))


if __name__ == "__main__":
    main()
