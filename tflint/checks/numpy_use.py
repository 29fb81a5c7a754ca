"""TF201, TF202, TF204: NumPy where tensors flow."""

from __future__ import annotations

import libcst as cst

from tflint.checks.base import Check, FileContext, FixPlan
from tflint.diagnostics import Applicability

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
_CASTS = frozenset({"tensorflow.cast", "tensorflow.dtypes.cast", "keras.ops.cast"})
_TENSOR_FACTORIES = {
    "tensorflow.constant": 1,
    "tensorflow.convert_to_tensor": 1,
    "tensorflow.Variable": None,
}


def _tensorflow_callable(ctx: FileContext, dotted: str) -> tuple[cst.BaseExpression, bool]:
    alias, needs_import = ctx.tensorflow_alias()
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
        replacement, needs_import = _tensorflow_callable(ctx, target)
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
    codes = frozenset({"TF204"})

    def visit_Call(self, node: cst.Call, ctx: FileContext) -> None:
        factory = ctx.qualname(node.func)
        if factory not in _TENSOR_FACTORIES or not node.args or node.args[0].keyword is not None:
            return
        dtype_position = _TENSOR_FACTORIES[factory]
        if _has_argument(node, "dtype", dtype_position) or self._is_cast(ctx):
            return
        inner = node.args[0].value
        if not isinstance(inner, cst.Call):
            return
        leaked = self._leaked_dtype(inner, ctx)
        if leaked is None:
            return
        wide, narrow = leaked
        dtype, needs_import = _tensorflow_callable(ctx, narrow)
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
            f"`{factory_name}({numpy_name}(...))` makes a tensor of {wide} where TensorFlow's own "
            f"ops give {narrow}, and mixing them raises InvalidArgumentError; "
            f"pass `dtype=tf.{narrow}` or build it with TensorFlow",
            FixPlan(
                f"Add `dtype=tf.{narrow}`",
                Applicability.UNSAFE,
                ((node, node.with_changes(args=arguments)),),
                needs_import,
            ),
        )

    @staticmethod
    def _is_cast(ctx: FileContext) -> bool:
        """`tf.cast(tf.constant(np.arange(n)), ...)`: the 64-bit tensor never escapes."""
        argument, call = ctx.parent(1), ctx.parent(2)
        return (
            isinstance(argument, cst.Arg)
            and isinstance(call, cst.Call)
            and call.args[0] is argument
            and ctx.qualname(call.func) in _CASTS
        )

    @staticmethod
    def _leaked_dtype(inner: cst.Call, ctx: FileContext) -> tuple[str, str] | None:
        """(64-bit dtype NumPy gives, 32-bit dtype TensorFlow would give), or None."""
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
