"""Bad input never crashes a run: each problem is one TF001/TF002 line for that path, and the
other files are still linted."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tflint.cli import main

GRAPH_PRINT = "import tensorflow as tf\n\n@tf.function\ndef f(x):\n    print(x)\n    return x\n"


def lint(directory: Path) -> tuple[int, list[tuple[str, int, int, str, str]]]:
    old = Path.cwd()
    os.chdir(directory)
    try:
        result = CliRunner().invoke(main, ["--no-cache", "--output-format", "json", "."])
    finally:
        os.chdir(old)
    findings = [
        (
            Path(f["filename"]).name,
            f["location"]["row"],
            f["location"]["column"],
            f["code"],
            f["message"],
        )
        for f in json.loads(result.output)
    ]
    return result.exit_code, findings


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "good.py").write_text(GRAPH_PRINT)
    return tmp_path


def only(findings, name):
    return [f[1:] for f in findings if f[0] == name]


def test_syntax_error_is_tf001_at_the_parsers_position(tree: Path) -> None:
    (tree / "broken.py").write_text("import tensorflow as tf\n\ndef f(:\n    pass\n")
    code, findings = lint(tree)
    assert code == 1
    assert only(findings, "broken.py") == [(3, 7, "TF001", "syntax error: invalid syntax")]
    assert [f[3] for f in findings if f[0] == "good.py"] == ["TF101"]


def test_binary_file(tree: Path) -> None:
    (tree / "blob.py").write_bytes(b"\x00\x01\x02tensorflow\x00")
    _, findings = lint(tree)
    assert only(findings, "blob.py") == [(1, 1, "TF002", "binary file (contains NUL bytes)")]
    assert [f[3] for f in findings if f[0] == "good.py"] == ["TF101"]


def test_empty_file_is_clean(tree: Path) -> None:
    (tree / "empty.py").write_bytes(b"")
    _, findings = lint(tree)
    assert only(findings, "empty.py") == []


def test_latin1_with_a_coding_cookie_is_linted(tree: Path) -> None:
    source = "# -*- coding: latin-1 -*-\n" + GRAPH_PRINT.replace("print(x)", "print('café', x)")
    (tree / "latin.py").write_bytes(source.encode("latin-1"))
    _, findings = lint(tree)
    assert [(row, col, code) for row, col, code, _ in only(findings, "latin.py")] == [
        (6, 5, "TF101")
    ]


def test_undecodable_file_is_tf002(tree: Path) -> None:
    (tree / "bad.py").write_bytes(b"import tensorflow as tf\nname = 'caf\xe9'\n")
    _, findings = lint(tree)
    assert only(findings, "bad.py") == [
        (
            1,
            1,
            "TF002",
            "cannot decode as utf-8: byte 0xe9 at offset 35 (add a `# -*- coding: ... -*-` "
            "line or save the file as UTF-8)",
        )
    ]


def test_unknown_encoding_cookie_is_tf002(tree: Path) -> None:
    (tree / "odd.py").write_bytes(b"# -*- coding: klingon -*-\nimport tensorflow\n")
    _, findings = lint(tree)
    assert only(findings, "odd.py") == [(1, 1, "TF002", "cannot decode: unknown encoding: klingon")]


def test_crlf_file_reports_the_same_positions(tree: Path) -> None:
    (tree / "crlf.py").write_bytes(GRAPH_PRINT.replace("\n", "\r\n").encode())
    _, findings = lint(tree)
    assert [(row, col, code) for row, col, code, _ in only(findings, "crlf.py")] == [
        (5, 5, "TF101")
    ]


def test_file_over_10_mb_is_skipped_with_tf002(tree: Path) -> None:
    (tree / "huge.py").write_bytes(b"import tensorflow as tf\n" + b"x = 1\n" * 1_800_000)
    _, findings = lint(tree)
    assert only(findings, "huge.py") == [(1, 1, "TF002", "file is 10.8 MB, over the 10 MB limit")]
    assert [f[3] for f in findings if f[0] == "good.py"] == ["TF101"]


def test_broken_symlink(tree: Path) -> None:
    (tree / "gone.py").symlink_to(tree / "missing.py")
    _, findings = lint(tree)
    assert only(findings, "gone.py") == [(1, 1, "TF002", "broken symbolic link")]


def test_missing_path_named_on_the_command_line(tree: Path) -> None:
    old = Path.cwd()
    os.chdir(tree)
    try:
        result = CliRunner().invoke(main, ["--no-cache", "nothere.py", "good.py"])
    finally:
        os.chdir(old)
    assert result.exit_code == 1
    assert "nothere.py:1:1: TF002 no such file or directory" in result.output
    assert "good.py:5:5: TF101" in result.output


def test_unreadable_directory(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Permission bits do not stop root (CI runs as root), so the refusal is simulated at the
    # one call that reads directories.
    locked = tree / "locked"
    locked.mkdir()
    (locked / "inside.py").write_text(GRAPH_PRINT)
    real_scandir = os.scandir

    def scandir(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    _, findings = lint(tree)
    assert only(findings, "locked") == [(1, 1, "TF002", "cannot read directory: Permission denied")]
    assert [f[3] for f in findings if f[0] == "good.py"] == ["TF101"]


def test_unreadable_file(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tree / "secret.py").write_text(GRAPH_PRINT)
    real_open = Path.open

    def open_(self, *args, **kwargs):
        if self.name == "secret.py":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)
    _, findings = lint(tree)
    assert only(findings, "secret.py") == [(1, 1, "TF002", "cannot read: Permission denied")]


@pytest.mark.parametrize(
    ("codec", "reason"),
    [
        ("rot13", "cannot decode: `rot13` is not a text encoding"),
        ("base64", "cannot decode: `base64` is not a text encoding"),
        ("hex", "cannot decode: `hex` is not a text encoding"),
        ("zlib", "cannot decode: `zlib` is not a text encoding"),
        ("bz2", "cannot decode: `bz2` is not a text encoding"),
        ("uu", "cannot decode: `uu` is not a text encoding"),
        (
            "punycode",
            "cannot decode as punycode: decoding with 'punycode' codec failed "
            "(UnicodeError: Invalid extended code point '#')",
        ),
        (
            "undefined",
            "cannot decode as undefined: decoding with 'undefined' codec failed "
            "(UnicodeError: undefined encoding)",
        ),
    ],
)
def test_issue14_7_a_codec_cookie_that_is_not_a_text_encoding_is_tf002(
    tree: Path, codec: str, reason: str
) -> None:
    """Python refuses these cookies too (`SyntaxError: 'rot13' is not a text encoding`); the
    file is TF002 and the rest of the run goes on."""
    (tree / "cookie.py").write_text(f"# coding: {codec}\nx = 1\n")
    code, findings = lint(tree)
    assert code == 1
    assert only(findings, "cookie.py") == [(1, 1, "TF002", reason)]
    assert [f[2] for f in only(findings, "good.py")] == ["TF101"]


def big_module(statements: int = 40_000) -> str:
    """Over a megabyte of top-level statements of several shapes (decorated functions, classes,
    multi-line strings with lines at column 0, brackets over lines)."""
    parts = []
    for index in range(statements // 8):
        parts.append(
            f"value_{index} = {index} + {index * 3}\n"
            f"@decorate\ndef function_{index}(x):\n    return x\n"
            f'TEXT_{index} = """\nline at column 0\n"""\n'
            f"items_{index} = [\n1,\n2]\n"
            f"class Class_{index}:\n    pass\n"
        )
    return "".join(parts)


def test_issue14_15_a_big_file_is_checked_by_python_in_bounded_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The statement starts from the chunked parse are exactly those of the whole parse, and
    no single parse holds the whole file (memory stays bounded)."""
    from tflint import engine
    from tflint.piecewise import statement_starts

    source = big_module().encode()
    expected = statement_starts(ast.parse(source))
    sizes: list[int] = []
    real_parse = ast.parse

    def parse(text: str | bytes, *args: object, **kwargs: object) -> ast.Module:
        sizes.append(len(text))
        return real_parse(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.ast, "parse", parse)
    assert engine.python_statements(source) == expected
    assert len(sizes) >= 3 and max(sizes) < 2 * engine.PYTHON_CHUNK_CHARS


def test_issue14_15_a_syntax_error_in_a_big_file_is_found_where_python_finds_it() -> None:
    from tflint import engine

    lines = big_module().splitlines(keepends=True)
    middle = len(lines) // 2
    broken = "".join([*lines[:middle], "def broken(:\n", *lines[middle:]]).encode()
    problem = engine.python_statements(broken)
    assert isinstance(problem, engine.SyntaxProblem)
    assert (problem.row, problem.message) == (middle + 1, "invalid syntax")
    assert engine.lint_source(broken, "big.py", frozenset({"TF001"}))[0].location.row == middle + 1
