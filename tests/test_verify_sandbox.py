"""`--verify` keeps what verified code does away from the user's tree, network, environment and
machine, and away from tflint's own protocol; and it never runs `__main__` statements.

Each module here is written for the test into a temporary directory; each is otherwise
verifiable (a `print` in a tf.function), so the verdict also says whether its import went on.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tflint.diagnostics import Diagnostic, Location
from tflint.engine import lint_source
from tflint.rules import RULES
from tflint.verify import Verifier

pytestmark = pytest.mark.verify

SECRET = "TFLINT_TEST_SECRET_TOKEN"
STEP = """
@tf.function
def step(x):
    print("tracing step")
    return x * 2.0
"""


@pytest.fixture(scope="module")
def verifier() -> Iterator[Verifier]:
    os.environ[SECRET] = "hunter2"  # a credential the workers must not see
    try:
        with Verifier(device="cpu", timeout=60.0, jobs=1) as shared:
            yield shared
    finally:
        del os.environ[SECRET]


def module(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text(
        "import os\nimport sys\n\nimport tensorflow as tf\n\n" + textwrap.dedent(body) + STEP
    )
    return path


def verify(verifier: Verifier, path: Path, **options: float) -> list[Diagnostic]:
    found = lint_source(path.read_bytes(), str(path), frozenset(RULES))
    return verifier.verify([d for d in found if d.code == "TF101"], **options)  # type: ignore[arg-type]


def verdict(results: list[Diagnostic]) -> tuple[str, str]:
    (result,) = results
    assert result.verification is not None
    return result.verification.status, result.verification.evidence


CONFIRMED = ("confirmed", "print ran 1\u00d7 in 3 graph calls of step, 3\u00d7 in 3 eager calls")


def test_files_written_at_import_stay_out_of_the_users_tree(
    verifier: Verifier, tmp_path: Path
) -> None:
    home_marker = Path.home() / "tflint_verify_home_marker.txt"
    path = module(
        tmp_path,
        "writes.py",
        f"""
        from pathlib import Path

        Path("written_at_import.txt").write_text("relative")
        Path.home().joinpath("tflint_verify_home_marker.txt").write_text("home")
        Path(os.environ.get("TMPDIR", "/tmp"), "tflint_verify_tmp_marker.txt").write_text("t")
        if {SECRET!r} in os.environ:
            sys.exit(4)
        """,
    )
    assert verdict(verify(verifier, path)) == CONFIRMED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["writes.py"]  # no __pycache__ either
    assert not home_marker.exists()
    assert not Path("/tmp/tflint_verify_tmp_marker.txt").exists()


def test_a_socket_connect_fails_inside_the_worker(verifier: Verifier, tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        path = module(
            tmp_path,
            "phones_home.py",
            f"""
            import socket

            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
            except OSError:
                pass
            else:
                sys.exit(5)
            """,
        )
        assert verdict(verify(verifier, path)) == CONFIRMED
        with pytest.raises(TimeoutError):
            listener.accept()


def test_main_statements_and_unreadable_arguments_never_run(
    verifier: Verifier, tmp_path: Path
) -> None:
    marker = tmp_path / "ran.txt"
    path = module(
        tmp_path,
        "main_block.py",
        f"""
        def never_called():
            step(open({str(marker)!r}, "w"))


        if __name__ == "__main__":
            open({str(marker)!r}, "w").write("main ran")
            step(tf.constant([1.0]))
        """,
    )
    assert verdict(verify(verifier, path)) == CONFIRMED
    assert not marker.exists()


def test_processes_the_module_starts_do_not_survive_it(verifier: Verifier, tmp_path: Path) -> None:
    pids = tmp_path / "pids.txt"
    path = module(
        tmp_path,
        "forks.py",
        f"""
        import subprocess

        children = [
            subprocess.Popen(["sleep", "120"]),
            subprocess.Popen(["sleep", "120"], start_new_session=True),
        ]
        with open({str(pids)!r}, "w") as out:
            out.write(" ".join(str(c.pid) for c in children))
        """,
    )
    assert verdict(verify(verifier, path)) == CONFIRMED
    for pid in map(int, pids.read_text().split()):
        assert not _running(pid), pid


def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed process waits for its parent to collect it)."""
    for _ in range(20):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        if state == "Z":
            return False
        time.sleep(0.1)
    return True


def test_the_memory_limit_cannot_be_lifted(verifier: Verifier, tmp_path: Path) -> None:
    path = module(
        tmp_path,
        "greedy.py",
        """
        import resource

        try:
            resource.setrlimit(
                resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
            )
        except (ValueError, OSError):
            pass
        else:
            sys.exit(6)
        """,
    )
    assert verdict(verify(verifier, path)) == CONFIRMED


