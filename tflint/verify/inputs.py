"""Inputs to call a flagged function with, in the order the README gives: its `input_signature`,
the module's own example calls, then a few generic tensors.

Nothing here guesses a value the user did not write: example-call arguments are the module's
own expressions, evaluated in the module's namespace (names assigned earlier in the same block
are evaluated first, from their own right-hand sides), and a generic candidate is only used once
it has run eagerly without an error (the caller checks that).

Nothing here runs a statement either, and an expression is evaluated only when it can be read
statically as data: literals and containers, names, attributes, arithmetic, and calls of
constructors — the TensorFlow/Keras/NumPy/builtin ones on an allow-list, and classes and
functions the user's own files define (the code under verification). `f(os.remove(p))` in a
`__main__` block, or inside a function never called, is refused, never run.
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

SHAPES = ((2, 4), (4,), (2, 8), (2, 3, 4), ())


@dataclass(frozen=True)
class Inputs:
    """Positional and keyword arguments, and where they came from (for the evidence)."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    source: str = ""


def tensor(shape: tuple[int, ...], dtype: tf.DType = tf.float32) -> tf.Tensor:
    """Distinct, non-zero, deterministic values: outputs differ only if the code makes them."""
    size = 1
    for dim in shape:
        size *= dim
    if dtype.is_bool:
        return tf.reshape(tf.range(size) % 2 == 0, shape)
    if dtype == tf.string:
        return tf.fill(shape, "a")
    if dtype.is_integer:
        return tf.constant(np.arange(1, size + 1).reshape(shape), dtype)
    return tf.constant(np.linspace(0.5, 1.5, size).reshape(shape), dtype)


def from_signature(signature: Any) -> Inputs | None:
    """Tensors for an `input_signature` (unknown dimensions become 2)."""
    specs = tf.nest.flatten(signature)
    if not specs or not all(isinstance(s, tf.TensorSpec) for s in specs):
        return None
    built = [
        tensor(tuple(2 if d is None else d for d in s.shape.as_list()), s.dtype)
        if s.shape.rank is not None
        else tensor((2,), s.dtype)
        for s in specs
    ]
    return Inputs(tuple(tf.nest.pack_sequence_as(signature, built)), source="input_signature")


def required_positional(function: Any) -> int | None:
    """How many positional arguments a call needs (bound `self` excluded), None if unknown."""
    try:
        params = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    return sum(
        1
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    )


def generic(count: int) -> Iterator[Inputs]:
    """`count` float32 tensors of one shape, for each shape in SHAPES; then int32 and string
    scalars. No arguments at all is one candidate."""
    if count == 0:
        yield Inputs((), source="no arguments")
        return
    for shape in SHAPES:
        yield Inputs(
            tuple(tensor(shape) for _ in range(count)), source=f"float32 tensors of shape {shape}"
        )
    for dtype in (tf.int32, tf.string):
        yield Inputs(tuple(tensor((), dtype) for _ in range(count)), source=f"{dtype.name} scalars")


class Scope(dict[str, Any]):
    """Names for evaluating an example call: earlier simple assignments of its block, evaluated
    on first use from their own source (then eval falls back to the module's globals)."""

    def __init__(self, assignments: dict[str, ast.expr], namespace: dict[str, Any]) -> None:
        super().__init__()
        self._assignments = assignments
        self.filename = namespace.get("__file__") or "<module>"
        self.globals = namespace  # what a lambda made here sees, like the user's own

    def __missing__(self, name: str) -> Any:
        node = self._assignments.pop(name, None)  # pop: a self-reference cannot loop
        if node is None:
            raise KeyError(name)  # eval goes on to the module's globals, then builtins
        value = evaluate(node, self)
        self[name] = value
        return value


class Refused(Exception):
    """An expression the verifier will not evaluate: it is not plain data or a constructor."""


_BUILTINS = frozenset(
    {
        range, list, tuple, dict, set, frozenset, int, float, bool, str, complex, len,
        enumerate, zip, iter, next, min, max, abs, round, sorted, reversed, slice, sum,
        functools.partial,  # binds arguments; the function runs only when called
    }
)  # fmt: skip
_LIBRARIES = ("tensorflow", "keras", "numpy", "tf_keras")
# Library functions that only build a value (tensors, arrays, datasets, specs, models).
_CONSTRUCTORS = frozenset(
    {
        "constant",
        "convert_to_tensor",
        "zeros",
        "ones",
        "zeros_like",
        "ones_like",
        "fill",
        "range",
        "linspace",
        "eye",
        "cast",
        "reshape",
        "stack",
        "concat",
        "expand_dims",
        "squeeze",
        "transpose",
        "identity",
        "one_hot",
        "normal",
        "uniform",
        "truncated_normal",
        "random",
        "rand",
        "randn",
        "randint",
        "random_sample",
        "standard_normal",
        "array",
        "asarray",
        "arange",
        "full",
        "float16",
        "float32",
        "float64",
        "int32",
        "int64",
        "from_tensor_slices",
        "from_tensors",
        "zip",
        "Input",
        "Sequential",
        "run_functions_eagerly",
        "set_seed",
        "seed",
        "default_rng",
        "split",
        "tile",
        "gather",
        "stateless_normal",
        "stateless_uniform",
        "ragged_constant",
    }
)
# Classes of these libraries whose constructors touch files, devices or the process.
_UNSAFE_MODULES = (
    "gfile", "file_io", "summary", "saving", "saved_model", "checkpoint", "callbacks",
    "distribute", "tpu", "profiler", "debug", "experimental.dtensor",
)  # fmt: skip
# Methods of values (tensors, arrays, datasets, models) that only build another value.
_VALUE_METHODS = frozenset(
    {
        "batch",
        "map",
        "filter",
        "take",
        "skip",
        "repeat",
        "shuffle",
        "prefetch",
        "padded_batch",
        "unbatch",
        "enumerate",
        "concatenate",
        "numpy",
        "astype",
        "reshape",
        "compile",
        "build",
        "get_config",
    }
)
_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.MatMult: operator.matmul,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
}


