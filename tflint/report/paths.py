"""File names as reports show them.

A name that is not UTF-8 reaches Python with its undecodable bytes as lone surrogates
(`surrogateescape`); written out they crash a strict UTF-8 stream, and JSON would carry them as
`\\udcXX` escapes no other tool can decode. Reports show them as ruff does (Rust's lossy
conversion): each undecodable byte becomes U+FFFD. Line-oriented output (text, stderr) also
escapes control characters, so a newline in a name cannot split or forge a line.
"""

from __future__ import annotations

import unicodedata

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown_path(filename: str) -> str:
    """The name with undecodable bytes as U+FFFD: valid Unicode for every output format."""
    try:
        raw = filename.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that was no byte of a file name
        raw = filename.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


def line_safe_path(filename: str) -> str:
    """shown_path, with control characters escaped (`\\n`, `\\x1b`) for one-line output."""
    return "".join(
        _ESCAPES.get(char, f"\\x{ord(char):02x}") if unicodedata.category(char) == "Cc" else char
        for char in shown_path(filename)
    )
