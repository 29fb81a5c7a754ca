"""Big files are parsed one top-level statement at a time (tflint.piecewise): the tree must be
exactly LibCST's tree of the whole file, so every rule sees the same code at the same place.
The installed tensorflow, keras and standard-library files that take this path are compared in
tests/test_corpus.py (slow)."""

from __future__ import annotations

import ast
import os
import textwrap

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings

from tests.rule_examples import ALL_CODES
from tests.test_prescan import corpus_files, snippets_in_tests
from tflint import engine
from tflint.engine import PIECEWISE_MIN_BYTES, SyntaxProblem, lint_source, parse
from tflint.piecewise import parse_in_pieces, statement_starts


def pieces(source: bytes) -> cst.Module | None:
    return parse_in_pieces(source, statement_starts(ast.parse(source)), piece_chars=0)


def assert_same_tree(source: bytes) -> None:
    """For a source both parsers accept (a TF001 example or `(x): int` is skipped)."""
    try:
        ast.parse(source)
        whole = cst.parse_module(source)
    except (cst.ParserSyntaxError, SyntaxError, ValueError):
        return
    joined = pieces(source)
    if joined is None:  # parsed whole: one statement only, or LibCST loses text (a form feed)
        assert len(statement_starts(ast.parse(source))) < 2 or whole.bytes != source
        return
    assert joined.deep_equals(whole)
    assert (joined.code, joined.bytes, joined.encoding) == (whole.code, whole.bytes, whole.encoding)
    assert (joined.default_indent, joined.default_newline, joined.has_trailing_newline) == (
        whole.default_indent,
        whole.default_newline,
        whole.has_trailing_newline,
    )


@pytest.mark.parametrize("path", corpus_files(), ids=lambda path: path.name)
def test_every_example_and_fixture_joins_to_the_whole_tree(path) -> None:
    assert_same_tree(path.read_bytes())


@pytest.mark.parametrize(("where", "code"), snippets_in_tests(), ids=lambda value: value[:40])
def test_every_program_in_the_tests_joins_to_the_whole_tree(where: str, code: str) -> None:
    assert_same_tree(code.encode())


EDGE_CASES = {
    "header comments, then a docstring": '# licence\n\n# more\n"""doc"""\nimport os\n',
    "comments indented after a block (LibCST drops one in a module footer)": (
        "x = [1,\n     2]\n           # first\n           # second\n\ny = 1\n"
    ),
    "comments between functions at several depths": (
        "def f():\n    return 1\n    # in f's block\n# at the top\n\n\ndef g():\n    pass\n"
    ),
    "a trailing comment at the end of the file": "x = 1\n\n  # the end\n",
    "decorators and a class": "@a\n@b(1)\nclass C:\n    @c\n    def m(self): ...\n\nz = 2\n",
    "statements sharing a row": "import a; import b\nx = 1; y = 2\n",
    "tabs for indentation": "def f():\n\tif x:\n\t\treturn 1\n\ndef g():\n\tpass\n",
    "two-space indentation after an unindented start": "x = 1\nif x:\n  y = 2\nz = 3\n",
    "CRLF": "x = 1\r\ndef f():\r\n    return 2\r\n",
    "mixed CRLF and lone CR": "x = 1\r\ny = 2\rz = 3\n",
    "form feed before a statement": "x = 1\n\x0cdef f():\n    pass\n",
    "no newline at the end": "x = 1\ny = 2",
    "backslash continuation": "x = 1 + \\\n    2\ny = 3\n",
    "a string spanning rows": 'x = """a\n\ndef not_code():\n"""\ny = 2\n',
    "one statement only": "def f():\n    return 1\n",
}


@pytest.mark.parametrize("source", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_edge_cases_join_to_the_whole_tree(source: str) -> None:
    assert_same_tree(source.encode())


def test_encodings_join_to_the_whole_tree() -> None:
    assert_same_tree(b"\xef\xbb\xbfx = 1\ndef f():\n  pass\n")  # BOM: encoding utf-8-sig
    assert_same_tree("# -*- coding: latin-1 -*-\nx = 'é'\ny = 2\n".encode("latin-1"))


def big_file(tail: str) -> bytes:
    """Over PIECEWISE_MIN_BYTES of plain functions, then `tail`."""
    filler = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n\n" for i in range(6000))
    source = f"import numpy as np\nimport tensorflow as tf\n\n\n{filler}{tail}".encode()
    assert len(source) >= PIECEWISE_MIN_BYTES
    return source


def test_a_big_file_is_parsed_in_pieces_and_linted_as_a_whole(monkeypatch) -> None:
    tail = textwrap.dedent(
        """\
        @tf.function
        def step(x):
            print("tracing")
            return helper_7(x) + np.sum(x)
        """
    )
    source = big_file(tail)
    row = source.decode().splitlines().index('    print("tracing")') + 1
    calls = []
    monkeypatch.setattr(
        engine, "parse_in_pieces", lambda *args: calls.append(1) or parse_in_pieces(*args)
    )
    found = {(d.location.row, d.code) for d in lint_source(source, "big.py", ALL_CODES)}
    assert calls == [1]
    assert found == {(row, "TF101"), (row + 1, "TF201")}


def test_a_piece_libcst_rejects_is_reported_where_the_whole_file_has_it() -> None:
    source = big_file("(x): int = 1\n")  # valid Python that LibCST 1.x cannot parse
    problem = parse(source)
    assert isinstance(problem, SyntaxProblem)
    assert problem.row == source.count(b"\n") and not problem.python_rejects


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=bool(os.environ.get("CI")),
)
@given(hypothesmith.from_grammar())
def test_generated_programs_join_to_the_whole_tree(code: str) -> None:
    assert_same_tree(code.encode("utf-8", errors="surrogatepass"))


def test_statements_grouped_into_pieces_join_to_the_whole_tree() -> None:
    """The default pieces hold many statements each (PIECE_CHARS), with comments and blank
    lines between them; the joined tree is still the whole parse's."""
    filler = "".join(
        f"# about helper {i}\ndef helper_{i}(x):\n    return x + {i}\n    # its end\n\n"
        for i in range(4000)
    )
    source = f"import tensorflow as tf\n{filler}x = 1  # last\n".encode()
    joined = parse_in_pieces(source, statement_starts(ast.parse(source)))
    assert joined is not None
    assert joined.deep_equals(cst.parse_module(source)) and joined.bytes == source
