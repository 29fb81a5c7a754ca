"""One walk of the tree that keeps the graph-code frame stack and dispatches to every check."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import libcst as cst

from tflint.checks.base import Check, FileContext, Frame
from tflint.graph import FunctionNode

_Handler = Callable[[cst.CSTNode, FileContext], None]


def dispatch_table(checks: Sequence[Check]) -> tuple[dict[str, list[_Handler]], ...]:
    """visit_/leave_ handlers of all checks, keyed by node type name."""
    visits: dict[str, list[_Handler]] = defaultdict(list)
    leaves: dict[str, list[_Handler]] = defaultdict(list)
    for check in checks:
        for attribute in dir(check):
            if attribute.startswith("visit_"):
                visits[attribute[6:]].append(getattr(check, attribute))
            elif attribute.startswith("leave_"):
                leaves[attribute[6:]].append(getattr(check, attribute))
    return dict(visits), dict(leaves)


class Walker(cst.CSTVisitor):
    def __init__(self, ctx: FileContext, checks: Sequence[Check]) -> None:
        self.ctx = ctx
        self.visits, self.leaves = dispatch_table(checks)
        self._frame_owners: list[cst.CSTNode] = []  # the node that pushed each frame above the root

    def on_visit(self, node: cst.CSTNode) -> bool:
        ctx = self.ctx
        ctx.ancestors.append(node)
        frame = None
        if isinstance(node, cst.FunctionDef | cst.Lambda):
            frame = self._function_frame(node)
        elif isinstance(node, cst.ClassDef):
            frame = self._class_frame(node)
        elif self._leaves_graph(node):
            frame = Frame(ctx.frame.node, ctx.frame.symbol, None, ctx.frame.class_name)
        if frame is not None:
            ctx.frames.append(frame)
            self._frame_owners.append(node)
        for handler in self.visits.get(type(node).__name__, ()):
            handler(node, ctx)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        ctx = self.ctx
        for handler in self.leaves.get(type(original_node).__name__, ()):
            handler(original_node, ctx)
        if isinstance(original_node, cst.Assign | cst.AnnAssign | cst.AugAssign):
            ctx.passed.add(original_node)
        if self._frame_owners and self._frame_owners[-1] is original_node:
            self._frame_owners.pop()
            ctx.frames.pop()
        ctx.ancestors.pop()

    def _function_frame(self, node: FunctionNode) -> Frame:
        ctx = self.ctx
        parent = ctx.frame
        graph = ctx.graph
        if graph.is_exempt(node):
            reason = None
        else:
            reason = graph.reason(node) or (
                parent.reason if not isinstance(parent.node, cst.ClassDef) else None
            )
        name = node.name.value if isinstance(node, cst.FunctionDef) else "<lambda>"
        if parent.symbol is None:
            symbol = name
        elif isinstance(parent.node, cst.ClassDef):
            symbol = f"{parent.symbol}.{name}"
        else:
            symbol = f"{parent.symbol}.<locals>.{name}"
        class_name = parent.class_name if isinstance(parent.node, cst.ClassDef) else None
        return Frame(node, symbol, reason, class_name)

    def _class_frame(self, node: cst.ClassDef) -> Frame:
        parent = self.ctx.frame
        name = node.name.value
        symbol = name if parent.symbol is None else f"{parent.symbol}.<locals>.{name}"
        return Frame(node, symbol, None, name)

    def _leaves_graph(self, node: cst.CSTNode) -> bool:
        """`with tf.init_scope():` bodies and eager-only `if` branches run outside the graph."""
        if isinstance(node, cst.With):
            return self._is_init_scope(node)
        graph = self.ctx.graph
        if not isinstance(node, cst.IndentedBlock):
            return node in graph.eager_statements  # after `if tf.inside_function(): raise`
        return node in graph.eager_branches or self._numpy_only(node)

    def _numpy_only(self, block: cst.IndentedBlock) -> bool:
        """The body of `if isinstance(x, np.ndarray):` where graph code has a tensor in `x`:
        a tensor is never a NumPy array, so tracing never enters it (an eager caller's
        NumPy input does)."""
        ctx = self.ctx
        parent = ctx.ancestors[-2] if len(ctx.ancestors) > 1 else None
        if not isinstance(parent, cst.If) or parent.body is not block or ctx.frame.reason is None:
            return False
        test = parent.test
        if not isinstance(test, cst.Call) or len(test.args) != 2:
            return False
        if ctx.qualname(test.func) != "builtins.isinstance":
            return False
        kinds = test.args[1].value
        elements = [e.value for e in kinds.elements] if isinstance(kinds, cst.Tuple) else [kinds]
        numpy = all((ctx.qualname(e) or "").startswith("numpy.") for e in elements)
        return numpy and ctx.is_tensor(test.args[0].value)

    def _is_init_scope(self, node: cst.With) -> bool:
        return any(
            isinstance(item.item, cst.Call)
            and self.ctx.qualname(item.item.func) == "tensorflow.init_scope"
            for item in node.items
        )
