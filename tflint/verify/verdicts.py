"""Per-rule verdicts: what each rule's finding should make observably true, and whether it did.

Every verdict quotes what was observed (counts, values, the exception) in one short line. A
finding is `confirmed` only when the divergence the rule predicts was seen at run time, and
`not-reproduced` when the code ran as the rule's example predicts it would not; anything that
kept us from observing (no inputs, a failing import, nothing that traces the code) is
`unverifiable` with the reason.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tflint.verify import observe
from tflint.verify.compare import Comparison, Run, raised_numpy, watched_names
from tflint.verify.group import Finding, Group
from tflint.verify.inputs import Refused, Scope, evaluate, tensor
from tflint.verify.loops import ITERATIONS, call_per_iteration
from tflint.verify.pattern import describe, message_line
from tflint.verify.protocol import Result, Status
from tflint.verify.target import (
    Function,
    Module,
    Unresolved,
    lookup,
)

SIDE_EFFECT_KINDS = {
    "TF101": ("stdout",),
    "TF102": ("logging", "warning", "open", "environ", "input", "subprocess", "stdout"),
    "TF103": ("random",),
    "TF104": ("clock",),
}
# The exception each error rule predicts: type(s) and a pattern its message must match.
EXPECTED_ERRORS: dict[str, tuple[tuple[type[BaseException], ...], str]] = {
    "TF201": ((NotImplementedError, TypeError), r"to a numpy array|numpy\(\)|__array__"),
    "TF202": ((AttributeError,), r"numpy"),
    # OperatorNotAllowedInGraphError is a TypeError
    "TF203": (
        (TypeError, AttributeError, ValueError),
        r"as a Python `?bool|format string|no attribute '?(item|tolist|astype)|argument must be"
        r"|not well defined|tolist",
    ),
    "TF205": ((TypeError, ValueError), r"None"),
    # Keras' loops and saving, `as_numpy_iterator`, `tf.saved_model.save` when traced
    # (OperatorNotAllowedInGraphError is a TypeError).
    "TF206": (
        (TypeError, AttributeError, NotImplementedError, RuntimeError, AssertionError),
        r"symbolic|numpy|eager|NoneType|cross-replica|traced @tf.function",
    ),
    "TF301": ((ValueError,), r"singleton|non-first call|created on the first call"),
    "TF302": ((ValueError,), r"add new elements of state|already built|singleton|lifted"),
    "TF304": ((ValueError,), r"singleton|created on the first call"),
    "TF405": ((TypeError,), r"as a Python `bool`"),  # OperatorNotAllowedInGraphError
    "TF501": ((TypeError,), r"as a Python `?bool`? is not allowed|Iterating over a symbolic"),
    "TF502": ((ValueError,), r"must also be initialized in the (else|main) branch"),
}
# Graph-only errors that outer-state mutation causes wherever TensorFlow notices it.
_LEAKED = r"should not modify its Python input arguments|out of scope|InaccessibleTensorError"
DIVERGENCE = {"TF105", "TF106", "TF107", *SIDE_EFFECT_KINDS, *EXPECTED_ERRORS}


def unverifiable(reason: str) -> Result:
    return Result(Status.UNVERIFIABLE, reason)


def confirmed(evidence: str) -> Result:
    return Result(Status.CONFIRMED, evidence)


def not_reproduced(evidence: str) -> Result:
    return Result(Status.NOT_REPRODUCED, evidence)


TIMES = "\u00d7"  # the multiplication sign: "ran 3 times" reads "ran 3\u00d7"


def _times(count: int) -> str:
    return f"{count}{TIMES}"


def verify_group(
    module: Any,
    tree: ast.Module,
    source: str,
    symbol: str | None,
    findings: list[Finding],
    caller: tuple[Any, ast.Module, str, str] | None = None,
) -> list[Result]:
    """Verdicts for the findings of `symbol`; `caller` (another module, its tree and source,
    the traced function in it) runs the code when another module traces it."""
    root = None if caller is None else (Module(*caller[:3]), caller[3])
    group = Group(Module(module, tree, source), symbol, findings, root)
    results = []
    for finding in findings:
        try:
            results.append(_verify(group, finding))
        except Unresolved as exc:
            results.append(unverifiable(str(exc)))
        except MemoryError:
            results.append(unverifiable("ran out of memory (the memory cap was reached)"))
        except Exception as exc:
            results.append(unverifiable(f"the verifier failed: {describe(exc)}"))
    return results


def _verify(group: Group, finding: Finding) -> Result:
    code = finding["code"]
    if code in DIVERGENCE:
        return _divergence(group, finding)
    probe = _PROBES.get(code)
    if probe is None:
        return unverifiable(f"{code} has no run-time check")
    return probe(group, finding)


def _divergence(group: Group, finding: Finding) -> Result:
    """Rules whose evidence is an eager run next to a graph run of the same inputs; a
    not-reproduced verdict names the inputs, so the user can judge them."""
    if finding["code"] == "TF206" and "run_functions_eagerly" in group.span_text(finding):
        return unverifiable(
            "run_functions_eagerly raises nothing: it switches later calls to eager mode, "
            "which the verifier's own eager/graph switching overrides"
        )
    comparison = group.comparison(finding)
    result = _compared(group, finding, comparison)
    if result.status is Status.NOT_REPRODUCED and comparison.inputs is not None:
        result = not_reproduced(f"{result.evidence} (inputs: {comparison.inputs.source})")
    return result


def _compared(group: Group, finding: Finding, comparison: Comparison) -> Result:
    code = finding["code"]
    # Keras refuses the new weight eagerly too, as soon as it is built (TF302); TensorFlow
    # tensors have no `.item()`/`.tolist()` and no `round` eagerly either (TF203).
    if code in ("TF203", "TF302"):
        for error in [
            *comparison.eager_errors,
            *(r.recording.error for r in (comparison.eager, comparison.graph) if r),
        ]:
            if error is not None and _expected(code, error) and group.points_at(error, finding):
                return confirmed(
                    f"calling {comparison.subject.label} raised "
                    f"{type(error).__name__}: "
                    f"{message_line(error, EXPECTED_ERRORS[code][1])}"
                )
    eager, graph = comparison.eager, comparison.graph
    neutral = comparison.neutralised
    # Judged on its own, with the `.numpy()` that fails the graph set aside.
    if code not in ("TF202", "TF206") and neutral is not None and neutral.recording.error is None:
        result = _compared_runs(group, finding, comparison, eager, neutral)
        return replace(result, evidence=f"{result.evidence} {_NEUTRALISED}")
    return _compared_runs(group, finding, comparison, eager, graph)


_NEUTRALISED = "(with `.numpy()` passed through: it raises in graphs)"


def _graph_failed(group: Group, error: BaseException) -> Result:
    """A graph run that raised: when it was a `.numpy()` (TF202's error) and setting it aside
    did not help, name it as what blocks the finding."""
    rows = group.error_rows(error)
    if raised_numpy(error) and rows:
        return unverifiable(f"blocked by TF202 at line {rows[-1]}: {describe(error)}")
    return unverifiable(f"the graph call raised {describe(error)}")


def _compared_runs(
    group: Group, finding: Finding, comparison: Comparison, eager: Run | None, graph: Run | None
) -> Result:
    code = finding["code"]
    if eager is None or graph is None:
        last = comparison.eager_errors[-1] if comparison.eager_errors else None
        why = f" (eager call raised {describe(last)})" if last else ""
        return unverifiable(f"no inputs could be built{why}")
    where = comparison.subject.label
    if code in EXPECTED_ERRORS:
        return _graph_error(group, finding, graph, where)
    if code in ("TF105", "TF106"):
        return _state(group, finding, eager, graph, where)
    if code == "TF107":
        if graph.recording.error is not None:
            return _graph_failed(group, graph.recording.error)
        return _frozen_outputs(eager, graph, where) or not_reproduced(
            f"{graph.calls} graph calls of {where} returned {len(set(graph.outputs))} distinct "
            f"values, {eager.calls} eager calls {len(set(eager.outputs))}"
        )
    events = _events(group, finding, eager, graph, where)
    if code in ("TF103", "TF104") and events.status is not Status.CONFIRMED:
        # A draw the taps cannot see (NumPy Generator, datetime): frozen outputs show it.
        return _frozen_outputs(eager, graph, where) or events
    return events


def _expected(code: str, error: BaseException) -> bool:
    types, pattern = EXPECTED_ERRORS[code]
    return isinstance(error, types) and re.search(pattern, str(error), re.IGNORECASE) is not None


def _graph_error(group: Group, finding: Finding, graph: Run, where: str) -> Result:
    code, error = finding["code"], graph.recording.error
    if error is None:
        return not_reproduced(f"{where} ran as a graph {_times(graph.calls)} without an error")
    if not (_expected(code, error) and group.points_at(error, finding)):
        return not_reproduced(f"the graph call failed elsewhere: {describe(error)}")
    return confirmed(
        f"graph call of {where} raised {type(error).__name__}: "
        f"{message_line(error, EXPECTED_ERRORS[code][1])}; eager calls ran"
    )


def _counted(
    group: Group, what: str, eager_count: int, graph_count: int, eager: Run, graph: Run, where: str
) -> Result:
    text = (
        f"{what} {_times(graph_count)} in {graph.calls} graph calls of {where}, "
        f"{_times(eager_count)} in {eager.calls} eager calls"
    )
    if graph.recording.error is not None:
        return _graph_failed(group, graph.recording.error)
    return confirmed(text) if graph_count < eager_count else not_reproduced(text)


_EVENT_WORDS = {
    "logging": "log record {}",
    "warning": "warnings.warn {}",
    "open": "open({})",
    "environ": "os.environ[{}] read",
    "input": "input({})",
    "subprocess": "{} ran",
    "random": "{} ran",
    "clock": "{} ran",
    "stdout": "print ran",
}


def _event_counts(finding: Finding, run: Run) -> Counter[tuple[str, str]]:
    rows = range(finding["row"], finding["end_row"] + 1)
    counts: Counter[tuple[str, str]] = Counter()
    for kind in SIDE_EFFECT_KINDS[finding["code"]]:
        for key, number in run.recording.count(kind, rows).items():
            counts[(kind, key)] = number
    return counts


def _events(group: Group, finding: Finding, eager: Run, graph: Run, where: str) -> Result:
    """Side effects caused by the flagged lines: how often eagerly, how often as a graph.
    A line the inputs never reach eagerly (a rare branch) is tried again with inputs that
    take rare branches."""
    eager_counts, graph_counts = _event_counts(finding, eager), _event_counts(finding, graph)
    note = ""
    if not eager_counts:
        for variant in group.variants(finding):
            if variant.eager is None or variant.graph is None or variant.inputs is None:
                continue
            counts = _event_counts(finding, variant.eager)
            if counts:
                eager, graph = variant.eager, variant.graph
                eager_counts, graph_counts = counts, _event_counts(finding, graph)
                note = f" (inputs that take its branch: {variant.inputs.source})"
                break
    if not eager_counts and "read_file(" in group.span_text(finding):
        return unverifiable(
            "tf.io.read_file runs on every graph call; a frozen constant-path "
            "read shows only when the file changes (the verifier never writes)"
        )
    if not eager_counts:
        return unverifiable(
            f"line {finding['row']} had no observable side effect in "
            f"{eager.calls} eager calls of {where} (did it run?)"
        )
    # The event that diverges most is the evidence; ties go to the most frequent.
    kind, key = max(
        eager_counts, key=lambda k: (eager_counts[k] - graph_counts[k], eager_counts[k])
    )
    shown = key if kind in ("random", "clock", "subprocess") else repr(key)
    label = _EVENT_WORDS[kind].format(shown if kind != "open" else repr(_short_path(key)))
    result = _counted(
        group, label, eager_counts[(kind, key)], graph_counts[(kind, key)], eager, graph, where
    )
    return replace(result, evidence=result.evidence + note) if note else result


def _short_path(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _frozen_outputs(eager: Run, graph: Run, where: str) -> Result | None:
    eager_distinct, graph_distinct = len(set(eager.outputs)), len(set(graph.outputs))
    # Every eager call different (a continuous draw, a clock), every graph call the same.
    if (
        graph.recording.error is None
        and eager_distinct == len(eager.outputs) > 1
        and graph_distinct == 1
        and len(graph.outputs) > 1
    ):
        return confirmed(
            f"{graph.calls} graph calls of {where} returned 1 distinct value, "
            f"{eager.calls} eager calls {eager_distinct}"
        )
    return None


def _state(group: Group, finding: Finding, eager: Run, graph: Run, where: str) -> Result:
    names = watched_names(group.span_lines(finding))
    if finding["code"] == "TF106":
        names = {n for n in names if n.startswith("self.")}
    error = graph.recording.error
    if error is not None:
        if re.search(_LEAKED, str(error)):
            return confirmed(f"graph call of {where} raised {describe(error)}; eager calls ran")
        return _graph_failed(group, error)
    # with the attributes a flagged `acc.add(...)` can change (`acc.total`, see compare.py)
    owners = tuple(f"{n.split('.')[0]}." for n in names if "." in n and n[:5] != "self.")
    observed = sorted(
        n
        for n in eager.after
        if n in graph.after and (n in names or (n.startswith(owners) and owners))
    )
    for name in observed:
        e0, e1, g0, g1 = (
            eager.before.get(name),
            eager.after[name],
            graph.before.get(name),
            graph.after[name],
        )
        container = e1.text == "a container"
        if e0 and g0 and None not in (e0.number, e1.number, g0.number, g1.number):
            eager_delta = (e1.number or 0) - (e0.number or 0)
            graph_delta = (g1.number or 0) - (g0.number or 0)
            # Deltas differ, and so do the values left: a flag set to the same constant
            # (`settings.traced = True`) changes only on the first run, eager or graph.
            if eager_delta != graph_delta and e1.number != g1.number:
                label = f"items in {name}" if container else name
                return confirmed(
                    f"{label} changed by {_num(graph_delta)} in {graph.calls} "
                    f"graph calls of {where}, by {_num(eager_delta)} in "
                    f"{eager.calls} eager calls"
                )
        if g1.symbolic and not e1.symbolic:
            held = "holds a symbolic Tensor" if container else "is a symbolic Tensor"
            return confirmed(
                f"{name} {held} after {graph.calls} graph calls of {where} "
                f"(eagerly: {'eager values' if container else e1.text})"
            )
    if not observed:
        return unverifiable("the mutated state could not be observed from outside the call")
    return not_reproduced(
        f"{', '.join(observed)} changed the same way in {graph.calls} graph "
        f"and {eager.calls} eager calls of {where}"
    )


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _retracing(group: Group, finding: Finding) -> Result:
    """TF401: the called tf.function's tracing count when called with the values its loop
    passes; else over the module's own calls of the enclosing function."""
    looped = call_per_iteration(group.module, group.symbol, finding["row"], finding["column"])
    if looped is not None and looped.error is None:
        text = (
            f"{looped.name} traced {_times(looped.traces)} in {looped.calls} calls with "
            f"{looped.varying} (the values the loop at line {looped.line} passes)"
        )
        if looped.at_import:
            text = (
                f"{looped.name} traced {_times(looped.traces)} when importing the module ran "
                f"the loop at line {looped.line} (calls with {looped.varying} traced no more)"
            )
        # values an earlier finding of the group already traced (2 == 2.0) do not retrace
        return confirmed(text) if looped.traces >= ITERATIONS - 1 else not_reproduced(text)
    name = _called_name(group, finding)
    run, baseline, _ = group.pattern(finding)
    bound = getattr(run.owner, name, None) if run.owner is not None else None
    functions = (
        [bound]
        if isinstance(bound, Function)
        else [
            c.function
            for c in observe.creations
            if getattr(getattr(c.function, "python_function", None), "__name__", None) == name
        ]
    )
    if not functions:
        return unverifiable(f"`{name}` is not a tf.function the module creates")
    traces = sum(f.experimental_get_tracing_count() - baseline.get(id(f), 0) for f in functions)
    text = f"{name} traced {_times(traces)} during {run.label}"
    return confirmed(text) if traces >= 3 else not_reproduced(text)


def _called_name(group: Group, finding: Finding) -> str:
    match = re.match(r"\s*([\w.]+)\s*\(", group.span_text(finding))
    if not match:
        raise Unresolved("the flagged call has no simple function name")
    return match[1].rsplit(".", 1)[-1]


def _repeated_creation(group: Group, finding: Finding) -> Result:
    """TF402: how many tf.function objects the flagged lines created, and their traces."""
    rows = range(finding["row"], finding["end_row"] + 1)
    run, _, start = group.pattern(finding)
    made = [
        c.function
        for c in observe.creations[start:]
        if c.filename == group.filename and c.line in rows
    ]
    if not made:
        return unverifiable(
            f"no tf.function was created at line {finding['row']} during {run.label}"
        )
    traces = sum(f.experimental_get_tracing_count() for f in made)
    text = (
        f"tf.function created {_times(len(made))} at line {finding['row']} and traced "
        f"{_times(traces)} during {run.label}"
    )
    return confirmed(text) if len(made) >= 2 and traces >= 2 else not_reproduced(text)


def _run_eagerly(group: Group, finding: Finding) -> Result:
    """TF407: after the module's own code ran, is graph execution off?"""
    run, _, _ = group.pattern(finding)
    if tf.config.functions_run_eagerly():
        return confirmed(f"tf.config.functions_run_eagerly() is True after {run.label}")
    if any(getattr(model, "run_eagerly", False) for model in observe.compiled):
        return confirmed(
            f"model.run_eagerly is True after {run.label}: fit, evaluate and "
            "predict run every step eagerly"
        )
    return not_reproduced(f"graph execution is still on after {run.label}")


def _dtype(group: Group, finding: Finding) -> Result:
    """TF204: evaluate the flagged expression where it can be (module-level names only), and
    only when it reads as data and constructors (`inputs.evaluate`)."""
    text = group.span_text(finding)
    try:
        node = ast.parse(text.strip(), mode="eval").body
        value = evaluate(node, Scope({}, group.module.namespace))
    except NameError as exc:
        raise Unresolved(f"the expression uses names local to its function ({exc.name})") from exc
    except SyntaxError as exc:
        raise Unresolved("the flagged span is not an expression") from exc
    except Refused as exc:
        raise Unresolved(f"the verifier does not evaluate this expression ({exc})") from exc
    except Exception as exc:
        raise Unresolved(f"evaluating the expression raised {describe(exc)}") from exc
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return not_reproduced(f"the expression gave {type(value).__name__}, not a tensor")
    dtype = tf.as_dtype(dtype)
    expected = {tf.int64: "int32", tf.float64: "float32"}.get(dtype)
    short = text.strip() if len(text.strip()) <= 40 else text.strip()[:39] + "…"
    if expected and _asks_for_dtype(text):
        return not_reproduced(f"{short} has dtype {dtype.name}, as its dtype= asks")
    if expected:
        return confirmed(f"{short} has dtype {dtype.name} (TensorFlow ops default to {expected})")
    return not_reproduced(f"{short} has dtype {dtype.name}")


def _asks_for_dtype(expression: str) -> bool:
    """Whether the outermost call passes `dtype=` (then a 64-bit result is what was asked)."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return False
    return isinstance(node, ast.Call) and any(k.arg == "dtype" for k in node.keywords)


def _changed(value: Any) -> Any:
    """A non-default value of the same type, to see whether it survives a round trip."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value * 2 if value else 3
    if isinstance(value, str):
        return value + "_x"
    return None


def _round_trip(group: Group, finding: Finding) -> Result:
    """TF303: serialize and deserialize a non-default instance the way `.keras` saving does."""
    cls = lookup(group.module, group.symbol or "")
    if not isinstance(cls, type):
        raise Unresolved(f"`{group.symbol}` is not a class")
    if not issubclass(cls, keras.losses.Loss | keras.metrics.Metric):
        raise Unresolved(f"{cls.__name__} is not a Keras Loss or Metric")
    base = keras.losses.Loss if issubclass(cls, keras.losses.Loss) else keras.metrics.Metric
    own = set(inspect.signature(base.__init__).parameters)
    changed = {}
    initializer = cls.__init__  # type: ignore[misc]
    for name, param in inspect.signature(initializer).parameters.items():
        if name in own or name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.default is param.empty:
            raise Unresolved(f"{cls.__name__}({name}=...) has no default to vary")
        value = _changed(param.default)
        if value is not None:
            changed[name] = value
    if not changed:
        raise Unresolved(f"{cls.__name__} has no numeric, boolean or string parameter to vary")
    original = cls(**changed)
    try:
        config = keras.saving.serialize_keras_object(original)
        restored = keras.saving.deserialize_keras_object(config, custom_objects={cls.__name__: cls})
    except Exception as exc:
        return confirmed(f"the Keras save/load round trip of {cls.__name__} raised {describe(exc)}")
    for name, value in changed.items():
        for attribute in (a for a, v in vars(original).items() if _same(v, value)):
            after = getattr(restored, attribute, None)
            if not _same(after, value):
                return confirmed(
                    f"{cls.__name__}({name}={value!r}) came back with "
                    f"{attribute}={after!r} after a Keras save/load round trip"
                )
    arguments = ", ".join(f"{k}={v!r}" for k, v in changed.items())
    before, after = _score(original), _score(restored)
    if before is not None and after is not None and not np.isclose(before, after):
        return confirmed(
            f"{cls.__name__}({arguments}) gives {before:.4g} on the same inputs, "
            f"{after:.4g} after a Keras save/load round trip"
        )
    return not_reproduced(f"{cls.__name__}({arguments}) survived a Keras save/load round trip")


def _score(component: Any) -> float | None:
    """A loss value, or a metric's result after one update, on fixed inputs with large errors
    (so parameters such as Huber's delta matter)."""
    y_true = tensor((2, 4)) * 3.0
    y_pred = tf.zeros((2, 4))
    try:
        if isinstance(component, keras.metrics.Metric):
            component.update_state(y_true, y_pred)
            return float(component.result())
        return float(component(y_true, y_pred))
    except Exception:
        return None


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(np.all(a == b))
    except Exception:
        return False


def _statement_at(group: Group, row: int, kinds: tuple[type[ast.stmt], ...]) -> ast.stmt | None:
    """The innermost statement of one of `kinds` whose lines hold `row`."""
    found: ast.stmt | None = None
    for node in ast.walk(group.module.tree):
        if (
            isinstance(node, kinds)
            and node.lineno <= row <= _last_row(node)
            and (found is None or node.lineno >= found.lineno)
        ):
            found = node
    return found


def _last_row(node: ast.stmt) -> int:
    return node.end_lineno or node.lineno


# An unrolled loop: at least this many ops made on the loop's lines in one trace.
_UNROLLED_OPS = 100


def _unrolled(group: Group, finding: Finding) -> Result:
    """TF403: trace the function and count the ops each traced graph got from the loop."""
    loop = _statement_at(group, finding["row"], (ast.For,))
    if loop is None:
        raise Unresolved(f"no `for` loop at line {finding['row']}")
    rows = range(loop.lineno, _last_row(loop) + 1)
    comparison = group.comparison(finding)
    if comparison.graph is None:
        return _compared_runs(group, finding, comparison, comparison.eager, comparison.graph)
    counted = [
        (_ops_from(trace.graph, group.filename, rows), len(trace.graph.get_operations()), trace)
        for trace in observe.traces
    ]
    if not counted or max(counted, key=lambda c: c[0])[0] == 0:
        return unverifiable(f"no traced graph has ops from the loop at line {loop.lineno}")
    made, total, trace = max(counted, key=lambda c: c[0])
    text = (
        f"the loop at line {loop.lineno} made {made:,} of the {total:,} ops "
        f"of one graph of {comparison.subject.label}, traced in {trace.seconds:.2f} s"
    )
    return confirmed(text) if made >= _UNROLLED_OPS else not_reproduced(text)


def _ops_from(graph: Any, filename: str, rows: range) -> int:
    """Ops of a graph whose creation passed through one of `rows` of `filename`."""
    return sum(
        any(frame.filename == filename and frame.lineno in rows for frame in op.traceback)
        for op in graph.get_operations()
    )


# The trace-time errors of AutoGraph's loop limits; they point at the loop or at the list's use
# after it, not at the flagged statement, so any line of the flagged function counts.
_LOOP_ERRORS: dict[str, tuple[tuple[type[BaseException], ...], str]] = {
    "TF404": (
        (ValueError, TypeError),
        r"out of scope and cannot be used here|list indices must be integers",
    ),
    "TF503": (
        (NotImplementedError, ValueError),
        r"depend on a TF condition are not supported in Python for loops"
        r"|else branch must also have a return statement",
    ),
}


def _loop_error(group: Group, finding: Finding) -> Result:
    """TF404, TF503: the graph call raises AutoGraph's error inside the flagged function."""
    comparison = group.comparison(finding)
    eager, graph = comparison.eager, comparison.graph
    if eager is None or graph is None:
        return _compared_runs(group, finding, comparison, eager, graph)
    where, error = comparison.subject.label, graph.recording.error
    if error is None:
        return not_reproduced(f"{where} ran as a graph {_times(graph.calls)} without an error")
    types, pattern = _LOOP_ERRORS[finding["code"]]
    function = _statement_at(group, finding["row"], (ast.FunctionDef, ast.AsyncFunctionDef))
    lines = (
        range(function.lineno, _last_row(function) + 1)
        if function is not None
        else range(finding["row"], finding["end_row"] + 1)
    )
    inside = any(row in lines for row in group.error_rows(error))
    if not (isinstance(error, types) and re.search(pattern, str(error)) and inside):
        return not_reproduced(f"the graph call failed elsewhere: {describe(error)}")
    return confirmed(
        f"graph call of {where} raised {type(error).__name__}: "
        f"{message_line(error, pattern)}; eager calls ran"
    )


def _identity(group: Group, finding: Finding) -> Result:
    """TF207: stop at the flagged line in an eager run and evaluate the operand of the
    identity test there; a tensor is never the `True`/`False` object."""
    test = _identity_test(group.span_text(finding))
    if test is None:
        raise Unresolved("the flagged lines hold no `is True` / `is False` test")
    operand, negated, constant = test
    text = f"{operand} {'is not' if negated else 'is'} {constant}"
    comparison = group.comparison(finding)
    if comparison.eager is None or comparison.inputs is None:
        return unverifiable("no inputs could be built")
    where, row, inputs = comparison.subject.label, finding["row"], comparison.inputs
    runner = comparison.subject.runner("eager")
    seen = _values_at(group.filename, row, operand, lambda: runner.call(inputs))
    if not seen:
        return unverifiable(f"line {row} was not reached in an eager call of {where}")
    tensors = [value for value in seen if tf.is_tensor(value)]
    if tensors:
        value = tensors[0]
        held = f" holding {np.asarray(value).tolist()!r}" if value.shape.num_elements() == 1 else ""
        return confirmed(
            f"`{operand}` was a {type(value).__name__}{held} at line {row} in an eager call "
            f"of {where}: `{text}` is {(value is constant) != negated}"
        )
    return not_reproduced(f"`{operand}` was a {type(seen[0]).__name__} at line {row} ({where})")


def _identity_test(span: str) -> tuple[str, bool, bool] | None:
    """(the operand, whether the test is `is not`, the constant) of the first
    `x is True` / `x is not False` ... in the span."""
    for mode in ("eval", "exec"):
        try:
            tree = ast.parse(span.strip(), mode=mode)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Compare)
                and len(node.ops) == 1
                and isinstance(node.ops[0], ast.Is | ast.IsNot)
            ):
                continue
            left, right = node.left, node.comparators[0]
            for constant, operand in ((right, left), (left, right)):
                if isinstance(constant, ast.Constant) and isinstance(constant.value, bool):
                    negated = isinstance(node.ops[0], ast.IsNot)
                    return ast.unparse(operand), negated, constant.value
    return None


