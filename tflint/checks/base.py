"""What a check sees: the file's graph-code map, where the walk is, and a way to report.

A check is a class with `codes` and `visit_<NodeType>(self, node, ctx)` /
`leave_<NodeType>(self, node, ctx)` methods. All checks run together in one walk of the tree
(TorchFix's batched traversal), so adding a rule costs one more method call per matching node,
not one more walk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst

from tflint.diagnostics import Applicability
from tflint.graph import TF_FUNCTION, FunctionNode, GraphContext, GraphReason, KerasKind
from tflint.graph.vocabulary import MAP_STRUCTURE
from tflint.names import ImportMap, target_names
from tflint.tensor_vocabulary import (
    FLAG_PARAMETERS,
    NON_TENSOR_TF,
    TENSOR_ATTRIBUTES,
    returns_tensor,
)
from tflint.traverse import walk

# Attributes of a tensor that are Python values at trace time (static shape information).
STATIC_ATTRIBUTES = frozenset({"shape", "dtype", "ndim", "rank", "name", "device", "graph"})
# Builtins whose result is a Python value whatever they are given.
_PYTHON_VALUE_CALLS = frozenset(
    {"builtins.int", "builtins.float", "builtins.str", "builtins.bool", "builtins.len"}
)
# What creates a TensorFlow/Keras variable: constructors, and a layer's own methods.
VARIABLE_FACTORIES = frozenset({"tensorflow.Variable", "keras.Variable"})
WEIGHT_METHODS = frozenset({"add_weight", "add_variable"})


@dataclass
class FixPlan:
    """A fix as node replacements; the engine turns it into text edits once positions exist."""

    message: str
    applicability: Applicability
    replacements: tuple[tuple[cst.CSTNode, cst.CSTNode], ...]
    # The name to add `import tensorflow [as <name>]` for, when the fix needs one.
    tensorflow_import: str | None = None


Rebinding = tuple[cst.CSTNode, cst.CSTNode | None, bool]  # assignment, its block, a tensor?


@dataclass
class Frame:
    """One function (or lambda, or class body) the walk is inside."""

    node: FunctionNode | cst.ClassDef | None
    symbol: str | None
    reason: GraphReason | None
    class_name: str | None = None
    _tensor_names: set[str] | None = field(default=None, repr=False)
    # Names assigned both tensors and Python values: each assignment, in source order, the
    # block it sits in, and whether it assigns a tensor (see FileContext._holds_tensor_here).
    # None in a caller's frame judged away from the walk (FileContext._parameters_fed_tensors):
    # there it is flow-insensitive.
    _rebound: dict[str, list[Rebinding]] | None = field(default=None, repr=False)
    detached: bool = False


@dataclass(frozen=True)
class Report:
    node: cst.CSTNode
    code: str
    message: str
    symbol: str | None
    fix: FixPlan | None


class FileContext:
    """Per-file state shared by all checks during the walk."""

    def __init__(
        self, filename: str, graph: GraphContext, enabled: frozenset[str], is_test_file: bool
    ) -> None:
        self.filename = filename
        self.graph = graph
        self.imports: ImportMap = graph.imports
        self.enabled = enabled
        self.is_test_file = is_test_file
        self.frames: list[Frame] = [Frame(None, None, None)]
        self.ancestors: list[cst.CSTNode] = []
        self.reports: list[Report] = []
        self._caller_frames: dict[FunctionNode, Frame] = {}
        self.passed: set[cst.CSTNode] = set()  # assignments the walk has left behind

    # -- where we are ------------------------------------------------------------------------

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    @property
    def in_graph(self) -> bool:
        return self.frame.reason is not None

    @property
    def function(self) -> FunctionNode | None:
        for frame in reversed(self.frames):
            if isinstance(frame.node, cst.FunctionDef | cst.Lambda):
                return frame.node
        return None

    def enclosing_method(self) -> tuple[str, cst.FunctionDef] | None:
        """(class name, method) when the innermost function is a method of a class."""
        frame = self.frame
        if isinstance(frame.node, cst.FunctionDef) and frame.class_name is not None:
            return frame.class_name, frame.node
        return None

    def class_kind(self) -> KerasKind | None:
        return self.graph.class_kind(self.frame.class_name)

    def where(self) -> str:
        """Why the current code is graph code, for messages."""
        reason = self.frame.reason
        return reason.text if reason else ""

    def parent(self, depth: int = 1) -> cst.CSTNode | None:
        index = len(self.ancestors) - 1 - depth
        return self.ancestors[index] if index >= 0 else None

    def enclosing(self) -> Iterator[cst.CSTNode]:
        """Ancestors of the current node, innermost first (excluding the node itself)."""
        return reversed(self.ancestors[:-1])

    # -- resolution --------------------------------------------------------------------------

    def qualname(self, node: cst.BaseExpression) -> str | None:
        return self.imports.resolve(node)

    def self_name(self) -> str | None:
        """The first parameter's name of the enclosing method (normally `self`)."""
        method = self.enclosing_method()
        if method is None:
            return None
        params = method[1].params.params
        return params[0].name.value if params else None

    def tensor_names(self) -> set[str]:
        """Names in the innermost function that hold tensor values (flow-insensitive)."""
        frame = self._function_frame()
        if frame is None:
            return set()
        if frame._tensor_names is None:
            frame._tensor_names = set()  # guards recursion through is_tensor
            frame._tensor_names = self._infer_tensor_names(frame)
            if not frame.detached:
                frame._rebound = self._rebound(frame, frame._tensor_names)
        return frame._tensor_names

    def _function_frame(self) -> Frame | None:
        return next(
            (f for f in reversed(self.frames) if isinstance(f.node, cst.FunctionDef | cst.Lambda)),
            None,
        )

    def _rebound(self, frame: Frame, names: set[str]) -> dict[str, list[Rebinding]]:
        """Names (not parameters) assigned a tensor somewhere and something else elsewhere."""
        node = frame.node
        assert isinstance(node, cst.FunctionDef | cst.Lambda)
        params = {p.name.value for p in (*node.params.posonly_params, *node.params.params)}
        found: dict[str, list[Rebinding]] = {}
        for targets, value, statement, block in collect_assignment_nodes(node):
            tensor = self.is_tensor(value)
            for target in targets:
                if target in names and target not in params:
                    found.setdefault(target, []).append((statement, block, tensor))
        return {k: v for k, v in found.items() if len({entry[2] for entry in v}) == 2}

    def _holds_tensor_here(self, name: str) -> bool:
        """A tensor name, where the walk is. A name rebound between tensors and Python values
        (`x_shape = static_shape(x)`, later `x_shape = tf.shape(x)`) holds a tensor when an
        assignment the walk has passed gave it one and no later passed Python-valued assignment
        in a block around the use (one every path to it runs) replaced it: `if ...: t =
        ops.equal(a, b)` / `else: t = np.array(True)` may still hold the tensor after the `if`."""
        if name not in self.tensor_names():
            return False
        frame = self._function_frame()
        entries = frame._rebound.get(name) if frame is not None and frame._rebound else None
        if not entries:
            return True
        for statement, block, tensor in reversed(entries):
            if statement not in self.passed:
                continue
            if tensor:
                return True
            if any(ancestor is block for ancestor in self.ancestors):
                return False
        return False

    def _infer_tensor_names(self, frame: Frame) -> set[str]:
        node = frame.node
        assert isinstance(node, cst.FunctionDef | cst.Lambda)
        names = {
            param.name.value
            for param in (
                *node.params.posonly_params,
                *node.params.params,
                *node.params.kwonly_params,
            )
            if param.name.value not in FLAG_PARAMETERS and not _literal_default(param)
        }
        if frame.class_name is not None and isinstance(node, cst.FunctionDef):
            params = (*node.params.posonly_params, *node.params.params)
            if params:
                names.discard(params[0].name.value)
        if frame.reason is None:
            names.clear()  # eager code: parameters may be anything
        elif node in self.graph.helper_calls:
            names &= self._parameters_fed_tensors(node)  # `kernel(self.sigma, 5)` feeds none
        elif frame.reason.tensors is not None:  # traced from another module: what it passes
            names &= frame.reason.tensors
        frame._tensor_names = names
        assignments = collect_assignments(node)
        arrays = {
            name for targets, value in assignments if self._is_array(value) for name in targets
        }
        for _ in range(2):
            for targets, value in assignments:
                if self.is_tensor(value) and not _converts_itself(targets, value, arrays):
                    names.update(targets)
        return names

    def _is_array(self, value: cst.BaseExpression) -> bool:
        """A Python value while tracing: a NumPy call's result, a literal list, tuple, number
        or string, or `int(...)`/`float(...)`/`str(...)`/`bool(...)`/`len(...)` (and their
        class methods, `int.from_bytes(...)`)."""
        if isinstance(value, cst.List | cst.Tuple | cst.BaseNumber | cst.BaseString):
            return True
        qualname = (self.qualname(value.func) or "") if isinstance(value, cst.Call) else ""
        owner = qualname.rsplit(".", 1)[0]  # `int.from_bytes(...)`
        return qualname.startswith("numpy.") or _PYTHON_VALUE_CALLS & {qualname, owner} != set()

    def _parameters_fed_tensors(self, helper: FunctionNode) -> set[str]:
        """Parameters of a helper that some graph-code call passes a tensor, judged in the
        caller's own frame; all of them where a TF op is handed the function (tf.map_fn)."""
        params = [p.name.value for p in (*helper.params.posonly_params, *helper.params.params)]
        fed: set[str] = set()
        for caller, call in self.graph.helper_calls[helper]:
            if call is None or any(arg.star for arg in call.args):
                return set(params) | {p.name.value for p in helper.params.kwonly_params}
            leaves = self.qualname(call.func) in MAP_STRUCTURE  # f(leaf of a, leaf of b)
            # `self.m(x)`, `obj.m(x)`, and `C(x)`/`obj(x)` running `__init__`/`__call__`
            bound = isinstance(call.func, cst.Attribute) or self.graph.method_class(helper)
            positional = params[1:] if bound and not leaves else params
            arguments = call.args[1:] if leaves else call.args
            frame = self._caller_frames.get(caller)
            if frame is None:
                class_name = self.graph.method_class(caller)
                reason = self.graph.reason(caller)
                frame = Frame(caller, None, reason, class_name, detached=True)
                self._caller_frames[caller] = frame
            self.frames.append(frame)
            try:
                holds = self._holds_tensors if leaves else self.is_tensor
                for index, arg in enumerate(a for a in arguments if a.keyword is None):
                    if index < len(positional) and holds(arg.value):
                        fed.add(positional[index])
                for arg in arguments:
                    if arg.keyword is not None and self.is_tensor(arg.value) and not leaves:
                        fed.add(arg.keyword.value)
            finally:
                self.frames.pop()
        return fed

    def _holds_tensors(self, node: cst.BaseExpression) -> bool:
        """A tensor, or a literal structure (list, tuple, dict) with a tensor among its leaves."""
        if isinstance(node, cst.List | cst.Tuple | cst.Set):
            return any(self._holds_tensors(element.value) for element in node.elements)
        if isinstance(node, cst.Dict):
            return any(
                isinstance(element, cst.DictElement) and self._holds_tensors(element.value)
                for element in node.elements
            )
        return self.is_tensor(node)

    def is_tensor(self, node: cst.BaseExpression) -> bool:
        """Whether an expression evidently holds a tensor value: a graph-code parameter, a `tf.*`
        / `keras.ops.*` result, or a name assigned from one (static shapes are Python values)."""
        if isinstance(node, cst.Name):
            return self._holds_tensor_here(node.value)
        if isinstance(node, cst.Attribute):
            if node.attr.value in STATIC_ATTRIBUTES:
                return False
            return self.is_tensor(node.value) and node.attr.value in TENSOR_ATTRIBUTES
        if isinstance(node, cst.Subscript):
            return self.is_tensor(node.value)
        if isinstance(node, cst.BinaryOperation):
            return self.is_tensor(node.left) or self.is_tensor(node.right)
        if isinstance(node, cst.UnaryOperation):
            return self.is_tensor(node.expression)
        if isinstance(node, cst.Call):
            return self._call_returns_tensor(node)
        return False

    def _call_returns_tensor(self, call: cst.Call) -> bool:
        qualname = self.qualname(call.func)
        if qualname is not None:
            if qualname in NON_TENSOR_TF:
                return False
            if returns_tensor(qualname):
                return True
            if qualname.startswith("builtins.") and qualname.count(".") == 1:
                return False  # a real builtin (`len`); `self.dense` also resolves to builtins.*
        func = call.func
        # Sub-layers (`self.dense(x)`, not the class's own methods, which may return anything)
        # and same-module helpers fed tensors return tensors.
        is_self_attribute = (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value == self.self_name()
            and self.graph.find_method(self.frame.class_name or "", func.attr.value) is None
        )
        local = self.graph.module_functions.get(func.value) if isinstance(func, cst.Name) else None
        if local is not None and _returns_python_value(local):
            return False  # `get_shape(x)` returning `x.shape.as_list()`: a Python list
        is_local_function = local is not None
        if is_self_attribute or is_local_function:
            return any(self.is_tensor(arg.value) for arg in call.args)
        return False

    def is_tf_function_call(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Call) and self.qualname(node.func) in TF_FUNCTION

    # -- reporting ---------------------------------------------------------------------------

    def report(
        self, node: cst.CSTNode, code: str, message: str, fix: FixPlan | None = None
    ) -> None:
        if code in self.enabled:
            self.reports.append(Report(node, code, message, self.frame.symbol, fix))

    def tensorflow_alias(self, attribute: str) -> tuple[str, str | None] | None:
        """How a fix here spells `tf.<attribute>`: (the name, the name to import or None when
        the module's own binding serves); None when no name is safe (names.tensorflow_name)."""
        found = self.imports.tensorflow_name(self.ancestors, attribute.split(".")[0])
        if found is None:
            return None
        name, needs_import = found
        return name, name if needs_import else None


