"""TF203, TF205, TF207: tensors treated as the Python values they only hold eagerly.

A symbolic tensor has no value while TensorFlow traces: Python conversions of it raise, its
static batch dimension may be `None`, and identity tests against `True`/`False` are decided by
the object, never by the value. Each check reports only where the operand is evidently a tensor:
a bare parameter counts only where the function evidently receives tensors (an
`input_signature`, a `tf.data` transformation), since tf.functions and Keras methods are also
handed Python flags, numbers and lists.
"""

from __future__ import annotations

import libcst as cst

from tflint.checks.base import Check, FileContext
from tflint.names import target_names
from tflint.traverse import walk


def _parameters(function: cst.FunctionDef | cst.Lambda) -> list[cst.Param]:
    params = function.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]


def _parameter_names(ctx: FileContext) -> set[str]:
    function = ctx.function
    return {p.name.value for p in _parameters(function)} if function is not None else set()


def _signature(
    ctx: FileContext, function: cst.FunctionDef | cst.Lambda
) -> cst.BaseExpression | None:
    """The `input_signature=` a tf.function decorator gives this function, when not None."""
    found = ctx.graph.tf_function_decorator(function)
    if found is None:
        return None
    signature = found.options.get("input_signature")
    if signature is None or (isinstance(signature, cst.Name) and signature.value == "None"):
        return None
    return signature


def _receives_tensors(ctx: FileContext) -> bool:
    """Whether the innermost function's parameters are certainly tensors: it has an
    `input_signature`, or a `tf.data` transformation traces it with dataset elements."""
    function = ctx.function
    if function is None or not ctx.in_graph:
        return False
    reason = ctx.graph.reason(function)
    if reason is not None and reason.text.startswith("traced by Dataset."):
        return True
    return _signature(ctx, function) is not None


_VALUE_COMPARISONS = (
    cst.LessThan, cst.GreaterThan, cst.LessThanEqual, cst.GreaterThanEqual, cst.Equal, cst.NotEqual,
)  # fmt: skip


# `keras.ops` calls that return Python values (a shape tuple, a rank), not tensors.
_PYTHON_RESULTS = frozenset({"keras.ops.shape", "keras.ops.ndim"})


def evident_tensor(node: cst.BaseExpression, ctx: FileContext) -> bool:
    """A tensor value for sure: a `tf.*` / `keras.ops.*` result, an element or arithmetic of
    one, or a name bound (never by unpacking or a loop) to one; a parameter only where the
    function evidently receives tensors."""
    return ctx.in_graph and _evident(node, ctx, frozenset())


def _evident(node: cst.BaseExpression, ctx: FileContext, seen: frozenset[str]) -> bool:
    if isinstance(node, cst.Comparison):  # `t > 0` is a boolean tensor
        operands = [node.left, *(c.comparator for c in node.comparisons)]
        return all(isinstance(c.operator, _VALUE_COMPARISONS) for c in node.comparisons) and any(
            _evident(operand, ctx, seen) for operand in operands
        )
    if isinstance(node, cst.BinaryOperation):
        return _evident(node.left, ctx, seen) or _evident(node.right, ctx, seen)
    if isinstance(node, cst.UnaryOperation):
        return _evident(node.expression, ctx, seen)
    if isinstance(node, cst.Subscript):
        return _evident(node.value, ctx, seen)
    if isinstance(node, cst.Call):
        return ctx.qualname(node.func) not in _PYTHON_RESULTS and ctx.is_tensor(node)
    if isinstance(node, cst.Attribute):
        return ctx.is_tensor(node) and _evident(node.value, ctx, seen)
    if not isinstance(node, cst.Name) or node.value in seen or not ctx.is_tensor(node):
        return False
    if node.value in _parameter_names(ctx):
        return _receives_tensors(ctx)
    function = ctx.function
    bindings = _bindings(function).get(node.value) if function is not None else None
    if not bindings or None in bindings:
        return False  # unbound here, or bound by unpacking, a loop, `+=`, `as`
    return any(_evident(value, ctx, seen | {node.value}) for value in bindings if value)