def _library(obj: Any) -> str | None:
    module = getattr(obj, "__module__", None) or ""
    return module if module.split(".")[0] in _LIBRARIES else None


def user_defined(obj: Any) -> bool:
    from tflint.verify.observe import is_user_file  # the worker's view of "user code"

    try:
        return is_user_file(inspect.getfile(obj))
    except (TypeError, OSError):
        return False


def allowed_call(obj: Any, written: str = "") -> bool:
    """Whether calling `obj` only builds a value (or runs the user's own code). `written` is
    the name the call uses (`uniform` in `tf.random.uniform`, whose function is named
    `random_uniform`)."""
    if any(obj is known for known in _BUILTINS):
        return True
    owner = getattr(obj, "__self__", None)
    if owner is not None and not inspect.ismodule(owner) and not isinstance(owner, type):
        if inspect.ismethod(obj) and user_defined(obj.__func__):
            return True
        library = any(_library(cls) for cls in type(owner).__mro__)
        return library and getattr(obj, "__name__", "") in _VALUE_METHODS
    if isinstance(obj, type):
        module = _library(obj)
        if module is not None:
            return not any(part in module for part in _UNSAFE_MODULES)
        return user_defined(obj)
    if _library(obj) is not None:
        return bool({getattr(obj, "__name__", ""), written} & _CONSTRUCTORS)
    function = getattr(obj, "python_function", obj)  # a tf.function of the user's
    return inspect.isfunction(function) and user_defined(function)


def evaluate(node: ast.expr, scope: Scope) -> Any:
    """The value of one of the module's expressions, when it is plain data or constructors
    (else Refused). Nothing else in it is run."""
    return _Evaluator(scope).value(node)


class _Evaluator:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def value(self, node: ast.expr) -> Any:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise Refused(f"{type(node).__name__} at line {getattr(node, 'lineno', '?')}")
        return method(node)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        try:
            return self.scope[node.id]
        except KeyError:
            pass
        if node.id in self.scope.globals:
            return self.scope.globals[node.id]
        if hasattr(builtins, node.id):
            return getattr(builtins, node.id)
        raise NameError(node.id)

    def _Attribute(self, node: ast.Attribute) -> Any:
        if node.attr.startswith("__"):
            raise Refused(f"dunder attribute {node.attr}")
        return getattr(self.value(node.value), node.attr)

    def _Tuple(self, node: ast.Tuple) -> Any:
        return tuple(self._items(node.elts))

    def _List(self, node: ast.List) -> Any:
        return list(self._items(node.elts))

    def _Set(self, node: ast.Set) -> Any:
        return set(self._items(node.elts))

    def _items(self, nodes: list[ast.expr]) -> list[Any]:
        if any(isinstance(n, ast.Starred) for n in nodes):
            raise Refused("starred item")
        return [self.value(n) for n in nodes]

    def _Dict(self, node: ast.Dict) -> Any:
        if any(k is None for k in node.keys):
            raise Refused("dict unpacking")
        pairs = zip(node.keys, node.values, strict=True)
        return {self.value(k): self.value(v) for k, v in pairs if k}

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        op = _OPERATORS.get(type(node.op))
        if op is None:
            raise Refused("operator")
        return op(self.value(node.operand))

    def _BinOp(self, node: ast.BinOp) -> Any:
        op = _OPERATORS.get(type(node.op))
        if op is None:
            raise Refused("operator")
        return op(self.value(node.left), self.value(node.right))

    def _Subscript(self, node: ast.Subscript) -> Any:
        return self.value(node.value)[self.value(node.slice)]

    def _Slice(self, node: ast.Slice) -> Any:
        parts = (node.lower, node.upper, node.step)
        return slice(*(None if p is None else self.value(p) for p in parts))

    def _Call(self, node: ast.Call) -> Any:
        function = self.value(node.func)
        written = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if not allowed_call(function, written):
            name = getattr(function, "__name__", type(function).__name__)
            raise Refused(f"a call of {name} at line {node.lineno}")
        args = self._items(node.args)
        if any(k.arg is None for k in node.keywords):
            raise Refused("keyword unpacking")
        kwargs = {k.arg: self.value(k.value) for k in node.keywords if k.arg}
        return function(*args, **kwargs)