def _returns_python_value(function: cst.FunctionDef) -> bool:
    """Whether every `return` of a helper gives static shape information (`t.shape`,
    `t.shape.as_list()`, `t.get_shape().as_list()`, `list(t.shape)`, `t.shape[1:]`, `t.ndim`)
    or a Python test (`s is None or isinstance(s, int)`), or None, directly or through a local
    name every assignment of which is one (`shape = x.shape; shape = tuple(shape.as_list());
    return shape`): Python values at trace time, as they are when written inline."""
    finder = _ReturnFinder()
    walk(function.body, finder)
    if not finder.values:
        return False
    assignments = collect_assignments(function)
    shapes = {name for targets, _ in assignments for name in targets}
    while True:  # the names whose every assignment is static, given the others that are
        kept = {
            name
            for name in shapes
            if all(
                _is_static_shape(value, shapes) for targets, value in assignments if name in targets
            )
        }
        if kept == shapes:
            break
        shapes = kept
    return all(
        value is None
        or (isinstance(value, cst.Name) and value.value == "None")
        or _is_static_shape(value, shapes)
        or _is_python_test(value)
        for value in finder.values
    )


class _ReturnFinder(cst.CSTVisitor):
    """The values a function returns (not those of functions nested in it)."""

    def __init__(self) -> None:
        self.values: list[cst.BaseExpression | None] = []

    def visit_Return(self, node: cst.Return) -> None:
        self.values.append(node.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def _is_python_test(node: cst.BaseExpression | None) -> bool:
    """A Python bool whatever the operands: `x is None`, `isinstance(x, int)`, `callable(f)`,
    `hasattr(x, "a")`, and `not`/`and`/`or` of such (`seed is None or isinstance(seed, int)`)."""
    if isinstance(node, cst.Name):
        return node.value in ("True", "False")
    if isinstance(node, cst.UnaryOperation):
        return isinstance(node.operator, cst.Not) and _is_python_test(node.expression)
    if isinstance(node, cst.BooleanOperation):
        return _is_python_test(node.left) and _is_python_test(node.right)
    if isinstance(node, cst.Comparison):
        return all(isinstance(c.operator, cst.Is | cst.IsNot) for c in node.comparisons)
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value in ("isinstance", "issubclass", "callable", "hasattr")
    )


