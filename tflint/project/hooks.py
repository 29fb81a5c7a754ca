"""What the whole-project link step hands the per-file analysis, and what it reads back.

engine.analyze builds one GraphContext per module however the file reached it (a Python file,
a notebook's joined cells, each round of --fix), so the hand-over is process state set around
one file's work rather than a parameter threaded through every layer. Workers are processes
that run one file at a time; the only other thread is engine.with_deep_stack's, which runs
the same work again while the caller waits, so plain module state (not a ContextVar, which
threads do not inherit) is what works.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from tflint.graph import GraphContext, GraphReason


@dataclass
class Capture:
    """One file's work: the external roots it got, the graph maps and stdlib trees built."""

    roots: Mapping[str, GraphReason]
    graphs: list[GraphContext] = field(default_factory=list)
    trees: list[ast.Module] = field(default_factory=list)


_current: list[Capture] = []


@contextmanager
def analysing(roots: Mapping[str, GraphReason]) -> Iterator[Capture]:
    """Around one file's work: `roots` go in, what was built comes out in the Capture."""
    capture = Capture(roots)
    _current.append(capture)
    try:
        yield capture
    finally:
        _current.pop()


def external_roots() -> Mapping[str, GraphReason]:
    return _current[-1].roots if _current else {}


def capturing() -> bool:
    return bool(_current)


def built(graph: GraphContext) -> None:
    """engine.analyze reports each graph map it built (kept only inside `analysing`)."""
    if _current:
        _current[-1].graphs.append(graph)


def parsed(tree: ast.Module) -> ast.Module:
    """engine.python_tree reports the stdlib tree it parsed: the summary reuses it instead of
    parsing the file again (kept only inside `analysing`)."""
    if _current:
        _current[-1].trees.append(tree)
    return tree
