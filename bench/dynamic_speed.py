"""How much a dynamic (eager-only) model costs against its graph twin.

Run from the repository root:  python bench/dynamic_speed.py [--steps 200] [--repeats 5]

Trains ``DynamicShrinkModel`` (Python ``while`` on ``float(tensor)``, compiled with
``run_eagerly=True``) and ``GraphShrinkModel`` (the same loop as ``keras.ops.while_loop``,
compiled normally) from the same weights on the same batches, and prints ms per batch for
``train_on_batch`` and ``predict_on_batch``, plus the eager/graph ratio. A third row runs the
graph twin eagerly too, to separate the cost of eager execution from the cost of the
data-dependent Python loop. Each figure is the median of ``--repeats`` timed runs of
``--steps`` steps (the models interleaved), after a warm-up that includes tracing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras
import numpy as np
import tensorflow as tf

from fixtures.components.dynamic import (
    DynamicShrinkModel,
    GraphShrinkModel,
    compile_dynamic,
)

BATCH, FEATURES, HIDDEN = 64, 16, 64


def ms_per_step(
    steps_by_name: dict[str, Callable[[], object]], steps: int, repeats: int
) -> dict[str, float]:
    """Median over ``repeats`` of the mean wall time of one step, in ms, for each callable.

    The callables are timed in turn within every repeat (interleaved), so load from other
    processes on a shared machine hits all of them alike instead of skewing one.
    """
    for step in steps_by_name.values():
        for _ in range(5):
            step()  # warm-up: tracing, optimizer slots, caches
    timings: dict[str, list[float]] = {name: [] for name in steps_by_name}
    for _ in range(repeats):
        for name, step in steps_by_name.items():
            start = time.perf_counter()
            for _ in range(steps):
                step()
            timings[name].append((time.perf_counter() - start) / steps * 1e3)
    return {name: statistics.median(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = (3.0 * rng.normal(size=(BATCH, FEATURES))).astype("float32")
    y = x[:, :1].copy()

    def make(cls: type, eager: bool) -> keras.Model:
        model = cls(hidden=HIDDEN, threshold=1.0, max_steps=8)
        model(x[:1])
        if eager and cls is DynamicShrinkModel:
            compile_dynamic(model, optimizer=keras.optimizers.SGD(1e-3), loss="mse")
        else:
            # run_eagerly=eager is deliberate: the eager baseline is what this benchmark measures.
            model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse", run_eagerly=eager)  # noqa: TF407
        return model

    dynamic = make(DynamicShrinkModel, eager=True)
    graph = make(GraphShrinkModel, eager=False)
    graph_eager = make(GraphShrinkModel, eager=True)
    for twin in (graph, graph_eager):
        twin.set_weights(dynamic.get_weights())
    halvings = 0
    hidden_norm = float(np.linalg.norm(dynamic.encoder(x).numpy(), axis=-1).max())
    while halvings < 8 and hidden_norm * 0.5**halvings > 1.0:
        halvings += 1
    np.testing.assert_allclose(graph.predict_on_batch(x), dynamic.predict_on_batch(x), atol=1e-6)

    models = {
        "dynamic, run_eagerly=True": dynamic,
        "graph twin, compiled (graph)": graph,
        "graph twin, run_eagerly=True": graph_eager,
    }
    train = ms_per_step(
        {name: (lambda m=m: m.train_on_batch(x, y)) for name, m in models.items()},
        args.steps,
        args.repeats,
    )
    infer = ms_per_step(
        {name: (lambda m=m: m.predict_on_batch(x)) for name, m in models.items()},
        args.steps,
        args.repeats,
    )
    rows = [(name, train[name], infer[name]) for name in models]

    print(f"date: {dt.date.today().isoformat()}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()}; "
        f"Python {platform.python_version()}, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}"
    )
    print(
        f"shapes: batch {BATCH} x {FEATURES} features, hidden {HIDDEN}; "
        f"{halvings} halvings per forward pass; median of {args.repeats} x {args.steps} steps"
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"load average (1, 5, 15 min) at the end: {load} — other work on the machine slows all rows"
    )
    print(f"{'model':32} {'train ms/batch':>15} {'steps/s':>9} {'predict ms/batch':>17}")
    for label, train, infer in rows:
        print(f"{label:32} {train:15.2f} {1e3 / train:9.0f} {infer:17.2f}")
    (_, dyn_train, dyn_infer), (_, graph_train, graph_infer) = rows[0], rows[1]
    print(f"ratio dynamic eager / graph: train {dyn_train / graph_train:.1f}x, ", end="")
    print(f"predict {dyn_infer / graph_infer:.1f}x")


if __name__ == "__main__":
    main()
