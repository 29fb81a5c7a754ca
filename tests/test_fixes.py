"""`--fix`, `--diff`, `--unsafe-fixes`: exact fixed text, safety, encodings, atomic writes."""

from __future__ import annotations

import stat
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.snippets import PRINT_AND_CLOCK
from tflint.cli import main
from tflint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location
from tflint.fixes import FixError, apply_fixes, fix_source, fix_until_stable
from tflint.rules import RULES

ALL_CODES = frozenset(RULES)


def fixed(source: str, *, unsafe: bool = False) -> str:
    new_source, _ = fix_source(source.encode(), "example.py", ALL_CODES, unsafe)
    return new_source.decode()


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def tflint(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# -- the fixed text, exactly ------------------------------------------------------------------

PRINT_WITH_ALIAS = dedent(
    """
    import tensorflow as tfx


    @tfx.function
    def step(x):
        print("x is", x)  # show it
        return x
    """
)


def test_print_becomes_tf_print_through_the_existing_alias() -> None:
    assert fixed(PRINT_WITH_ALIAS) == PRINT_WITH_ALIAS.replace('print("x', 'tfx.print("x')


def test_import_is_added_once_after_docstring_and_future_imports() -> None:
    source = dedent(
        '''
        #!/usr/bin/env python
        """Module docstring."""

        from __future__ import annotations

        # numpy first
        import numpy as np
        from tensorflow import function


        @function
        def f(x):
            print(x, sep="")
            return np.exp(x) + np.sum(x, axis=1)
        '''
    )
    assert fixed(source) == dedent(
        '''
        #!/usr/bin/env python
        """Module docstring."""

        from __future__ import annotations

        # numpy first
        import tensorflow as tf
        import numpy as np
        from tensorflow import function


        @function
        def f(x):
            tf.print(x, sep="")
            return tf.exp(x) + tf.reduce_sum(x, axis=1)
        '''
    )


def test_import_goes_above_the_decorator_of_a_first_decorated_def() -> None:
    """The import goes before the first statement; a decorated def starts at its decorator
    (before, it went between the decorator and `def`, and the fix was refused as invalid)."""
    source = dedent(
        '''
        """Module docstring."""


        @tf.function
        def scale(x):
            return x


        ds = tf.data.Dataset.range(3).map(lambda i: print(i) or i)
        '''
    )
    assert fixed(source) == dedent(
        '''
        """Module docstring."""


        import tensorflow as tf
        @tf.function
        def scale(x):
            return x


        ds = tf.data.Dataset.range(3).map(lambda i: tf.print(i) or i)
        '''
    )


def test_numpy_dtype_leak_gets_dtype_only_with_unsafe_fixes() -> None:
    source = dedent(
        """
        import numpy as np
        import tensorflow as tf

        a = tf.constant(np.arange(10))
        b = tf.Variable(np.linspace(0.0, 1.0, 5), trainable=False)
        c = (a + tf.range(10), b * tf.ones(5))
        """
    )
    assert fixed(source) == source
    assert fixed(source, unsafe=True) == dedent(
        """
        import numpy as np
        import tensorflow as tf

        a = tf.constant(np.arange(10), dtype=tf.int32)
        b = tf.Variable(np.linspace(0.0, 1.0, 5), trainable=False, dtype=tf.float32)
        c = (a + tf.range(10), b * tf.ones(5))
        """
    )


def test_clock_becomes_tf_timestamp_only_with_unsafe_fixes() -> None:
    source = dedent(
        """
        import time

        import tensorflow as tf


        @tf.function
        def step(x):
            return x + time.time()
        """
    )
    assert fixed(source) == source
    assert fixed(source, unsafe=True) == source.replace("time.time()", "tf.timestamp()")


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            'model.compile(loss="mse", run_eagerly=True)',
            'model.compile(loss="mse")',
        ),
        (
            'model.compile(loss="mse", run_eagerly=True,)',
            'model.compile(loss="mse",)',
        ),
        (
            'model.compile(run_eagerly=True, loss="mse")',
            'model.compile(loss="mse")',
        ),
        (
            'model.compile(\n        loss="mse",\n        run_eagerly=True,\n    )',
            'model.compile(\n        loss="mse",\n    )',
        ),
        (
            'model.compile(\n        loss="mse",\n        run_eagerly=True\n    )',
            'model.compile(\n        loss="mse"\n    )',
        ),
        (
            'model.compile(\n        run_eagerly=True,  # debug\n        loss="mse",\n    )',
            'model.compile(\n        loss="mse",\n    )',
        ),
    ],
)
def test_run_eagerly_keyword_is_removed_keeping_the_layout(call: str, expected: str) -> None:
    template = "import keras\n\n\ndef build(model):\n    {}\n    return model\n"
    source = template.format(call)
    assert fixed(source) == source  # unsafe: never without --unsafe-fixes
    assert fixed(source, unsafe=True) == template.format(expected)


