"""Notebooks: code cells linted as one module with IPython syntax neutralized, findings per
cell, broken notebooks as TF002, and --fix that rewrites only the changed cells.

Every notebook here is built with nbformat, as Jupyter writes them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tflint import notebooks
from tflint.cli import main
from tflint.fixes import FixError
from tflint.notebooks import parse_notebook, python_rows

MESSAGE_101_CALLED = (
    "`print` in graph code (called from graph code `step`) runs once per trace, not on every "
    "call, and shows symbolic tensors; use `tf.print`"
)


def tflint(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--no-cache", *args], catch_exceptions=False)
    return result.exit_code, result.output


def tflint_split(*args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, ["--no-cache", *args])
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, *cells, **metadata) -> Path:
    notebook = new_notebook(metadata=metadata)
    notebook.cells = list(cells)
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def training_notebook(path: Path) -> Path:
    """A helper with `print` in cell 3, traced from a tf.function in cell 5; magics around."""
    helper = new_code_cell("def helper(x):\n    print('x is', x)\n    return x + 1")
    helper.outputs = [new_output("stream", text="defined\n")]
    helper.execution_count = 2
    return write(
        path,
        new_markdown_cell("# Training\nThe helper prints."),
        new_code_cell("%matplotlib inline\nimport tensorflow as tf\n!pip install -q foo"),
        helper,
        new_code_cell("%%bash\necho this is not Python"),
        new_code_cell("tf.function?\n@tf.function\ndef step(x):\n    return helper(x)"),
    )


def test_function_from_an_earlier_cell_is_graph_code(workdir: Path) -> None:
    training_notebook(workdir / "train.ipynb")
    code, output = tflint("train.ipynb")
    assert code == 1
    assert output.splitlines() == [
        f"train.ipynb:cell 3:2:5: TF101 [*] {MESSAGE_101_CALLED}",
        "Found 1 finding.",
        "[*] 1 fixable with the `--fix` option.",
    ]


def test_json_reports_the_cell(workdir: Path) -> None:
    training_notebook(workdir / "train.ipynb")
    (finding,) = json.loads(tflint("train.ipynb", "--output-format", "json")[1])
    assert (finding["cell"], finding["location"], finding["end_location"]) == (
        3,
        {"row": 2, "column": 5},
        {"row": 2, "column": 21},
    )
    assert finding["fix"]["edits"] == [
        {
            "content": "tf.print",
            "location": {"row": 2, "column": 5},
            "end_location": {"row": 2, "column": 10},
        }
    ]


def test_magic_rows_are_what_ipython_runs_row_for_row() -> None:
    """The expected rows are IPython 9's `TransformerManager().transform_cell` output, with the
    rows a backslash continuation swallowed left blank so that every row keeps its number."""
    source = "%time x = 1\nfor i in range(3):\n    !echo {i}\n    %env A=1\nlen?\n??len\ny = 2\n"
    assert python_rows(source) == [
        "get_ipython().run_line_magic('time', 'x = 1')",
        "for i in range(3):",
        "    get_ipython().system('echo {i}')",
        "    get_ipython().run_line_magic('env', 'A=1')",
        "get_ipython().run_line_magic('pinfo', 'len')",
        "get_ipython().run_line_magic('pinfo2', 'len')",
        "y = 2",
    ]
    assigned = "files = !ls \\\n    -la\nout = %sx echo hi\nraw = !!date\n"
    assert python_rows(assigned) == [
        "files = get_ipython().getoutput('ls      -la')",
        "",
        "out = get_ipython().run_line_magic('sx', 'echo hi')",
        "raw = get_ipython().getoutput('!date')",
    ]
    assert python_rows("\n%%writefile a.py\nprint(1)\n") == ["", "", ""]
    assert python_rows("%pip install a \\\n    b\nz = 1") == [
        "get_ipython().run_line_magic('pip', 'install a      b')",
        "",
        "z = 1",
    ]


def test_python_that_looks_like_a_magic_is_left_alone() -> None:
    source = "y = (a\n     % b)\nmessage = '''\n!important\n'''\n"
    assert python_rows(source) == source.splitlines()


def test_finding_after_magics_and_inside_a_magic_block(workdir: Path) -> None:
    write(
        workdir / "nb.ipynb",
        new_code_cell(
            "import tensorflow as tf\n%load_ext autoreload\n@tf.function\ndef f(x):\n"
            "    for i in tf.range(3):\n        !echo hi\n    print(x)\n    return x"
        ),
    )
    code, output = tflint("nb.ipynb", "--output-format", "json")
    assert code == 1
    assert [(d["code"], d["cell"], d["location"]["row"]) for d in json.loads(output)] == [
        ("TF101", 1, 7)
    ]


def test_noqa_in_a_cell(workdir: Path) -> None:
    write(
        workdir / "nb.ipynb",
        new_code_cell("import tensorflow as tf"),
        new_code_cell("@tf.function\ndef f(x):\n    print(x)  # noqa: TF101\n    return x"),
    )
    assert tflint("nb.ipynb") == (0, "All checks passed!\n")


def test_syntax_error_is_reported_in_its_cell(workdir: Path) -> None:
    write(
        workdir / "nb.ipynb",
        new_code_cell("import tensorflow as tf"),
        new_code_cell("x = 1"),
        new_code_cell("def broken(:\n    pass"),
    )
    code, output = tflint("nb.ipynb", "--output-format", "json")
    assert code == 1
    (finding,) = json.loads(output)
    assert (finding["code"], finding["cell"], finding["location"]["row"]) == ("TF001", 3, 1)


def test_broken_notebooks_are_tf002_and_the_run_goes_on(workdir: Path) -> None:
    training_notebook(workdir / "good.ipynb")
    (workdir / "bad_json.ipynb").write_text('{"cells": [')
    (workdir / "no_cells.ipynb").write_text('{"worksheets": []}')
    (workdir / "bad_cell.ipynb").write_text('{"cells": [{"cell_type": "code", "source": 3}]}')
    code, output = tflint(".")
    assert code == 1
    assert output.splitlines()[:4] == [
        "bad_cell.ipynb:1:1: TF002 invalid notebook: cell 1 has a `source` that is not text",
        "bad_json.ipynb:1:1: TF002 invalid notebook: not valid JSON (Expecting value, line 1)",
        f"good.ipynb:cell 3:2:5: TF101 [*] {MESSAGE_101_CALLED}",
        "no_cells.ipynb:1:1: TF002 invalid notebook: no `cells` list (not an nbformat 4 notebook)",
    ]


def test_other_kernels_are_not_linted(workdir: Path) -> None:
    write(
        workdir / "r.ipynb",
        new_code_cell("library(tensorflow)\nprint(x)"),
        language_info={"name": "R"},
    )
    assert tflint("r.ipynb") == (0, "All checks passed!\n")


def test_fix_rewrites_only_the_changed_cell(workdir: Path) -> None:
    path = training_notebook(workdir / "train.ipynb")
    before = path.read_bytes()
    code, output = tflint("--fix", "train.ipynb")
    assert (code, output) == (0, "Found 1 finding (1 fixed, 0 remaining).\n")
    after = path.read_bytes()
    # Byte for byte the same file but for the one source line: outputs, metadata, key order,
    # indentation and the trailing newline are untouched.
    expected = before.replace(b"\"    print('x is', x)\\n\"", b"\"    tf.print('x is', x)\\n\"")
    assert expected != before
    assert after == expected
    assert nbformat.reads(after.decode(), as_version=4).cells[2].outputs[0]["text"] == "defined\n"
    assert tflint("train.ipynb") == (0, "All checks passed!\n")


def test_fix_keeps_string_sources_indent_and_missing_newline(workdir: Path) -> None:
    document = {
        "cells": [
            {"cell_type": "code", "source": "import tensorflow as tf", "metadata": {}},
            {
                "source": "@tf.function\ndef f(x):\n    print(x)\n    return x",
                "cell_type": "code",
                "outputs": [],
                "metadata": {"tags": ["é"]},
                "execution_count": None,
            },
        ],
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
    }
    text = json.dumps(document, indent=4, ensure_ascii=True)
    path = workdir / "nb.ipynb"
    path.write_text(text)
    assert tflint("--fix", "nb.ipynb")[0] == 0
    expected = text.replace("    print(x)", "    tf.print(x)")
    assert path.read_text() == expected


def test_fix_needing_an_import_in_another_cell_is_not_offered(workdir: Path) -> None:
    """`tf.print` needs `import tensorflow as tf`, which would go into cell 1: the finding is
    reported without a fix rather than with an edit in the wrong cell."""
    path = write(
        workdir / "nb.ipynb",
        new_code_cell("from tensorflow import function"),
        new_code_cell("@function\ndef f(x):\n    print(x)\n    return x"),
    )
    before = path.read_bytes()
    code, output = tflint("--fix", "nb.ipynb")
    assert code == 1
    assert output.startswith("nb.ipynb:cell 2:3:5: TF101 `print` in graph code")
    assert path.read_bytes() == before


def test_parse_notebook_reads_list_and_string_sources() -> None:
    data = json.dumps(
        {
            "cells": [
                {"cell_type": "markdown", "source": ["# t"]},
                {"cell_type": "code", "source": ["a = 1\n", "b = 2"]},
                {"cell_type": "code", "source": "c = 3"},
            ]
        }
    ).encode()
    notebook = parse_notebook(data)
    assert not isinstance(notebook, str)
    assert [(c.number, c.source) for c in notebook.cells] == [(2, "a = 1\nb = 2"), (3, "c = 3")]


# --- cells as IPython runs them (issue 10, cause 7) ---

GRAPH_PRINT_CELL = "@tf.function\ndef step(x):\n    print(x)\n    return x"
MESSAGE_101_DECORATED = (
    "`print` in graph code (decorated with @tf.function) runs once per trace, not on every "
    "call, and shows symbolic tensors; use `tf.print`"
)


def test_shell_command_continued_with_a_backslash_is_not_a_syntax_error(workdir: Path) -> None:
    """`!cmd \\` goes on on the next row, however that row is indented; before, the next row
    was an unexpected indent, and that TF001 hid every finding of the notebook."""
    write(
        workdir / "nb.ipynb",
        new_code_cell("import tensorflow as tf"),
        new_code_cell(
            "!saved_model_cli show --dir {path} --tag_set serve \\\n"
            "                      --signature_def serving_default"
        ),
        new_code_cell("%pip install -q \\\n  tensorflow-hub \\\n  tensorflow-text"),
        new_code_cell(GRAPH_PRINT_CELL),
    )
    assert tflint("nb.ipynb") == (
        1,
        f"nb.ipynb:cell 4:3:5: TF101 [*] {MESSAGE_101_DECORATED}\n"
        "Found 1 finding.\n[*] 1 fixable with the `--fix` option.\n",
    )


def test_indented_cell_is_dedented_and_positions_stay_in_the_cell_text(workdir: Path) -> None:
    """IPython dedents a cell indented as a whole; findings keep the cell's own columns."""
    write(
        workdir / "nb.ipynb",
        new_code_cell("import tensorflow as tf"),
        new_code_cell("\n  @tf.function\n  def step(x):\n      print(x)\n      return x\n"),
    )
    (finding,) = json.loads(tflint("nb.ipynb", "--output-format", "json")[1])
    assert (finding["code"], finding["cell"], finding["location"], finding["end_location"]) == (
        "TF101",
        2,
        {"row": 4, "column": 7},
        {"row": 4, "column": 15},
    )
    assert finding["fix"]["edits"] == [
        {
            "content": "tf.print",
            "location": {"row": 4, "column": 7},
            "end_location": {"row": 4, "column": 12},
        }
    ]


