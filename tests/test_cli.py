"""End-to-end CLI behaviour: output, exit codes, selection, config, suppression, stdin."""

from __future__ import annotations

import ctypes
import json
import os
import pty
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.snippets import MESSAGE_101
from tests.snippets import PRINT_AND_CLOCK as BAD
from tflint import __version__
from tflint.cli import main
from tflint.rules import RULES


def run(args: list[str], cwd: Path, stdin: bytes | None = None):
    """Invoke the CLI in `cwd` with the cache off (tests must see real linting)."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["--no-cache", *args], input=stdin, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text(BAD)
    (tmp_path / "pkg" / "clean.py").write_text("import tensorflow as tf\nX = tf.constant(1)\n")
    return tmp_path


def test_text_output_and_exit_code(project: Path) -> None:
    result = run(["pkg"], project)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"pkg/model.py:8:5: TF101 [*] {MESSAGE_101}",
        "pkg/model.py:9:15: TF104 `time.time()` in graph code (decorated with @tf.function) is "
        "read once at trace time and is a constant on every call; use `tf.timestamp()`",
        "Found 2 findings.",
        "[*] 1 fixable with the `--fix` option (1 hidden fix can be enabled with the "
        "`--unsafe-fixes` option).",
    ]


def test_clean_run_exits_zero(project: Path) -> None:
    result = run(["pkg/clean.py"], project)
    assert (result.exit_code, result.output) == (0, "All checks passed!\n")


def test_exit_zero(project: Path) -> None:
    assert run(["--exit-zero", "pkg"], project).exit_code == 0


def test_json_output_is_shaped_like_ruff(project: Path) -> None:
    result = run(["--output-format", "json", "pkg"], project)
    findings = json.loads(result.output)
    assert [f["code"] for f in findings] == ["TF101", "TF104"]
    first = findings[0]
    assert first["filename"] == "pkg/model.py"
    assert first["location"] == {"row": 8, "column": 5}
    assert first["end_location"] == {"row": 8, "column": 13}
    assert first["message"] == MESSAGE_101
    assert first["url"].endswith("/rules/TF101/README.md")
    assert first["fix"] == {
        "applicability": "safe",
        "edits": [
            {
                "content": "tf.print",
                "end_location": {"row": 8, "column": 10},
                "location": {"row": 8, "column": 5},
            }
        ],
        "message": "Replace `print` with `tf.print`",
    }
    assert findings[1]["fix"]["applicability"] == "unsafe"


@pytest.mark.parametrize(
    "args, codes",
    [
        (["--select", "TF101"], ["TF101"]),
        (["--select", "TF1"], ["TF101", "TF104"]),
        (["--ignore", "TF104"], ["TF101"]),
        (["--ignore", "TF10"], []),
        (["--select", "TF2", "--extend-select", "TF104"], ["TF104"]),
        (["--select", "TF101,TF104", "--ignore", "TF1"], ["TF101", "TF104"]),  # specific wins
        (["--select", "TF1", "--ignore", "TF10", "--extend-select", "TF101"], ["TF101"]),
    ],
)
def test_select_ignore_prefixes(project: Path, args: list[str], codes: list[str]) -> None:
    result = run([*args, "--output-format", "json", "pkg"], project)
    assert [f["code"] for f in json.loads(result.output)] == codes


def test_unknown_code_is_a_usage_error(project: Path) -> None:
    result = run(["--select", "XX1", "pkg"], project)
    assert result.exit_code == 2
    assert "unknown rule code or prefix `XX1`" in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert (result.exit_code, result.output) == (0, f"tflint, version {__version__}\n")


def test_explain_unknown_code() -> None:
    result = CliRunner().invoke(main, ["--explain", "TF999"])
    assert result.exit_code == 2


def test_stdin_with_filename(project: Path) -> None:
    result = run(["-", "--stdin-filename", "from_stdin.py"], project, stdin=BAD.encode())
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith("from_stdin.py:8:5: TF101 ")


def test_noqa_comments(project: Path) -> None:
    source = BAD.replace("print(x)", "print(x)  # noqa: TF101").replace(
        "time.time()", "time.time()  # noqa"
    )
    (project / "pkg" / "model.py").write_text(source)
    assert run(["pkg/model.py"], project).exit_code == 0


def test_noqa_for_another_code_does_not_suppress(project: Path) -> None:
    (project / "pkg" / "model.py").write_text(BAD.replace("print(x)", "print(x)  # noqa: E501"))
    result = run(["--select", "TF101", "pkg/model.py"], project)
    assert result.exit_code == 1


@pytest.mark.parametrize(
    "comment, remaining", [("# tflint: noqa", 0), ("# tflint: noqa: TF104", 1)]
)
def test_file_level_noqa(project: Path, comment: str, remaining: int) -> None:
    (project / "pkg" / "model.py").write_text(f"{comment}\n{BAD}")
    result = run(["--output-format", "json", "pkg/model.py"], project)
    assert len(json.loads(result.output)) == remaining


def test_pyproject_config(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [tool.tflint]
            select = ["TF1"]
            ignore = ["TF104"]
            exclude = ["generated"]
            [tool.tflint.per-file-ignores]
            "legacy_*.py" = ["TF101"]
            """
        )
    )
    (project / "pkg" / "legacy_model.py").write_text(BAD)
    (project / "generated").mkdir()
    (project / "generated" / "model.py").write_text(BAD)
    result = run(["--output-format", "json", "."], project)
    assert [(f["filename"], f["code"]) for f in json.loads(result.output)] == [
        ("pkg/model.py", "TF101")
    ]


