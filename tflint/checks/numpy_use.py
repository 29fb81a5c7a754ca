"""TF201, TF202, TF204: NumPy where tensors flow."""

from __future__ import annotations

import libcst as cst

from tflint.checks.base import Check, FileContext, FixPlan
from tflint.diagnostics import Applicability
from tflint.names import target_names
from tflint.traverse import walk

# NumPy → TensorFlow where the call means exactly the same for the arguments shown
# (positional data arguments, plus the keywords listed). Tested row by row.
EXACT_TENSORFLOW_EQUIVALENTS: dict[str, tuple[str, frozenset[str]]] = {
    "numpy.abs": ("abs", frozenset()),
    "numpy.absolute": ("abs", frozenset()),
    "numpy.exp": ("exp", frozenset()),
    "numpy.log": ("math.log", frozenset()),
    "numpy.sqrt": ("sqrt", frozenset()),
    "numpy.square": ("square", frozenset()),
    "numpy.tanh": ("tanh", frozenset()),
    "numpy.sin": ("sin", frozenset()),
    "numpy.cos": ("cos", frozenset()),
    "numpy.sign": ("sign", frozenset()),
    "numpy.floor": ("floor", frozenset()),
    "numpy.ceil": ("math.ceil", frozenset()),
    "numpy.maximum": ("maximum", frozenset()),
    "numpy.minimum": ("minimum", frozenset()),
    "numpy.sum": ("reduce_sum", frozenset({"axis", "keepdims"})),
    "numpy.max": ("reduce_max", frozenset({"axis", "keepdims"})),
    "numpy.amax": ("reduce_max", frozenset({"axis", "keepdims"})),
    "numpy.min": ("reduce_min", frozenset({"axis", "keepdims"})),
    "numpy.amin": ("reduce_min", frozenset({"axis", "keepdims"})),
    "numpy.prod": ("reduce_prod", frozenset({"axis", "keepdims"})),
    "numpy.all": ("reduce_all", frozenset({"axis", "keepdims"})),
    "numpy.any": ("reduce_any", frozenset({"axis", "keepdims"})),
}
# Positional-argument count each mapping accepts (reductions: the data and the axis).
_MAX_POSITIONAL = {"numpy.maximum": 2, "numpy.minimum": 2}
_REDUCTIONS_POSITIONAL = 2

# NumPy constructors whose default dtype is float64, with the position of their `dtype`
# parameter (None: they take none); TensorFlow's own ops would give float32.
_FLOAT_CONSTRUCTORS: dict[str, int | None] = {
    "numpy.linspace": 5, "numpy.zeros": 1, "numpy.ones": 1, "numpy.empty": 1, "numpy.eye": 3,
    "numpy.identity": 1, "numpy.random.rand": None, "numpy.random.randn": None,
    "numpy.random.random": None, "numpy.random.uniform": None, "numpy.random.normal": None,
    "numpy.random.standard_normal": None,
}  # fmt: skip
# ...and those whose dtype follows their arguments (int64 for ints, float64 for floats).
_ARGUMENT_TYPED_CONSTRUCTORS: dict[str, int] = {
    "numpy.arange": 3, "numpy.array": 1, "numpy.asarray": 1, "numpy.random.randint": 3,
}  # fmt: skip
_TENSOR_FACTORIES = {
    "tensorflow.constant": 1,
    "tensorflow.convert_to_tensor": 1,
    "tensorflow.Variable": None,
}


def _tensorflow_callable(
    ctx: FileContext, dotted: str
) -> tuple[cst.BaseExpression, str | None] | None:
    found = ctx.tensorflow_alias(dotted)
    if found is None:
        return None  # no name spells TensorFlow safely here
    alias, needs_import = found
    expression: cst.BaseExpression = cst.Name(alias)
    for part in dotted.split("."):
        expression = cst.Attribute(expression, cst.Name(part))
    return expression, needs_import