# -- applying edits -----------------------------------------------------------------------------


def diagnostic(row: int, *edits: Edit, safe: bool = True) -> Diagnostic:
    applicability = Applicability.SAFE if safe else Applicability.UNSAFE
    fix = Fix("fix it", applicability, edits)
    return Diagnostic("TF101", "m", "f.py", Location(row, 1), Location(row, 2), fix=fix)


def edit(content: str, start: tuple[int, int], end: tuple[int, int]) -> Edit:
    return Edit(content, Location(*start), Location(*end))


def test_identical_edits_are_made_once_and_overlapping_fixes_wait() -> None:
    text = "a = 1\nb = 2\n"
    add_import = edit("import tf\n", (1, 1), (1, 1))
    first = diagnostic(1, add_import, edit("x", (1, 1), (1, 2)))
    second = diagnostic(2, add_import, edit("y", (2, 1), (2, 2)))
    overlapping = diagnostic(2, edit("zz", (2, 1), (2, 6)))
    assert apply_fixes(text, [second, overlapping, first], False) == (
        "import tf\nx = 1\ny = 2\n",
        2,
    )


def test_unsafe_fixes_are_skipped_unless_included() -> None:
    unsafe = diagnostic(1, edit("x", (1, 1), (1, 2)), safe=False)
    assert apply_fixes("a = 1\n", [unsafe], False) == ("a = 1\n", 0)
    assert apply_fixes("a = 1\n", [unsafe], True) == ("x = 1\n", 1)


def test_columns_count_characters_and_crlf_is_one_line_break() -> None:
    text = 's = "éé"; print(x)\r\nprint(y)\r\n'
    fixes = [
        diagnostic(1, edit("tf.print", (1, 11), (1, 16))),
        diagnostic(2, edit("f", (2, 1), (2, 6))),
    ]
    assert apply_fixes(text, fixes, False) == ('s = "éé"; tf.print(x)\r\nf(y)\r\n', 2)


def test_a_fix_that_breaks_the_code_is_refused() -> None:
    def lint(text: str) -> list[Diagnostic]:
        return [diagnostic(1, edit("(", (1, 1), (1, 2)))]

    with pytest.raises(FixError, match="a fix produced invalid code"):
        fix_until_stable("a = 1\n", lint, False)


def test_fixes_that_never_settle_are_refused() -> None:
    def lint(text: str) -> list[Diagnostic]:
        return [diagnostic(1, edit("a", (1, 1), (1, 1)))]  # always one more `a`

    with pytest.raises(FixError, match="did not converge after 10 rounds"):
        fix_until_stable("a = 1\n", lint, False)


# -- files on disk ------------------------------------------------------------------------------

BAD = dedent(
    """
    import tensorflow as tf


    @tf.function
    def step(x):
        print(x)
        return x
    """
)
BAD_FIXED = BAD.replace("print(x)", "tf.print(x)")
UNSAFE_ONLY = dedent(
    """
    import time

    import tensorflow as tf


    @tf.function
    def step(x):
        return x + time.time()
    """
)


def test_fix_writes_reports_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "bad.py"
    path.write_text(BAD)
    assert tflint("--fix", "--no-cache", path) == (
        0,
        "Found 1 finding (1 fixed, 0 remaining).\n",
        "",
    )
    assert path.read_text() == BAD_FIXED
    assert tflint("--fix", "--no-cache", path) == (0, "All checks passed!\n", "")
    assert path.read_text() == BAD_FIXED


def test_fix_exits_1_while_findings_remain_and_lists_them(tmp_path: Path) -> None:
    path = tmp_path / "mixed.py"
    path.write_text(UNSAFE_ONLY.replace("return x +", "print(x)\n    return x +"))
    code, out, _ = tflint("--fix", "--no-cache", path)
    assert code == 1
    assert out.splitlines() == [
        f"{path}:9:16: TF104 `time.time()` in graph code (decorated with @tf.function) is read "
        "once at trace time and is a constant on every call; use `tf.timestamp()`",
        "Found 2 findings (1 fixed, 1 remaining).",
        "No fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option).",
    ]
    assert tflint("--fix", "--unsafe-fixes", "--no-cache", path)[0] == 0
    assert "tf.timestamp()" in path.read_text()


