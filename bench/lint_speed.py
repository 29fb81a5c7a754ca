"""How fast tflint lints big real code bases: the installed tensorflow and keras sources, and a
real user corpus (corpus-a: 13 TensorFlow repositories, whole-project analysis included).

    python bench/lint_speed.py [--jobs N] [--corpus PATH | --no-corpus] [--no-packages]

The corpus is /work/corpus when it is there (or PATH); without one only the packages are
measured.

Runs the real CLI in a subprocess (`tflint --exit-zero --output-format json --jobs N FILES`),
each cold run with a fresh cache directory, then a warm run on the cache the last one wrote, and
times bare `libcst.parse_module` over the same files in one process: the floor a LibCST linter
that parses everything cannot beat. Peak memory is read from /proc while each run goes (VmHWM of
the tflint process and of every process below it: the forkserver and the workers), and from
getrusage(RUSAGE_CHILDREN) as a cross-check. The machine's load average is printed too: on a
shared machine the times move with it, the ratios less so.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import libcst

from tflint.engine import PIECEWISE_MIN_BYTES
from tflint.files import source_encoding
from tflint.prescan import may_have_findings
from tflint.prune import pruned_source

POLL_SECONDS = 0.1


@dataclass
class Run:
    seconds: float
    findings: Counter[str]
    parent_rss_mb: float
    worker_rss_mb: float  # the largest process below tflint (a worker or the forkserver)
    stderr: str
    worker_count: int = 0
    largest_child_mb: float = field(default=0.0)  # getrusage, over every child so far
    cpu_seconds: float = 0.0  # user + system time of tflint and every process below it


def package_sources(*names: str) -> list[Path]:
    files: list[Path] = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.submodule_search_locations is None:
            sys.exit(f"{name} is not installed")
        for location in spec.submodule_search_locations:
            files.extend(sorted(Path(location).rglob("*.py")))
    return files


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the process's own peak resident set so far (0 once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def run_tflint(files: list[Path], jobs: int, config: Path, *, use_cache: bool = True) -> Run:
    command = [
        sys.executable, "-m", "tflint", "--exit-zero", "--output-format", "json",
        "--config", str(config), "--jobs", str(jobs),
        *([] if use_cache else ["--no-cache"]),
        *map(str, files),
    ]  # fmt: skip
    peaks: dict[int, float] = {}
    cpu: dict[int, float] = {}
    start = time.perf_counter()
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        while process.poll() is None:
            for pid in {process.pid, *descendants(process.pid)}:
                peaks[pid] = max(peaks.get(pid, 0.0), peak_rss_mb(pid))
                cpu[pid] = max(cpu.get(pid, 0.0), cpu_seconds(pid))
            time.sleep(POLL_SECONDS)
        seconds = time.perf_counter() - start
        stdout.seek(0)
        stderr.seek(0)
        output, errors = stdout.read(), stderr.read().decode(errors="replace")
    if process.returncode != 0:
        sys.exit(f"tflint exited {process.returncode}:\n{errors[-3000:]}")
    parent = peaks.pop(process.pid, 0.0)
    return Run(
        seconds=seconds,
        findings=Counter(item["code"] for item in json.loads(output)),
        parent_rss_mb=parent,
        worker_rss_mb=max(peaks.values(), default=0.0),
        stderr=errors,
        worker_count=len(peaks),
        largest_child_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        cpu_seconds=sum(cpu.values()),
    )


def cpu_seconds(pid: int) -> float:
    """User + system time of a process so far, from /proc (0 once it has gone): summed over
    tflint and every process below it, last seen at most POLL_SECONDS before each ended
    (getrusage misses the workers, which the forkserver reaps)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fresh_config(directory: Path) -> Path:
    """An empty [tool.tflint] table: default rules, and the cache lands in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "pyproject.toml"
    config.write_text("[tool.tflint]\n")
    return config


def bare_parse_seconds(sources: list[bytes]) -> tuple[float, float]:
    """(wall, CPU) seconds of a bare parse of every source in this process."""
    start, cpu = time.perf_counter(), time.process_time()
    for source in sources:
        with contextlib.suppress(libcst.ParserSyntaxError):  # a rejected file still counts
            libcst.parse_module(source)
    return time.perf_counter() - start, time.process_time() - cpu


def show(label: str, run: Run, floor: tuple[float, float]) -> None:
    """Wall time against the bare parse's, and CPU time against its CPU time: on a shared
    machine the wall times move with the load, the CPU times much less."""
    print(
        f"{label:<28} {run.seconds:8.1f} s  {run.seconds / floor[0]:5.2f}x bare parse  "
        f"CPU {run.cpu_seconds:6.1f} s ({run.cpu_seconds / floor[1]:4.2f}x)  "
        f"parent {run.parent_rss_mb:6.0f} MB  largest worker {run.worker_rss_mb:6.0f} MB "
        f"({run.worker_count} processes below tflint)"
    )


DEFAULT_CORPUS = Path("/work/corpus")


def corpus_sources(root: Path) -> list[Path]:
    """Every Python file of a user corpus (notebooks left out: a bare parse of their JSON is
    not the parse tflint does of their cells, so the ratio would compare different work)."""
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def parsed_bytes(source: bytes) -> int:
    """How much of a file LibCST parses after statement pruning (engine.parse: files under
    PIECEWISE_MIN_BYTES in UTF-8; the blanked rows keep only their line breaks)."""
    if len(source) >= PIECEWISE_MIN_BYTES or source_encoding(source) not in ("utf-8", "utf-8-sig"):
        return len(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return len(source)
    return len(pruned_source(source, tree) or source)


def measure(title: str, files: list[Path], jobs: int, *, single: bool) -> None:
    """Cold runs (`--jobs 1` only when `single`) with fresh caches, a warm run, the bare parse."""
    sources = [path.read_bytes() for path in files]
    total_bytes = sum(map(len, sources))
    lines = sum(source.count(b"\n") for source in sources)
    print(f"== {title}")
    print(f"files: {len(files)}  lines: {lines:,}  bytes: {total_bytes / 1e6:.1f} MB")
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    start = time.perf_counter()
    passing = [source for source in sources if may_have_findings(source)]
    gate_seconds = time.perf_counter() - start
    passed_bytes = sum(map(len, passing))
    print(
        f"pre-scan: {len(passing)} files ({passed_bytes / total_bytes:.0%} of the bytes) may hold "
        f"findings and are parsed; the scan took {gate_seconds:.1f} s"
    )
    kept = sum(map(parsed_bytes, passing))
    print(
        f"statement pruning: LibCST parses {kept / total_bytes:.0%} of the bytes "
        f"({kept / passed_bytes:.0%} of the files the pre-scan passes)"
    )

    with tempfile.TemporaryDirectory(prefix="tflint-bench-") as scratch:
        one = run_tflint(files, 1, fresh_config(Path(scratch, "one"))) if single else None
        every_config = fresh_config(Path(scratch, "all"))
        every = run_tflint(files, jobs, every_config)
        warm = run_tflint(files, jobs, every_config)
    for label, run in (("--jobs 1", one), ("warm", warm)):
        if run is not None and run.findings != every.findings:
            print(
                f"BUG: {label} found {dict(run.findings)}, "
                f"--jobs {jobs} found {dict(every.findings)}"
            )
    internal = [line for line in every.stderr.splitlines() if "internal error" in line]

    print("bare libcst.parse_module over every file, one process ...", flush=True)
    floor = bare_parse_seconds(sources)
    print(f"{'bare parse (1 process)':<28} {floor[0]:8.1f} s  CPU {floor[1]:6.1f} s")
    if one is not None:
        show("tflint cold, --jobs 1", one, floor)
    show(f"tflint cold, --jobs {jobs}", every, floor)
    show(f"tflint warm, --jobs {jobs}", warm, floor)
    print(f"largest process (getrusage RUSAGE_CHILDREN): {warm.largest_child_mb:.0f} MB")
    print(f"findings: {dict(sorted(every.findings.items()))}  internal errors: {len(internal)}")
    for line in internal:
        print(f"  {line}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="the 'all jobs' run")
    parser.add_argument("--corpus", type=Path, default=None, help="a user corpus to lint too")
    parser.add_argument("--no-corpus", action="store_true", help="the packages only")
    parser.add_argument("--no-packages", action="store_true", help="the corpus only")
    args = parser.parse_args()

    if not args.no_packages:
        packages = package_sources("tensorflow", "keras")
        measure("installed tensorflow + keras sources", packages, args.jobs, single=True)
    corpus = args.corpus or (DEFAULT_CORPUS if DEFAULT_CORPUS.is_dir() else None)
    if args.no_corpus or corpus is None:
        print("no user corpus (give one with --corpus PATH)")
        return
    if not corpus.is_dir():
        sys.exit(f"{corpus} is not a directory")
    measure(f"user corpus {corpus}", corpus_sources(corpus), args.jobs, single=False)


if __name__ == "__main__":
    main()
