"""What goes wrong around a run never corrupts a file or kills the run silently: files that
vanish or change mid-run, fixes that cannot be written (read-only file, full disk, no temporary
file), Ctrl-C during `--fix`, a crashed worker, input that would crash the parser, and a bug in
tflint itself — each ends in a one-line message and the documented exit code."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_runner_cache import descendants, running
from tflint import files as tflint_files
from tflint import runner, work
from tflint.app import EXIT_ERROR, Options, exit_code
from tflint.config import Settings
from tflint.diagnostics import FixMode
from tflint.engine import lint_bytes, lint_source
from tflint.fixes import fix_file
from tflint.parallel import map_unordered
from tflint.rules import RULES

ALL_CODES = frozenset(RULES)
BAD = textwrap.dedent(
    """\
    import tensorflow as tf


    @tf.function
    def step(x):
        print(x)
        return x
    """
)
FIXED = BAD.replace("print(x)", "tf.print(x)")
REPORT_LINE = (
    "error: this is a bug in tflint; please report it at "
    "https://github.com/tflint-dev/tflint/issues with the file"
)


def tflint(*arguments: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tflint", *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def fix_in_process(path: Path) -> runner.RunResult:
    return runner.lint_paths([path], Settings(root=path.parent), jobs=1, fix=FixMode())


def leftovers(directory: Path) -> list[Path]:
    """Temporary files of atomic writes (`.name.XXXX.tmp`) left anywhere below `directory`."""
    return sorted(directory.rglob("*.tmp"))


# -- files that vanish or change during a run -------------------------------------------------


def test_a_file_deleted_between_discovery_and_reading_is_tf002(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "kept.py").write_text(BAD)
    (tmp_path / "vanishing.py").write_text(BAD)
    real_discover = runner.discover

    def discover_then_delete(paths: list[Path], settings: Settings) -> Iterator[object]:
        for item in real_discover(paths, settings):
            if isinstance(item, Path) and item.name == "vanishing.py":
                item.unlink()  # another process removes it right after the walk saw it
            yield item

    monkeypatch.setattr(runner, "discover", discover_then_delete)
    result = runner.lint_paths([tmp_path], Settings(root=tmp_path), jobs=1, use_cache=False)
    found = [(Path(d.filename).name, d.code, d.message) for d in result.diagnostics]
    assert found == [
        ("kept.py", "TF101", found[0][2]),
        ("vanishing.py", "TF002", "cannot read: No such file or directory"),
    ]
    assert (result.files, result.internal_errors) == (2, [])


def test_a_file_edited_while_it_is_fixed_keeps_the_edit(tmp_path: Path) -> None:
    path = tmp_path / "step.py"
    path.write_text(BAD)
    edited = BAD + "# saved by an editor meanwhile\n"
    read_by_tflint = path.read_bytes()
    path.write_text(edited)
    outcome = fix_file(read_by_tflint, str(path), ALL_CODES, FixMode())
    assert outcome.write_error == "cannot write fixes: file changed while it was being fixed"
    assert (outcome.fixed, path.read_text()) == (0, edited)
    assert leftovers(tmp_path) == []


# -- fixes that cannot be written ---------------------------------------------------------------


def test_fix_of_a_read_only_file_says_so_and_leaves_it(tmp_path: Path) -> None:
    path = tmp_path / "step.py"
    path.write_text(BAD)
    path.chmod(0o444)
    completed = tflint("--fix", "--no-cache", path)
    assert completed.returncode == EXIT_ERROR
    assert completed.stderr == f"error: {path}: cannot write fixes: file is read-only\n"
    assert "TF101" in completed.stdout  # the finding is still reported
    assert (path.read_text(), path.stat().st_mode & 0o777) == (BAD, 0o444)
    assert leftovers(tmp_path) == []


def test_a_full_disk_leaves_the_original_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "step.py"
    path.write_text(BAD)

    def disk_full(source: object, target: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", disk_full)  # the atomic rename at the end of the write
    result = fix_in_process(path)
    assert result.file_errors == [(str(path), "cannot write fixes: No space left on device")]
    assert [d.code for d in result.diagnostics] == ["TF101"]  # as on disk: not fixed
    assert (result.fixed, path.read_text()) == (0, BAD)
    assert leftovers(tmp_path) == []


def test_no_room_for_the_temporary_file_leaves_the_original_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory the temporary file cannot be created in (root ignores permission bits, so
    the refusal is simulated where the write asks for the file)."""
    path = tmp_path / "step.py"
    path.write_text(BAD)

    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(tflint_files.tempfile, "mkstemp", refuse)
    result = fix_in_process(path)
    assert result.file_errors == [(str(path), "cannot write fixes: Permission denied")]
    assert (result.fixed, path.read_text()) == (0, BAD)