def _is_static_shape(node: cst.BaseExpression | None, shapes: set[str] | None = None) -> bool:
    """Static shape information, or a name in `shapes` (local names known to hold it)."""
    if isinstance(node, cst.Name):
        return shapes is not None and node.value in shapes
    if isinstance(node, cst.Subscript):
        return _is_static_shape(node.value, shapes)
    if isinstance(node, cst.Attribute):
        return node.attr.value in ("shape", "ndim", "rank")
    if not isinstance(node, cst.Call):
        return False
    func = node.func
    if isinstance(func, cst.Name) and func.value in ("list", "tuple") and len(node.args) == 1:
        return _is_static_shape(node.args[0].value, shapes)
    if isinstance(func, cst.Attribute) and not node.args:
        if func.attr.value == "get_shape":
            return True
        if func.attr.value == "as_list":
            return _is_static_shape(func.value, shapes)
    return False


def _converts_itself(targets: list[str], value: cst.BaseExpression, arrays: set[str]) -> bool:
    """`reps = tf.constant(reps)` (or `seed = tf.constant([0, seed])`) where the name also holds
    a Python value (a NumPy array, a list, a number): it holds that value before this line and
    the tensor after it; taken for a tensor nowhere (flow-insensitively), as the uses before
    the conversion are the Python value's."""
    if len(targets) != 1 or targets[0] not in arrays or not isinstance(value, cst.Call):
        return False
    first = value.args[0].value if value.args else None
    if isinstance(first, cst.List | cst.Tuple):
        return any(_is_name(e.value, targets[0]) for e in first.elements)
    return first is not None and _is_name(first, targets[0])