class NumpyCallCheck(Check):
    codes = frozenset({"TF201"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        if not ctx.in_graph:
            return
        qualname = ctx.qualname(node.func)
        if qualname is None or not qualname.startswith("numpy.") or ".random." in qualname:
            return
        if not any(ctx.is_tensor(arg.value) for arg in node.args):
            return
        short = "np." + qualname.removeprefix("numpy.")
        ctx.report(
            node,
            "TF201",
            f"`{short}()` on a tensor in graph code ({ctx.where()}) raises "
            "`NotImplementedError: Cannot convert a symbolic tf.Tensor to a numpy array`; "
            "use the `tf.*` / `keras.ops.*` equivalent",
            self._fix(node, qualname, short, ctx),
        )

    @staticmethod
    def _fix(node: cst.Call, qualname: str, short: str, ctx: FileContext) -> FixPlan | None:
        if qualname not in EXACT_TENSORFLOW_EQUIVALENTS:
            return None
        target, keywords = EXACT_TENSORFLOW_EQUIVALENTS[qualname]
        positional = [arg for arg in node.args if arg.keyword is None]
        limit = _MAX_POSITIONAL.get(qualname, _REDUCTIONS_POSITIONAL if keywords else 1)
        if any(arg.star for arg in node.args) or len(positional) > limit:
            return None
        if any(arg.keyword is not None and arg.keyword.value not in keywords for arg in node.args):
            return None
        spelled = _tensorflow_callable(ctx, target)
        if spelled is None:
            return None
        replacement, needs_import = spelled
        return FixPlan(
            f"Replace `{short}` with `tf.{target}`",
            Applicability.SAFE,
            ((node.func, replacement),),
            needs_import,
        )


class TensorNumpyCheck(Check):
    codes = frozenset({"TF202"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        func = node.func
        if not (
            ctx.in_graph
            and isinstance(func, cst.Attribute)
            and func.attr.value == "numpy"
            and not node.args
        ):
            return
        receiver = ctx.qualname(func.value)
        if receiver is not None and not receiver.startswith("builtins."):
            return  # an imported module's `numpy` function, not Tensor.numpy()
        ctx.report(
            node,
            "TF202",
            f"`.numpy()` in graph code ({ctx.where()}) raises `AttributeError: 'SymbolicTensor' "
            "object has no attribute 'numpy'`; keep the value a tensor and convert outside",
        )


class NumpyDtypeLeakCheck(Check):
    """A 64-bit tensor made from NumPy data, reported where it meets a 32-bit TensorFlow one.

    Made and used on its own (test data, float64 on purpose, fed to a Keras layer, which casts
    its inputs), a 64-bit tensor is harmless; the finding is the construction whose tensor
    is then mixed, in the same scope, with a tensor TensorFlow makes int32/float32.
    """

    codes = frozenset({"TF204"})

    def __init__(self) -> None:
        self._meetings: dict[cst.Call, _Meeting] = {}

    def visit_Module(self, node: cst.Module, ctx: FileContext) -> None:
        self._meetings = _DtypeScan.meetings(node, ctx)

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        meeting = self._meetings.get(node)
        if meeting is None:
            return
        factory = ctx.qualname(node.func) or ""
        inner = node.args[0].value
        assert isinstance(inner, cst.Call)
        wide, narrow = meeting.dtypes
        spelled = _tensorflow_callable(ctx, narrow)
        dtype, needs_import = spelled or (cst.Name(narrow), None)  # no fix without a spelling
        arguments = list(node.args)
        last = arguments[-1]
        arguments[-1] = last.with_changes(
            comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        )
        arguments.append(
            cst.Arg(
                dtype,
                keyword=cst.Name("dtype"),
                equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
            )
        )
        numpy_name = "np." + (ctx.qualname(inner.func) or "").removeprefix("numpy.")
        factory_name = "tf." + factory.removeprefix("tensorflow.")
        ctx.report(
            node,
            "TF204",
            f"`{factory_name}({numpy_name}(...))` makes {_article(wide)} tensor "
            f"(NumPy's default), and {meeting.what}: {meeting.consequence}; "
            f"pass `dtype=tf.{narrow}` or build it with TensorFlow",
            FixPlan(
                f"Add `dtype=tf.{narrow}`",
                Applicability.UNSAFE,
                ((node, node.with_changes(args=arguments)),),
                needs_import,
            )
            if spelled is not None
            else None,
        )


def _leaked_dtype(factory: cst.Call, ctx: FileContext) -> tuple[str, str] | None:
    """(64-bit dtype, 32-bit dtype TensorFlow would give) when `factory` is
    `tf.constant/convert_to_tensor/Variable(<NumPy constructor>(...))` with no dtype anywhere."""
    qualname = ctx.qualname(factory.func)
    if qualname not in _TENSOR_FACTORIES or not factory.args or factory.args[0].keyword:
        return None
    inner = factory.args[0].value
    if _has_argument(factory, "dtype", _TENSOR_FACTORIES[qualname]) or not isinstance(
        inner, cst.Call
    ):
        return None
    qualname = ctx.qualname(inner.func)
    if qualname in _FLOAT_CONSTRUCTORS:
        if _has_argument(inner, "dtype", _FLOAT_CONSTRUCTORS[qualname]):
            return None
        return "float64", "float32"
    if qualname not in _ARGUMENT_TYPED_CONSTRUCTORS or _has_argument(
        inner, "dtype", _ARGUMENT_TYPED_CONSTRUCTORS[qualname]
    ):
        return None
    if qualname == "numpy.random.randint":
        return "int64", "int32"
    if qualname == "numpy.arange":
        numbers = [arg.value for arg in inner.args if arg.keyword is None]
        if any(isinstance(n, cst.Float) for n in numbers):
            return "float64", "float32"
        return "int64", "int32"
    if qualname in ("numpy.array", "numpy.asarray") and inner.args:
        kinds = _literal_number_kinds(inner.args[0].value)
        if kinds:
            return ("float64", "float32") if cst.Float in kinds else ("int64", "int32")
    return None


# TensorFlow calls that make float32 tensors unless given a dtype, with their dtype position.
_FLOAT32_FACTORIES: dict[str, int | None] = {
    "tensorflow.ones": 1, "tensorflow.zeros": 1, "tensorflow.eye": 3, "tensorflow.linspace": None,
    "tensorflow.random.normal": 3, "tensorflow.random.uniform": 4,
    "tensorflow.random.truncated_normal": 3,
}  # fmt: skip
# Calls whose list argument must hold one dtype, and binary ops whose two operands must match.
_LIST_OPS = frozenset({"tensorflow.concat", "tensorflow.stack", "tensorflow.add_n"})
_BINARY_OPS = frozenset(
    {
        "tensorflow.add", "tensorflow.subtract", "tensorflow.multiply", "tensorflow.divide",
        "tensorflow.matmul", "tensorflow.maximum", "tensorflow.minimum", "tensorflow.equal",
        "tensorflow.less", "tensorflow.greater", "tensorflow.math.add", "tensorflow.math.multiply",
        "tensorflow.math.subtract", "tensorflow.math.maximum", "tensorflow.math.minimum",
        "tensorflow.linalg.matmul", "tensorflow.where",
    }
)  # fmt: skip
_ASSIGNS = frozenset({"assign", "assign_add", "assign_sub"})
_FAMILY = {"int64": "int32", "float64": "float32"}


class _Meeting:
    """Where a 64-bit tensor meets a 32-bit one, and what TensorFlow 2.21 does there."""

    def __init__(
        self, node: cst.CSTNode, dtypes: tuple[str, str], what: str, consequence: str
    ) -> None:
        self.node = node
        self.dtypes = dtypes
        self.what = what
        self.consequence = consequence


class _Scope:
    """Plain-name bindings of one function body (or the module), for the dtype scan."""

    def __init__(self, parent: _Scope | None, graph: bool) -> None:
        self.parent = parent
        self.graph = graph
        self.values: dict[str, list[cst.BaseExpression | None]] = {}

    def bind(self, name: str, value: cst.BaseExpression | None) -> None:
        self.values.setdefault(name, []).append(value)

    def lookup(self, name: str) -> list[cst.BaseExpression | None] | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.values:
                return scope.values[name]
            scope = scope.parent
        return None


class _DtypeScan(cst.CSTVisitor):
    """Finds, per scope, the operations that mix a 64-bit NumPy-made tensor with a 32-bit one."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.scopes: list[_Scope] = [_Scope(None, graph=False)]
        self.sites: list[tuple[cst.CSTNode, _Scope]] = []

    @classmethod
    def meetings(cls, module: cst.Module, ctx: FileContext) -> dict[cst.Call, _Meeting]:
        scan = cls(ctx)
        walk(module, scan)
        found: dict[cst.Call, _Meeting] = {}
        for site, scope in scan.sites:
            result = scan._judge(site, scope)
            if result is not None and result[0] not in found:
                found[result[0]] = result[1]
        return found

    # -- bindings ----------------------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._enter(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._enter(node)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.scopes.pop()

    def _enter(self, node: cst.FunctionDef | cst.Lambda) -> None:
        """A function's own scope; its parameters hold values of unknown dtype."""
        scope = _Scope(self.scopes[-1], self.ctx.graph.reason(node) is not None)
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            scope.bind(param.name.value, None)
        self.scopes.append(scope)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.append(_Scope(self.scopes[-1], graph=False))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scopes.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            single = isinstance(target.target, cst.Name) and len(node.targets) == 1
            for name in target_names(target.target):
                self.scopes[-1].bind(name, node.value if single else None)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            self.scopes[-1].bind(node.target.value, None)

    def visit_For(self, node: cst.For) -> None:
        for name in target_names(node.target):
            self.scopes[-1].bind(name, None)

    # -- meeting sites -----------------------------------------------------------------------

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self.sites.append((node, self.scopes[-1]))

    def visit_Comparison(self, node: cst.Comparison) -> None:
        self.sites.append((node, self.scopes[-1]))

    def visit_Call(self, node: cst.Call) -> None:
        self.sites.append((node, self.scopes[-1]))

    def _judge(self, site: cst.CSTNode, scope: _Scope) -> tuple[cst.Call, _Meeting] | None:
        pairs = self._operand_pairs(site, scope)
        for wide_operand, narrow_operand, assigning in pairs:
            wide = self._wide(wide_operand, scope, set())
            narrow = self._narrow(narrow_operand, scope, set(), variable=assigning)
            if wide is None or narrow is None or _FAMILY[wide[1][0]] != narrow:
                continue
            construction, dtypes = wide
            verb = "assigns it into" if assigning else "mixes it with"
            meeting = _Meeting(
                site,
                dtypes,
                f"`{_short(site)}` {verb} {narrow} `{_short(narrow_operand)}`",
                _consequence(scope, assigning, narrow),
            )
            return construction, meeting
        return None

    def _operand_pairs(
        self, site: cst.CSTNode, scope: _Scope
    ) -> list[tuple[cst.BaseExpression, cst.BaseExpression, bool]]:
        """(maybe 64-bit operand, maybe 32-bit operand, is an assignment into a variable)."""
        if isinstance(site, cst.BinaryOperation):
            return [(site.left, site.right, False), (site.right, site.left, False)]
        if isinstance(site, cst.Comparison):
            if len(site.comparisons) != 1 or not isinstance(
                site.comparisons[0].operator, _ORDER_OPERATORS
            ):
                return []
            right = site.comparisons[0].comparator
            return [(site.left, right, False), (right, site.left, False)]
        assert isinstance(site, cst.Call)
        func = site.func
        if isinstance(func, cst.Attribute) and func.attr.value in _ASSIGNS and site.args:
            return [(site.args[0].value, func.value, True)]
        qualname = self.ctx.qualname(func)
        positional = [arg.value for arg in site.args if arg.keyword is None and not arg.star]
        operands: list[cst.BaseExpression] = []
        if qualname in _LIST_OPS and positional and isinstance(positional[0], cst.List | cst.Tuple):
            operands = [element.value for element in positional[0].elements]
        elif qualname in _BINARY_OPS:
            operands = positional[1:3] if qualname == "tensorflow.where" else positional[:2]
        return [(a, b, False) for a in operands for b in operands if a is not b]

    def _wide(
        self, node: cst.BaseExpression, scope: _Scope, seen: set[str]
    ) -> tuple[cst.Call, tuple[str, str]] | None:
        """The NumPy-made 64-bit construction this operand evidently holds, with its dtypes."""
        if isinstance(node, cst.Call):
            dtypes = _leaked_dtype(node, self.ctx)
            return (node, dtypes) if dtypes is not None else None
        if isinstance(node, cst.Subscript | cst.UnaryOperation):
            inner = node.value if isinstance(node, cst.Subscript) else node.expression
            return self._wide(inner, scope, seen)
        values = self._only_values(node, scope, seen)
        if not values:
            return None
        found = [self._wide(value, scope, seen | {node.value}) for value in values]  # type: ignore[attr-defined]
        first = found[0]
        if first is None or any(f is None or f[1] != first[1] for f in found):
            return None
        return first

    def _narrow(
        self, node: cst.BaseExpression, scope: _Scope, seen: set[str], *, variable: bool
    ) -> str | None:
        """ "int32"/"float32" when the operand is evidently a TensorFlow default-dtype tensor
        (a variable of one, when `variable`)."""
        if isinstance(node, cst.Call):
            qualname = self.ctx.qualname(node.func)
            if variable:
                if qualname != "tensorflow.Variable" or _has_argument(node, "dtype", None):
                    return None
                return (
                    self._narrow(node.args[0].value, scope, seen, variable=False)
                    if node.args
                    else None
                )
            return _default_dtype(node, qualname)
        if isinstance(node, cst.Subscript) and not variable:
            return self._narrow(node.value, scope, seen, variable=False)
        values = self._only_values(node, scope, seen)
        if not values:
            return None
        found = {self._narrow(v, scope, seen | {node.value}, variable=variable) for v in values}  # type: ignore[attr-defined]
        return found.pop() if len(found) == 1 else None

    @staticmethod
    def _only_values(
        node: cst.BaseExpression, scope: _Scope, seen: set[str]
    ) -> list[cst.BaseExpression] | None:
        """Every value a plain name is bound to in its scope, when all are plain assignments."""
        if not isinstance(node, cst.Name) or node.value in seen:
            return None
        values = scope.lookup(node.value)
        if not values or any(value is None for value in values):
            return None
        return [value for value in values if value is not None]


_ORDER_OPERATORS = (
    cst.LessThan, cst.GreaterThan, cst.LessThanEqual, cst.GreaterThanEqual, cst.Equal, cst.NotEqual,
)  # fmt: skip


def _default_dtype(call: cst.Call, qualname: str | None) -> str | None:
    """The 32-bit dtype a TensorFlow call gives by default, when it evidently gives one."""
    if qualname in _FLOAT32_FACTORIES:
        return None if _has_argument(call, "dtype", _FLOAT32_FACTORIES[qualname]) else "float32"
    if qualname == "tensorflow.range":
        if _has_argument(call, "dtype", 3):
            return None
        numbers = [arg.value for arg in call.args if arg.keyword is None]
        return "float32" if any(isinstance(n, cst.Float) for n in numbers) else "int32"
    if qualname in ("tensorflow.constant", "tensorflow.convert_to_tensor") and call.args:
        if _has_argument(call, "dtype", 1):
            return None
        kinds = _literal_number_kinds(call.args[0].value)
        if kinds:
            return "float32" if cst.Float in kinds else "int32"
    return None


def _consequence(scope: _Scope, assigning: bool, narrow: str) -> str:
    """What TensorFlow 2.21 does at the meeting, eagerly or traced."""
    if assigning:
        return f"`assign` raises `ValueError: Tensor conversion requested dtype {narrow} ...`"
    if scope.graph:
        return "tracing raises `TypeError` (the op's inputs must share one dtype)"
    if scope.parent is None:
        return "that raises `InvalidArgumentError`: TensorFlow never converts between them"
    return (
        "that raises `InvalidArgumentError` (`TypeError` when traced): TensorFlow never "
        "converts between them"
    )


def _short(node: cst.CSTNode) -> str:
    text = cst.Module([]).code_for_node(node).strip()
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:39] + "…"


def _has_argument(call: cst.Call, keyword: str, position: int | None) -> bool:
    if any(arg.keyword is not None and arg.keyword.value == keyword for arg in call.args):
        return True
    positional = [arg for arg in call.args if arg.keyword is None]
    return position is not None and len(positional) > position


def _literal_number_kinds(node: cst.BaseExpression) -> set[type] | None:
    """The literal number types in a (nested) list/tuple of numbers, or None if not one."""
    if isinstance(node, cst.UnaryOperation):
        node = node.expression
    if isinstance(node, cst.Integer | cst.Float):
        return {type(node)}
    if isinstance(node, cst.List | cst.Tuple) and node.elements:
        kinds: set[type] = set()
        for element in node.elements:
            inner = _literal_number_kinds(element.value)
            if inner is None:
                return None
            kinds |= inner
        return kinds
    return None


def _article(dtype: str) -> str:
    return f"an {dtype}" if dtype.startswith("int") else f"a {dtype}"
