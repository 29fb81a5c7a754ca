"""`--verify` with real TensorFlow: every rule example is confirmed, its fixed twin is not, and
user code that exits, hangs, crashes or fails to import costs only its own findings.

One verifier (two workers) serves the whole module: starting a worker imports TensorFlow.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tflint.diagnostics import Diagnostic, Location
from tflint.engine import lint_source
from tflint.rules import RULES
from tflint.verify import Verifier, VerifierUnavailable, VerifyError, verify_diagnostics

pytestmark = pytest.mark.verify

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "verify"
TIER1 = (
    "TF101",
    "TF102",
    "TF103",
    "TF104",
    "TF105",
    "TF106",
    "TF107",
    "TF201",
    "TF202",
    "TF203",
    "TF204",
    "TF205",
    "TF206",
    "TF207",
    "TF301",
    "TF302",
    "TF303",
    "TF304",
    "TF401",
    "TF402",
    "TF403",
    "TF404",
    "TF405",
    "TF406",
    "TF407",
    "TF408",
    "TF409",
    "TF501",
    "TF502",
    "TF503",
)
EXAMPLES = [code for code in TIER1 if (ROOT / "rules" / code / "bad.py").is_file()]

# Findings in rules/*/bad.py that cannot be observed as the examples are written; each must come
# back `unverifiable` (never confirmed, never not-reproduced). Keyed by (code, symbol, text on
# the flagged line).
NOT_OBSERVABLE = {
    # tf.io.read_file is an op that runs on every call; freezing a constant path can only be
    # seen by changing the file between calls, which the verifier does not do; and the file is
    # written only by the __main__ block, which the verifier never runs
    ("TF102", "read_config", "read_file"): "no inputs could be built",
    ("TF102", "read_labels", "read_file"): "no inputs could be built",
    # the kernel's add_weight raises first, so the bias line is never reached
    ("TF302", "SimpleDense.call", 'name="bias"'): "no inputs could be built",
    # run_functions_eagerly raises nothing; what it changes is how later calls run, and the
    # verifier itself switches eager/graph mode around every call it makes
    ("TF206", "debug_step", "run_functions_eagerly"): "run_functions_eagerly raises nothing",
}


@pytest.fixture(scope="module")
def verifier() -> Iterator[Verifier]:
    with Verifier(device="cpu", timeout=60.0, jobs=2) as shared:
        yield shared


def lint(path: Path) -> list[Diagnostic]:
    return lint_source(path.read_bytes(), str(path), frozenset(RULES))


def finding(path: Path, row: int, symbol: str | None, code: str = "TF101") -> Diagnostic:
    """A finding on a whole line of one of our snippets (not from the engine)."""
    width = len(path.read_text().splitlines()[row - 1]) + 1
    return Diagnostic(
        code, "test finding", str(path), Location(row, 1), Location(row, width), symbol
    )


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def not_observable(diagnostic: Diagnostic) -> str | None:
    line = Path(diagnostic.filename).read_text().splitlines()[diagnostic.location.row - 1]
    for (code, symbol, text), reason in NOT_OBSERVABLE.items():
        if diagnostic.code == code and diagnostic.symbol == symbol and text in line:
            return reason
    return None


@pytest.fixture(scope="module")
def bad_results(verifier: Verifier) -> list[Diagnostic]:
    diagnostics = [
        d for code in EXAMPLES for d in lint(ROOT / "rules" / code / "bad.py") if d.code == code
    ]
    return verifier.verify(diagnostics)


@pytest.mark.parametrize("code", EXAMPLES)
def test_bad_example_findings_are_confirmed(code: str, bad_results: list[Diagnostic]) -> None:
    mine = [d for d in bad_results if d.code == code]
    assert mine, f"rules/{code}/bad.py has no {code} finding"
    for diagnostic in mine:
        verification = diagnostic.verification
        assert verification is not None
        where = f"{code} line {diagnostic.location.row} ({diagnostic.symbol})"
        reason = not_observable(diagnostic)
        if reason:
            assert verification.status == "unverifiable", (where, verification)
            assert reason in verification.evidence, (where, verification)
        else:
            assert verification.status == "confirmed", (where, verification)
        assert verification.device == "CPU:0"
        assert "\n" not in verification.evidence and len(verification.evidence) < 200


def _definitions(tree: ast.Module) -> dict[str, ast.AST]:
    found: dict[str, ast.AST] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                found[prefix + node.name] = node
                if isinstance(node, ast.ClassDef):
                    visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return found


def twin_findings(code: str, bad: list[Diagnostic]) -> list[Diagnostic]:
    """For each symbol flagged in bad.py that good.py also defines: the same rule, on the whole
    fixed definition; for TF204 (module level), each module-level tensor built in good.py."""
    good = ROOT / "rules" / code / "good.py"
    tree = ast.parse(good.read_text())
    definitions = _definitions(tree)
    twins = []
    for symbol in sorted({d.symbol for d in bad if d.code == code and d.symbol}):
        node = definitions.get(symbol.split(".<locals>.")[0])
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            twins.append(
                Diagnostic(
                    code,
                    "twin",
                    str(good),
                    Location(node.lineno, 1),
                    Location(node.end_lineno or node.lineno, 1),
                    symbol,
                )
            )
    if code == "TF204":
        for node in tree.body:
            if isinstance(node, ast.Assign) and ast.unparse(node.value).startswith("tf."):
                value = node.value
                twins.append(
                    Diagnostic(
                        code,
                        "twin",
                        str(good),
                        Location(value.lineno, value.col_offset + 1),
                        Location(value.end_lineno or value.lineno, (value.end_col_offset or 0) + 1),
                    )
                )
    return twins


@pytest.fixture(scope="module")
def twin_results(verifier: Verifier, bad_results: list[Diagnostic]) -> list[Diagnostic]:
    twins = [
        t
        for code in EXAMPLES
        if (ROOT / "rules" / code / "good.py").is_file()
        for t in twin_findings(code, bad_results)
    ]
    return verifier.verify(twins)


@pytest.mark.parametrize("code", EXAMPLES)
def test_fixed_twins_are_not_confirmed(code: str, twin_results: list[Diagnostic]) -> None:
    for twin in (d for d in twin_results if d.code == code):
        assert twin.verification is not None
        assert twin.verification.status != "confirmed", (twin.symbol, twin.verification)


FIXTURES = ROOT / "fixtures" / "components"
TRACED_METHODS = ("call", "update_state", "result", "train_step", "test_step")
RUNTIME_CODES = (
    "TF101",
    "TF102",
    "TF103",
    "TF104",
    "TF105",
    "TF106",
    "TF201",
    "TF202",
    "TF301",
    "TF302",
)


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="no reference components")
def test_reference_components_are_never_confirmed(verifier: Verifier) -> None:
    """Every runtime rule, on every traced method of the reference-correct Keras components,
    spanning the whole method: nothing may come back confirmed."""
    findings = []
    for path in sorted(FIXTURES.glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, ast.ClassDef):
                continue
            for method in node.body:
                if isinstance(method, ast.FunctionDef) and method.name in TRACED_METHODS:
                    findings.extend(
                        Diagnostic(
                            code,
                            "synthetic",
                            str(path),
                            Location(method.lineno, 1),
                            Location(method.end_lineno or method.lineno, 1),
                            f"{node.name}.{method.name}",
                        )
                        for code in RUNTIME_CODES
                    )
    assert findings
    for result in verifier.verify(findings):
        assert result.verification is not None
        assert result.verification.status != "confirmed", (
            result.code,
            result.symbol,
            result.verification,
        )


def test_every_demo_finding_is_confirmed(verifier: Verifier) -> None:
    """The README's demo: the layer example `ConvBlock(4)(tf.zeros((2, 8, 8, 3)))` gives the
    4-D input the generic candidates lack."""
    demo = ROOT / "fixtures" / "projects" / "image_classifier"
    findings = [d for path in sorted(demo.glob("*.py")) for d in lint(path)]
    assert len(findings) == 11
    results = verifier.verify(findings)
    assert [
        (Path(r.filename).name, r.location.row, r.code)
        for r in results
        if r.verification is None or r.verification.status != "confirmed"
    ] == []


def test_failures_cost_only_their_own_findings(verifier: Verifier) -> None:
    noisy = DATA / "noisy.py"
    cases = [
        (DATA / "exits_at_import.py", "double", "the module calls sys.exit(3) when imported"),
        (DATA / "os_exit.py", "double", "the process exited with code 7 while running `double`"),
        (DATA / "segfault.py", "double", "crashed with SIGSEGV while importing the module"),
        (
            DATA / "import_error.py",
            "double",
            "importing the module raised ModuleNotFoundError: No module named "
            "'tflint_verify_no_such_module'",
        ),
        (DATA / "huge_allocation.py", "double", "ran out of memory"),
        (DATA / "needs_arguments.py", "pick", "no inputs could be built"),
        (DATA / "untraced.py", "report", "nothing in the module traces `report`"),
    ]
    diagnostics = [finding(path, line_of(path, 'print("'), symbol) for path, symbol, _ in cases]
    diagnostics.append(finding(noisy, line_of(noisy, "# expect: TF101"), "shout"))
    results = verifier.verify(diagnostics)
    for (path, _, reason), result in zip(cases, results, strict=False):
        assert result.verification is not None
        assert result.verification.status == "unverifiable", (path.name, result.verification)
        assert reason in result.verification.evidence, (path.name, result.verification)
    healthy = results[-1].verification
    assert healthy is not None and healthy.status == "confirmed", healthy
    assert healthy.evidence == (
        "print ran 1\u00d7 in 3 graph calls of shout, 3\u00d7 in 3 eager calls"
    )


def test_a_hang_times_out_and_the_run_goes_on(verifier: Verifier) -> None:
    hangs, stuck, noisy = DATA / "hangs.py", DATA / "hangs_at_import.py", DATA / "noisy.py"
    stuck_findings = [
        finding(stuck, line_of(stuck, f"def {name}") + 1, name)
        for name in ("first", "second", "third")
    ]
    results = verifier.verify(
        [
            finding(hangs, line_of(hangs, 'print("'), "spin"),
            *stuck_findings,
            finding(noisy, line_of(noisy, "# expect: TF101"), "shout"),
        ],
        timeout=8.0,
    )
    evidence = [r.verification.evidence for r in results if r.verification]
    statuses = [r.verification.status for r in results if r.verification]
    assert statuses == ["unverifiable"] * 4 + ["confirmed"]
    assert evidence[0] == "timed out after 8 s while running `spin`"
    # the module's other functions get the same answer, without another wait
    assert evidence[1:4] == ["timed out after 8 s while importing the module"] * 3


def test_user_output_never_reaches_ours(
    verifier: Verifier, capfd: pytest.CaptureFixture[str]
) -> None:
    noisy = DATA / "noisy.py"
    verifier.verify([finding(noisy, line_of(noisy, "# expect: TF101"), "shout")])
    out, err = capfd.readouterr()
    assert "NOISY" not in out and "NOISY" not in err


def test_unimportable_findings_need_no_worker() -> None:
    syntax = Diagnostic("TF001", "m", str(DATA / "noisy.py"), Location(1, 1), Location(1, 2))
    unnamed = Diagnostic("TF101", "m", "-", Location(1, 1), Location(1, 2), "shout")
    results = verify_diagnostics([syntax, unnamed], device="gpu")  # no worker: no GPU check
    assert [
        (r.verification.status, r.verification.evidence) for r in results if r.verification
    ] == [
        ("unverifiable", "the file cannot be parsed or read, so it cannot be imported"),
        ("unverifiable", "stdin is verified only when named: --stdin-filename NAME.py"),
    ]


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="a GPU may be visible")
def test_gpu_without_a_gpu_is_a_usage_error() -> None:
    noisy = DATA / "noisy.py"
    with pytest.raises(VerifyError, match="--device gpu: TensorFlow sees no GPU"):
        verify_diagnostics(
            [finding(noisy, line_of(noisy, "# expect: TF101"), "shout")], device="gpu", jobs=1
        )


def test_a_verifier_that_cannot_start_leaves_the_findings_unverifiable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No TensorFlow (or no interpreter at all): the lint findings are still reported, each
    `unverifiable` with the reason, and a warning says so."""
    base = Path(sys.base_prefix) / "bin" / "python3"
    if subprocess.run([base, "-c", "import tensorflow"], capture_output=True).returncode == 0:
        pytest.skip("the base interpreter has TensorFlow")
    noisy = DATA / "noisy.py"
    shout = finding(noisy, line_of(noisy, "# expect: TF101"), "shout")
    (result,) = verify_diagnostics([shout], python=str(base), jobs=1)
    assert result.verification is not None
    assert result.verification.status == "unverifiable"
    assert "cannot import TensorFlow: ModuleNotFoundError" in result.verification.evidence
    assert "install TensorFlow in that environment" in result.verification.evidence
    assert "warning: --verify could not start" in capsys.readouterr().err
    (result,) = verify_diagnostics([shout], python="/nonexistent/python", jobs=1)
    assert result.verification is not None
    assert result.verification.evidence == (
        "cannot run /nonexistent/python: No such file or directory"
    )
    with pytest.raises(VerifierUnavailable, match="cannot import TensorFlow"):
        Verifier(python=str(base), jobs=1)


def test_unknown_device_is_a_usage_error() -> None:
    with pytest.raises(VerifyError, match="unknown device"):
        Verifier(device="tpu")
