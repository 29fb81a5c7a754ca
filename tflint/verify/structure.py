"""What the code itself says about its inputs, read from its source (nothing is run):

- the nesting a method unpacks its argument into (`a, b = inputs` wants a pair,
  `(a, b), y = data` a pair and a target; `inputs[1]` at least two items);
- the feature shapes the module declares with `keras.Input(shape=...)`;
- values for constructor parameters without defaults, by their conventional names
  (`units`, `filters`, `num_heads` ...) or annotations.
"""

from __future__ import annotations

import ast
import inspect
from typing import Any

# A nesting: None is one tensor, a tuple holds nestings.
Nesting = tuple[Any, ...] | None

_CONVENTIONAL: dict[str, Any] = {
    "units": 4,
    "filters": 4,
    "channels": 4,
    "features": 4,
    "out_features": 4,
    "output_dim": 4,
    "embed_dim": 4,
    "embedding_dim": 4,
    "hidden": 4,
    "hidden_units": 4,
    "hidden_dim": 4,
    "dim": 4,
    "size": 4,
    "depth": 2,
    "num_classes": 4,
    "classes": 4,
    "num_heads": 2,
    "heads": 2,
    "key_dim": 4,
    "kernel_size": 3,
    "pool_size": 2,
    "strides": 1,
    "rate": 0.1,
    "dropout": 0.1,
    "dropout_rate": 0.1,
    "epsilon": 1e-3,
    "vocab_size": 16,
    "input_dim": 16,
    "max_len": 8,
    "sequence_length": 8,
}
_BY_ANNOTATION: dict[str, Any] = {"int": 4, "float": 0.5, "bool": False}


def _target_nesting(target: ast.expr) -> Nesting:
    if isinstance(target, ast.Tuple | ast.List):
        return tuple(_target_nesting(e) for e in target.elts)
    return None


def unpacked(function: ast.FunctionDef, parameter: str) -> Nesting:
    """How `function` unpacks `parameter`: the nesting of its first tuple assignment from it,
    else a tuple as long as its highest constant index + 1, else None (one tensor)."""
    highest = -1
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Name)
            and node.value.id == parameter
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Tuple | ast.List)
        ):
            return _target_nesting(node.targets[0])
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == parameter
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, int)
        ):
            highest = max(highest, node.slice.value)
    return tuple([None] * (highest + 1)) if highest >= 1 else None


def method_node(tree: ast.Module, cls: str, method: str) -> ast.FunctionDef | None:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == method:
                    return item
    return None


def first_parameter(function: ast.FunctionDef) -> str | None:
    """The first data parameter (after `self`)."""
    names = [a.arg for a in function.args.args]
    if names and names[0] == "self":
        names = names[1:]
    return names[0] if names else None


def fill(nesting: Nesting, make: Any) -> Any:
    """The nesting with a fresh `make()` at every leaf."""
    if nesting is None:
        return make()
    return tuple(fill(n, make) for n in nesting)


def declared_shapes(tree: ast.Module) -> list[tuple[int, ...]]:
    """Batch shapes (batch 2, unknown dimensions 2) of the module's `keras.Input(shape=...)`."""
    shapes = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _name(node.func) in ("Input", "InputLayer")):
            continue
        given = [k.value for k in node.keywords if k.arg in ("shape", "input_shape")]
        given += node.args[:1]
        for expr in given:
            try:
                value = ast.literal_eval(expr)
            except ValueError:
                continue
            if isinstance(value, tuple) and all(v is None or isinstance(v, int) for v in value):
                shape = (2, *(2 if v is None else v for v in value))
                if shape not in shapes:
                    shapes.append(shape)
    return shapes


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def constructor_arguments(cls: type) -> dict[str, Any] | None:
    """Values for the parameters of `cls.__init__` that have no default, by name or
    annotation; None when one of them has neither."""
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return None
    chosen = {}
    for p in parameters:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is not p.empty:
            continue
        annotation = (
            p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", "")
        )
        if p.name in _CONVENTIONAL:
            chosen[p.name] = _CONVENTIONAL[p.name]
        elif annotation in _BY_ANNOTATION:
            chosen[p.name] = _BY_ANNOTATION[annotation]
        else:
            return None
    return chosen
