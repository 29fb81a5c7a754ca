"""One file in, diagnostics out: pure, picklable, safe to run in a worker process.

read bytes → cheap gate → LibCST parse → import aliases → graph-code map → one walk with
every enabled check → positions (only when something was found) → diagnostics.
"""

from __future__ import annotations

import ast
import contextlib
import re
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import PurePath
from traceback import format_exc
from typing import TypeVar

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from tflint import prune
from tflint.checks import ALL_CHECKS
from tflint.checks.base import FileContext, FixPlan, Report
from tflint.diagnostics import Diagnostic, Edit, FileResult, Fix, Location
from tflint.files import Unreadable, check_decodable, source_encoding, unreadable_diagnostic
from tflint.graph import GraphContext
from tflint.names import ImportMap
from tflint.piecewise import parse_in_pieces, statement_starts
from tflint.prescan import may_have_findings, taken_tree
from tflint.project import hooks
from tflint.suppress import apply_suppressions
from tflint.traverse import walk
from tflint.walker import Walker

T = TypeVar("T")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_TEST_FILE = re.compile(r"(^|/)(test_[^/]*|[^/]*_test|conftest)\.py$|(^|/)tests?/")


def is_test_file(filename: str) -> bool:
    return _TEST_FILE.search(PurePath(filename).as_posix()) is not None


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    row: int
    column: int
    python_rejects: bool = True  # False: valid Python only LibCST cannot parse (no TF001)


# From this size on a file is parsed one top-level statement at a time (tflint.piecewise): the
# same tree, with LibCST's transient memory bounded by the largest statement, not the file.
PIECEWISE_MIN_BYTES = 128 * 1024


def parse(source: bytes, *, prune_statements: bool = False) -> cst.Module | SyntaxProblem:
    """LibCST's tree, or where the source stops being Python. Python's own parser goes first:
    it words the problem (users know its messages), and LibCST's native parser must never see
    what Python rejects for nesting (it overflows its stack and kills the process). LibCST's
    message is the fallback where only LibCST fails. `prune_statements`: LibCST gets only the
    top-level statements a rule can need (tflint.prune), the others as empty rows."""
    starts: list[int] | None = None
    if len(source) >= PIECEWISE_MIN_BYTES:
        checked = python_statements(source)
        if isinstance(checked, SyntaxProblem):
            return checked
        starts = checked
    else:
        tree = python_tree(source)
        if isinstance(tree, SyntaxProblem):
            return tree
        if prune_statements and source_encoding(source) in _PRUNABLE_ENCODINGS:
            source = prune.pruned_source(source, tree) or source
        del tree  # Python's tree is not kept while LibCST parses
    with unvalidated():
        return _libcst_parse(source, starts)


def _libcst_parse(source: bytes, starts: list[int] | None) -> cst.Module | SyntaxProblem:
    if starts is not None:
        with contextlib.suppress(cst.ParserSyntaxError):  # the whole parse words the error
            module = parse_in_pieces(source, starts)
            if module is not None:
                return module
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        message = error.message.splitlines()[0]
        return SyntaxProblem(message, error.raw_line, error.raw_column + 1, python_rejects=False)
    except (SyntaxError, ValueError) as error:
        return SyntaxProblem(str(error).splitlines()[0], 1, 1, python_rejects=False)


_PRUNABLE_ENCODINGS = frozenset({"utf-8", "utf-8-sig"})


@contextlib.contextmanager
def unvalidated() -> Iterator[None]:
    """LibCST without its node validation, while its own parser builds a tree.

    Every node's `__post_init__` runs `_validate`, which only checks (it raises or not, it
    never changes the node) what a hand-built node may get wrong: parentheses that do not
    pair, missing whitespace between keywords. A tree straight from LibCST's parser, of source
    Python's parser accepted, has none of that, and the checks are about a third of the parse
    time. Nodes built after the parse (a fix's replacement) are validated as always; the
    switch is process state, and a worker parses one file at a time (the deep-stack thread
    runs while its caller waits)."""
    validating = cst.CSTNode.__dict__["__post_init__"]
    cst.CSTNode.__post_init__ = _skip_validation  # type: ignore[method-assign]
    try:
        yield
    finally:
        cst.CSTNode.__post_init__ = validating  # type: ignore[method-assign]