def test_cell_only_older_ipython_dedents_is_read_that_way(workdir: Path) -> None:
    """IPython 7 and 8 (Colab's) cut the first row's indent from the rows that start with it;
    IPython 9 cuts only a margin every row shares. A cell that runs under the older rule is
    not a syntax error."""
    write(
        workdir / "nb.ipynb",
        new_code_cell("import tensorflow as tf"),
        new_code_cell(" @tf.function\n def step(x):\n     print(x)\n     return x\nstep(1)"),
    )
    code, output = tflint("nb.ipynb", "--output-format", "json")
    assert code == 1
    assert [(d["code"], d["cell"], d["location"]) for d in json.loads(output)] == [
        ("TF101", 2, {"row": 3, "column": 6})
    ]


def test_fix_in_an_indented_cell_edits_the_right_columns(workdir: Path) -> None:
    path = write(
        workdir / "nb.ipynb",
        new_code_cell("import tensorflow as tf"),
        new_code_cell("  @tf.function\n  def step(x):\n      print(x)\n      return x"),
    )
    assert tflint("--fix", "nb.ipynb") == (0, "Found 1 finding (1 fixed, 0 remaining).\n")
    source = nbformat.read(path, as_version=4).cells[1].source
    assert source == "  @tf.function\n  def step(x):\n      tf.print(x)\n      return x"


