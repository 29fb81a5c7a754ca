"""The rule registry: every code tflint can report, with the metadata reporters need.

Codes are a public contract (see rules/<CODE>/README.md): never renumber or reuse one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from tflint.diagnostics import Applicability

DOCS_URL = "https://github.com/tflint-dev/tflint/blob/main/rules/{code}/README.md"


@dataclass(frozen=True)
class Rule:
    """One code. `fix` is the applicability of the fixes its check offers (None: no fix); the
    rule listing shows it and a test holds it to what the check really offers on bad.py."""

    code: str
    name: str
    summary: str
    fix: Applicability | None = None

    @property
    def url(self) -> str:
        return DOCS_URL.format(code=self.code)


_RULES = (
    Rule("TF001", "syntax-error", "The file cannot be parsed."),
    Rule("TF002", "unreadable-file", "The file cannot be read or decoded, or is not valid."),
    Rule(
        "TF101",
        "print-in-graph",
        "`print` in graph code runs once per trace, not per call.",
        Applicability.SAFE,
    ),
    Rule(
        "TF102",
        "python-io-in-graph",
        "Python I/O (logging, files, environment) in graph code runs once per trace.",
    ),
    Rule(
        "TF103",
        "python-random-in-graph",
        "Python or NumPy random numbers in graph code are frozen into the graph.",
    ),
    Rule(
        "TF104",
        "python-clock-in-graph",
        "Python clocks in graph code are frozen into the graph.",
        Applicability.UNSAFE,
    ),
    Rule(
        "TF105",
        "outer-state-mutation",
        "Mutating outer Python state in graph code happens once per trace.",
    ),
    Rule(
        "TF106",
        "python-attribute-state",
        "Python attributes assigned in graph code hold trace-time values, not per-call state.",
    ),
    Rule(
        "TF107",
        "python-iterator-in-graph",
        "`next()` on a Python iterator in graph code takes one element per trace, frozen.",
    ),
    Rule(
        "TF201",
        "numpy-call-in-graph",
        "NumPy functions cannot take symbolic tensors.",
        Applicability.SAFE,
    ),
    Rule("TF202", "tensor-numpy-in-graph", "`.numpy()` does not exist on symbolic tensors."),
    Rule(
        "TF203",
        "python-conversion-of-tensor",
        "Python conversions (`bool`, `.item()`, format specs, ...) of symbolic tensors raise.",
    ),
    Rule(
        "TF204",
        "numpy-dtype-leak",
        "Tensors built from NumPy arrays are 64-bit where TensorFlow ops give int32/float32.",
        Applicability.UNSAFE,
    ),
    Rule(
        "TF205",
        "batch-dim-from-static-shape",
        "`x.shape[0]` is `None` where the batch size is unknown while tracing.",
    ),
    Rule(
        "TF206",
        "eager-only-api-in-graph",
        "Keras `fit`/`predict`/`save` and `as_numpy_iterator` raise in graph code.",
    ),
    Rule(
        "TF207",
        "identity-test-on-tensor",
        "`t is True` / `t is False` is decided by the object, never by the tensor's value.",
    ),
    Rule(
        "TF301",
        "variable-created-in-graph",
        "`tf.Variable` created on every trace fails after the first call.",
    ),
    Rule("TF302", "weights-created-in-call", "Weights created in `call` belong in `build`."),
    Rule(
        "TF303",
        "config-lost-on-save",
        "A configurable Loss/Metric without `get_config` reloads with default arguments.",
    ),
    Rule(
        "TF304",
        "keras-object-created-in-graph",
        "A Keras layer, optimizer or metric constructed in graph code makes variables per trace.",
    ),
    Rule(
        "TF401",
        "python-scalar-argument",
        "Varying Python scalars passed to a tf.function cause one trace per value.",
    ),
    Rule(
        "TF402",
        "function-created-repeatedly",
        "A tf.function created repeatedly retraces on every call.",
    ),
    Rule(
        "TF403",
        "python-loop-unrolled",
        "A long Python `range` loop in graph code is unrolled into the graph while tracing.",
        Applicability.UNSAFE,
    ),
    Rule(
        "TF404",
        "python-list-in-tensor-loop",
        "A Python list filled in a `tf.range`/tensor/dataset loop gets one out-of-scope tensor.",
    ),
    Rule(
        "TF405",
        "assert-on-tensor",
        "`assert` on a tensor in graph code fails while tracing, for every input.",
    ),
    Rule(
        "TF406",
        "try-except-in-graph",
        "`except` in graph code cannot catch the errors ops raise when the graph runs.",
    ),
    Rule(
        "TF407",
        "run-eagerly-enabled",
        "Running eagerly throws away the graph speed-up.",
        Applicability.UNSAFE,
    ),
    Rule(
        "TF408",
        "tensorarray-write-discarded",
        "A TensorArray update whose result is discarded is lost in graphs.",
    ),
    Rule(
        "TF409",
        "raise-in-tensor-branch",
        "`raise` under an `if` on a tensor raises while tracing, for every input.",
    ),
    Rule(
        "TF501",
        "tensor-control-flow-without-autograph",
        "Python `if`/`while`/`for` on tensors fails where AutoGraph does not convert the code.",
    ),
    Rule(
        "TF502",
        "branch-only-variable",
        "A name set in one branch of a tensor `if` and read after it fails under AutoGraph.",
    ),
    Rule(
        "TF503",
        "tensor-break-in-python-loop",
        "`break`/`return` on a tensor condition cannot stop a Python `for` loop in a tf.function.",
    ),
)

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}


@cache  # asked per file (per-file-ignores), with a handful of distinct arguments per run
def select_codes(select: tuple[str, ...], ignore: tuple[str, ...]) -> frozenset[str]:
    """Expand code prefixes (`TF1`, `TF10`, `ALL`) the way ruff does: ignore wins on a tie,
    but a more specific prefix wins over a less specific one."""

    def specificity(prefix: str) -> int:
        return 0 if prefix == "ALL" else len(prefix)

    chosen = set()
    for code in RULES:
        best_select = max((specificity(p) for p in select if _matches(code, p)), default=-1)
        best_ignore = max((specificity(p) for p in ignore if _matches(code, p)), default=-1)
        if best_select >= 0 and best_select > best_ignore:
            chosen.add(code)
    return frozenset(chosen)


def _matches(code: str, prefix: str) -> bool:
    return prefix == "ALL" or code.startswith(prefix)


def is_known_prefix(prefix: str) -> bool:
    return prefix == "ALL" or any(code.startswith(prefix) for code in RULES)


def rule_doc(code: str) -> str | None:
    """The rule's README, from the installed wheel (`tflint/_rules`) or from a checkout."""
    packaged = resources.files("tflint").joinpath("_rules", code, "README.md")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parent.parent / "rules" / code / "README.md"
    if checkout.is_file():
        return checkout.read_text(encoding="utf-8")
    return None


def rule_table(enabled: frozenset[str]) -> str:
    """`tflint --explain` without a code: every rule with its name, fix, and whether the
    current configuration enables it."""
    rows = [("code", "name", "fix", "enabled")]
    rows += [
        (rule.code, rule.name, rule.fix or "-", "yes" if rule.code in enabled else "no")
        for rule in RULES.values()
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + f"  {row[3]}\n"
        for row in rows
    )
