"""The findings of one function (one request): the runs their verdicts share.

An eager/graph comparison or a run of the module's own call pattern can take a second; every
finding in the same function reads the same runs, made once, on first use.
"""

from __future__ import annotations

import re
from typing import Any

from tflint.verify import observe
from tflint.verify.compare import (
    Comparison,
    branch_variants,
    compare,
    compare_inputs,
    watched_names,
)
from tflint.verify.cross import traced_subject
from tflint.verify.pattern import PatternRun, run_pattern
from tflint.verify.target import (
    FunctionSubject,
    Module,
    Subject,
    Unresolved,
    dataset_subject,
    returning,
    subject_for,
)

Finding = dict[str, Any]


class Group:
    """The findings of one symbol in one imported module; eager/graph runs are shared."""

    def __init__(
        self,
        module: Module,
        symbol: str | None,
        findings: list[Finding],
        root: tuple[Module, str] | None = None,
    ) -> None:
        """`root`: the other module and its traced function that run this code, when the
        code is traced from another module (see cross.py)."""
        self.module, self.symbol, self.findings, self.root = module, symbol, findings, root
        self.filename = module.filename
        self.lines = module.source.splitlines()
        self._comparisons: dict[Any, Comparison] = {}
        self._variants: dict[Any, list[Comparison]] = {}
        self._patterns: dict[int, tuple[PatternRun, dict[int, int], int] | Unresolved] = {}

    def span_lines(self, finding: Finding) -> list[str]:
        return self.lines[finding["row"] - 1 : finding["end_row"]]

    def span_text(self, finding: Finding) -> str:
        lines = self.span_lines(finding)
        if len(lines) == 1:
            return lines[0][finding["column"] - 1 : finding["end_column"] - 1]
        return "\n".join(
            [
                lines[0][finding["column"] - 1 :],
                *lines[1:-1],
                lines[-1][: finding["end_column"] - 1],
            ]
        )

    def _subject(self, finding: Finding) -> Subject:
        if self.root is not None:
            return traced_subject(*self.root, self.module, self.symbol)
        if self.symbol is None or self.symbol.endswith("<lambda>"):
            subject = dataset_subject(self.module, row=finding["row"])
            if subject is None:
                raise Unresolved("no tf.data map in the module traces this code")
            return subject
        if ".<locals>." in self.symbol:
            return self._nested_function(finding)
        return subject_for(self.module, self.symbol)

    def comparison(self, finding: Finding) -> Comparison:
        """Eager and graph runs of the code around the finding (shared by the group)."""
        key = finding["row"] if self.symbol is None or self.symbol.endswith("<lambda>") else 0
        if key not in self._comparisons:
            names = set().union(*(watched_names(self.span_lines(f)) for f in self.findings))
            home = self.root[0] if self.root else None
            self._comparisons[key] = compare(self._subject(finding), names, self.module, home)
        return self._comparisons[key]

    def variants(self, finding: Finding) -> list[Comparison]:
        """The comparison again with inputs that take rarely taken branches (all zeros, all
        large), each run once per group, on first use."""
        key = ("variants", finding["row"] if self.symbol is None else 0)
        if key not in self._variants:
            base = self.comparison(finding)
            self._variants[key] = [
                compare_inputs(base.subject, base.names, self.module, inputs)
                for inputs in (branch_variants(base.inputs) if base.inputs else ())
            ]
        return self._variants[key]

    def _nested_function(self, finding: Finding) -> FunctionSubject:
        """A tf.function defined inside another function: run the outer one the way the
        module does, and take the tf.function it created."""
        run, _, start = self.pattern(finding)
        for creation in observe.creations[start:]:
            python = getattr(creation.function, "python_function", None)
            if self.symbol is not None and getattr(python, "__qualname__", None) == self.symbol:
                return FunctionSubject(
                    self.symbol.rsplit(".", 1)[-1],
                    returning(creation.function),
                    None,
                    self.module,
                )
        raise Unresolved(f"{run.label} created no tf.function `{self.symbol}`")

    def pattern(self, finding: Finding) -> tuple[PatternRun, dict[int, int], int]:
        """The module's own call pattern around the finding, run once per group (per row at
        module level), with the tracing counts and the number of tf.functions before it."""
        key = finding["row"] if self.symbol is None else 0
        if key not in self._patterns:
            baseline = {
                id(c.function): c.function.experimental_get_tracing_count()
                for c in observe.creations
            }
            start = len(observe.creations)
            # A function that creates tf.functions shows it over repeated calls.
            repeat = 3 if any(f["code"] == "TF402" for f in self.findings) else 1
            try:
                run = run_pattern(self.module, self.symbol, finding["row"], repeat)
            except Unresolved as exc:
                self._patterns[key] = exc
            else:
                self._patterns[key] = (run, {}, 0) if run.at_import else (run, baseline, start)
        found = self._patterns[key]
        if isinstance(found, Unresolved):
            raise found
        return found

    def error_rows(self, exc: BaseException) -> list[int]:
        """The lines of this file an exception passed through (its tracebacks, and the user
        frames TensorFlow quotes in a graph error's message), innermost last."""
        rows: list[int] = []
        seen: BaseException | None = exc
        while seen is not None:
            tb = seen.__traceback__
            while tb is not None:
                if tb.tb_frame.f_code.co_filename == self.filename:
                    rows.append(tb.tb_lineno)
                tb = tb.tb_next
            for match in re.finditer(r'File "([^"]+)", line (\d+)', str(seen)):
                if match[1] == self.filename:
                    rows.append(int(match[2]))
            seen = seen.__cause__ or seen.__context__
        return rows

    def points_at(self, exc: BaseException, finding: Finding) -> bool:
        """Whether the exception arose on the flagged lines."""
        rows = range(finding["row"], finding["end_row"] + 1)
        return any(row in rows for row in self.error_rows(exc))
