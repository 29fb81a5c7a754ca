"""Walk a LibCST tree without rebuilding it.

`CSTNode.visit` serves transformers too, so it reconstructs every node it passes even for a
read-only visitor: on real TensorFlow code one empty `module.visit()` costs as much as parsing
the file. tflint only reads the tree, so it walks the dataclass fields itself and calls the
visitor's own `on_visit`/`on_leave` (which dispatch to `visit_<Node>`/`leave_<Node>`), keeping
node identity — positions and parent checks rely on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from functools import cache

import libcst as cst


@cache
def _fields(node_type: type[cst.CSTNode]) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(node_type))


def walk(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """Visit `node` and its descendants in field order, like `node.visit(visitor)`."""
    if visitor.on_visit(node):
        for name in _fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                walk(value, visitor)
            elif isinstance(value, tuple | list):
                for item in value:
                    if isinstance(item, cst.CSTNode):
                        walk(item, visitor)
    visitor.on_leave(node)


def nodes(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`root` and every node below it, in field order: what `libcst.matchers.findall` searches,
    without importing the matchers module (0.4 s of start-up, paid by every run)."""
    yield root
    for name in _fields(type(root)):
        value = getattr(root, name)
        if isinstance(value, cst.CSTNode):
            yield from nodes(value)
        elif isinstance(value, tuple | list):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield from nodes(item)
