"""The messages between tflint and a verify worker, and how they travel.

Both sides import this module; it imports neither TensorFlow nor user code. Every message is a
typed dataclass turned into JSON, and every line on the wire is a frame
`<sequence> <hmac> <json>\n`, signed with a key the parent hands the worker before any user code
is imported. The parent accepts only frames whose signature and sequence number are right: a
module that writes into the protocol stream (it shares the worker's process, so it can reach
every descriptor) produces a bad frame, and that costs the worker, never the parent, and can
never forge a verdict. (Code running in the worker could still read the key from memory: this
guards against accidents and casual forgery, not a determined attacker — see the README.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """A finding's verdict."""

    CONFIRMED = "confirmed"
    NOT_REPRODUCED = "not-reproduced"
    UNVERIFIABLE = "unverifiable"


class Stage(StrEnum):
    """What a worker was doing, for the reason given when it dies or hangs."""

    STARTING = "starting"
    IMPORTING = "importing the module"
    RUNNING = "running"


class ProtocolError(Exception):
    """A frame that is not ours: garbage, a bad signature, a wrong sequence or shape."""


@dataclass(frozen=True)
class Finding:
    code: str
    row: int
    column: int
    end_row: int
    end_column: int


@dataclass(frozen=True)
class Root:
    """The traced function of another module that reaches a finding's code (whole-project
    analysis: `train_step` in train.py calls `record` in utils.py): the worker imports and
    runs this module, and observes the finding's file as that run imported it."""

    file: str
    symbol: str
    source: str | None = None
    cells: list[int] | None = None


@dataclass(frozen=True)
class Request:
    """Verify the findings of one symbol in one file. `source` is the text to verify when it
    is not the file on disk (stdin, a notebook's cells made into a module); `cells` says
    where each notebook cell starts in it (each runs on its own). `paths` are the project's
    import roots (a `src/` directory, the directory above a package), importable after the
    worker's own; `root`, when set, is the other module's function that traces the code."""

    file: str
    symbol: str | None
    device: str
    findings: list[Finding]
    source: str | None = None
    cells: list[int] | None = None  # a notebook's cells: the first row of each, in `source`
    paths: list[str] = field(default_factory=list)
    root: Root | None = None


@dataclass(frozen=True)
class Result:
    status: Status
    evidence: str


@dataclass(frozen=True)
class Hello:
    """A fresh worker's first message: TensorFlow imported (or why not) and what isolation it
    got (`protections`, for --verbose)."""

    tensorflow: str = ""
    gpus: list[str] = field(default_factory=list)
    protections: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class Progress:
    stage: Stage
    detail: str = ""

    def describe(self) -> str:
        return f"{self.stage.value} `{self.detail}`" if self.detail else self.stage.value


@dataclass(frozen=True)
class Answer:
    """The verdicts, in the findings' order; where ops ran; worker seconds (benchmarks)."""

    results: list[Result]
    device: str
    seconds: float = 0.0


Message = Hello | Progress | Answer | Request
_KINDS: dict[str, type] = {
    "hello": Hello,
    "progress": Progress,
    "answer": Answer,
    "request": Request,
}
_NAMES = {cls: name for name, cls in _KINDS.items()}


def _to_json(message: Message) -> str:
    return json.dumps({"kind": _NAMES[type(message)], "body": asdict(message)})


def _build(kind: str, body: Any) -> Message:
    """The typed message, or ProtocolError when the body does not fit its type."""
    try:
        if kind == "request":
            findings = [Finding(**f) for f in body.pop("findings")]
            root = body.pop("root", None)
            root = None if root is None else Root(**root)
            message: Message = Request(findings=findings, root=root, **body)
        elif kind == "answer":
            results = [Result(Status(r["status"]), str(r["evidence"])) for r in body["results"]]
            message = Answer(results, str(body["device"]), float(body["seconds"]))
        elif kind == "progress":
            message = Progress(Stage(body["stage"]), str(body["detail"]))
        elif kind == "hello":
            message = Hello(**body)
        else:
            raise ProtocolError(f"unknown message kind {kind!r}")
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise ProtocolError(f"a malformed {kind} message") from exc
    return message


class Channel:
    """Signs outgoing frames and checks incoming ones; each direction counts its own
    sequence numbers, so a replayed or injected frame is refused."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._sent = 0
        self._received = 0

    def _sign(self, sequence: int, payload: bytes) -> str:
        return hmac.new(self._key, b"%d " % sequence + payload, hashlib.sha256).hexdigest()

    def encode(self, message: Message) -> bytes:
        payload = _to_json(message).encode()
        self._sent += 1
        return b"%d %s %s\n" % (self._sent, self._sign(self._sent, payload).encode(), payload)

    def decode(self, line: bytes) -> Message:
        parts = line.rstrip(b"\n").split(b" ", 2)
        if len(parts) != 3 or not parts[0].isdigit():
            raise ProtocolError("a line that is not a protocol frame")
        sequence, signature, payload = int(parts[0]), parts[1], parts[2]
        if not hmac.compare_digest(signature, self._sign(sequence, payload).encode()):
            raise ProtocolError("a frame with a bad signature")
        if sequence != self._received + 1:
            raise ProtocolError("a frame out of sequence")
        self._received = sequence
        try:
            data = json.loads(payload)
            kind, body = data["kind"], data["body"]
        except (ValueError, TypeError, KeyError) as exc:
            raise ProtocolError("a signed frame that is not a message") from exc
        return _build(kind, body)