# -- Ctrl-C ---------------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_ctrl_c_during_fix_leaves_every_file_whole(tmp_path: Path) -> None:
    tree = tmp_path / "project"
    tree.mkdir()
    original = BAD * 60
    for index in range(400):  # far more work than the moment it gets before Ctrl-C
        (tree / f"module_{index:03}.py").write_text(original)
    process = subprocess.Popen(
        [sys.executable, "-m", "tflint", "--fix", "--jobs", "2", str(tree)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while len(descendants(process.pid)) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    helpers = descendants(process.pid)
    assert len(helpers) >= 4, "the pool never started"
    while time.monotonic() < deadline and all(
        path.read_text() == original for path in tree.glob("*.py")
    ):
        time.sleep(0.05)  # Ctrl-C once the first fixed file has been written back
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr) == (130, "error: interrupted\n")
    contents = {path.read_text() for path in tree.glob("*.py")}
    assert contents == {original, FIXED * 60}, "a file was left half-written"
    assert leftovers(tree) == []  # no temporary file, in the tree nor in .tflint_cache
    time.sleep(0.5)
    assert not any(running(pid) for pid in helpers)


# -- a crashed worker, input that would crash the parser, bugs in tflint ------------------------


def crash_on_doomed(job: runner.Job) -> object:
    """The real worker function, except that the worker dies (as under the OOM killer or a
    segfault in a C extension) on one file. Module level: pool workers import it."""
    if Path(job.filename).name == "doomed.py":
        os._exit(9)
    return work.run_job(job)


def test_a_crashed_worker_is_that_files_internal_error_and_the_run_completes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = [f"module_{index}.py" for index in range(6)] + ["doomed.py"]
    jobs = [runner.Job(str(tmp_path / name), BAD.encode(), ALL_CODES, None) for name in names]
    result = runner.RunResult()
    for _, outcome in map_unordered(crash_on_doomed, jobs, 2, work.crashed):
        result.add(outcome)
    result.finish()
    assert result.files == 7
    assert [Path(d.filename).name for d in result.diagnostics] == sorted(names[:-1])
    doomed = str(tmp_path / "doomed.py")
    assert result.internal_errors == [(doomed, "the worker process linting this file crashed")]
    assert exit_code(result, Options(verbose=True)) == EXIT_ERROR  # no traceback to show
    assert capsys.readouterr().err.splitlines() == [
        f"error: internal error while linting {doomed}: the worker process linting this file "
        "crashed",
        REPORT_LINE,
    ]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("x = " + "(" * 10_000 + ")" * 10_000, "syntax error: too many nested parentheses"),
        ("f = " + "lambda: " * 5_000 + "0", "syntax error: too deeply nested for Python's parser"),
    ],
    ids=["parentheses", "lambdas"],
)
def test_nesting_that_overflows_libcst_is_a_syntax_error_not_a_crash(
    tmp_path: Path, code: str, message: str
) -> None:
    """LibCST's native parser overflows its stack (SIGSEGV, the whole process) on nesting Python
    refuses; in one process (`--jobs 1`) that used to kill tflint itself."""
    path = tmp_path / "deep.py"
    path.write_text(f"import tensorflow as tf\n\n\n@tf.function\ndef f():\n    {code}\n")
    completed = tflint("--jobs", "1", "--no-cache", "--output-format", "json", path)
    assert (completed.returncode, completed.stderr) == (1, "")
    assert f'"message": "{message}"' in completed.stdout
    assert lint_source(path.read_bytes(), str(path), ALL_CODES)[0].code == "TF001"


