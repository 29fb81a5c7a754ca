"""From a finding's `symbol` to the code TensorFlow really traces, and runners for it.

A finding sits in a function or method; what gets traced is a `tf.function`, a Keras method
(`call`, `update_state`, `train_step` ...) or a `tf.data` map function. A helper reached from one
of those is run through that entry point (found by the module's own call graph), never wrapped in
a `tf.function` of our own: code that nothing traces must not be "confirmed".

A `Runner` calls the entry once with given inputs, eagerly or as a graph. Keras components get a
fresh instance per mode, so attribute state observed in one mode is not the other's.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import keras
import tensorflow as tf

from tflint.verify import observe
from tflint.verify.inputs import (
    SHAPES,
    Inputs,
    calls_of_instances,
    calls_with_scope,
    evaluate,
    evaluate_function,
    evaluated_calls,
    example_calls,
    from_signature,
    generic,
    required_positional,
    tensor,
)
from tflint.verify.structure import (
    Nesting,
    constructor_arguments,
    declared_shapes,
    fill,
    first_parameter,
    method_node,
    unpacked,
)

Function = tf.types.experimental.PolymorphicFunction
_MAP_METHODS = frozenset({"map", "filter"})  # the ones whose function takes one element
_STEP_RUNS = {"train_step": "fit", "test_step": "evaluate", "predict_step": "predict"}


class Unresolved(Exception):
    """The finding's code cannot be run: the message says why, in the user's terms."""


@dataclass
class Runner:
    """Calls the traced code once with some inputs; `owner` is the instance it works on."""

    call: Callable[[Inputs], Any]
    owner: Any = None
    steps: int = 1  # calls of the traced code per `call`
    repeat: int = 3  # `call`s per observed run
    # Names the code can mutate besides module globals: closure variables, parameters.
    state: Callable[[Inputs], dict[str, Any]] = lambda _: {}


@contextlib.contextmanager
def functions_run_eagerly(eager: bool) -> Iterator[None]:
    """Run tf.functions as plain Python (the eager side of a comparison, also the ones the
    flagged function calls), or as graphs even where the module switched eager mode on."""
    previous = tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(eager)
    try:
        yield
    finally:
        tf.config.run_functions_eagerly(previous)


class Subject:
    """Something the verifier can run eagerly and as a graph, with its input candidates."""

    label: str

    @property
    def name(self) -> str:
        """What the module's own code calls it (`label` may say more, for the evidence)."""
        return self.label

    def runner(self, mode: str) -> Runner:
        raise NotImplementedError

    def candidates(self) -> Iterator[Inputs]:
        raise NotImplementedError


def returning(function: Any) -> Callable[[Any], Any]:
    """A FunctionSubject getter that ignores the owner and gives this tf.function."""
    return lambda _owner: function


class FunctionSubject(Subject):
    """A tf.function, run eagerly via `run_functions_eagerly`. A tf.function method gets a
    fresh instance of its class per mode (`owner`), so attribute state does not carry over."""

    def __init__(
        self, label: str, get: Callable[[Any], Any], owner: Callable[[], Any] | None, module: Module
    ) -> None:
        self.label, self._get, self._owner, self._module = label, get, owner, module

    def runner(self, mode: str) -> Runner:
        owner = self._owner() if self._owner else None
        function = self._get(owner)

        def state(i: Inputs) -> dict[str, Any]:
            return {**_closure(function), **_bound(function, i)}

        def call(i: Inputs) -> Any:
            with functions_run_eagerly(mode == "eager"):
                return function(*i.args, **i.kwargs)

        return Runner(call, owner, state=state)

    def candidates(self) -> Iterator[Inputs]:
        function = self._get(self._owner() if self._owner else None)
        signature = getattr(function, "input_signature", None)
        if signature:
            built = from_signature(signature)
            if built:
                yield built
        name = self.label.rsplit(".", 1)[-1]
        yield from example_calls(self._module.tree, name, self._module.namespace)
        count = required_positional(getattr(function, "python_function", function))
        if count is not None:
            yield from generic(count)


def _closure(function: Any) -> dict[str, Any]:
    python = inspect.unwrap(getattr(function, "python_function", function))
    code, cells = getattr(python, "__code__", None), getattr(python, "__closure__", None) or ()
    values = {}
    for name, cell in zip(code.co_freevars if code else (), cells, strict=False):
        with contextlib.suppress(ValueError):  # an empty cell
            values[name] = cell.cell_contents
    return values


