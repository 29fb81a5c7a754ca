"""A module's own graph code by dotted name, from its GraphContext (worker side: LibCST)."""

from __future__ import annotations

from collections.abc import Mapping

from tflint.graph import FunctionNode, GraphContext, GraphReason
from tflint.project.summary import Reason


def graph_roots(
    graph: GraphContext | None,
) -> tuple[dict[str, tuple[str, bool, bool]], tuple[str, ...]]:
    """The module's graph code and exempt functions by dotted name (top-level functions and
    methods of top-level classes: what other modules can reach); none without a map."""
    if graph is None:
        return {}, ()
    names: dict[FunctionNode, str] = {node: name for name, node in graph.module_functions.items()}
    for class_name, info in graph.classes.items():
        names.update({node: f"{class_name}.{m}" for m, node in info.methods.items()})
    roots = {
        names[node]: (reason.text, reason.autograph, reason.converts_print)
        for node, reason in graph.graph.items()
        if node in names
    }
    exempt = tuple(sorted(names[node] for node in graph.exempt if node in names))
    return roots, exempt


def graph_reasons(roots: Mapping[str, Reason]) -> dict[str, GraphReason]:
    return {
        name: GraphReason(
            r.text,
            r.autograph,
            r.converts_print,
            None if r.tensors is None else frozenset(r.tensors),
        )
        for name, r in roots.items()
    }