def _skip_validation(self: cst.CSTNode) -> None:
    """CSTNode.__post_init__ without `_validate` (see unvalidated)."""


def python_tree(source: bytes) -> ast.Module | SyntaxProblem:
    scanned = taken_tree(source)  # the pre-scan parsed these bytes already
    if scanned is not None:
        return hooks.parsed(scanned)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings about the user's code
            return hooks.parsed(ast.parse(source))
    except SyntaxError as error:  # an encoding problem says offset -1: columns start at 1
        return SyntaxProblem(error.msg, max(error.lineno or 1, 1), max(error.offset or 1, 1))
    except ValueError as error:  # e.g. NUL bytes
        return SyntaxProblem(str(error), 1, 1)
    except (RecursionError, MemoryError):  # how CPython's parser refuses deep nesting
        return SyntaxProblem("too deeply nested for Python's parser", 1, 1)


# Python's parser checks a big file in chunks of about this many characters, cut where a line
# at column 0 starts a statement: parsed whole, a 10 MB file of assignments holds 1.3 GB of
# `ast` nodes at once.
PYTHON_CHUNK_CHARS = 256 * 1024
_STATEMENT_LINE = re.compile(r"^(?=[A-Za-z_@])(?!(?:else|elif|except|finally|case)\b)", re.M)


def python_statements(source: bytes) -> list[int] | SyntaxProblem:
    """Python's verdict on a big file, and the first row of each top-level statement (as
    piecewise.statement_starts), from its parser run chunk by chunk. Chunks that all parse
    make a file that parses: a cut inside a bracket, a string, a block or between a
    decorator and its function leaves a chunk that does not, and then the file is parsed
    whole (which words a real error). `from __future__` is only valid at a file's start, so
    a file with one is parsed whole too."""
    text = source.decode(source_encoding(source))
    if len(text) < 2 * PYTHON_CHUNK_CHARS or "__future__" in text:
        return _whole_statements(source)
    starts: list[int] = []
    rows = 0
    begin = 0
    for end in [*chunk_cuts(text), len(text)]:
        chunk = text[begin:end]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarnings about the user's code
                tree = ast.parse(chunk)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return _whole_statements(source)
        starts.extend(rows + row for row in statement_starts(tree))
        del tree
        rows += len(_LINE_BREAK.findall(chunk))
        begin = end
    return starts


def chunk_cuts(text: str) -> list[int]:
    cuts: list[int] = []
    position = PYTHON_CHUNK_CHARS
    while position < len(text):
        match = _STATEMENT_LINE.search(text, position)
        if match is None:
            break
        cut = match.start()
        previous_line = text[text.rfind("\n", 0, cut - 1) + 1 : cut]
        if previous_line.startswith("@"):  # keep a decorator with its function
            position = cut + 1
            continue
        cuts.append(cut)
        position = cut + PYTHON_CHUNK_CHARS
    return cuts


def _whole_statements(source: bytes) -> list[int] | SyntaxProblem:
    tree = python_tree(source)
    return tree if isinstance(tree, SyntaxProblem) else statement_starts(tree)


@cache
def _checks_for(enabled: frozenset[str]) -> tuple:
    return tuple(check() for check in ALL_CHECKS if check.codes & enabled)


def analyze(module: cst.Module, filename: str, enabled: frozenset[str]) -> list[Diagnostic]:
    """Run the enabled checks over a parsed module."""
    checks = _checks_for(enabled)
    if not checks:
        return []
    imports = ImportMap.from_module(module)
    roots = hooks.external_roots()
    graph = GraphContext(module, imports, roots)
    if hooks.capturing():  # the module's own graph code, without other modules' roots
        hooks.built(GraphContext(module, imports) if roots else graph)
    ctx = FileContext(filename, graph, enabled, is_test_file(filename))
    walk(module, Walker(ctx, checks))
    if not ctx.reports:
        return []
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    return [_to_diagnostic(report, module, positions, filename) for report in ctx.reports]