def test_diff_prints_the_change_writes_nothing_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.py"
    path.write_text(BAD)
    code, out, err = tflint("--diff", "--no-cache", path)
    assert (code, err) == (1, "Would fix 1 finding.\n")
    assert out == (
        f"--- {path}\n+++ {path}\n@@ -3,5 +3,5 @@\n \n @tf.function\n def step(x):\n"
        "-    print(x)\n+    tf.print(x)\n     return x\n"
    )
    assert path.read_text() == BAD
    unsafe = tmp_path / "unsafe.py"
    unsafe.write_text(UNSAFE_ONLY)
    assert tflint("--diff", "--no-cache", unsafe) == (0, "", "No fixes to apply.\n")
    assert tflint("--diff", "--unsafe-fixes", "--no-cache", unsafe)[0] == 1
    assert unsafe.read_text() == UNSAFE_ONLY


def test_crlf_newlines_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "crlf.py"
    path.write_bytes(BAD.replace("\n", "\r\n").encode())
    assert tflint("--fix", "--no-cache", path)[0] == 0
    assert path.read_bytes() == BAD_FIXED.replace("\n", "\r\n").encode()


def test_latin1_file_with_a_coding_cookie_stays_latin1(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\n# café\n" + BAD
    path = tmp_path / "latin.py"
    path.write_bytes(source.encode("latin-1"))
    assert tflint("--fix", "--no-cache", path)[0] == 0
    assert path.read_bytes() == ("# -*- coding: latin-1 -*-\n# café\n" + BAD_FIXED).encode(
        "latin-1"
    )


def test_utf8_bom_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "bom.py"
    path.write_bytes(b"\xef\xbb\xbf" + BAD.encode())
    assert tflint("--fix", "--no-cache", path)[0] == 0
    assert path.read_bytes() == b"\xef\xbb\xbf" + BAD_FIXED.encode()


def test_write_is_atomic_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "bad.py"
    path.write_text(BAD)
    path.chmod(0o640)
    inode = path.stat().st_ino
    assert tflint("--fix", "--no-cache", path)[0] == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.stat().st_ino != inode  # replaced by a rename, not rewritten in place
    assert [p.name for p in tmp_path.iterdir()] == ["bad.py"]  # no temporary file left behind


def test_a_symlink_keeps_pointing_at_the_fixed_file(tmp_path: Path) -> None:
    target = tmp_path / "real.py"
    target.write_text(BAD)
    link = tmp_path / "link.py"
    link.symlink_to(target)
    assert tflint("--fix", "--no-cache", link)[0] == 0
    assert link.is_symlink()
    assert target.read_text() == BAD_FIXED


def test_read_only_file_is_left_alone_with_one_error_line(tmp_path: Path) -> None:
    path = tmp_path / "locked.py"
    path.write_text(BAD)
    path.chmod(0o444)
    code, out, err = tflint("--fix", "--no-cache", path)
    assert code == 2
    assert err == f"error: {path}: cannot write fixes: file is read-only\n"
    assert out.splitlines() == [
        f"{path}:6:5: TF101 [*] `print` in graph code (decorated with @tf.function) runs once "
        "per trace, not on every call, and shows symbolic tensors; use `tf.print`",
        "Found 1 finding.",
        "[*] 1 fixable with the `--fix` option.",
    ]
    assert path.read_text() == BAD


def stdin(*args: str, source: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--no-cache", *args], input=source.encode())
    return result.exit_code, result.stdout_bytes.decode(), result.stderr  # bytes: keep CRLF


def test_stdin_fixed_goes_to_stdout_and_the_findings_left_to_stderr() -> None:
    """ruff's protocol for editors: `--fix -` prints the whole fixed source."""
    code, out, err = stdin("--fix", "-", "--stdin-filename", "m.py", source=PRINT_AND_CLOCK)
    assert code == 1
    assert out == PRINT_AND_CLOCK.replace("print(x)", "tf.print(x)")
    assert err.splitlines()[-2] == "Found 2 findings (1 fixed, 1 remaining)."
    assert err.splitlines()[0].startswith("m.py:") and " TF104 " in err.splitlines()[0]


def test_stdin_with_nothing_to_fix_is_printed_as_it_came() -> None:
    assert stdin("--fix", "-", source="x = 1\r\n") == (0, "x = 1\r\n", "All checks passed!\n")


def test_stdin_diff_shows_the_fix_and_writes_nothing(tmp_path: Path) -> None:
    code, out, err = stdin("--diff", "-", "--stdin-filename", "m.py", source=BAD)
    assert code == 1
    assert "-    print(x)\n+    tf.print(x)\n" in out and out.startswith("--- m.py\n+++ m.py\n")
    assert err == "Would fix 1 finding.\n"
