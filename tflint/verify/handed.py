"""Functions the module hands to something that traces them (graph roots beyond decorators and
Keras methods): a loss or metric given to `model.compile` (Keras' `fit` traces it, without
AutoGraph), the function of a `keras.layers.Lambda` layer (Keras traces it, without AutoGraph),
the function of `tf.vectorized_map` (pfor traces it, even when called eagerly).

The module's own call must be there, read from its source: a function nothing hands over is
never wrapped in a tracing of ours. Each is then run the way its tracer runs it, next to an
eager run of the same function: called directly (a loss, a Lambda's function) or once per
element (vectorized_map, on the module's own elements).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import Any

import keras
import tensorflow as tf

from tflint.verify.inputs import SHAPES, Inputs, calls_with_scope, evaluate, tensor
from tflint.verify.structure import declared_shapes
from tflint.verify.target import Module, Runner, Subject, functions_run_eagerly

_COMPILE_ARGUMENTS = ("loss", "metrics", "weighted_metrics")


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def _compiled(call: ast.Call, name: str) -> bool:
    """`model.compile(loss=name, metrics=[name])`, `model.compile("adam", name)`."""
    if _name(call.func) != "compile":
        return False
    given = [*call.args[1:3], *(k.value for k in call.keywords if k.arg in _COMPILE_ARGUMENTS)]
    return any(
        isinstance(node, ast.Name) and node.id == name for arg in given for node in ast.walk(arg)
    )


def _first_argument(call: ast.Call, callee: str, name: str) -> bool:
    first = call.args[0] if call.args else None
    return _name(call.func) == callee and isinstance(first, ast.Name) and first.id == name


class TracedFunction(Subject):
    """A function Keras traces without AutoGraph: a loss or metric, a Lambda's function. The
    graph side is one tf.function per run (traced once, called `repeat` times)."""

    def __init__(self, label: str, function: Callable[..., Any], kind: str, module: Module):
        self.label, self._function, self._kind, self._module = label, function, kind, module

    def runner(self, mode: str) -> Runner:
        function = self._function
        if self._kind == "lambda":
            function = keras.layers.Lambda(function)
        traced = function if mode == "eager" else tf.function(function, autograph=False)

        def call(i: Inputs) -> Any:
            with functions_run_eagerly(mode == "eager"):
                return traced(*i.args)

        return Runner(call)

    def candidates(self) -> Iterator[Inputs]:
        tree = self._module.tree
        shapes = [*declared_shapes(tree), *(s for s in SHAPES if s not in declared_shapes(tree))]
        for shape in shapes:
            if self._kind == "lambda":
                yield Inputs((tensor(shape),), source=f"a float32 tensor of shape {shape}")
            else:
                yield Inputs(
                    (tensor(shape), tensor(shape) * 0.8), source=f"y_true, y_pred of shape {shape}"
                )


class VectorizedMap(Subject):
    """`tf.vectorized_map(fn, elems)` on the module's own elements: eagerly `fn` once per
    element, as a graph what pfor runs."""

    def __init__(self, label: str, function: Callable[..., Any], elements: Any) -> None:
        self.label, self._function, self._elements = label, function, elements

    def runner(self, mode: str) -> Runner:
        rows = tf.unstack(self._elements)
        if mode == "graph":
            return Runner(lambda _: tf.vectorized_map(self._function, self._elements))
        return Runner(lambda _: [self._function(row) for row in rows])

    def candidates(self) -> Iterator[Inputs]:
        yield Inputs((), source="the elements the module maps")


def handed_subject(module: Module, name: str) -> Subject | None:
    """The subject for function `name` when the module hands it to compile, a Lambda layer or
    vectorized_map; None otherwise."""
    function = module.namespace.get(name)
    if not callable(function):
        return None

    def match(call: ast.Call) -> bool:
        return (
            _compiled(call, name)
            or _first_argument(call, "Lambda", name)
            or (_first_argument(call, "vectorized_map", name) and len(call.args) > 1)
        )

    for call, scope in calls_with_scope(module.tree, module.namespace, match):
        if _name(call.func) == "compile":
            return TracedFunction(name, function, "loss", module)
        if _name(call.func) == "Lambda":
            return TracedFunction(name, function, "lambda", module)
        try:
            elements = evaluate(call.args[1], scope)
        except Exception:
            continue
        if tf.is_tensor(elements):
            return VectorizedMap(f"tf.vectorized_map({name})", function, elements)
    return None
