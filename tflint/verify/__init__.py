"""`--verify`: trace flagged code for real and attach a verdict to every finding.

This package's parent side (this module and `pool`) never imports TensorFlow or user code; the
worker side (`worker`, `observe`, `target`, `inputs`, `compare`, `pattern`, `probes`) runs only in
child processes. Findings are grouped by (file, symbol): one request per group, so one import and
one eager/graph comparison serve every finding in a function, and the per-function timeout
applies to the group.
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


def _unverifiable(reason: str, device: str | None = None) -> Verification:
    return Verification("unverifiable", reason, device)


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


def verify_diagnostics(
    diagnostics: list[Diagnostic],
    *,
    device: str = "auto",
    timeout: float = 60.0,
    python: str | None = None,
    jobs: int | None = None,
    memory: int = DEFAULT_MEMORY,
) -> list[Diagnostic]:
    """The same diagnostics, in the same order, each with `.verification` set."""
    if device not in DEVICES:
        raise VerifyError(f"unknown device {device!r}: use one of {', '.join(DEVICES)}")
    verdicts: list[Verification | None] = [None] * len(diagnostics)
    groups: dict[tuple[str, str | None], list[int]] = {}
    for index, diagnostic in enumerate(diagnostics):
        reason = _skip_reason(diagnostic)
        if reason:
            verdicts[index] = _unverifiable(reason)
        else:
            key = (str(Path(diagnostic.filename).resolve()), diagnostic.symbol)
            groups.setdefault(key, []).append(index)
    if groups:
        jobs = max(1, min(jobs or min(2, os.cpu_count() or 1), len(groups)))
        try:
            pool = Pool(python, jobs, memory)
        except WorkerError as exc:
            raise VerifyError(str(exc)) from exc
        with pool:
            used = _pick_device(device, pool.hello.gpus, pool.python)
            keys = sorted(groups, key=lambda k: (k[0], k[1] or ""))
            requests = [_request(file, symbol, [diagnostics[i] for i in groups[(file, symbol)]],
                                 used) for file, symbol in keys]

            def done(index: int, answer: dict[str, Any]) -> None:
                members = groups[keys[index]]
                if "lost" in answer:
                    results = [{"status": "unverifiable", "evidence": answer["lost"]}] * len(
                        members)
                else:
                    results = answer["results"]
                for member, result in zip(members, results, strict=True):
                    verdicts[member] = Verification(result["status"], result["evidence"], used)

            try:
                pool.map(requests, timeout, done)
            except WorkerError as exc:
                raise VerifyError(f"the verifier could not restart a worker: {exc}") from exc
    return [d.with_verification(v or _unverifiable("not verified"))
            for d, v in zip(diagnostics, verdicts, strict=True)]


def _request(file: str, symbol: str | None, members: list[Diagnostic],
             device: str) -> dict[str, Any]:
    return {
        "file": file,
        "symbol": symbol,
        "device": f"/{device}",
        "findings": [{"code": d.code, "row": d.location.row, "column": d.location.column,
                      "end_row": d.end_location.row, "end_column": d.end_location.column}
                     for d in members],
    }