def test_python_cell_magics_keep_their_body_and_others_are_skipped(workdir: Path) -> None:
    write(
        workdir / "nb.ipynb",
        new_code_cell("import tensorflow as tf"),
        new_code_cell("%%time\n@tf.function\ndef timed(x):\n    print(x)\n    return x"),
        new_code_cell("%%capture out\n  @tf.function\n  def quiet(x):\n      print(x)"),
        new_code_cell("%%bash\nfor f in *.py; do\n  echo $f\ndone"),
        new_code_cell("%%writefile train.py\ndef f(x):\n    print(x)\n"),
        new_code_cell("%%R\nx <- c(1, 2)"),
    )
    code, out, err = tflint_split("nb.ipynb", "--verbose")
    assert code == 1
    assert out.splitlines()[:2] == [
        f"nb.ipynb:cell 2:4:5: TF101 [*] {MESSAGE_101_DECORATED}",
        f"nb.ipynb:cell 3:4:7: TF101 [*] {MESSAGE_101_DECORATED}",
    ]
    assert err.splitlines() == [
        "nb.ipynb: cell 4 skipped: `%%bash` cell (not Python)",
        "nb.ipynb: cell 5 skipped: `%%writefile` cell (not Python)",
        "nb.ipynb: cell 6 skipped: `%%R` cell (not Python)",
    ]
    assert tflint_split("nb.ipynb")[2] == ""  # the notes are for --verbose only


