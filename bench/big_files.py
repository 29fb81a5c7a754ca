"""Time and peak memory of tflint on the hostile inputs of issue 14.15 (not run by pytest).

    python bench/big_files.py [--jobs N]

Generates, in a temporary directory: a 9.99 MB file of simple assignments (no TensorFlow: the
pre-scan skips it, only Python's syntax check runs), the same with a `tf.function` on top (it
must go through LibCST), and `x = x if x else ... x` with 2,900 conditionals (35 KB). Each is
linted by a fresh `tflint --no-cache` process; time is wall time; peak memory is the largest
resident set getrusage reports for that process and the children it reaped: with `--jobs` the
pool's workers are reaped by the forkserver, so there it is the parent's only (each worker is
bounded at 1024 MB by the parent, which stops it and reports TF002).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TERNARY = "x = " + "x if x else " * 2900 + "x\n"
HEADER = "import tensorflow as tf\n\n\n@tf.function\ndef step(x):\n    return x\n\n\n"


def assignments(limit: int = 9_990_000) -> str:
    lines, size, index = [], 0, 0
    while size < limit - 40:
        line = f"value_{index} = {index} + {index * 3}\n"
        lines.append(line)
        size += len(line)
        index += 1
    return "".join(lines)


def measure(path: Path, jobs: list[str]) -> tuple[float, float, str]:
    script = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(peak, (done.stdout.splitlines() or [''])[0][:100])\n"
    )
    tflint = [sys.executable, "-m", "tflint", "--no-cache", *jobs, str(path)]
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-c", script, *tflint], capture_output=True, text=True)
    elapsed = time.monotonic() - start
    peak, _, first_line = out.stdout.strip().partition(" ")
    return elapsed, int(peak) / 1024, first_line


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        body = assignments()
        cases = {
            "9.99 MB of assignments": body,
            "9.99 MB of assignments under a tf.function": HEADER + body[: 9_990_000 - len(HEADER)],
            "x if x else ... x 2,900 times (35 KB)": HEADER + TERNARY,
        }
        for name, text in cases.items():
            folder = root / str(len(name))
            folder.mkdir()
            path = folder / "case.py"
            path.write_text(text)
            if args.jobs:  # a pool only starts for 8 files or more: add small clean ones
                for index in range(8):
                    (folder / f"small_{index}.py").write_text("x = 1\n")
                target, jobs = folder, ["--jobs", args.jobs]
            else:
                target, jobs = path, ["--jobs", "1"]
            elapsed, peak, first_line = measure(target, jobs)
            print(f"{name}: {elapsed:.1f} s, peak {peak:.0f} MB; {first_line}")


if __name__ == "__main__":
    main()
