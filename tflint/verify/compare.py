"""Run a subject eagerly, then as a graph, on the same inputs, and record what each run did.

The eager run doubles as the input check: candidates are tried in order and the
first that runs eagerly without an error is the one both runs use. Watched state (module globals
and `self.<attr>` named on the flagged lines) is summarised before and after each run.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import itertools
import re
import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from tflint.verify.inputs import Inputs, user_defined
from tflint.verify.observe import Recording
from tflint.verify.pattern import run_main_setup
from tflint.verify.target import Module, Runner, Subject

MAX_CANDIDATES = 12
_IDENTIFIER = re.compile(r"(self\.)?\b([A-Za-z_]\w*)")


@dataclass(frozen=True)
class Snap:
    """A watched value, summarised: text for the evidence, a number to compare (a length or
    the value), and whether it holds a symbolic (graph-only) tensor."""

    text: str
    number: float | None = None
    symbolic: bool = False


@dataclass
class Run:
    mode: str
    calls: int
    recording: Recording
    outputs: list[bytes]
    before: dict[str, Snap]
    after: dict[str, Snap]


@dataclass
class Comparison:
    subject: Subject
    inputs: Inputs | None
    eager: Run | None = None
    graph: Run | None = None
    eager_errors: list[BaseException] = field(default_factory=list)
    names: set[str] = field(default_factory=set)  # the watched state
    # The graph run again with a construct that raises only in graphs neutralised (TF202's
    # `.numpy()`), so that one finding does not mask the others of the same function.
    neutralised: Run | None = None


@contextlib.contextmanager
def numpy_passes_through() -> Iterator[None]:
    """While tracing, `tensor.numpy()` returns the (symbolic) tensor instead of raising: the
    rest of the function traces as if the value had stayed a tensor."""
    try:
        from tensorflow.python.framework.ops import SymbolicTensor  # type: ignore[import-untyped]
    except ImportError:
        yield
        return
    if hasattr(SymbolicTensor, "numpy"):
        yield
        return
    SymbolicTensor.numpy = lambda self: self
    try:
        yield
    finally:
        del SymbolicTensor.numpy


def raised_numpy(error: BaseException | None) -> bool:
    """The graph-only error of `.numpy()` on a symbolic tensor."""
    return isinstance(error, AttributeError) and "numpy" in str(error)


def is_symbolic(value: Any) -> bool:
    """A graph tensor (also behind a `tensor.ref()`): it has no value outside its graph."""
    if callable(getattr(value, "deref", None)):
        value = value.deref()
    return (
        tf.is_tensor(value) and not isinstance(value, tf.Variable) and not hasattr(value, "numpy")
    )


def summarize(value: Any) -> Snap:
    if isinstance(value, tf.Variable):
        number = value.numpy()
        return Snap(
            f"a tf.Variable holding {number}",
            float(number) if getattr(number, "size", 0) == 1 else None,
        )
    if tf.is_tensor(value):
        if is_symbolic(value):
            return Snap("a symbolic Tensor", symbolic=True)
        number = value.numpy()
        return Snap("an eager Tensor", float(number) if getattr(number, "size", 0) == 1 else None)
    if isinstance(value, bool | int | float):
        return Snap(repr(value), float(value))
    if isinstance(value, list | tuple | dict | set):
        items = list(value.values() if isinstance(value, dict) else value)
        nested = sum(len(v) for v in items if isinstance(v, list | tuple | dict | set))
        return Snap("a container", len(items) + nested, any(is_symbolic(v) for v in items))
    return Snap(type(value).__name__)


_ATTRIBUTE = re.compile(r"\b([A-Za-z_]\w*)\.([A-Za-z_]\w*)")


def watched_names(lines: Iterable[str]) -> set[str]:
    """`self.attr`, other `name.attr` and bare names on the flagged lines (filtered later
    against real state)."""
    names = {f"{m[1] or ''}{m[2]}" for line in lines for m in _IDENTIFIER.finditer(line)}
    names.update(
        f"{m[1]}.{m[2]}" for line in lines for m in _ATTRIBUTE.finditer(line) if m[1] != "self"
    )
    return names


_WATCHED = (tf.Variable, tf.Tensor, bool, int, float, list, dict, set)


def _visible(names: set[str], module: Module, runner: Runner, inputs: Inputs) -> dict[str, Any]:
    """The watched names' current values: `self.attr` on the runner's instance; closure
    variables and parameters; module globals."""
    state = runner.state(inputs)
    values = {}
    for name in names:
        if name.startswith("self."):
            if runner.owner is None:
                continue
            try:
                value = getattr(runner.owner, name[5:])
            except Exception:
                continue
        elif name in state:
            value = state[name]
        elif name in module.namespace:
            value = module.namespace[name]
        elif "." in name:  # `stats.count` on an outer object (TF105)
            owner_name, attribute = name.split(".", 1)
            owner = state.get(owner_name, module.namespace.get(owner_name))
            if owner is None or isinstance(owner, types.ModuleType):
                continue
            try:
                value = getattr(owner, attribute)
            except Exception:
                continue
            values.update(_mutated_by(owner_name, owner, value))
        else:
            continue
        if isinstance(value, _WATCHED):
            values[name] = value
    return values


def _mutated_by(owner_name: str, owner: Any, method: Any) -> dict[str, Any]:
    """`acc.add(v)`, a method of the user's own class: the object's attributes it can change
    (`acc.total`), watched under their dotted names."""
    if not (
        inspect.ismethod(method) and method.__self__ is owner and user_defined(method.__func__)
    ):
        return {}
    try:
        attributes = vars(owner)
    except TypeError:
        return {}
    return {
        f"{owner_name}.{attribute}": value
        for attribute, value in attributes.items()
        if isinstance(value, _WATCHED) and not attribute.startswith("_")
    }


def _snapshot(values: dict[str, Any]) -> dict[str, Snap]:
    return {name: summarize(value) for name, value in values.items()}


def _restore(module: Module, saved: dict[str, tuple[Any, Any]]) -> None:
    """Put watched state back as the eager run found it, so the graph run starts from the same
    state: containers in place (every reference sees it), module-level numbers rebound."""
    for name, (current, original) in saved.items():
        if isinstance(current, list):
            current[:] = original
        elif isinstance(current, dict | set):
            current.clear()
            current.update(original)
        elif module.namespace.get(name) is current:
            module.namespace[name] = original


def fingerprint(output: Any) -> bytes:
    """Equal for equal outputs: tensors by dtype, shape and bytes."""
    parts = []
    for item in tf.nest.flatten(output):
        if tf.is_tensor(item) and hasattr(item, "numpy"):
            array = np.asarray(item.numpy())
            parts.append(f"{array.dtype}{array.shape}".encode() + array.tobytes())
        else:
            parts.append(repr(item).encode())
    return b"|".join(parts)


def observe_run(runner: Runner, mode: str, inputs: Inputs, names: set[str], module: Module) -> Run:
    values = _visible(names, module, runner, inputs)
    saved = {n: (v, copy.copy(v)) for n, v in values.items() if not n.startswith("self.")}
    before = _snapshot(values)
    outputs = []
    with Recording(module.filename) as recording:
        for _ in range(runner.repeat):
            output = recording.run(lambda: runner.call(inputs))
            if recording.error is not None:
                break
            outputs.append(fingerprint(output))
    after = _snapshot(_visible(names, module, runner, inputs))
    if mode == "eager":
        _restore(module, saved)
    return Run(mode, len(outputs) * runner.steps, recording, outputs, before, after)


def compare(
    subject: Subject, names: set[str], module: Module, home: Module | None = None
) -> Comparison:
    """Eager run with the first candidate inputs that work, then the graph run with them. When
    none works, the `__main__` block's setup (what it does before using the subject) runs once
    and the candidates are tried again. `module` is the observed one (the finding's); `home`,
    when another module's function is the subject, is that module (its setup runs)."""
    comparison = _try_candidates(subject, names, module)
    name = subject.name.split(".")[-1]
    if comparison.eager is None and run_main_setup(home or module, name):
        comparison = _try_candidates(subject, names, module)
    return comparison


def _try_candidates(subject: Subject, names: set[str], module: Module) -> Comparison:
    comparison = Comparison(subject, None, names=names)
    for inputs in itertools.islice(subject.candidates(), MAX_CANDIDATES):
        tried = compare_inputs(subject, names, module, inputs)
        if tried.eager is not None:
            return tried
        comparison.eager_errors.extend(tried.eager_errors)
    return comparison


def compare_inputs(subject: Subject, names: set[str], module: Module, inputs: Inputs) -> Comparison:
    """One eager run with `inputs`; when it works, the graph run with them (and again with
    `.numpy()` passed through when that is what failed the graph)."""
    comparison = Comparison(subject, None, names=names)
    eager = observe_run(subject.runner("eager"), "eager", inputs, names, module)
    if eager.recording.error is not None:
        comparison.eager_errors.append(eager.recording.error)
        return comparison
    comparison.inputs, comparison.eager = inputs, eager
    comparison.graph = observe_run(subject.runner("graph"), "graph", inputs, names, module)
    if raised_numpy(comparison.graph.recording.error):
        with numpy_passes_through():
            comparison.neutralised = observe_run(
                subject.runner("graph"), "graph", inputs, names, module
            )
    return comparison


def _large(value: Any) -> Any:
    """2000 everywhere: above the usual thresholds, yet a loop bound eager code still ends."""
    return tf.cast(tf.fill(tf.shape(value), 2000), value.dtype)


_BRANCH_VALUES = (("zeros", tf.zeros_like), ("2000", _large))


def branch_variants(inputs: Inputs) -> Iterator[Inputs]:
    """The same inputs with every numeric tensor zero, then 2000: values that take the
    `step % 100 == 0` and `x > threshold` branches ordinary inputs skip."""
    for label, change in _BRANCH_VALUES:

        def swap(value: Any, change: Any = change) -> Any:
            numeric = tf.is_tensor(value) and (value.dtype.is_floating or value.dtype.is_integer)
            return change(value) if numeric else value

        yield Inputs(
            tuple(tf.nest.map_structure(swap, list(inputs.args))),
            {k: tf.nest.map_structure(swap, v) for k, v in inputs.kwargs.items()},
            source=f"{inputs.source}, every value {label}",
        )