def _bound(function: Any, inputs: Inputs) -> dict[str, Any]:
    try:
        return dict(inspect.signature(function).bind(*inputs.args, **inputs.kwargs).arguments)
    except (TypeError, ValueError):
        return {}


class DatasetSubject(Subject):
    """A function the module passes to `Dataset.map` (or filter ...), run on the elements of
    the module's own input dataset: eagerly one element at a time, or traced by tf.data."""

    def __init__(self, label: str, function: Callable[..., Any], dataset: Any, method: str) -> None:
        self.label, self._function, self._dataset, self._method = label, function, dataset, method

    def runner(self, mode: str) -> Runner:
        elements = self._dataset.take(3)
        steps = sum(1 for _ in elements)
        if mode == "graph":
            mapped: list[Any] = []

            def traced(_: Inputs) -> Any:
                if not mapped:  # traced once, on the first call (which records it)
                    mapped.append(getattr(elements, self._method)(self._function))
                return list(mapped[0])

            return Runner(traced, steps=steps)

        def call(_: Inputs) -> Any:
            unpack = isinstance(elements.element_spec, tuple)
            return [self._function(*e) if unpack else self._function(e) for e in elements]

        return Runner(call, steps=steps)

    def candidates(self) -> Iterator[Inputs]:
        yield Inputs((), source="the elements of the module's own dataset")


class KerasSubject(Subject):
    """A Keras Layer/Model/Loss/Metric class, instantiated with the module's own example
    arguments or its defaults, and driven the way Keras drives it."""

    def __init__(self, cls: type, method: str, module: Module) -> None:
        self.label, self._cls, self._method, self._module = cls.__name__, cls, method, module
        if issubclass(cls, keras.losses.Loss):
            self.kind = "loss"
        elif issubclass(cls, keras.metrics.Metric):
            self.kind = "metric"
        elif issubclass(cls, keras.Model) and method in _STEP_RUNS:
            self.kind = "model"
        else:
            self.kind = "layer"

    def make(self) -> Any:
        return instantiate(self._cls, self._module)

    def runner(self, mode: str) -> Runner:
        owner = self.make()
        if self.kind == "model":
            return self._fit_runner(owner, mode)
        step: Callable[..., Any]
        if self.kind == "metric":

            def step(a: Any, b: Any) -> Any:
                owner.update_state(a, b)
                return owner.result()
        else:
            # `fit` calls layers with training=True; so do both runs, where `call` takes it.
            training = "training" in inspect.signature(owner.call).parameters

            def step(*args: Any) -> Any:
                return owner(*args, training=True) if training else owner(*args)

        # Keras traces user code without AutoGraph; so does this graph run.
        traced = step if mode == "eager" else tf.function(step, autograph=False)

        def call(i: Inputs) -> Any:
            with functions_run_eagerly(mode == "eager"):
                return traced(*i.args)

        return Runner(call, owner)

    def _fit_runner(self, model: Any, mode: str) -> Runner:
        run = _STEP_RUNS[self._method]

        @functions_run_eagerly(mode == "eager")
        def call(i: Inputs) -> Any:
            x = i.args[0]
            if not model.compiled:
                model.compile(optimizer="sgd", loss="mse", run_eagerly=mode == "eager")
            if run == "predict":
                return model.predict(x, batch_size=2, verbose=0)
            y = tf.zeros_like(model(x))
            if run == "evaluate":
                return model.evaluate(x, y, batch_size=2, verbose=0)
            return model.fit(x, y, batch_size=2, epochs=1, verbose=0, shuffle=False).history

        return Runner(call, model, steps=3, repeat=1)

    def candidates(self) -> Iterator[Inputs]:
        tree = self._module.tree
        if self.kind in ("layer", "loss"):  # the module's own `Block(4)(x)`, `loss(y, p)`
            yield from evaluated_calls(
                tree, self._module.namespace, calls_of_instances(tree, self.label)
            )
        shapes = [*declared_shapes(tree), *(s for s in SHAPES if s not in declared_shapes(tree))]
        nesting = self._nesting()
        for shape in shapes:
            if self.kind == "model":
                if len(shape) > 1:  # 3 batches of 2 samples for fit/evaluate/predict
                    yield self._batches(nesting, shape)
            elif self.kind in ("loss", "metric"):
                yield Inputs(
                    (tensor(shape), tensor(shape) * 0.8), source=f"y_true, y_pred of shape {shape}"
                )
            elif nesting is not None:
                yield Inputs(
                    (fill(nesting, lambda s=shape: tensor(s)),),
                    source=f"the nesting `call` unpacks, of float32 tensors of shape {shape}",
                )
            else:
                yield Inputs((tensor(shape),), source=f"a float32 tensor of shape {shape}")
        if self.kind in ("loss", "metric"):  # class ids against per-class scores
            for ids in ((2,), (2, 1)):
                yield Inputs(
                    (tf.constant([1, 3], shape=ids), tensor((2, 4))),
                    source=f"class ids of shape {ids}, scores of shape (2, 4)",
                )

    def _nesting(self) -> Nesting:
        """The structure the traced method unpacks its first argument into (for a training
        step: `(x, y)` data, of which x is what is fed)."""
        node = method_node(self._module.tree, self.label, self._method)
        parameter = first_parameter(node) if node is not None else None
        if node is None or parameter is None:
            return None
        nesting = unpacked(node, parameter)
        if self.kind == "model":
            return nesting[0] if isinstance(nesting, tuple) and len(nesting) >= 2 else None
        return nesting

    def _batches(self, nesting: Nesting, shape: tuple[int, ...]) -> Inputs:
        batches = (6, *shape[1:])
        if nesting is None:
            return Inputs((tensor(batches),), source=f"3 batches of shape {(2, *shape[1:])}")
        return Inputs(
            (fill(nesting, lambda: tensor(batches)),),
            source=f"3 batches of the nesting train_step unpacks, shape {(2, *shape[1:])}",
        )