def test_code_nested_past_the_default_recursion_limit_is_analyzed(tmp_path: Path) -> None:
    """Python compiles 1,500 nested unary minuses; the tree walk needs more than the default
    recursion limit, so tflint retries on a deep stack and still reports the finding."""
    path = tmp_path / "deep.py"
    path.write_text(BAD + "\n\ndef g(x):\n    return " + "-" * 1500 + "x\n")
    result = tflint("--no-cache", "--select", "TF101", path)
    assert (result.returncode, result.stderr) == (1, "")
    assert f"{path}:6:5: TF101" in result.stdout


def test_an_internal_error_is_one_line_and_how_to_report_it_traceback_only_with_verbose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug in a check (simulated: no honest input triggers one any more) costs its file
    one line and how to report it, never a bare traceback unless --verbose."""
    from tflint import engine
    from tflint.cli import main

    path = tmp_path / "model.py"
    path.write_text(BAD)

    def broken_analyze(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a check tripped over this file")

    monkeypatch.setattr(engine, "analyze", broken_analyze)

    def run(*arguments: str) -> tuple[int, list[str]]:
        with pytest.raises(SystemExit) as exited:
            main([*arguments, "--no-cache", "--jobs", "1", str(path)])
        captured = capsys.readouterr()
        assert captured.out == "No findings, but 1 file could not be analyzed.\n"
        return exited.value.code, captured.err.splitlines()

    code, quiet = run()
    assert code == EXIT_ERROR
    assert quiet == [
        f"error: internal error while linting {path}: RuntimeError: a check tripped over this file",
        REPORT_LINE,
    ]
    code, verbose = run("--verbose")
    assert code == EXIT_ERROR
    assert verbose[1] == "Traceback (most recent call last):"
    assert "RuntimeError: a check tripped over this file" in "\n".join(verbose)
    assert (verbose[0], verbose[-1]) == (quiet[0], REPORT_LINE)


def broken_linter(source: bytes, filename: str, enabled: frozenset[str]) -> list[object]:
    raise KeyError("lost")


def test_the_traceback_travels_with_the_result(capsys: pytest.CaptureFixture[str]) -> None:
    result = runner.RunResult()
    result.add(lint_bytes(BAD.encode(), "step.py", ALL_CODES, broken_linter))
    assert result.internal_errors == [("step.py", "KeyError: 'lost'")]
    assert exit_code(result, Options(verbose=True)) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("error: internal error while linting step.py: KeyError: 'lost'\n")
    assert "in broken_linter\n" in err
    assert err.endswith(f"KeyError: 'lost'\n{REPORT_LINE}\n")


def test_temporary_directory_is_the_files_own(tmp_path: Path) -> None:
    """Atomic writes put their temporary file beside the target (same file system), so a
    rename can never copy across devices half-way."""
    path = tmp_path / "step.py"
    path.write_text(BAD)
    seen: list[str] = []
    real_mkstemp = tempfile.mkstemp

    def spy(*args: object, **kwargs: object) -> tuple[int, str]:
        handle, name = real_mkstemp(*args, **kwargs)  # type: ignore[call-overload]
        seen.append(name)
        return handle, name

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tflint_files.tempfile, "mkstemp", spy)
        fix_in_process(path)
    assert [Path(name).parent for name in seen] == [tmp_path]
    assert path.read_text() == FIXED


ANNOTATED = b"import tensorflow as tf\n\n\n@tf.function\ndef f(x):\n    (y): int\n    return x\n"


def test_valid_python_libcst_cannot_parse_is_not_a_syntax_error(tmp_path: Path) -> None:
    """LibCST rejects a parenthesized annotated name (`(x): int`, in CPython's own tests);
    Python accepts it, so reporting TF001 would be a false positive."""
    result = lint_bytes(ANNOTATED, "annotated.py", ALL_CODES)
    assert (result.diagnostics, result.internal_error) == ((), None)
    assert result.not_analysed == (
        "LibCST cannot parse this valid Python (it stops at line 7, column 10)"
    )


def test_issue14_19_valid_python_libcst_cannot_parse_is_reported_and_exits_2(
    tmp_path: Path,
) -> None:
    """Not "All checks passed!": the file was never analysed. Exit 2, as for an internal
    limit; the other files' findings are reported as usual."""
    (tmp_path / "annotated.py").write_bytes(ANNOTATED)
    (tmp_path / "step.py").write_text(BAD)
    completed = tflint("--no-cache", "--select", "TF101", tmp_path)
    assert completed.returncode == EXIT_ERROR
    assert completed.stdout.startswith(f"{tmp_path / 'step.py'}:6:5: TF101 ")
    assert completed.stderr == (
        f"error: {tmp_path / 'annotated.py'}: not analysed: LibCST cannot parse this valid "
        "Python (it stops at line 7, column 10)\nerror: 1 file could not be analysed\n"
    )
    (tmp_path / "step.py").unlink()
    completed = tflint("--no-cache", tmp_path)
    assert (completed.returncode, completed.stdout) == (
        EXIT_ERROR,
        "No findings, but 1 file could not be analyzed.\n",
    )


def test_issue14_11_a_full_stdout_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "step.py").write_text(BAD)
    for arguments in (["--no-cache", tmp_path], ["--diff", "--no-cache", tmp_path]):
        with Path("/dev/full").open("w") as full:
            completed = subprocess.run(
                [sys.executable, "-m", "tflint", *map(str, arguments)],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
            )
        assert completed.returncode == EXIT_ERROR
        assert completed.stderr.endswith(
            "error: cannot write to standard output: No space left on device\n"
        )
        assert "Traceback" not in completed.stderr