def _to_diagnostic(
    report: Report, module: cst.Module, positions: Mapping[cst.CSTNode, CodeRange], filename: str
) -> Diagnostic:
    start, end = _span(positions[report.node])
    return Diagnostic(
        code=report.code,
        message=report.message,
        filename=filename,
        location=start,
        end_location=end,
        symbol=report.symbol,
        fix=None if report.fix is None else _to_fix(report.fix, module, positions),
    )


def _span(code_range: CodeRange) -> tuple[Location, Location]:
    return (
        Location(code_range.start.line, code_range.start.column + 1),
        Location(code_range.end.line, code_range.end.column + 1),
    )


def _to_fix(plan: FixPlan, module: cst.Module, positions: Mapping[cst.CSTNode, CodeRange]) -> Fix:
    edits = []
    for old, new in plan.replacements:
        start, end = _span(positions[old])
        edits.append(Edit(_replacement_code(module, old, new, start, end), start, end))
    if plan.tensorflow_import is not None:
        row = _import_row(module, positions)
        name = plan.tensorflow_import
        statement = "import tensorflow" + ("" if name == "tensorflow" else f" as {name}")
        edits.append(Edit(f"{statement}{module.default_newline}", row, row))
    return Fix(plan.message, plan.applicability, tuple(sorted(edits, key=lambda e: e.location)))


def _replacement_code(
    module: cst.Module, old: cst.CSTNode, new: cst.CSTNode, start: Location, end: Location
) -> str:
    """The text that replaces `old`. A node rendered on its own loses the indentation of the
    block around it (LibCST adds that while rendering the whole module), so a replacement that
    spans lines is cut out of the whole module rendered with it."""
    code = module.code_for_node(new)
    if "\n" not in code and "\r" not in code:
        return code
    before = module.code
    replaced = module.deep_replace(old, new)
    assert isinstance(replaced, cst.Module)
    after = replaced.code
    starts = line_starts(before)
    first = starts[start.row - 1] + start.column - 1
    last = starts[end.row - 1] + end.column - 1
    return after[first : len(after) - (len(before) - last)]


def line_starts(text: str) -> list[int]:
    """Offset of each row's first character (rows as LibCST counts them), and one more for the
    position after the end."""
    return [0, *(match.end() for match in _LINE_BREAK.finditer(text)), len(text)]


def _import_row(module: cst.Module, positions: Mapping[cst.CSTNode, CodeRange]) -> Location:
    """Where `import tensorflow as tf` goes: before the first statement that is neither the
    docstring nor a `__future__` import (so after the file's header comments)."""
    row = len(module.code.splitlines()) + 1
    for index, statement in enumerate(module.body):
        small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
        is_docstring = (
            index == 0 and isinstance(small, cst.Expr) and isinstance(small.value, cst.BaseString)
        )
        is_future = (
            isinstance(small, cst.ImportFrom)
            and isinstance(small.module, cst.Name)
            and small.module.value == "__future__"
        )
        if not (is_docstring or is_future):
            # A decorated def or class starts at its first decorator, not at `def`/`class`.
            decorators = getattr(statement, "decorators", ())
            row = positions[decorators[0] if decorators else statement].start.line
            break
    return Location(row, 1)


