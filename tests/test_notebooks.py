"""Notebooks: code cells linted as one module with IPython syntax neutralized, findings per
cell, broken notebooks as TF002, and --fix that rewrites only the changed cells.

Every notebook here is built with nbformat, as Jupyter writes them."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tflint.cli import main
from tflint.notebooks import parse_notebook, python_rows

MESSAGE_101_CALLED = (
    "`print` in graph code (called from graph code `step`) runs once per trace, not on every "
    "call, and shows symbolic tensors; use `tf.print`"
)


def tflint(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--no-cache", *args], catch_exceptions=False)
    return result.exit_code, result.output


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


def test_magic_rows_keep_their_numbers() -> None:
    source = "%time x = 1\nfor i in range(3):\n    !echo {i}\n    %env A=1\nlen?\n??len\ny = 2\n"
    assert python_rows(source) == [
        "pass",
        "for i in range(3):",
        "    pass",
        "    pass",
        "pass",
        "pass",
        "y = 2",
    ]
    assert python_rows("\n%%writefile a.py\nprint(1)\n") == ["", "", ""]
    assert python_rows("%pip install a \\\n    b\nz = 1") == ["pass", "    pass", "z = 1"]


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