@dataclass
class Module:
    """An imported user module with its parsed source."""

    module: ModuleType
    tree: ast.Module
    source: str

    @property
    def filename(self) -> str:
        return self.module.__file__ or ""

    @property
    def namespace(self) -> dict[str, Any]:
        return vars(self.module)


def instantiate(cls: type, module: Module) -> Any:
    """`cls(...)` as the module itself instantiates it somewhere, else with its defaults."""
    for example in example_calls(module.tree, cls.__name__, module.namespace):
        try:
            return cls(*example.args, **example.kwargs)
        except Exception:
            continue
    try:
        return cls()
    except Exception as exc:
        chosen = constructor_arguments(cls)
        if chosen:  # required parameters, by their conventional names (`units=4`)
            with contextlib.suppress(Exception):
                return cls(**chosen)
        raise Unresolved(
            f"cannot instantiate {cls.__name__} ({type(exc).__name__}: {_short(exc)})"
        ) from exc


def _short(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:80]


def lookup(module: Module, symbol: str) -> Any:
    """The object `symbol` names (the enclosing function for `outer.<locals>.inner`)."""
    obj: Any = module.module
    for part in symbol.split(".<locals>.")[0].split("."):
        try:
            obj = inspect.getattr_static(obj, part)
        except AttributeError as exc:
            raise Unresolved(f"`{symbol}` is not defined when the module is imported") from exc
    return obj


def _call_graph(tree: ast.Module) -> dict[str, set[str]]:
    """Qualified function name → the simple names it calls (`h(...)`, `self.h(...)`) or hands
    to a call (`strategy.run(step, ...)`, `tf.map_fn(f, x)`, `functools.partial(f, ...)`:
    TensorFlow runs those in the caller's mode)."""
    graph: dict[str, set[str]] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                called = graph.setdefault(f"{prefix}{node.name}", set())
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call):
                        if isinstance(inner.func, ast.Name):
                            called.add(inner.func.id)
                        elif isinstance(inner.func, ast.Attribute):
                            called.add(inner.func.attr)
                        handed = [*inner.args, *(k.value for k in inner.keywords)]
                        called.update(a.id for a in handed if isinstance(a, ast.Name))

    visit(tree.body, "")
    return graph