def lint_source(
    source: bytes, filename: str, enabled: frozenset[str], *, gate: bool = True
) -> list[Diagnostic]:
    """Lint one Python source; problems with the input itself are TF001/TF002 diagnostics."""
    checked = check_decodable(filename, source)
    if isinstance(checked, Unreadable):
        return [unreadable_diagnostic(checked)] if "TF002" in enabled else []
    # A file other modules make graph code in is analysed whatever the pre-scan says.
    if gate and not hooks.external_roots() and not may_have_findings(source):
        if "TF001" not in enabled or _compiles(source):
            return []
        problem = parse(source)
        return _syntax_only(problem, filename) if isinstance(problem, SyntaxProblem) else []
    # A file other modules make graph code in is parsed whole: any function can be a root.
    module = parse(source, prune_statements=prune.ENABLED and not hooks.external_roots())
    if isinstance(module, SyntaxProblem):
        return (
            _syntax_only(module, filename)
            if "TF001" in enabled or not module.python_rejects
            else []
        )
    try:
        diagnostics = analyze(module, filename, enabled)
    except RecursionError:  # analysed again on a deep stack, without parsing again
        diagnostics = with_deep_stack(lambda: analyze(module, filename, enabled))
    return apply_suppressions(diagnostics, source)


def _compiles(source: bytes) -> bool:
    """A cheap syntax check (stdlib, C) for files the gate lets skip LibCST; a big file is
    checked in chunks, so its memory stays bounded and its time linear."""
    if len(source) >= PIECEWISE_MIN_BYTES:
        return not isinstance(python_statements(source), SyntaxProblem)
    return not isinstance(python_tree(source), SyntaxProblem)


class NotAnalysable(Exception):
    """Valid Python that tflint cannot analyse (LibCST rejects it): not a finding and not a
    bug, but the run must say so instead of passing the file as clean."""


def _syntax_only(problem: SyntaxProblem, filename: str) -> list[Diagnostic]:
    """TF001 where Python itself rejects the file; valid Python that only LibCST cannot parse
    (e.g. `(x): int`) is not a syntax error: NotAnalysable."""
    if not problem.python_rejects:
        raise NotAnalysable(
            f"LibCST cannot parse this valid Python (it stops at line {problem.row}, "
            f"column {problem.column})"
        )
    return [_syntax_diagnostic(problem, filename)]


def _syntax_diagnostic(problem: SyntaxProblem, filename: str) -> Diagnostic:
    location = Location(problem.row, problem.column)
    return Diagnostic("TF001", f"syntax error: {problem.message}", filename, location, location)


Linter = Callable[[bytes, str, frozenset[str]], list[Diagnostic]]


def lint_bytes(
    source: bytes, filename: str, enabled: frozenset[str], lint: Linter = lint_source
) -> FileResult:
    """Lint one file's bytes (with `lint`: notebooks.lint_notebook for .ipynb); never raises —
    an unexpected failure is the result's internal_error."""
    return guarded(filename, lambda: FileResult(filename, tuple(lint(source, filename, enabled))))


DEEP_RECURSION_LIMIT = 50_000
DEEP_STACK_BYTES = 512 * 1024 * 1024


def with_deep_stack(work: Callable[[], T]) -> T:
    """Run `work` again in a thread with a 512 MB stack and a raised recursion limit: valid
    code nested deeper than Python's default limit (the stdlib's pydoc topics, long implicit
    string concatenations) is analyzed instead of failing. The larger stack keeps the higher
    limit from overflowing the C stack."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # re-raised in the calling thread
            failure.append(error)

    previous_limit = sys.getrecursionlimit()
    previous_stack = threading.stack_size(DEEP_STACK_BYTES)
    sys.setrecursionlimit(max(previous_limit, DEEP_RECURSION_LIMIT))
    try:
        thread = threading.Thread(target=run, name="tflint-deep-stack")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(previous_stack)
        sys.setrecursionlimit(previous_limit)
    if failure:
        raise failure[0]
    return outcome[0]


def guarded(filename: str, work: Callable[[], T]) -> T | FileResult:
    """Run one file's work so that a bug it hits becomes that file's internal error instead of
    stopping the run."""
    try:
        try:
            return work()
        except RecursionError:
            return with_deep_stack(work)
    except NotAnalysable as reason:
        return FileResult(filename, not_analysed=str(reason))
    except RecursionError:
        return FileResult(
            filename, internal_error="code nested too deeply to analyze", traceback=format_exc()
        )
    except Exception as error:  # one file's bug must not stop the run
        return FileResult(
            filename, internal_error=f"{type(error).__name__}: {error}", traceback=format_exc()
        )