def test_issue14_18_python_m_tflint_never_imports_the_working_directorys_modules(
    tmp_path: Path,
) -> None:
    """A repository's own `libcst.py` (or `click.py`) must not shadow the real package when
    `python -m tflint` runs in it: linting never runs the user's code."""
    marker = tmp_path / "ran"
    for name in ("libcst", "click"):
        (tmp_path / f"{name}.py").write_text(
            f"open({str(marker)!r}, 'a').write('{name}')\nraise SystemExit(42)\n"
        )
    (tmp_path / "step.py").write_text(BAD)
    completed = subprocess.run(
        [sys.executable, "-m", "tflint", "--no-cache", "--select", "TF101", "step.py"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert (completed.returncode, completed.stderr) == (1, "")
    assert completed.stdout.startswith("step.py:6:5: TF101 ")
    assert not marker.exists()


def test_issue14_1_a_save_while_the_fix_is_being_written_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor saves after tflint read the file, while the fixed copy is being flushed to
    disk: the rename must not overwrite that save."""
    path = tmp_path / "step.py"
    path.write_text(BAD)
    edited = BAD + "# saved by an editor while the fix was being flushed\n"
    real_fsync = os.fsync

    def fsync_while_an_editor_saves(handle: int) -> None:
        real_fsync(handle)
        path.write_text(edited)

    monkeypatch.setattr(os, "fsync", fsync_while_an_editor_saves)
    result = fix_in_process(path)
    assert result.file_errors == [
        (str(path), "cannot write fixes: file changed while it was being fixed")
    ]
    assert (result.fixed, path.read_text()) == (0, edited)
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file another owner")
def test_issue14_4_a_fix_keeps_the_files_owner_and_group(tmp_path: Path) -> None:
    path = tmp_path / "step.py"
    path.write_text(BAD)
    os.chown(path, 4321, 8765)
    result = fix_in_process(path)
    assert (result.fixed, result.file_errors, path.read_text()) == (1, [], FIXED)
    assert (path.stat().st_uid, path.stat().st_gid) == (4321, 8765)


def test_issue14_4_a_hard_linked_file_is_refused_not_split(tmp_path: Path) -> None:
    path = tmp_path / "step.py"
    path.write_text(BAD)
    os.link(path, tmp_path / "twin.py")
    result = fix_in_process(path)
    assert result.file_errors == [
        (
            str(path),
            "cannot write fixes: file has 2 hard links, which writing by rename would split",
        )
    ]
    assert [d.code for d in result.diagnostics] == ["TF101"]
    assert path.stat().st_nlink == 2 and path.stat().st_ino == (tmp_path / "twin.py").stat().st_ino
    assert path.read_text() == BAD
    assert leftovers(tmp_path) == []


def hog_on_big(item: str) -> str:
    """A worker function that holds 400 MB for `big` (module level: pool workers import it)."""
    if item == "big":
        held = b"x" * (400 * 1024 * 1024)  # written, so resident
        time.sleep(60)
        return str(len(held))
    return item.upper()


def test_issue14_15_a_worker_over_its_memory_limit_fails_only_its_item() -> None:
    items = ["a", "b", "big", "c", "d", "e"]
    results = dict(
        map_unordered(
            hog_on_big,
            items,
            2,
            lambda item: f"{item}: crashed",
            lambda item: f"{item}: over the limit",
            memory_limit_mb=200,
        )
    )
    assert results == {
        "a": "A",
        "b": "B",
        "big": "big: over the limit",
        "c": "C",
        "d": "D",
        "e": "E",
    }


def test_issue14_15_too_complex_is_tf002_for_that_file() -> None:
    job = runner.Job("deep.py", b"x = 1\n", ALL_CODES, None)
    [diagnostic] = work.too_complex(job).diagnostics
    assert (diagnostic.code, diagnostic.message) == (
        "TF002",
        f"too complex to analyse within {work.WORKER_MEMORY_MB} MB",
    )


def test_issue14_15_a_small_run_lints_large_files_in_a_watched_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --jobs 1 the small file is linted in this process, the large one in a worker
    whose memory the parent watches: under a 1 MB bound (every process is over it) only the
    large file comes back as "too complex"; the run goes on."""
    monkeypatch.setattr(work, "WORKER_MEMORY_MB", 1)
    (tmp_path / "small.py").write_text(BAD)
    padding = "".join(f"value_{i} = {i}\n" for i in range(runner.WATCHED_FILE_BYTES // 12))
    (tmp_path / "large.py").write_text(BAD + padding)
    result = runner.lint_paths([tmp_path], Settings(root=tmp_path), jobs=1, use_cache=False)
    found = sorted((Path(d.filename).name, d.code, d.message) for d in result.diagnostics)
    assert [(name, code) for name, code, _ in found] == [
        ("large.py", "TF002"),
        ("small.py", "TF101"),
    ]
    assert found[0][2] == "too complex to analyse within 1 MB"


def test_no_code_of_the_linted_project_runs_without_verify(tmp_path: Path) -> None:
    """The README's promise: without --verify tflint reads files and never imports or runs
    them, and never imports TensorFlow (linting, fixing and diffing alike)."""
    marker = tmp_path / "ran"
    (tmp_path / "step.py").write_text(BAD + f"open({str(marker)!r}, 'w').close()\n")
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['tflint', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('tflint', run_name='__main__')\n"
        "except SystemExit as end:\n"
        "    print('tensorflow' in sys.modules, end.code, file=sys.stderr)\n"
    )
    for options in (["--diff"], [], ["--fix"]):
        completed = subprocess.run(
            [sys.executable, "-c", probe, "--no-cache", *options, str(tmp_path / "step.py")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert completed.stderr.splitlines()[-1] in ("False 0", "False 1"), completed.stderr
    assert not marker.exists()
    assert "tf.print(x)" in (tmp_path / "step.py").read_text()  # --fix did run