_BINDINGS: dict[int, tuple[cst.CSTNode, dict[str, list[cst.BaseExpression | None]]]] = {}


def _bindings(
    function: cst.FunctionDef | cst.Lambda,
) -> dict[str, list[cst.BaseExpression | None]]:
    """Each name's bound values in one function body (None: bound by unpacking, a loop, `+=`,
    `with ... as`, ...), nested functions aside; cached per function."""
    cached = _BINDINGS.get(id(function))
    if cached is not None and cached[0] is function:
        return cached[1]
    collector = _Bindings()
    walk(function.body, collector)
    if len(_BINDINGS) > 256:
        _BINDINGS.clear()
    _BINDINGS[id(function)] = (function, collector.values)
    return collector.values


class _Bindings(cst.CSTVisitor):
    def __init__(self) -> None:
        self.values: dict[str, list[cst.BaseExpression | None]] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            self.values.setdefault(target.value, []).append(value)
            return
        for name in target_names(target):
            self.values.setdefault(name, []).append(None)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target, None)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target, None)

    def visit_AsName(self, node: cst.AsName) -> None:
        if isinstance(node.name, cst.BaseExpression):
            self._bind(node.name, None)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, node.value)


class ModuleFacts:
    """What the module as a whole says about how its Keras code runs: a Keras backend other
    than TensorFlow (`os.environ["KERAS_BACKEND"] = "jax"`: Keras methods are never TensorFlow
    graphs), and Keras inputs built with a fixed batch (`keras.Input(batch_shape=...)`)."""

    def __init__(self, module: cst.Module, ctx: FileContext) -> None:
        scan = _FactScan(ctx)
        walk(module, scan)
        self.module = module
        self.other_backend = scan.other_backend
        self.fixed_batch_inputs = scan.fixed_batch_inputs

    @classmethod
    def of(cls, module: cst.Module, ctx: FileContext) -> ModuleFacts:
        """The facts of `module`, scanned once for all the checks that ask."""
        if _last_facts and _last_facts[0].module is module:
            return _last_facts[0]
        facts = cls(module, ctx)
        _last_facts[:] = [facts]
        return facts

    def keras_is_tensorflow(self, ctx: FileContext) -> bool:
        """Whether the current graph code is TensorFlow's: always for a tf.function or a
        tf.data function; for Keras-traced code only under the TensorFlow backend."""
        if not self.other_backend:
            return True
        function = ctx.function
        reason = ctx.frame.reason
        return function is not None and (
            ctx.graph.tf_function_decorator(function) is not None
            or (reason is not None and reason.text.startswith("traced by Dataset."))
        )


_last_facts: list[ModuleFacts] = []
_BACKEND_VARIABLE = "KERAS_BACKEND"
_INPUT_BATCH_KEYWORDS = frozenset({"batch_shape", "batch_size", "batch_input_shape"})