def test_a_broken_cell_is_one_tf001_and_hides_nothing_else(workdir: Path) -> None:
    """Before, the first broken cell was the notebook's only finding."""
    write(
        workdir / "nb.ipynb",
        new_code_cell("import tensorflow as tf"),
        new_code_cell("y <- c(1, 2)\nif (y > 1) { print(y) }"),  # R, without %%R
        new_code_cell(GRAPH_PRINT_CELL),
        new_code_cell("  x = 1\n y = 2"),  # indented unevenly: IPython rejects it too
    )
    code, output = tflint("nb.ipynb", "--output-format", "json")
    assert code == 1
    assert [
        (d["code"], d["cell"], d["location"]["row"], d["location"]["column"], d["message"])
        for d in json.loads(output)
    ] == [
        ("TF001", 2, 2, 12, "syntax error: invalid syntax"),
        ("TF101", 3, 3, 5, MESSAGE_101_DECORATED),
        ("TF001", 4, 1, 2, "syntax error: unexpected indent"),
    ]


def test_other_kernels_are_noted_with_verbose(workdir: Path) -> None:
    write(workdir / "r.ipynb", new_code_cell("print(x)"), language_info={"name": "R"})
    assert tflint_split("r.ipynb", "-v") == (
        0,
        "All checks passed!\n",
        "r.ipynb: not linted: a r notebook, not Python\n",
    )


# --- --fix keeps the JSON text (issue 14, items 5 and 6) ---


def _fixable_notebook(path: Path, cell_text: str) -> Path:
    return write(
        path,
        new_code_cell("import tensorflow as tf"),
        new_code_cell(cell_text),
    )


def test_fix_keeps_unchanged_source_items_byte_identical(workdir: Path) -> None:
    """Lines of the fixed cell holding U+2028 or a form feed stay one item each, as written
    (before, the whole cell was re-split with str.splitlines, which splits at both)."""
    cell = "x = 'a\u2028b'  # sep\n\x0c\n@tf.function\ndef f(x):\n    print(x)\n    return x"
    path = _fixable_notebook(workdir / "nb.ipynb", cell)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["cells"][1]["source"] = re.findall(r"[^\n]*\n|[^\n]+", cell)  # as Jupyter splits
    before = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    path.write_text(before, encoding="utf-8")
    assert tflint("--fix", "nb.ipynb")[0] == 0
    after = path.read_text(encoding="utf-8")
    assert after == before.replace('"    print(x)\\n"', '"    tf.print(x)\\n"')
    assert json.loads(after)["cells"][1]["source"][:2] == ["x = 'a\u2028b'  # sep\n", "\x0c\n"]


