"""`--verify`: trace flagged code for real and attach a verdict to every finding.

This package's parent side (this module and `pool`) never imports TensorFlow or user code; the
worker side (`worker`, `observe`, `target`, `inputs`, `compare`, `pattern`, `group`, `probes`)
runs only in child processes. Findings are grouped by (file, symbol): one request per group,
so one import and one eager/graph comparison serve every finding in a function, and the
per-function timeout applies to the group.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tflint.diagnostics import Diagnostic, Verification
from tflint.verify.pool import Pool, WorkerError

DEFAULT_MEMORY = 8 << 30
DEVICES = ("auto", "cpu", "gpu")


class VerifyError(Exception):
    """A usage problem the CLI reports with exit code 2 (no GPU for `--device gpu`, a
    `--python` without TensorFlow)."""


def _unverifiable(reason: str) -> Verification:
    return Verification("unverifiable", reason)


def _skip_reason(diagnostic: Diagnostic) -> str | None:
    """Why a finding cannot be sent to a worker at all, or None."""
    if diagnostic.code in ("TF001", "TF002"):
        return "the file cannot be parsed or read, so it cannot be imported"
    if diagnostic.cell is not None:
        return "notebook cells are not imported by the verifier"
    path = Path(diagnostic.filename)
    if path.suffix != ".py" or not path.is_file():
        return "only Python files on disk can be imported"
    return None


def _pick_device(device: str, gpus: list[str], python: str) -> str:
    if device == "gpu" and not gpus:
        raise VerifyError(f"--device gpu: TensorFlow sees no GPU (interpreter: {python})")
    return "GPU:0" if gpus and device != "cpu" else "CPU:0"


class Verifier:
    """A pool of workers and the device they trace on; reusable across batches of findings."""

    def __init__(
        self,
        *,
        device: str = "auto",
        timeout: float = 60.0,
        python: str | None = None,
        jobs: int | None = None,
        memory: int = DEFAULT_MEMORY,
    ) -> None:
        if device not in DEVICES:
            raise VerifyError(f"unknown device {device!r}: use one of {', '.join(DEVICES)}")
        self.timeout = timeout
        self.seconds: list[float] = []  # worker time per (file, symbol) group, for benchmarks
        try:
            self._pool = Pool(python, jobs or min(2, os.cpu_count() or 1), memory)
        except WorkerError as exc:
            raise VerifyError(str(exc)) from exc
        try:
            self.device = _pick_device(device, self._pool.hello.gpus, self._pool.python)
        except VerifyError:
            self._pool.close()
            raise

    def verify(
        self, diagnostics: list[Diagnostic], timeout: float | None = None
    ) -> list[Diagnostic]:
        """The same diagnostics, in the same order, each with `.verification` set."""
        verdicts: list[Verification | None] = [None] * len(diagnostics)
        groups = _groups(diagnostics, verdicts)
        keys = sorted(groups, key=lambda k: (k[0], k[1] or ""))
        requests = [
            _request(file, symbol, [diagnostics[i] for i in groups[(file, symbol)]], self.device)
            for file, symbol in keys
        ]

        # A module whose import hangs or crashes the worker would do it again for each of its
        # functions: its other requests get the same answer without a worker.
        broken_imports: dict[str, str] = {}

        def known(index: int) -> dict[str, Any] | None:
            reason = broken_imports.get(keys[index][0])
            return None if reason is None else {"lost": reason}

        def done(index: int, answer: dict[str, Any]) -> None:
            if "seconds" in answer:
                self.seconds.append(answer["seconds"])
            if answer.get("lost", "").endswith("while importing the module"):
                broken_imports[keys[index][0]] = answer["lost"]
            members = groups[keys[index]]
            results = answer.get("results") or [
                {"status": "unverifiable", "evidence": answer["lost"]}
            ] * len(members)
            device = answer.get("device", self.device)  # where ops landed, as the worker saw
            for member, result in zip(members, results, strict=True):
                verdicts[member] = Verification(result["status"], result["evidence"], device)

        try:
            self._pool.map(requests, timeout or self.timeout, done, known)
        except WorkerError as exc:
            raise VerifyError(f"the verifier could not restart a worker: {exc}") from exc
        return [
            d.with_verification(v or _unverifiable("not verified"))
            for d, v in zip(diagnostics, verdicts, strict=True)
        ]

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _groups(
    diagnostics: list[Diagnostic], verdicts: list[Verification | None]
) -> dict[tuple[str, str | None], list[int]]:
    """Findings by (file, symbol); those that cannot be sent get their verdict right away."""
    groups: dict[tuple[str, str | None], list[int]] = {}
    for index, diagnostic in enumerate(diagnostics):
        reason = _skip_reason(diagnostic)
        if reason:
            verdicts[index] = _unverifiable(reason)
        else:
            key = (str(Path(diagnostic.filename).resolve()), diagnostic.symbol)
            groups.setdefault(key, []).append(index)
    return groups


def verify_diagnostics(
    diagnostics: list[Diagnostic],
    *,
    device: str = "auto",
    timeout: float = 60.0,
    python: str | None = None,
    jobs: int | None = None,
    memory: int = DEFAULT_MEMORY,
) -> list[Diagnostic]:
    """The same diagnostics, in the same order, each with `.verification` set (the API the
    CLI's `--verify` calls). Workers start only when some finding can be imported."""
    if all(_skip_reason(d) for d in diagnostics):
        return [d.with_verification(_unverifiable(_skip_reason(d) or "")) for d in diagnostics]
    with Verifier(
        device=device, timeout=timeout, python=python, jobs=jobs, memory=memory
    ) as verifier:
        return verifier.verify(diagnostics)


def _request(
    file: str, symbol: str | None, members: list[Diagnostic], device: str
) -> dict[str, Any]:
    return {
        "file": file,
        "symbol": symbol,
        "device": f"/{device}",
        "findings": [
            {
                "code": d.code,
                "row": d.location.row,
                "column": d.location.column,
                "end_row": d.end_location.row,
                "end_column": d.end_location.column,
            }
            for d in members
        ],
    }
