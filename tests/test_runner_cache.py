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

from tflint.cache import project_cache_directory
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


def cache_of(directory: Path) -> Path:
    cache = project_cache_directory(directory)
    assert cache is not None
    return cache


def entries(directory: Path) -> list[Path]:
    return sorted((cache_of(directory) / "entries").glob("*/*.json"))


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


def test_cache_directory_is_in_the_user_cache_and_tagged(
    project: Path, private_cache_directory: Path
) -> None:
    lint(project)
    cache = cache_of(project)
    assert cache.parent == private_cache_directory / "tflint"
    assert (
        (cache / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55\n")
    )
    assert sorted(path.name for path in project.iterdir()) == ["bad.py"]  # nothing in the project


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
    assert not cache_of(project).exists()


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


def start_busy_pool(directory: Path) -> tuple[subprocess.Popen[bytes], set[int]]:
    """tflint --jobs 2 over far more work than the second it gets before it is signalled;
    returns the process and its helpers: the forkserver, the resource tracker and two workers
    (children of the forkserver)."""
    for index in range(200):
        (directory / f"module_{index:03}.py").write_text(BAD * 30)
    process = subprocess.Popen(
        [sys.executable, "-m", "tflint", "--no-cache", "--jobs", "2", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while len(descendants(process.pid)) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    helpers = descendants(process.pid)
    assert len(helpers) >= 4, "the pool never started"
    time.sleep(1)  # let the workers get busy
    return process, helpers


def all_gone(pids: set[int]) -> bool:
    """Whether every process has ended, waiting up to 30 s (a loaded machine is slow; this is
    not a timing test)."""
    deadline = time.monotonic() + 30
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not any(running(pid) for pid in pids)


needs_proc = pytest.mark.skipif(
    not Path("/proc").is_dir(), reason="reads the process table from /proc"
)


@needs_proc
def test_ctrl_c_exits_130_and_leaves_no_worker_behind(tmp_path: Path) -> None:
    process, helpers = start_busy_pool(tmp_path)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr.decode()) == (130, "error: interrupted\n")
    assert all_gone(helpers)


@needs_proc
def test_issue14_16_sigterm_is_handled_like_ctrl_c(tmp_path: Path) -> None:
    process, helpers = start_busy_pool(tmp_path)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr.decode()) == (143, "error: terminated\n")
    assert all_gone(helpers)


@needs_proc
def test_issue14_16_workers_die_with_a_killed_tflint(tmp_path: Path) -> None:
    """SIGKILL cannot be handled: the workers watch the tflint process and exit when it is
    gone; then the forkserver and the resource tracker end too."""
    process, helpers = start_busy_pool(tmp_path)
    process.kill()
    process.communicate(timeout=60)
    assert all_gone(helpers)


# -- issue 14.17: a cache the linted repository cannot plant or redirect ------------------------


def test_issue14_17_a_committed_tflint_cache_is_never_read(project: Path) -> None:
    """A fresh clone with a forged `.tflint_cache/` holding an entry for each file (what the
    cache once kept inside the project) still gets its finding: the cache lives in the user's
    cache directory."""
    lint(project)
    [entry] = entries(project)
    forged = project / ".tflint_cache" / entry.relative_to(cache_of(project))
    forged.parent.mkdir(parents=True)
    data = json.loads(entry.read_text())
    data["diagnostics"] = []
    forged.write_text(json.dumps(data))
    entry.unlink()
    result = lint(project)
    assert [d.code for d in result.diagnostics] == ["TF101"]


def test_issue14_17_a_tflint_cache_symlink_is_not_written_through(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (project / ".tflint_cache").symlink_to(elsewhere, target_is_directory=True)
    assert [d.code for d in lint(project).diagnostics] == ["TF101"]
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize(
    "damage",
    [
        {"location": {"row": "6", "column": 5}},
        {"location": {"row": 0, "column": 5}},
        {"end_location": {"row": 6}},
        {"code": "TF999"},
        {"message": ["not", "text"]},
        {"filename": "another.py"},
        {"symbol": 3},
        {"cell": "1"},
        {"verification": {"status": "confirmed", "evidence": "forged", "device": None}},
        {"fix": {"message": "m", "applicability": "always", "edits": []}},
        {"fix": {"message": "m", "applicability": "safe", "edits": [{"content": 1}]}},
    ],
)
def test_issue14_17_an_ill_typed_entry_is_a_miss(project: Path, damage: dict) -> None:
    expected = messages(lint(project))
    [entry] = entries(project)
    data = json.loads(entry.read_text())
    data["diagnostics"][0].update(damage)
    data["diagnostics"][0]["message"] = damage.get("message", CACHED_MESSAGE)
    entry.write_text(json.dumps(data))
    assert messages(lint(project)) == expected


def test_issue14_17_the_key_names_the_build_that_linted(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries written by another interpreter, LibCST or tflint source (a development install
    keeps its version number across changes) are misses."""
    from tflint import cache as cache_module

    lint(project)
    [entry] = entries(project)
    plant(entry, CACHED_MESSAGE)
    assert messages(lint(project)) == [("TF101", CACHED_MESSAGE)]
    original = cache_module.build_fingerprint()
    copy = tmp_path / "copy" / "tflint"
    package = Path(cache_module.__file__).parent
    for source in package.rglob("*.py"):
        target = copy / source.relative_to(package)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    (copy / "rules.py").write_text((copy / "rules.py").read_text() + "\n# changed\n")
    fingerprints = []
    for name, value in (("__file__", str(copy / "cache.py")), ("sys.version", "3.99")):
        with monkeypatch.context() as patch:
            if name == "__file__":
                patch.setattr(cache_module, "__file__", value)
            else:
                patch.setattr(sys, "version", value)
            cache_module.build_fingerprint.cache_clear()
            fingerprints.append(cache_module.build_fingerprint())
            assert [m for _, m in messages(lint(project))] != [CACHED_MESSAGE]
    cache_module.build_fingerprint.cache_clear()
    assert original not in fingerprints and len(set(fingerprints)) == 2
    assert cache_module.build_fingerprint() == original