def test_explicit_config_file(project: Path) -> None:
    config = project / "custom.toml"
    config.write_text('select = ["TF104"]\n')
    result = run(["--config", "custom.toml", "--output-format", "json", "pkg"], project)
    assert [f["code"] for f in json.loads(result.output)] == ["TF104"]


@pytest.mark.parametrize(
    "table, message",
    [
        ('selec = ["TF1"]', "unknown key `selec` in [tool.tflint]"),
        ('select = "TF1"', "`select` must be a list of strings"),
        ('ignore = ["TF9"]', "`ignore` has unknown rule code or prefix `TF9`"),
        ('per-file-ignores = ["x"]', "`per-file-ignores` must be a table"),
    ],
)
def test_bad_config_names_the_key_and_exits_2(project: Path, table: str, message: str) -> None:
    (project / "pyproject.toml").write_text(f"[tool.tflint]\n{table}\n")
    result = run(["pkg"], project)
    assert result.exit_code == 2
    assert message in result.output


def test_invalid_toml_exits_2(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.tflint\nselect = \n")
    result = run(["pkg"], project)
    assert result.exit_code == 2
    assert "invalid TOML" in result.output


def test_force_exclude_applies_excludes_to_named_files(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.tflint]\nexclude = ["model.py"]\n')
    assert run(["pkg/model.py"], project).exit_code == 1  # named: linted, like ruff
    assert run(["--force-exclude", "pkg/model.py"], project).exit_code == 0
    (project / "pyproject.toml").write_text(
        '[tool.tflint]\nexclude = ["model.py"]\nforce-exclude = true\n'
    )
    assert run(["pkg/model.py"], project).exit_code == 0


# -- ruff habits, through the installed console script --------------------------------------

TFLINT = Path(sys.executable).with_name("tflint")  # the venv's console script
HINT = "(1 hidden fix can be enabled with the `--unsafe-fixes` option)"
SUMMARY = ["Found 2 findings.", f"[*] 1 fixable with the `--fix` option {HINT}."]
LINE_101 = f"pkg/model.py:8:5: TF101 [*] {MESSAGE_101}"
LINE_104 = (
    "pkg/model.py:9:15: TF104 `time.time()` in graph code (decorated with @tf.function) is "
    "read once at trace time and is a constant on every call; use `tf.timestamp()`"
)


def tflint(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """The real console script, in `cwd`, without the cache (a fresh lint every time)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.run(
        [str(TFLINT), "--no-cache", *map(str, args)],
        cwd=cwd,
        text=True,
        timeout=120,
        env={**environment, **(env or {})},
        **kwargs,  # type: ignore[call-overload]
    )


def test_gitignore_is_respected_unless_told_otherwise(project: Path) -> None:
    (project / "vendored").mkdir()
    (project / "vendored" / "model.py").write_text(BAD)
    (project / "pkg" / "scratch_model.py").write_text(BAD)
    (project / "pkg" / "keep_model.py").write_text(BAD)
    (project / ".gitignore").write_text("vendored/\n*_model.py\n")
    (project / "pkg" / ".gitignore").write_text("!keep_model.py\n")  # deeper file decides

    def linted(*args: str) -> list[str]:
        completed = tflint("--output-format", "json", *args, cwd=project)
        return sorted({f["filename"] for f in json.loads(completed.stdout)})

    assert linted(".") == ["pkg/keep_model.py", "pkg/model.py"]
    assert linted("--no-respect-gitignore", ".") == [
        "pkg/keep_model.py",
        "pkg/model.py",
        "pkg/scratch_model.py",
        "vendored/model.py",
    ]
    assert linted("vendored/model.py") == ["vendored/model.py"]  # named: linted, like ruff
    (project / "pyproject.toml").write_text("[tool.tflint]\nrespect-gitignore = false\n")
    assert "vendored/model.py" in linted(".")


def test_gitignore_above_a_named_folder_counts_inside_a_repository(project: Path) -> None:
    (project / "pkg" / "generated").mkdir()
    (project / "pkg" / "generated" / "model.py").write_text(BAD)
    (project / ".gitignore").write_text("generated/\n")
    (project / ".git" / "info").mkdir(parents=True)
    (project / ".git" / "info" / "exclude").write_text("clean.py\n")
    completed = tflint("--output-format", "json", "--select", "ALL", "pkg", cwd=project)
    assert sorted({f["filename"] for f in json.loads(completed.stdout)}) == ["pkg/model.py"]
    (project / "pkg" / "clean.py").write_text("this is not python\n")  # excluded: no TF001
    assert tflint("pkg", cwd=project).stdout.splitlines()[-2:] == SUMMARY


def test_a_folder_named_inside_an_ignored_folder_is_linted(project: Path) -> None:
    """As a named file is: `tflint vendor/lib` lints what it was asked to, although the
    repository ignores `/vendor` (an interpreter's standard library under a pyenv checkout)."""
    (project / "vendor" / "lib").mkdir(parents=True)
    (project / "vendor" / "lib" / "model.py").write_text(BAD)
    (project / ".gitignore").write_text("/vendor\n")
    (project / ".git").mkdir(exist_ok=True)

    def linted(*args: str) -> list[str]:
        completed = tflint("--output-format", "json", *args, cwd=project)
        return sorted({f["filename"] for f in json.loads(completed.stdout)})

    assert "vendor/lib/model.py" not in linted(".")
    assert linted("vendor/lib") == ["vendor/lib/model.py"]


@pytest.mark.parametrize("target", ["empty", "docs", "notes.txt"])
def test_nothing_to_lint_is_a_warning_never_a_pass(project: Path, target: str) -> None:
    (project / "empty").mkdir()
    (project / "docs").mkdir()
    (project / "docs" / "index.md").write_text("# docs\n")
    (project / "notes.txt").write_text("print('hello')\n")
    completed = tflint(target, cwd=project)
    assert (completed.returncode, completed.stdout) == (0, "")
    assert completed.stderr == f"warning: No Python files found under {target}\n"


def test_a_script_without_a_suffix_is_linted_when_named(project: Path) -> None:
    (project / "train").write_text("#!/usr/bin/env python3\n" + BAD)
    completed = tflint("--select", "TF101", "train", cwd=project)
    assert completed.stdout.splitlines()[0].startswith("train:9:5: TF101 ")


def test_statistics(project: Path) -> None:
    (project / "pkg" / "other.py").write_text(BAD)
    completed = tflint("--statistics", "pkg", cwd=project)
    assert completed.returncode == 1
    assert completed.stdout.splitlines() == [
        "2\tTF101\t[*] print-in-graph",
        "2\tTF104\t[ ] python-clock-in-graph",
        "Found 4 findings.",
        "[*] 2 fixable with the `--fix` option (2 hidden fixes can be enabled with the "
        "`--unsafe-fixes` option).",
    ]
    as_json = tflint("--statistics", "--output-format", "json", "pkg", cwd=project)
    assert json.loads(as_json.stdout) == [
        {"code": "TF101", "name": "print-in-graph", "count": 2, "fixable": True},
        {"code": "TF104", "name": "python-clock-in-graph", "count": 2, "fixable": False},
    ]


def test_add_noqa_keeps_comments_and_codes(project: Path) -> None:
    model = project / "pkg" / "model.py"
    source = BAD.replace("print(x)", "print(x)  # noqa: E501").replace(
        "time.time()", "time.time()  # the step's clock"
    )
    model.write_text(source + '    print(x, """a\nb""")\n')
    completed = tflint("--add-noqa", "pkg", cwd=project)
    assert completed.returncode == 0
    assert completed.stderr.splitlines() == [
        "Added 2 noqa directives.",
        "warning: 1 finding(s) left without one: the line ends inside a string or after `\\`, "
        "or is in a notebook",
    ]
    lines = model.read_text().splitlines()
    assert lines[7] == "    print(x)  # noqa: E501, TF101"
    assert lines[8] == "    started = time.time()  # the step's clock  # noqa: TF104"
    assert lines[10:] == ['    print(x, """a', 'b""")']  # a comment here would change the string
    assert tflint("--add-noqa", "pkg", cwd=project).stderr.startswith("Added 0 noqa directives.")
    remaining = tflint("--output-format", "json", "pkg", cwd=project)
    assert [(f["location"]["row"], f["code"]) for f in json.loads(remaining.stdout)] == [
        (11, "TF101")
    ]


def test_show_fixes_lists_what_was_fixed(project: Path) -> None:
    completed = tflint("--fix", "--show-fixes", "pkg", cwd=project)
    assert completed.returncode == 1
    assert completed.stdout.splitlines() == [
        LINE_104,
        "Fixed 1 finding:",
        "- pkg/model.py:",
        "    1 \u00d7 TF101 (print-in-graph)",
        "Found 2 findings (1 fixed, 1 remaining).",
        f"No fixes available {HINT}.",
    ]
    unsafe = tflint("--show-fixes", "--unsafe-fixes", "pkg", cwd=project)  # nothing written
    assert unsafe.stdout.splitlines()[1:4] == [
        "Fixes available for 1 finding:",
        "- pkg/model.py:",
        "    1 \u00d7 TF104 (python-clock-in-graph)",
    ]
    assert unsafe.stdout.splitlines()[0].startswith("pkg/model.py:9:15: TF104 [*] ")


def test_rule_listing_says_what_the_configuration_enables(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.tflint]\nignore = ["TF104"]\n')
    completed = tflint("--explain", "--select", "TF1", cwd=project)
    assert completed.returncode == 0
    lines = completed.stdout.splitlines()
    assert lines[0].split() == ["code", "name", "fix", "enabled"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert sorted(rows) == sorted(RULES)
    assert rows["TF101"] == ["print-in-graph", "safe", "yes"]
    assert rows["TF104"] == ["python-clock-in-graph", "unsafe", "no"]
    assert rows["TF301"] == ["variable-created-in-graph", "-", "no"]


def test_quiet_silent_and_output_file(project: Path) -> None:
    quiet = tflint("-q", "pkg", cwd=project)
    assert (quiet.returncode, quiet.stdout.splitlines()) == (1, [LINE_101, LINE_104])
    silent = tflint("--silent", "pkg", cwd=project)
    assert (silent.returncode, silent.stdout, silent.stderr) == (1, "", "")
    written = tflint("--output-file", "report.txt", "pkg", cwd=project)
    assert (written.returncode, written.stdout) == (1, "")
    assert (project / "report.txt").read_text().splitlines() == [LINE_101, LINE_104, *SUMMARY]
    nothing = tflint("-q", "pkg/clean.py", cwd=project)
    assert (nothing.returncode, nothing.stdout) == (0, "")


def test_full_format_shows_the_source_and_the_advice_apart(project: Path) -> None:
    completed = tflint("--output-format", "full", "--select", "TF101", "pkg", cwd=project)
    claim = MESSAGE_101.removesuffix("; use `tf.print`")
    assert completed.stdout.splitlines() == [
        f"pkg/model.py:8:5: TF101 [*] {claim}",
        "  |",
        "8 |     print(x)",
        "  |     ^^^^^^^^ TF101",
        "  |",
        "  = help: use `tf.print`",
        "",
        "Found 1 finding.",
        "[*] 1 fixable with the `--fix` option.",
    ]


def test_colours_only_on_a_terminal_and_never_with_no_color(project: Path) -> None:
    assert "\x1b[" not in tflint("pkg", cwd=project).stdout  # piped: plain text
    forced = tflint("pkg", cwd=project, env={"FORCE_COLOR": "1"}).stdout
    assert forced.splitlines()[0].startswith("\x1b[1mpkg/model.py:8:5\x1b[0m: \x1b[1m\x1b[31mTF101")
    assert (
        "\x1b[" not in tflint("pkg", cwd=project, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    )
    terminal = _on_a_terminal(project, {})
    assert "\x1b[31mTF101" in terminal and "= \x1b[32mhelp\x1b[0m: use `tf.print`" in terminal
    plain = _on_a_terminal(project, {"NO_COLOR": "1"})
    assert "\x1b[" not in plain and "  = help: use `tf.print`" in plain  # `full` on a terminal


def _on_a_terminal(project: Path, env: dict[str, str]) -> str:
    """What tflint writes when its stdout is a terminal (a pseudo-terminal read back here)."""
    leader, follower = pty.openpty()
    try:
        completed = tflint("pkg", cwd=project, env=env, stdout=follower, stderr=subprocess.PIPE)
        assert completed.returncode == 1
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal has no writer left
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_empty_select_is_an_error(project: Path) -> None:
    completed = tflint("--select", "", "pkg", cwd=project)
    assert (completed.returncode, completed.stdout) == (2, "")
    assert completed.stderr == (
        "error: `--select` needs a rule code or prefix (`ALL` selects every rule)\n"
        "For more information, try 'tflint --help'.\n"
    )


def test_flag_and_config_errors_share_one_style(project: Path) -> None:
    flag = tflint("--selct", "TF1", "pkg", cwd=project)
    assert flag.returncode == 2
    assert flag.stderr.splitlines()[0].startswith("error: No such option '--selct'.")
    (project / "pyproject.toml").write_text('[tool.tflint]\nselec = ["TF1"]\n')
    config = tflint("pkg", cwd=project)
    assert config.returncode == 2
    assert config.stderr.startswith(f"error: {project / 'pyproject.toml'}: unknown key `selec`")


def test_check_subcommand_is_accepted(project: Path) -> None:
    completed = tflint("check", "--select", "TF101", "pkg", cwd=project)
    assert completed.stdout.splitlines() == [
        LINE_101,
        "Found 1 finding.",
        "[*] 1 fixable with the `--fix` option.",
    ]
    (project / "check").mkdir()  # a folder named `check` is a path, as before
    assert tflint("check", cwd=project).stderr == "warning: No Python files found under check\n"


# -- paths that cannot be read, loop or block (issue: never crash, never hang) -------------


def _without_root_powers() -> None:
    """In the child: drop the capabilities that let root ignore permission bits (tests run as
    root; CAP_DAC_OVERRIDE=1, CAP_DAC_READ_SEARCH=2), so the bits apply as to any user."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_unreadable_paths_are_tf002_and_the_rest_is_linted(project: Path) -> None:
    (project / "pkg" / "secret.py").write_text(BAD)
    (project / "locked").mkdir()
    (project / "locked" / "inside.py").write_text(BAD)
    (project / "pkg" / "secret.py").chmod(0)
    (project / "locked").chmod(0)
    limited = {"preexec_fn": _without_root_powers} if os.geteuid() == 0 else {}
    try:
        completed = tflint(
            "--select",
            "TF1,TF002",
            "pkg/secret.py",
            "locked",
            "locked/inside.py",
            "pkg/model.py",
            cwd=project,
            **limited,
        )
        walked = tflint("--select", "TF1,TF002", ".", cwd=project, **limited)
        # First on the line, where the configuration is looked for: still no traceback.
        first = tflint("--select", "TF002", "locked/inside.py", cwd=project, **limited)
    finally:
        (project / "locked").chmod(0o755)
    assert (completed.returncode, completed.stderr) == (1, "")
    assert completed.stdout.splitlines() == [
        "locked:1:1: TF002 cannot read directory: Permission denied",
        "locked/inside.py:1:1: TF002 cannot read: Permission denied",
        LINE_101,
        LINE_104,
        "pkg/secret.py:1:1: TF002 cannot read: Permission denied",
        "Found 5 findings.",
        f"[*] 1 fixable with the `--fix` option {HINT}.",
    ]
    assert (first.returncode, first.stderr) == (1, "")
    assert first.stdout.startswith("locked/inside.py:1:1: TF002 cannot read: Permission denied\n")
    assert walked.stdout.splitlines()[:2] == [
        "locked:1:1: TF002 cannot read directory: Permission denied",
        LINE_101,
    ]


def test_directory_links_are_not_followed(project: Path) -> None:
    (project / "pkg" / "up").symlink_to("..")  # a loop: walked forever when followed
    (project / "pkg" / "again").symlink_to(project / "pkg")
    (project / "alias.py").symlink_to(project / "pkg" / "model.py")  # a file link is a file
    completed = tflint("--output-format", "json", "--select", "TF101", ".", cwd=project)
    assert sorted(f["filename"] for f in json.loads(completed.stdout)) == [
        "alias.py",
        "pkg/model.py",
    ]
    named = tflint("--select", "TF101", "pkg/again", "pkg", cwd=project)  # named: followed once
    assert named.stdout.splitlines()[:2] == [
        f"pkg/again/model.py:8:5: TF101 [*] {MESSAGE_101}",
        "Found 1 finding.",
    ]


def test_fifos_are_tf002_and_never_read(project: Path) -> None:
    os.mkfifo(project / "pkg" / "pipe.py")
    os.mkfifo(project / "named")
    completed = tflint("--select", "TF101,TF002", "named", "pkg", cwd=project)  # timeout: a hang
    assert completed.stdout.splitlines()[:3] == [
        "named:1:1: TF002 not a regular file (a FIFO)",
        LINE_101,
        "pkg/pipe.py:1:1: TF002 not a regular file (a FIFO)",
    ]


STDIN_NAME = ("--stdin-filename", "pkg/clean.py")


def test_full_format_of_stdin_shows_no_excerpt_from_disk(project: Path) -> None:
    """The file on disk is not what was linted: no source line is shown for `-`."""
    completed = subprocess.run(
        [str(TFLINT), "--output-format", "full", "--select", "TF101", "-", *STDIN_NAME],
        cwd=project,
        input=BAD,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.stdout.splitlines()[:2] == [
        f"pkg/clean.py:8:5: TF101 [*] {MESSAGE_101.removesuffix('; use `tf.print`')}",
        "  = help: use `tf.print`",
    ]


def test_an_output_file_that_cannot_be_written_is_one_error_line(project: Path) -> None:
    completed = tflint("--output-file", "missing/report.txt", "pkg", cwd=project)
    assert (completed.returncode, completed.stdout) == (2, "")
    assert completed.stderr == (
        "error: cannot write missing/report.txt: No such file or directory\n"
    )


def test_a_reader_that_leaves_early_is_no_traceback(project: Path) -> None:
    """`tflint | head -1`: the pipe closes under tflint's writes."""
    for index in range(200):
        (project / "pkg" / f"copy_{index}.py").write_text(BAD)
    with subprocess.Popen(
        [str(TFLINT), "--no-cache", "--jobs", "1", "pkg"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()
        error = process.stderr.read()
    assert b"Traceback" not in error


def test_full_format_of_a_crlf_file_prints_clean_lines(project: Path) -> None:
    (project / "pkg" / "model.py").write_bytes(BAD.replace("\n", "\r\n").encode())
    completed = tflint("--output-format", "full", "--select", "TF101", "pkg", cwd=project)
    assert completed.stdout.splitlines()[2:4] == ["8 |     print(x)", "  |     ^^^^^^^^ TF101"]
    assert "\r" not in completed.stdout