def dataset_subject(
    module: Module, *, name: str | None = None, row: int | None = None
) -> DatasetSubject | None:
    """The module's own `<dataset>.map(fn)` where `fn` is the function `name`, or a lambda on
    line `row`; the dataset and the function are the module's own expressions, evaluated."""

    def match(call: ast.Call) -> bool:
        if not (
            isinstance(call.func, ast.Attribute) and call.func.attr in _MAP_METHODS and call.args
        ):
            return False
        fn = call.args[0]
        if isinstance(fn, ast.Call) and fn.args and _is_partial(fn.func):
            fn = fn.args[0]  # `functools.partial(parse, scale=2)`: tf.data runs `parse`
        if isinstance(fn, ast.Name):
            return fn.id == name
        return (
            isinstance(fn, ast.Lambda)
            and row is not None
            and (fn.lineno <= row <= (fn.end_lineno or fn.lineno))
        )

    for call, scope in calls_with_scope(module.tree, module.namespace, match):
        assert isinstance(call.func, ast.Attribute)
        for binding in _parameter_bindings(module, call.lineno):
            scope.update(binding)
            try:
                dataset = evaluate(call.func.value, scope)
                function = evaluate_function(call.args[0], scope)
            except Exception:
                continue
            if isinstance(dataset, tf.data.Dataset):
                return DatasetSubject(
                    name or f"the lambda at line {call.lineno}", function, dataset, call.func.attr
                )
    return None


def _is_partial(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "partial") or (
        isinstance(node, ast.Attribute) and node.attr == "partial"
    )


def _parameter_bindings(module: Module, line: int) -> Iterator[dict[str, Any]]:
    """For code inside a module-level function: its parameters, bound from each of the module's
    example calls of it. Outside functions: one empty binding."""
    for node in module.tree.body:
        if (
            isinstance(node, ast.FunctionDef)
            and node.lineno <= line <= (node.end_lineno or 0)
            and callable(module.namespace.get(node.name))
        ):
            signature = inspect.signature(module.namespace[node.name])
            for example in example_calls(module.tree, node.name, module.namespace):
                try:
                    bound = signature.bind(*example.args, **example.kwargs)
                except TypeError:
                    continue
                bound.apply_defaults()
                yield dict(bound.arguments)
            return
    yield {}


def subject_for(module: Module, symbol: str) -> Subject:
    """The traced entry point for code in `symbol`, or Unresolved with the reason."""
    direct = _direct_subject(module, symbol)
    if direct is not None:
        return direct
    graph = _call_graph(module.tree)
    seen, frontier = {symbol}, [symbol]
    while frontier:
        name = frontier.pop(0).rsplit(".", 1)[-1]
        for caller, called in graph.items():
            if name in called and caller not in seen:
                seen.add(caller)
                found = _direct_subject(module, caller)
                if found is not None:
                    return found
                frontier.append(caller)
    raise Unresolved(
        f"nothing in the module traces `{symbol}` (no tf.function, Keras method, "
        "tf.data map, compile, Lambda layer or vectorized_map reaches it)"
    )


def _direct_subject(module: Module, symbol: str) -> Subject | None:
    """A subject when `symbol` itself is traced; None when it is plain Python."""
    obj = lookup(module, symbol)
    parts = symbol.split(".<locals>.")[0].split(".")
    if len(parts) >= 2:
        owner = lookup(module, ".".join(parts[:-1]))
        if isinstance(owner, type):
            return _method_subject(module, owner, parts[-1], obj)
    if isinstance(obj, type) and issubclass(
        obj, keras.layers.Layer | keras.losses.Loss | keras.metrics.Metric
    ):
        return KerasSubject(obj, "call", module)
    if isinstance(obj, Function):
        return FunctionSubject(symbol, lambda _: obj, None, module)
    for creation in observe.creations:
        if getattr(creation.function, "python_function", None) is obj:
            return FunctionSubject(symbol, returning(creation.function), None, module)
    if not callable(obj):
        return None
    from tflint.verify.handed import handed_subject  # it builds on this module's subjects

    return dataset_subject(module, name=parts[-1]) or handed_subject(module, parts[-1])


def _method_subject(module: Module, cls: type, name: str, obj: Any) -> Subject | None:
    if issubclass(cls, keras.layers.Layer | keras.losses.Loss | keras.metrics.Metric):
        traced = {"call", "update_state", "result", *_STEP_RUNS}
        return KerasSubject(cls, name, module) if name in traced else None
    if isinstance(obj, Function):
        return FunctionSubject(
            f"{cls.__name__}.{name}",
            lambda owner: getattr(owner, name),
            lambda: instantiate(cls, module),
            module,
        )
    return None
