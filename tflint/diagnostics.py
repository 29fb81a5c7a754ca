"""The values that cross process boundaries: findings, their fixes and verdicts.

Everything here is a frozen dataclass of plain values so a worker process can pickle it back
to the parent and the cache can store it as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any


class Applicability(StrEnum):
    """Whether a fix may run without asking (ruff's vocabulary)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based row and 1-based column, like ruff's JSON output."""

    row: int
    column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text between two locations with `content`."""

    content: str
    location: Location
    end_location: Location


@dataclass(frozen=True)
class Fix:
    """A set of non-overlapping edits that together remove one finding."""

    message: str
    applicability: Applicability
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Verification:
    """What `--verify` observed when it traced the flagged code."""

    status: str  # "confirmed" | "not-reproduced" | "unverifiable"
    evidence: str
    device: str | None = None


@dataclass(frozen=True)
class Diagnostic:
    """One finding in one file.

    `symbol` names the function or class the finding sits in (`Model.call`, `loss_fn`), so the
    verifier can import and trace exactly that object; `cell` is the notebook cell (1-based) or
    None for plain Python files.
    """

    code: str
    message: str
    filename: str
    location: Location
    end_location: Location
    symbol: str | None = None
    fix: Fix | None = None
    cell: int | None = None
    verification: Verification | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.filename, self.cell or 0, self.location.row, self.location.column, self.code)

    def with_verification(self, verification: Verification) -> Diagnostic:
        return replace(self, verification=verification)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Diagnostic:
        fix = data.get("fix")
        verification = data.get("verification")
        return cls(
            code=data["code"],
            message=data["message"],
            filename=data["filename"],
            location=Location(**data["location"]),
            end_location=Location(**data["end_location"]),
            symbol=data.get("symbol"),
            fix=None
            if fix is None
            else Fix(
                message=fix["message"],
                applicability=Applicability(fix["applicability"]),
                edits=tuple(
                    Edit(e["content"], Location(**e["location"]), Location(**e["end_location"]))
                    for e in fix["edits"]
                ),
            ),
            cell=data.get("cell"),
            verification=None if verification is None else Verification(**verification),
        )


@dataclass(frozen=True)
class FileResult:
    """Everything one file produced: findings, or an internal error that stopped its analysis."""

    filename: str
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    internal_error: str | None = None  # one line: what went wrong
    traceback: str | None = None  # where, for `--verbose`
    not_analysed: str | None = None  # why valid code was not analysed (an internal limit)
    notes: tuple[str, ...] = ()  # what was deliberately not linted (a notebook's %%bash cell)


@dataclass(frozen=True)
class FixMode:
    """What `--fix` / `--diff` / `--unsafe-fixes` asked for."""

    include_unsafe: bool = False
    write: bool = True  # False: --diff, show the changes and write nothing


@dataclass(frozen=True)
class FileFix:
    """One file after fixing: the findings left, how many were fixed, and what went wrong."""

    result: FileResult
    fixed: int = 0
    diff: str = ""  # --diff only: the unified diff of the changes (empty when none)
    fixed_source: bytes | None = None  # --diff only: the fixed bytes (stdin's --fix prints them)
    write_error: str | None = None  # e.g. a read-only file: a user problem, not a tflint bug


def is_applicable(diagnostic: Diagnostic, include_unsafe: bool) -> bool:
    fix = diagnostic.fix
    return fix is not None and (include_unsafe or fix.applicability is Applicability.SAFE)
