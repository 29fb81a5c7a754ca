"""Per-file lint results on disk (`.tflint_cache/` at the settings root), so unchanged files are
not parsed again.

An entry is keyed by everything its findings depend on: the file's bytes (sha256), its name
(findings carry it, and test files are treated differently), the codes enabled for it, the
settings fingerprint and the tflint version. One JSON file per entry, in sharded directories,
written via a temporary file and os.replace: concurrent runs never see half an entry. The cache
is an optimisation only: an unreadable, corrupt or unwritable entry is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import suppress
from pathlib import Path

from tflint import __version__
from tflint.diagnostics import Diagnostic
from tflint.files import write_atomically

CACHE_DIR_NAME = ".tflint_cache"
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by tflint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
_GITIGNORE = "# Automatically created by tflint.\n*\n"
# Only these mean "the entry is damaged"; anything else is a bug worth seeing.
_DAMAGED = (OSError, ValueError, KeyError, TypeError, AttributeError)


class LintCache:
    def __init__(self, directory: Path, settings_fingerprint: str) -> None:
        self.directory = directory
        self.settings_fingerprint = settings_fingerprint
        self._prepared = False

    def key(self, filename: str, source: bytes, enabled: frozenset[str]) -> str:
        parts = [
            __version__,
            self.settings_fingerprint,
            filename,
            sorted(enabled),
            hashlib.sha256(source).hexdigest(),
        ]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def _entry(self, key: str) -> Path:
        return self.directory / "entries" / key[:2] / f"{key[2:]}.json"

    def get(self, key: str) -> tuple[Diagnostic, ...] | None:
        """The cached findings, or None on a miss (including a damaged entry)."""
        try:
            data = json.loads(self._entry(key).read_bytes())
            if data["key"] != key:
                return None
            return tuple(Diagnostic.from_dict(item) for item in data["diagnostics"])
        except _DAMAGED:
            return None

    def put(self, key: str, diagnostics: tuple[Diagnostic, ...]) -> None:
        data = {"key": key, "diagnostics": [d.to_dict() for d in diagnostics]}
        with suppress(OSError):
            self._prepare()
            entry = self._entry(key)
            entry.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(entry, json.dumps(data).encode())

    def _prepare(self) -> None:
        """Create the directory with a CACHEDIR.TAG (backup tools skip it) and a .gitignore."""
        if self._prepared:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, content in (("CACHEDIR.TAG", _CACHEDIR_TAG), (".gitignore", _GITIGNORE)):
            if not (self.directory / name).is_file():
                write_atomically(self.directory / name, content.encode())
        self._prepared = True