def _windows_style(text: str) -> bytes:
    """What notebooks saved on Windows often look like: CRLF JSON, a BOM, `\\/` escapes, a
    number spelled `1E100` and a duplicate key, none of which json.dumps reproduces."""
    text = text.replace('"nbformat": 4,', '"nbformat": 4,\n "scale": 1E100,\n "url": "a\\/b",')
    text = text.replace('"metadata": {},', '"metadata": {},\n   "metadata": {"dup": 1},', 1)
    return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")


def test_windows_saved_notebook_is_fixed_keeping_every_other_byte(workdir: Path) -> None:
    path = _fixable_notebook(workdir / "nb.ipynb", GRAPH_PRINT_CELL)
    before = _windows_style(path.read_text(encoding="utf-8"))
    assert b"1E100" in before and b"\\/" in before and before.count(b'"metadata": {') > 3
    path.write_bytes(before)
    assert tflint("--fix", "nb.ipynb") == (0, "Found 1 finding (1 fixed, 0 remaining).\n")
    assert path.read_bytes() == before.replace(b'"    print(x)\\n"', b'"    tf.print(x)\\n"')


def test_refused_fix_reports_the_findings_as_remaining(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fix that cannot be written faithfully leaves the file as it was; its findings still
    count as remaining, with a one-line reason, and it is not called a bug in tflint."""

    def refuse(*_: object) -> str:
        raise FixError("the rewritten notebook did not read back as expected")

    monkeypatch.setattr(notebooks, "rewrite_sources", refuse)
    path = _fixable_notebook(workdir / "nb.ipynb", GRAPH_PRINT_CELL)
    before = path.read_bytes()
    code, out, err = tflint_split("--fix", "nb.ipynb")
    assert (code, out) == (
        2,
        f"nb.ipynb:cell 2:3:5: TF101 [*] {MESSAGE_101_DECORATED}\n"
        "Found 1 finding.\n[*] 1 fixable with the `--fix` option.\n",
    )
    assert err == (
        "error: nb.ipynb: fixes not applied: the rewritten notebook did not read back as expected\n"
    )
    assert path.read_bytes() == before


def test_findings_of_several_notebooks_all_count_after_fix(workdir: Path) -> None:
    """One plain and one Windows-saved notebook: both are fixed, and what cannot be fixed
    (a print whose fix would need an import in another cell) remains."""
    _fixable_notebook(workdir / "a.ipynb", GRAPH_PRINT_CELL)
    windows = _fixable_notebook(workdir / "b.ipynb", GRAPH_PRINT_CELL)
    windows.write_bytes(_windows_style(windows.read_text(encoding="utf-8")))
    write(
        workdir / "c.ipynb",
        new_code_cell("from tensorflow import function"),
        new_code_cell("@function\ndef f(x):\n    print(x)\n    return x"),
    )
    code, output = tflint("--fix", ".")
    assert code == 1
    assert output.splitlines()[-1] == "Found 3 findings (2 fixed, 1 remaining)."
    assert output.startswith("c.ipynb:cell 2:3:5: TF101")


# --- notebooks Python's json cannot hold (issue 14, item 11) ---


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1" * 5000, "invalid notebook: Exceeds the limit (4300 digits) for integer string"),
        ("[" * 100_000 + "]" * 100_000, "invalid notebook: JSON nested too deeply"),
    ],
)
def test_json_python_cannot_hold_is_tf002(workdir: Path, value: str, reason: str) -> None:
    path = _fixable_notebook(workdir / "nb.ipynb", GRAPH_PRINT_CELL)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"nbformat": 4,', f'"nbformat": 4,\n "x": {value},'))
    for args in (("nb.ipynb",), ("--fix", "nb.ipynb")):
        code, out, err = tflint_split(*args)
        assert (code, err) == (1, "")
        assert out.startswith(f"nb.ipynb:1:1: TF002 {reason}")


def test_lone_surrogate_in_a_source_is_tf002(workdir: Path) -> None:
    path = _fixable_notebook(workdir / "nb.ipynb", "x = '\\ud800'")
    path.write_text(path.read_text(encoding="utf-8").replace("\\\\ud800", "\\ud800"))
    assert tflint("nb.ipynb") == (
        1,
        "nb.ipynb:1:1: TF002 invalid notebook: cell 2 has a lone surrogate escape in its "
        "`source`\nFound 1 finding.\n",
    )