def _values_at(filename: str, row: int, expression: str, call: Callable[[], Any]) -> list[Any]:
    """The values `expression` has each time a line event reaches `row` of `filename`."""
    code = compile(expression, "<operand>", "eval")
    seen: list[Any] = []

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "line" and frame.f_lineno == row:
            with contextlib.suppress(Exception):  # a name not bound yet on this line
                seen.append(eval(code, frame.f_globals, frame.f_locals))
        return local

    def calls(frame: Any, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == filename else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        call()
    except Exception:
        pass
    finally:
        sys.settrace(previous)
    return seen


def _try_rows(group: Group, finding: Finding) -> range:
    """The lines of the `try` body whose `except` the TF406 finding is on."""
    found = _statement_at(group, finding["row"], (ast.Try,))
    if not isinstance(found, ast.Try):
        raise Unresolved(f"no `try` has an `except` at line {finding['row']}")
    return range(found.body[0].lineno, _last_row(found.body[-1]) + 1)


def _escaped_op_error(group: Group, finding: Finding) -> Result:
    """TF406: inputs that make an op in the `try` fail (the module's own, or the same with
    every value zero or large): eagerly the `except` catches the error, as a graph the error
    raised when the op runs escapes it."""
    rows = _try_rows(group, finding)
    for comparison in (group.comparison(finding), *group.variants(finding)):
        error = comparison.graph.recording.error if comparison.graph else None
        if comparison.inputs is None or not isinstance(error, tf.errors.OpError):
            continue
        raised_at = [row for row in group.error_rows(error) if row in rows]
        if raised_at:
            return confirmed(
                f"graph call of {comparison.subject.label} raised {type(error).__name__} from "
                f"line {raised_at[-1]}, past the except; eager calls returned "
                f"(inputs: {comparison.inputs.source})"
            )
    return unverifiable(
        f"no inputs made an op in the try (lines {rows.start}-{rows.stop - 1}) fail eagerly"
    )


def _discarded_update(group: Group, finding: Finding) -> Result:
    """TF408: the same inputs give the TensorArray's contents eagerly (updates happen in
    place) and an empty or zero result as a graph (the updated array was thrown away)."""
    comparison = group.comparison(finding)
    eager, graph, inputs = comparison.eager, comparison.graph, comparison.inputs
    if eager is None or graph is None or inputs is None:
        return unverifiable("no inputs could be built")
    if graph.recording.error is not None:
        return _graph_failed(group, graph.recording.error)
    where = comparison.subject.label
    if eager.outputs[:1] == graph.outputs[:1]:
        return not_reproduced(f"{where} returned the same eagerly and as a graph")
    shown = {
        mode: _shown(comparison.subject.runner(mode).call(inputs)) for mode in ("eager", "graph")
    }
    return confirmed(
        f"graph call of {where} returned {shown['graph']}, the eager call {shown['eager']} "
        f"(inputs: {inputs.source})"
    )


def _shown(output: Any) -> str:
    """A short text for an output: its first tensor's values (or shape when large)."""
    first = tf.nest.flatten(output)[0] if tf.nest.flatten(output) else output
    if tf.is_tensor(first) and hasattr(first, "numpy"):
        array = np.asarray(first.numpy())
        values = np.array2string(array.ravel()[:6], precision=3, separator=" ")
        return f"shape {tuple(array.shape)} {values}" if array.size else f"shape {array.shape}"
    return type(first).__name__


def _raised_while_tracing(group: Group, finding: Finding) -> Result:
    """TF409: inputs that pass the check eagerly: the graph call raises at the flagged
    `raise` anyway (both branches of the `if` were traced)."""
    comparison = group.comparison(finding)
    graph = comparison.graph
    if comparison.eager is None or graph is None:
        return unverifiable("no inputs could be built")
    error = graph.recording.error
    where = comparison.subject.label
    if error is None:
        return not_reproduced(f"{where} ran as a graph {_times(graph.calls)} without an error")
    if not group.points_at(error, finding):
        return not_reproduced(f"the graph call failed elsewhere: {describe(error)}")
    return confirmed(
        f"graph call of {where} raised {describe(error)} at line {finding['row']}; "
        f"eager calls with the same inputs ran"
    )


_PROBES: dict[str, Callable[[Group, Finding], Result]] = {
    "TF204": _dtype,
    "TF207": _identity,
    "TF303": _round_trip,
    "TF401": _retracing,
    "TF402": _repeated_creation,
    "TF403": _unrolled,
    "TF404": _loop_error,
    "TF406": _escaped_op_error,
    "TF407": _run_eagerly,
    "TF408": _discarded_update,
    "TF409": _raised_while_tracing,
    "TF503": _loop_error,
}
