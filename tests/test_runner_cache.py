"""The per-file cache, the process pool and their guarantees: same output whatever the job
count, a cache that can only ever be a miss when damaged, crashes and Ctrl-C contained."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tflint.cache import CACHE_DIR_NAME
from tflint.cli import main
from tflint.config import Settings
from tflint.parallel import map_unordered
from tflint.runner import RunResult, lint_paths

BAD = textwrap.dedent(
    """\
    import tensorflow as tf


    @tf.function
    def step(x):
        print(x)
        return x
    """
)
CACHED_MESSAGE = "this finding came from the cache"


def lint(directory: Path, **settings: object) -> RunResult:
    return lint_paths([directory], Settings(root=directory, **settings), jobs=1)  # type: ignore[arg-type]


def entries(directory: Path) -> list[Path]:
    return sorted((directory / CACHE_DIR_NAME / "entries").glob("*/*.json"))


def messages(result: RunResult) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in result.diagnostics]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "bad.py").write_text(BAD)
    return tmp_path


def plant(entry: Path, message: str) -> None:
    """Rewrite a cache entry's findings, so a run that shows `message` provably read it."""
    data = json.loads(entry.read_text())
    data["diagnostics"][0]["message"] = message
    entry.write_text(json.dumps(data))


def test_second_run_reads_the_cache_instead_of_linting(project: Path) -> None:
    first = lint(project)
    assert [d.code for d in first.diagnostics] == ["TF101"]
    [entry] = entries(project)
    plant(entry, CACHED_MESSAGE)
    assert messages(lint(project)) == [("TF101", CACHED_MESSAGE)]


def test_cache_directory_is_tagged_and_ignored_by_git(project: Path) -> None:
    lint(project)
    cache = project / CACHE_DIR_NAME
    assert (
        (cache / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55\n")
    )
    assert "*" in (cache / ".gitignore").read_text().splitlines()


@pytest.mark.parametrize("damage", [b"", b"{not json", b"[]", b'{"key": "x", "diagnostics": 1}'])
def test_damaged_entry_is_a_miss_and_is_rewritten(project: Path, damage: bytes) -> None:
    expected = messages(lint(project))
    [entry] = entries(project)
    entry.write_bytes(damage)
    assert messages(lint(project)) == expected
    assert json.loads(entry.read_text())["diagnostics"][0]["code"] == "TF101"


def test_changed_settings_or_content_miss_the_cache(project: Path) -> None:
    lint(project)
    [entry] = entries(project)
    plant(entry, CACHED_MESSAGE)
    assert messages(lint(project, ignore=("TF101",))) == []
    assert messages(lint(project, select=("TF1",))) != [("TF101", CACHED_MESSAGE)]
    assert messages(lint(project)) == [("TF101", CACHED_MESSAGE)]  # the old key still holds
    (project / "bad.py").write_text(BAD.replace("print(x)", "print(x, x)"))
    assert [m for _, m in messages(lint(project))] != [CACHED_MESSAGE]


def test_no_cache_neither_reads_nor_writes(project: Path) -> None:
    lint_paths([project], Settings(root=project), jobs=1, use_cache=False)
    assert not (project / CACHE_DIR_NAME).exists()


def test_internal_errors_are_not_cached(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tflint import engine

    real_analyze = engine.analyze

    def analyze(module, filename, enabled):  # a check's bug, on one file only
        if filename.endswith("broken.py"):
            raise RuntimeError("a check tripped over this file")
        return real_analyze(module, filename, enabled)

    monkeypatch.setattr(engine, "analyze", analyze)
    (project / "broken.py").write_text((project / "bad.py").read_text())
    result = lint(project)
    assert result.internal_errors == [
        (str(project / "broken.py"), "RuntimeError: a check tripped over this file")
    ]
    assert len(entries(project)) == 1  # bad.py's only


def test_fixed_files_are_linted_afresh(project: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, [str(project)]).exit_code == 1  # fills the cache
    assert runner.invoke(main, ["--fix", str(project)]).exit_code == 0
    result = runner.invoke(main, [str(project)])
    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")


def test_output_is_identical_whatever_the_job_count(tmp_path: Path) -> None:
    for index in range(12):
        body = BAD if index % 3 else BAD.replace("print(x)", "y = x")
        (tmp_path / f"module_{index:02}.py").write_text(body)
    outputs = []
    for jobs in ("1", "2"):
        result = CliRunner().invoke(main, ["--no-cache", "--jobs", jobs, str(tmp_path)])
        outputs.append((result.exit_code, result.stdout))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 1
    assert outputs[0][1].count("TF101") == 8


def explode_on_crash(item: str) -> str:
    """A worker function for the pool tests (module level: spawned workers import it)."""
    if item == "crash":
        os._exit(7)
    return item.upper()


def test_a_crashed_worker_costs_only_its_own_item() -> None:
    items = ["a", "b", "crash", "c", "d", "e", "f"]
    results = dict(map_unordered(explode_on_crash, items, 2, lambda item: f"{item}: crashed"))
    assert results == {
        "a": "A",
        "b": "B",
        "crash": "crash: crashed",
        "c": "C",
        "d": "D",
        "e": "E",
        "f": "F",
    }


def parents() -> dict[int, int]:
    """pid → parent pid for every process, from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            table[int(entry.name)] = int(fields[1])
    return table


def descendants(pid: int) -> set[int]:
    table = parents()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in table.items() if parent in frontier} - found
        found |= frontier
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (an exited child waiting to be reaped by whoever inherited it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_ctrl_c_exits_130_and_leaves_no_worker_behind(tmp_path: Path) -> None:
    for index in range(200):  # far more work than the second it gets before Ctrl-C
        (tmp_path / f"module_{index:03}.py").write_text(BAD * 30)
    process = subprocess.Popen(
        [sys.executable, "-m", "tflint", "--no-cache", "--jobs", "2", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # The forkserver, the resource tracker and two workers (children of the forkserver).
    deadline = time.monotonic() + 60
    while len(descendants(process.pid)) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    helpers = descendants(process.pid)
    assert len(helpers) >= 4, "the pool never started"
    time.sleep(1)  # let the workers get busy
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr.decode()) == (130, "error: interrupted\n")
    time.sleep(0.5)
    assert not any(running(pid) for pid in helpers)