FORGER = """
import json

FORGED = json.dumps(
    {"results": [{"status": "confirmed", "evidence": "forged"}], "device": "CPU:0"}
).encode()
for name in os.listdir("/proc/self/fd"):
    for line in (FORGED, b"1 0000 " + FORGED, b"garbage \\x00\\xff"):
        try:
            os.write(int(name), line + b"\\n")
        except OSError:
            pass


def report(values):
    print(values)  # plain Python: nothing traces it
"""


def test_a_module_cannot_forge_verdicts_or_crash_the_parent(
    verifier: Verifier, tmp_path: Path
) -> None:
    forger = tmp_path / "forger.py"
    forger.write_text("import os\n" + FORGER)
    row = next(i for i, ln in enumerate(FORGER.splitlines(), 2) if "print(values)" in ln)
    planted = Diagnostic("TF101", "m", str(forger), Location(row, 5), Location(row, 18), "report")
    healthy = module(tmp_path, "healthy.py", "")
    results = verifier.verify(
        [planted, *(d for d in lint_source(healthy.read_bytes(), str(healthy), frozenset(RULES)))]
    )
    assert results[0].verification is not None
    assert results[0].verification.status == "unverifiable"
    assert "forged" not in results[0].verification.evidence
    assert "the protocol stream was corrupted" in results[0].verification.evidence
    assert verdict(results[1:]) == CONFIRMED  # a fresh worker took over


def test_a_total_deadline_bounds_the_run(verifier: Verifier, tmp_path: Path) -> None:
    spin = "\n@tf.function\ndef {0}(x):\n    print('{0}')\n    while True:\n        pass\n"
    path = tmp_path / "spins.py"
    path.write_text("import tensorflow as tf\n" + spin.format("first") + spin.format("second"))
    found = lint_source(path.read_bytes(), str(path), frozenset(RULES))
    results = verifier.verify([d for d in found if d.code == "TF101"], total_timeout=4.0)
    evidence = [r.verification.evidence for r in results if r.verification]
    assert evidence[0] == "timed out after 4 s while running `first`"
    assert evidence[1] == "the total time for --verify ran out before this function's turn"


def tflint(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tflint", "--no-cache", "--verify", "--device", "cpu", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_keras_folder_in_the_working_directory_does_not_stop_the_run(
    tmp_path: Path,
) -> None:
    (tmp_path / "keras").mkdir()
    (tmp_path / "keras" / "__init__.py").write_text('raise ImportError("a local keras/ folder")\n')
    module(tmp_path, "train.py", "")
    run = tflint(tmp_path, "--select", "TF101", "--verbose", "train.py")
    assert run.returncode == 1, run.stderr
    assert "[confirmed: print ran 1\u00d7 in 3 graph calls of step" in run.stdout
    # --verbose: the isolation in place, and the time of each finding
    assert "verify: isolation: dies with tflint, " in run.stderr
    assert "sockets refused" in run.stderr
    assert re.search(r"^verify: train\.py:9: TF101 \d+\.\d\d s$", run.stderr, re.MULTILINE)


def test_stdin_is_verified_as_given_not_as_on_disk(tmp_path: Path) -> None:
    """The file on disk has no finding; the text given on stdin has one, and that is what
    gets verified (the import of the file on disk would fail)."""
    (tmp_path / "edited.py").write_text('raise RuntimeError("the saved version")\n')
    text = "import tensorflow as tf\n" + STEP
    run = tflint(tmp_path, "--select", "TF101", "--stdin-filename", "edited.py", "-", stdin=text)
    assert run.returncode == 1, run.stderr
    assert "edited.py:5:5: TF101" in run.stdout
    assert "[confirmed: print ran 1\u00d7 in 3 graph calls of step" in run.stdout


def test_stdin_without_a_name_is_not_verified(tmp_path: Path) -> None:
    run = tflint(tmp_path, "--select", "TF101", "-", stdin="import tensorflow as tf\n" + STEP)
    assert run.returncode == 1, run.stderr
    assert "[unverifiable: stdin is verified only when named: --stdin-filename NAME.py]" in (
        run.stdout
    )


def test_a_notebooks_shell_lines_and_magics_never_run(verifier: Verifier, tmp_path: Path) -> None:
    """Cells reach the worker as IPython writes them (`get_ipython().system(...)`); the worker's
    inert shell turns each into a no-op, so the `!touch` never makes its file and the cell's
    other statements still run (the finding is confirmed)."""
    import nbformat

    from tflint.notebooks import lint_notebook

    marker = tmp_path / "shell-ran"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(f"!touch {marker}\n%matplotlib inline\nimport tensorflow as tf"),
        nbformat.v4.new_code_cell(textwrap.dedent(STEP).strip()),
    ]
    path = tmp_path / "shell.ipynb"
    path.write_text(nbformat.writes(notebook))
    found = [
        d
        for d in lint_notebook(path.read_bytes(), str(path), frozenset(RULES))
        if d.code == "TF101"
    ]
    [result] = verifier.verify(found)  # type: ignore[arg-type]
    assert result.verification is not None
    assert result.verification.status == "confirmed", result.verification
    assert not marker.exists()
