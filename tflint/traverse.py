"""Walk a LibCST tree without rebuilding it.

`CSTNode.visit` serves transformers too, so it reconstructs every node it passes even for a
read-only visitor: on real TensorFlow code one empty `module.visit()` costs as much as parsing
the file. tflint only reads the tree, so it walks the dataclass fields itself, keeping node
identity (positions and parent checks rely on it), and calls each visitor's `visit_<Node>` /
`leave_<Node>` (or its own `on_visit`/`on_leave` where it overrides them) through tables built
once per visitor class and node type. Three walks cover every parsed file, so the per-node
cost is what the cold run costs: `isinstance` against LibCST's abstract `CSTNode` and
`CSTVisitor.on_visit`'s name formatting per node made up a third of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from functools import cache

import libcst as cst

_Visit = Callable[[cst.CSTVisitor, cst.CSTNode], bool | None]
_Leave = Callable[[cst.CSTVisitor, cst.CSTNode], None]

# All truthy, so `_kinds.get(t) or _kind(t)` looks a type up once after learning it.
_NODE, _SEQUENCE, _OTHER = 1, 2, 3
_kinds: dict[type, int] = {}  # field value type → what it holds


def _kind(value_type: type) -> int:
    """Learn what a type holds (callers look it up in `_kinds` first)."""
    if issubclass(value_type, cst.CSTNode):
        kind = _NODE
    elif issubclass(value_type, tuple | list):
        kind = _SEQUENCE
    else:
        kind = _OTHER
    _kinds[value_type] = kind
    return kind


@cache
def _fields(node_type: type[cst.CSTNode]) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(node_type))


@cache
def _handlers(
    visitor_type: type[cst.CSTVisitor], node_type: type[cst.CSTNode]
) -> tuple[_Visit | None, _Leave | None]:
    """What `visitor.on_visit(node)` / `on_leave(node)` would call, as plain functions."""
    visit: _Visit | None
    leave: _Leave | None
    if visitor_type.on_visit is not cst.CSTVisitor.on_visit:
        visit = visitor_type.on_visit
    else:
        visit = getattr(visitor_type, f"visit_{node_type.__name__}", None)
    if visitor_type.on_leave is not cst.CSTVisitor.on_leave:
        leave = visitor_type.on_leave
    else:
        leave = getattr(visitor_type, f"leave_{node_type.__name__}", None)
    return visit, leave


def walk(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """Visit `node` and its descendants in field order, like `node.visit(visitor)`."""
    visit, leave = _handlers(type(visitor), type(node))
    if visit is None or visit(visitor, node) is not False:
        for child in _children(node):
            walk(child, visitor)
    if leave is not None:
        leave(visitor, node)


def nodes(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`root` and every node below it, in field order: what `libcst.matchers.findall` searches,
    without importing the matchers module (0.4 s of start-up, paid by every run)."""
    yield root
    for child in _children(root):
        yield from nodes(child)


def _children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    for name in _fields(type(node)):
        value = getattr(node, name)
        kind = _kinds.get(type(value)) or _kind(type(value))
        if kind == _NODE:
            yield value
        elif kind == _SEQUENCE:
            for item in value:
                if (_kinds.get(type(item)) or _kind(type(item))) == _NODE:
                    yield item