class _FactScan(cst.CSTVisitor):
    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.other_backend = False
        self.fixed_batch_inputs = False

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            subscript = target.target
            if isinstance(subscript, cst.Subscript) and len(subscript.slice) == 1:
                index = subscript.slice[0].slice
                if isinstance(index, cst.Index) and _is_text(index.value, _BACKEND_VARIABLE):
                    self._backend(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "setdefault":
            if len(node.args) == 2 and _is_text(node.args[0].value, _BACKEND_VARIABLE):
                self._backend(node.args[1].value)
            return
        qualname = self.ctx.qualname(func) or ""
        if qualname in ("keras.Input", "keras.layers.Input", "keras.layers.InputLayer") and any(
            arg.keyword is not None and arg.keyword.value in _INPUT_BATCH_KEYWORDS
            for arg in node.args
        ):
            self.fixed_batch_inputs = True

    def _backend(self, value: cst.BaseExpression) -> None:
        if isinstance(value, cst.SimpleString) and value.evaluated_value != "tensorflow":
            self.other_backend = True


def _is_text(node: cst.BaseExpression, text: str) -> bool:
    return isinstance(node, cst.SimpleString) and node.evaluated_value == text


class _ModuleAwareCheck(Check):
    """A check that reads the module's facts once, before the walk reaches its body."""

    facts: ModuleFacts

    def visit_Module(self, node: cst.Module, ctx: FileContext) -> None:
        self.facts = ModuleFacts.of(node, ctx)


def _short(node: cst.CSTNode) -> str:
    text = " ".join(cst.Module([]).code_for_node(node).split())
    return text if len(text) <= 40 else text[:39] + "…"


# --------------------------------------------------------------------------------------------
# TF203 python-conversion-of-tensor

_ALWAYS = {
    "builtins.bool": (
        "raises `OperatorNotAllowedInGraphError` (using a symbolic tensor as a Python bool "
        "is not allowed)"
    ),
    "builtins.round": (
        "raises `AttributeError: ... object has no attribute 'astype'` (eagerly too: "
        "TensorFlow tensors do not support `round`)"
    ),
}
_WITHOUT_AUTOGRAPH = {
    "builtins.float": "raises `TypeError: float() argument must be ... not 'SymbolicTensor'`",
    "builtins.int": "raises `TypeError: int() argument must be ... not 'SymbolicTensor'`",
    "builtins.len": "raises `TypeError: len is not well defined for a symbolic Tensor`",
}
_METHODS = {
    "item": "raises `AttributeError: 'SymbolicTensor' object has no attribute 'item'`",
    "tolist": "raises `AttributeError: SymbolicTensor object has no attribute 'tolist'`",
}
_FORMAT = "raises `TypeError: unsupported format string passed to SymbolicTensor.__format__`"
_CONVERSION_ADVICE = {
    "builtins.bool": "use a tensor condition (`tf.cond`, `tf.where`, or AutoGraph's `if t:`)",
    "builtins.round": "use `tf.round`",
    "builtins.float": "use `tf.cast(t, tf.float32)`",
    "builtins.int": "use `tf.cast(t, tf.int32)`",
    "builtins.len": "use `tf.shape(t)[0]`",
    "item": "keep the value a tensor (`tf.reshape(t, [])` for a scalar)",
    "tolist": "keep the value a tensor",
    "format": "format it with `tf.strings.as_string` or print it with `tf.print`",
}


class ConversionCheck(_ModuleAwareCheck):
    """A symbolic tensor handed to Python's conversions while TensorFlow traces.

    `float`/`int`/`len` are flagged only where AutoGraph is off (Keras 3 never converts user
    code; `autograph=False`): a plain tf.function's AutoGraph turns them into `tf.cast` and
    `tf.shape` (observed on TF 2.21), so they work there.
    """

    codes = frozenset({"TF203"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if not ctx.in_graph or not self.facts.keras_is_tensorflow(ctx):
            return
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in _METHODS
            and not node.args
            and evident_tensor(func.value, ctx)
        ):
            name = func.attr.value
            self._report(node, ctx, f"`.{name}()` on a tensor", _METHODS[name], name)
            return
        qualname = ctx.qualname(func)
        if qualname is None or len(node.args) < 1 or node.args[0].star:
            return
        first = node.args[0].value
        if qualname == "builtins.format" and len(node.args) == 2 and _non_empty(node.args[1]):
            if evident_tensor(first, ctx):
                self._report(node, ctx, "`format()` of a tensor with a spec", _FORMAT, "format")
            return
        if qualname == "builtins.str" or len(node.args) > 2 or not evident_tensor(first, ctx):
            return
        if qualname in _ALWAYS:
            claim = _ALWAYS[qualname]
        elif qualname in _WITHOUT_AUTOGRAPH and not self._autograph(ctx):
            claim = f"{_WITHOUT_AUTOGRAPH[qualname]} (AutoGraph is off here)"
        else:
            return
        short = qualname.removeprefix("builtins.")
        self._report(node, ctx, f"`{short}()` of a tensor", claim, qualname)

    def visit_FormattedStringExpression(
        self, node: cst.FormattedStringExpression, ctx: FileContext
    ) -> None:
        spec = node.format_spec
        if spec and evident_tensor(node.expression, ctx) and self.facts.keras_is_tensorflow(ctx):
            self._report(node, ctx, 'A format spec on a tensor (`f"{t:.2f}"`)', _FORMAT, "format")

    def leave_Call(self, node: cst.Call, ctx: FileContext) -> None:
        """`"{:.2f}".format(t)`: a literal template with a spec for a tensor argument."""
        func = node.func
        if not (
            ctx.in_graph
            and isinstance(func, cst.Attribute)
            and func.attr.value == "format"
            and isinstance(func.value, cst.SimpleString)
            and ":" in func.value.evaluated_value
            and self.facts.keras_is_tensorflow(ctx)
        ):
            return
        if any(not arg.star and evident_tensor(arg.value, ctx) for arg in node.args):
            self._report(node, ctx, "`str.format` with a spec on a tensor", _FORMAT, "format")

    @staticmethod
    def _autograph(ctx: FileContext) -> bool:
        reason = ctx.frame.reason
        return reason is None or reason.autograph

    @staticmethod
    def _report(node: cst.CSTNode, ctx: FileContext, what: str, claim: str, key: str) -> None:
        ctx.report(
            node,
            "TF203",
            f"{what} in graph code ({ctx.where()}) {claim}; {_CONVERSION_ADVICE[key]}",
        )


def _non_empty(arg: cst.Arg) -> bool:
    value = arg.value
    return not (isinstance(value, cst.SimpleString) and value.evaluated_value == "")


# --------------------------------------------------------------------------------------------
# TF205 batch-dim-from-static-shape

# Calls whose arguments are checked or shown, not computed with: `None` passes through them.
_STATIC_USES = ("tensorflow.debugging.", "tensorflow.print", "tensorflow.TensorShape",
                "tensorflow.TensorSpec", "tensorflow.ensure_shape", "tensorflow.compat.",
                "tensorflow.get_static_value", "builtins.print", "builtins.isinstance",
                "builtins.str", "builtins.repr")  # fmt: skip
_VALUE_BUILTINS = frozenset({"builtins.range", "builtins.float", "builtins.int"})


def _static_batch(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """The tensor expression `node` reads the static first dimension of: `x.shape[0]`,
    `x.get_shape()[0]`, `x.shape.as_list()[0]`."""
    if not isinstance(node, cst.Subscript) or len(node.slice) != 1:
        return None
    index = node.slice[0].slice
    if not (isinstance(index, cst.Index) and isinstance(index.value, cst.Integer)):
        return None
    if index.value.evaluated_value != 0:
        return None
    return _shape_of(node.value)


def _shape_of(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """`x` of `x.shape`, `x.get_shape()`, `x.shape.as_list()`, `x.get_shape().as_list()`."""
    if isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute):
        attribute = node.func.attr.value
        if attribute == "as_list":
            return _shape_of(node.func.value)
        return node.func.value if attribute == "get_shape" else None
    if isinstance(node, cst.Attribute) and node.attr.value == "shape":
        return node.value
    return None


class BatchDimensionCheck(_ModuleAwareCheck):
    """`x.shape[0]` of a parameter computed with where the batch dimension can be `None`:
    functions with an `input_signature` (whose spec does not fix it) or `reduce_retracing`,
    Keras-traced methods (Keras builds and fits with a `None` batch), and what they call.

    A plain tf.function retraces for every new shape, so there `x.shape[0]` is a number.
    """

    codes = frozenset({"TF205"})

    def __init__(self) -> None:
        self._uses: dict[cst.CSTNode, tuple[str, cst.BaseExpression, str]] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef, ctx: FileContext) -> None:
        self._scan(node, ctx)

    def visit_Lambda(self, node: cst.Lambda, ctx: FileContext) -> None:
        self._scan(node, ctx)

    def _scan(self, function: cst.FunctionDef | cst.Lambda, ctx: FileContext) -> None:
        if ctx.graph.reason(function) is None:
            return
        scan = _ValueUses(ctx)
        walk(function.body, scan)
        self._uses.update(scan.found())

    def visit_Subscript(self, node: cst.Subscript, ctx: FileContext) -> None:
        self._judge(node, ctx)

    def visit_Name(self, node: cst.Name, ctx: FileContext) -> None:
        self._judge(node, ctx)

    def _judge(self, node: cst.Subscript | cst.Name, ctx: FileContext) -> None:
        found = self._uses.get(node)
        if found is None or not ctx.in_graph:
            return
        use, tensor, label = found
        if not isinstance(tensor, cst.Name) or not self.facts.keras_is_tensorflow(ctx):
            return
        if _guarded(ctx, tensor.value) or not _batch_unknown(ctx, tensor.value, self.facts):
            return
        ctx.report(
            node,
            "TF205",
            f"{label} (the static batch size of `{tensor.value}`) is {use} in graph code "
            f"({ctx.where()}), but it is `None` {_why_none(ctx)}, and tracing then raises "
            f"`TypeError`/`ValueError` on the `None`; use `tf.shape({tensor.value})[0]`",
        )


def _why_none(ctx: FileContext) -> str:
    reason = ctx.frame.reason
    if reason is not None and reason.text.startswith("Keras traces"):
        return "when Keras builds or fits the model (batch size unknown)"
    return "where the batch size is unknown (an `input_signature` or `reduce_retracing`)"


def _guarded(ctx: FileContext, name: str) -> bool:
    """Whether the node sits under an `if`/`while` (or conditional expression) whose test
    reads `name`'s static batch size (`if x.shape[0] is not None:`), within its function."""
    for ancestor in ctx.enclosing():
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            return False
        if isinstance(ancestor, cst.If | cst.IfExp | cst.While):
            finder = _BatchReads(name)
            walk(ancestor.test, finder)
            if finder.found:
                return True
    return False


class _BatchReads(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.found = False

    def visit_Subscript(self, node: cst.Subscript) -> None:
        source = _static_batch(node)
        if isinstance(source, cst.Name) and source.value == self.name:
            self.found = True


def _batch_unknown(ctx: FileContext, name: str, facts: ModuleFacts) -> bool:
    """Whether `name`, a parameter of the innermost function holding a tensor, can have an
    unknown (None) first dimension while traced."""
    function = ctx.function
    if function is None or name not in ctx.tensor_names():
        return False
    index = next((i for i, p in enumerate(_parameters(function)) if p.name.value == name), None)
    if index is None:
        return False
    return _unknown_in(ctx, function, index, facts, set())


def _unknown_in(
    ctx: FileContext,
    function: cst.FunctionDef | cst.Lambda,
    index: int,
    facts: ModuleFacts,
    seen: set[cst.CSTNode],
) -> bool:
    """Whether parameter `index` of `function` may have an unknown batch while traced."""
    seen.add(function)
    reason = ctx.graph.reason(function)
    if reason is None:
        return False
    if reason.text.startswith("Keras traces"):
        return not facts.fixed_batch_inputs
    found = ctx.graph.tf_function_decorator(function)
    if found is not None:
        retracing = found.options.get("reduce_retracing")
        if isinstance(retracing, cst.Name) and retracing.value == "True":
            return True
        signature = _signature(ctx, function)
        return signature is not None and not _fixed_batch(signature, function, index)
    if reason.text.startswith("called from graph code"):
        callers = ctx.graph.helper_calls.get(function, [])
        return any(
            caller not in seen and _caller_unknown(ctx, caller, facts, seen)
            for caller, _ in callers
        )
    return False


def _caller_unknown(
    ctx: FileContext,
    caller: cst.FunctionDef | cst.Lambda,
    facts: ModuleFacts,
    seen: set[cst.CSTNode],
) -> bool:
    """Whether a caller may hand on a tensor of unknown batch: it runs where batches are
    unknown (any of its parameters could be the one passed on)."""
    return any(
        _unknown_in(ctx, caller, i, facts, seen)
        for i, p in enumerate(_parameters(caller))
        if p.name.value not in ("self", "cls")
    )


def _fixed_batch(
    signature: cst.BaseExpression, function: cst.FunctionDef | cst.Lambda, index: int
) -> bool:
    """Whether the signature's spec for parameter `index` fixes the first dimension to a
    number (`tf.TensorSpec([32, 3])`)."""
    if not isinstance(signature, cst.List | cst.Tuple):
        return False
    params = _parameters(function)
    if params and params[0].name.value in ("self", "cls"):
        index -= 1
    if not 0 <= index < len(signature.elements):
        return False
    spec = signature.elements[index].value
    if not isinstance(spec, cst.Call):
        return False
    shape = next(
        (a.value for a in spec.args if a.keyword is None or a.keyword.value == "shape"), None
    )
    if not isinstance(shape, cst.List | cst.Tuple) or not shape.elements:
        return False
    return isinstance(shape.elements[0].value, cst.Integer)


class _ValueUses(cst.CSTVisitor):
    """In one function body: the `x.shape[0]` expressions (and the names bound to one) used
    as values — tensor construction, arithmetic, `range`/`int`/`float` — mapped to the use."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.stack: list[cst.CSTNode] = []
        # name → (what holds it: `x.shape[0]` or the unpacked target, the tensor `x`)
        self.bound: dict[str, tuple[cst.CSTNode, cst.BaseExpression]] = {}
        self.rebound: set[str] = set()
        self.direct: dict[cst.CSTNode, str] = {}
        self.name_uses: list[tuple[cst.Name, str]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.stack and isinstance(node, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            return False
        self.stack.append(node)
        if isinstance(node, cst.Subscript) and _static_batch(node) is not None:
            use = self._use()
            if use is not None:
                self.direct[node] = use
        elif isinstance(node, cst.Name):
            use = self._use()
            if use is not None:
                self.name_uses.append((node, use))
        elif isinstance(node, cst.Assign):
            self._bind(node)
        elif isinstance(node, cst.AugAssign | cst.AnnAssign | cst.For):
            for name in target_names(node.target):
                self.rebound.add(name)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if self.stack and self.stack[-1] is original_node:
            self.stack.pop()

    def _bind(self, node: cst.Assign) -> None:
        for target in node.targets:
            inner = target.target
            if isinstance(inner, cst.Name) and _static_batch(node.value) is not None:
                self._hold(inner.value, node.value, _static_batch(node.value))
                continue
            if (
                isinstance(inner, cst.Tuple | cst.List)
                and inner.elements
                and _shape_of(node.value) is not None
                and isinstance(inner.elements[0].value, cst.Name)
                and not isinstance(inner.elements[0], cst.StarredElement)
            ):
                first = inner.elements[0].value
                assert isinstance(first, cst.Name)
                self._hold(first.value, first, _shape_of(node.value))
                for name in target_names(inner)[1:]:
                    self.rebound.add(name)
                continue
            for name in target_names(inner):
                self.rebound.add(name)

    def _hold(self, name: str, holder: cst.CSTNode, source: cst.BaseExpression | None) -> None:
        """`name` holds the static batch size of `source`; `holder` is what gets reported
        (the `x.shape[0]` assigned, or the unpacked target)."""
        if source is None:
            return
        if name in self.bound:
            self.rebound.add(name)
        self.bound[name] = (holder, source)

    def _use(self) -> str | None:
        """How the node on top of the stack is used as a value, or None (static uses,
        comparisons, messages, `or` fallbacks)."""
        child = self.stack[-1]
        for parent in reversed(self.stack[:-1]):
            if isinstance(parent, cst.BinaryOperation):
                return "used in arithmetic"
            if isinstance(parent, cst.AugAssign) and child is parent.value:
                return "used in arithmetic"
            if isinstance(parent, cst.Call):
                return self._call_use(parent, child)
            if isinstance(parent, cst.List | cst.Tuple | cst.Element | cst.Arg):
                child = parent
                continue
            return None
        return None

    def _call_use(self, call: cst.Call, child: cst.CSTNode) -> str | None:
        if child is call.func:
            return None
        qualname = self.ctx.qualname(call.func) or ""
        if qualname in _VALUE_BUILTINS:
            return f"passed to `{qualname.removeprefix('builtins.')}`"
        if qualname.startswith(_STATIC_USES):
            return None
        if qualname.startswith(("tensorflow.", "keras.ops.", "keras.random.")):
            return f"passed to `{_short(call.func)}`"
        return None

    def found(self) -> dict[cst.CSTNode, tuple[str, cst.BaseExpression, str]]:
        """Each flagged node (an `x.shape[0]`, or the first value use of a name holding one)
        with how it is used, the tensor `x` whose shape it reads, and how to name it."""
        uses: dict[cst.CSTNode, tuple[str, cst.BaseExpression, str]] = {}
        for node, use in self.direct.items():
            source = _static_batch(node)  # type: ignore[arg-type]
            if source is not None:
                uses[node] = (use, source, f"`{_short(node)}`")
        for name, use in self.name_uses:
            if name.value not in self.bound or name.value in self.rebound:
                continue
            holder, source = self.bound[name.value]
            if holder is name or any(u[1] is source for u in uses.values()):
                continue  # the binding itself, or a later use of a name already reported
            held = (
                _short(holder) if isinstance(holder, cst.Subscript) else f"{_short(source)}.shape"
            )
            uses[name] = (use, source, f"`{name.value}`, from `{held}`")
        return uses


# --------------------------------------------------------------------------------------------
# TF207 identity-test-on-tensor


class IdentityTestCheck(_ModuleAwareCheck):
    """`t is True` / `t is False` on a tensor: a tensor is never the `True` object, so the
    test is constant whatever the tensor holds."""

    codes = frozenset({"TF207"})

    def visit_Comparison(self, node: cst.Comparison, ctx: FileContext) -> None:
        if not ctx.in_graph or not self.facts.keras_is_tensorflow(ctx):
            return
        left = node.left
        for target in node.comparisons:
            operator = target.operator
            if isinstance(operator, cst.Is | cst.IsNot):
                negated = isinstance(operator, cst.IsNot)
                pair = _bool_and_operand(left, target.comparator)
                if pair is not None and evident_tensor(pair[1], ctx):
                    constant, operand = pair
                    word = "is not" if negated else "is"
                    always = "True" if negated else "False"
                    ctx.report(
                        node,
                        "TF207",
                        f"`{_short(operand)} {word} {constant}` on a tensor in graph code "
                        f"({ctx.where()}) is always {always}: a tensor is never the `{constant}` "
                        "object, whatever it holds, so the test never looks at the value; compare "
                        "values with `tf.equal` / `tf.cond`, or pass a Python bool",
                    )
                    return
            left = target.comparator


def _bool_and_operand(
    left: cst.BaseExpression, right: cst.BaseExpression
) -> tuple[str, cst.BaseExpression] | None:
    for constant, operand in ((right, left), (left, right)):
        if isinstance(constant, cst.Name) and constant.value in ("True", "False"):
            return constant.value, operand
    return None