def _is_name(node: cst.BaseExpression, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _literal_default(param: cst.Param) -> bool:
    default = param.default
    if default is None:
        return False
    if isinstance(default, cst.UnaryOperation):
        default = default.expression
    return isinstance(default, cst.BaseNumber | cst.BaseString) or (
        isinstance(default, cst.Name) and default.value in ("None", "True", "False")
    )


def collect_assignments(node: FunctionNode) -> list[tuple[list[str], cst.BaseExpression]]:
    """(target names, value) of every assignment in one function body, nested functions aside."""
    collector = _AssignmentCollector()
    walk(node.body, collector)
    return collector.assignments


def collect_assignment_nodes(
    node: FunctionNode,
) -> list[tuple[list[str], cst.BaseExpression, cst.CSTNode, cst.CSTNode | None]]:
    """collect_assignments with each assignment's node and the block it sits in, in source
    order."""
    collector = _AssignmentCollector()
    walk(node.body, collector)
    where = zip(collector.nodes, collector.blocks, strict=True)
    return [(*pair, *at) for pair, at in zip(collector.assignments, where, strict=True)]


class _AssignmentCollector(cst.CSTVisitor):
    """Assignments in one function body, not descending into nested functions."""

    def __init__(self) -> None:
        self.assignments: list[tuple[list[str], cst.BaseExpression]] = []
        self.nodes: list[cst.CSTNode] = []
        self.blocks: list[cst.CSTNode | None] = []
        self._open: list[cst.CSTNode] = []  # the blocks around the walk

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._open.append(node)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self._open.pop()

    def _at(self, node: cst.CSTNode) -> None:
        self.nodes.append(node)
        self.blocks.append(self._open[-1] if self._open else None)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        names = [name for target in node.targets for name in target_names(target.target)]
        self.assignments.append((names, node.value))
        self._at(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.assignments.append((target_names(node.target), node.value))
            self._at(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.assignments.append((target_names(node.target), node.value))
        self._at(node)


class Check:
    """Base class of a rule family; see the module docstring."""

    codes: ClassVar[frozenset[str]] = frozenset()