def evaluate_function(node: ast.expr, scope: Scope) -> Any:
    """A function the module passes (to `Dataset.map`): a lambda is made, not run (it is the
    code under verification); anything else must evaluate as data."""
    if isinstance(node, ast.Lambda):
        code = compile(ast.Expression(node), scope.filename, "eval")
        return eval(code, scope.globals, scope)
    return evaluate(node, scope)


def _calls_in(statement: ast.stmt, match: Callable[[ast.Call], bool]) -> Iterator[ast.Call]:
    """Matching calls in one statement, not inside its nested blocks."""
    stack: list[ast.AST] = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call) and match(node):
            yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.stmt):
                stack.append(child)


def calls_with_scope(
    tree: ast.Module, namespace: dict[str, Any], match: Callable[[ast.Call], bool]
) -> Iterator[tuple[ast.Call, Scope]]:
    """Every matching call, with the names assigned before it: simple assignments earlier in
    its block and enclosing blocks of the same function, and `for` targets (bound to the first
    item of their iterable)."""

    def visit(
        block: list[ast.stmt], inherited: dict[str, ast.expr]
    ) -> Iterator[tuple[ast.Call, Scope]]:
        assignments = dict(inherited)
        for statement in block:
            for call in _calls_in(statement, match):
                yield call, Scope(dict(assignments), namespace)
            fresh = isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            inner = {} if fresh else dict(assignments)
            if isinstance(statement, ast.For):
                inner.update(_loop_bindings(statement))
            for name in ("body", "orelse", "finalbody"):
                child = getattr(statement, name, None)
                if isinstance(child, list) and child and isinstance(child[0], ast.stmt):
                    yield from visit(child, inner)
            for handler in getattr(statement, "handlers", ()):
                yield from visit(handler.body, inner)
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
            ):
                assignments[statement.targets[0].id] = statement.value

    yield from visit(tree.body, {})


def _loop_bindings(loop: ast.For) -> dict[str, ast.expr]:
    """`for a in xs` → a = next(iter(xs)); `for a, b in xs` → a = next(iter(xs))[0] ..."""
    first = ast.Call(
        ast.Name("next", ast.Load()), [ast.Call(ast.Name("iter", ast.Load()), [loop.iter], [])], []
    )
    pairs: list[tuple[str, ast.expr]]
    if isinstance(loop.target, ast.Name):
        pairs = [(loop.target.id, first)]
    elif isinstance(loop.target, ast.Tuple) and all(
        isinstance(e, ast.Name) for e in loop.target.elts
    ):
        pairs = [
            (e.id, ast.Subscript(first, ast.Constant(i), ast.Load()))  # type: ignore[attr-defined]
            for i, e in enumerate(loop.target.elts)
        ]
    else:
        return {}
    return {
        name: ast.fix_missing_locations(ast.copy_location(node, loop.iter)) for name, node in pairs
    }


def calls_of(name: str) -> Callable[[ast.Call], bool]:
    """Matches `name(...)` and `obj.name(...)`."""

    def match(call: ast.Call) -> bool:
        func = call.func
        return (isinstance(func, ast.Name) and func.id == name) or (
            isinstance(func, ast.Attribute) and func.attr == name
        )

    return match


def calls_of_instances(tree: ast.Module, name: str) -> Callable[[ast.Call], bool]:
    """Matches calls of objects the module makes with `name(...)`: `Name(...)(x)`, and `obj(x)`
    where the module assigns `obj = Name(...)` (a layer called on its example input)."""
    made = calls_of(name)
    instances = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and made(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def match(call: ast.Call) -> bool:
        func = call.func
        return (isinstance(func, ast.Call) and made(func)) or (
            isinstance(func, ast.Name) and func.id in instances
        )

    return match


def example_calls(tree: ast.Module, name: str, namespace: dict[str, Any]) -> Iterator[Inputs]:
    """Arguments of the module's own calls of `name`, where every argument evaluates."""
    return evaluated_calls(tree, namespace, calls_of(name))


def evaluated_calls(
    tree: ast.Module, namespace: dict[str, Any], match: Callable[[ast.Call], bool]
) -> Iterator[Inputs]:
    """Arguments of the module's own calls that `match` picks, where every argument
    evaluates."""
    for call, scope in calls_with_scope(tree, namespace, match):
        if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords
        ):
            continue
        try:
            args = tuple(evaluate(a, scope) for a in call.args)
            kwargs = {k.arg: evaluate(k.value, scope) for k in call.keywords if k.arg}
        except Exception:
            continue
        yield Inputs(args, kwargs, source=f"the example call at line {call.lineno}")
