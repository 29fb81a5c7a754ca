"""Real-TensorFlow tests of the reference components in ``fixtures/components``.

Every component is checked against its built-in Keras counterpart (or a NumPy reference) with
the same weights and inputs, and the graph-related claims in ``docs/components.md`` are checked
as observed behaviour: state that updates per call under ``tf.function``, noise that is not
frozen, a train step that traces once, a dynamic model that equals its graph twin.
"""

from __future__ import annotations

import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `fixtures` is a repo-root package, not an installed one
    sys.path.insert(0, str(ROOT))

from fixtures.components import (  # noqa: E402
    CustomStepRegressor,
    DynamicShrinkModel,
    GaussianNoise,
    GraphShrinkModel,
    HuberLoss,
    L2Normalize,
    LoopTrainer,
    PairwiseDistance,
    ResidualRegressor,
    SimpleDense,
    StreamingHuber,
    huber,
    huber_metric,
)
from fixtures.components.dynamic import compile_dynamic  # noqa: E402
from fixtures.components.metrics import StreamingPrecision  # noqa: E402

ATOL = 1e-6


@pytest.fixture(autouse=True)
def _seeded() -> None:
    """Same weights and data on every run, so the asserted numbers are reproducible."""
    keras.utils.set_random_seed(0)


def regression_data(n: int = 64, features: int = 8, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (2.0 * x[:, :1] - x[:, 1:2] + 0.5).astype("float32")
    return x, y


def np_huber(y_true: np.ndarray, y_pred: np.ndarray, delta: float) -> np.ndarray:
    """NumPy reference: per-sample mean over the last axis."""
    err = np.abs(y_pred.astype("float64") - y_true.astype("float64"))
    return np.where(err <= delta, 0.5 * err**2, delta * err - 0.5 * delta**2).mean(axis=-1)


# --- losses -------------------------------------------------------------------------------------


def test_huber_function_known_values() -> None:
    # Keras's documented example: per sample 0.18 and 0.13, mean 0.155.
    per_sample = huber([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    np.testing.assert_allclose(per_sample.numpy(), [0.18, 0.13], atol=ATOL)


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_function_matches_keras(delta: float) -> None:
    rng = np.random.default_rng(1)
    y_true = rng.normal(size=(32, 5)).astype("float32")
    y_pred = (y_true + 3.0 * rng.normal(size=(32, 5))).astype("float32")  # both regimes
    ours = huber(y_true, y_pred, delta=delta).numpy()
    np.testing.assert_allclose(ours, keras.losses.huber(y_true, y_pred, delta=delta), atol=ATOL)
    np.testing.assert_allclose(ours, np_huber(y_true, y_pred, delta), rtol=1e-5)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
def test_huber_loss_matches_keras(reduction: str) -> None:
    rng = np.random.default_rng(2)
    y_true = rng.normal(size=(16, 3)).astype("float32")
    y_pred = (y_true + 2.0 * rng.normal(size=(16, 3))).astype("float32")
    weights = rng.uniform(size=(16,)).astype("float32")
    ours = HuberLoss(delta=2.0, reduction=reduction)
    builtin = keras.losses.Huber(delta=2.0, reduction=reduction)
    np.testing.assert_allclose(ours(y_true, y_pred), builtin(y_true, y_pred), atol=ATOL)
    np.testing.assert_allclose(
        ours(y_true, y_pred, sample_weight=weights),
        builtin(y_true, y_pred, sample_weight=weights),
        atol=ATOL,
    )


def test_huber_loss_config_keeps_delta() -> None:
    loss = HuberLoss(delta=2.0, name="h2")
    config = loss.get_config()
    assert config["delta"] == 2.0
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert isinstance(restored, HuberLoss)
    assert restored.delta == 2.0
    assert restored.name == "h2"


# --- metrics ------------------------------------------------------------------------------------


def _metric_batches() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(3)
    batches = []
    for size in (8, 5, 11):  # unequal sizes: a mean of batch means would be wrong
        y_true = rng.normal(size=(size, 2)).astype("float32")
        y_pred = (y_true + 2.5 * rng.normal(size=(size, 2))).astype("float32")
        batches.append((y_true, y_pred, rng.uniform(size=(size,)).astype("float32")))
    return batches


def test_streaming_huber_matches_builtin_and_numpy_across_batches() -> None:
    ours = StreamingHuber(delta=2.0)
    builtin = keras.metrics.MeanMetricWrapper(fn=keras.losses.huber, delta=2.0)
    batches = _metric_batches()
    for y_true, y_pred, weights in batches:
        ours.update_state(y_true, y_pred, sample_weight=weights)
        builtin.update_state(y_true, y_pred, sample_weight=weights)
    values = np.concatenate([np_huber(t, p, 2.0) for t, p, _ in batches])
    weights = np.concatenate([w for _, _, w in batches]).astype("float64")
    expected = float((values * weights).sum() / weights.sum())
    assert float(ours.result()) == pytest.approx(expected, rel=1e-5)
    assert float(ours.result()) == pytest.approx(float(builtin.result()), rel=1e-6)

    ours.reset_state()
    assert float(ours.result()) == 0.0
    y_true, y_pred, _ = batches[1]
    ours.update_state(y_true, y_pred)
    assert float(ours.result()) == pytest.approx(np_huber(y_true, y_pred, 2.0).mean(), rel=1e-5)


def test_streaming_huber_state_updates_on_every_graph_call() -> None:
    # The TF106 contrast: variable state advances per call, not once per trace.
    metric = StreamingHuber()
    step = tf.function(metric.update_state)
    batches = _metric_batches()[:1] * 3
    for y_true, y_pred, _ in batches:
        step(y_true, y_pred)
    assert step.experimental_get_tracing_count() == 1
    assert float(metric.count.numpy()) == 3 * 8
    y_true, y_pred, _ = batches[0]
    assert float(metric.result()) == pytest.approx(np_huber(y_true, y_pred, 1.0).mean(), rel=1e-5)


def test_streaming_huber_config_round_trip() -> None:
    restored = StreamingHuber.from_config(StreamingHuber(delta=2.0, name="h").get_config())
    assert (restored.delta, restored.name) == (2.0, "h")


def test_huber_metric_function_through_compile() -> None:
    x, y = regression_data(32)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
    model.compile(loss="mse", metrics=[huber_metric])
    logs = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    expected = np_huber(y, model.predict(x, verbose=0), 1.0).mean()
    assert logs["huber_metric"] == pytest.approx(expected, rel=1e-5)


def test_streaming_precision_matches_builtin_across_batches_and_reset() -> None:
    rng = np.random.default_rng(4)
    ours = StreamingPrecision(threshold=0.5)
    builtin = keras.metrics.Precision(thresholds=0.5)
    for size in (10, 7, 13):
        y_true = (rng.uniform(size=(size, 1)) > 0.5).astype("float32")
        y_pred = rng.uniform(size=(size, 1)).astype("float32")
        ours.update_state(y_true, y_pred)
        builtin.update_state(y_true, y_pred)
        assert float(ours.result()) == pytest.approx(float(builtin.result()), abs=ATOL)
    ours.reset_state()
    assert float(ours.result()) == 0.0
    ours.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.9], [0.8], [0.2], [0.1]])
    assert float(ours.result()) == pytest.approx(0.5)  # 1 TP, 1 FP


# --- layers -------------------------------------------------------------------------------------


def test_simple_dense_matches_keras_dense_with_same_weights() -> None:
    x = np.random.default_rng(5).normal(size=(4, 6)).astype("float32")
    ours = SimpleDense(3, activation="relu")
    builtin = keras.layers.Dense(3, activation="relu")
    ours.build(x.shape)
    builtin.build(x.shape)
    builtin.set_weights(ours.get_weights())
    assert [w.shape for w in ours.weights] == [(6, 3), (3,)]
    np.testing.assert_allclose(ours(x), builtin(x), atol=ATOL)
    assert ours.compute_output_shape((None, 6)) == (None, 3)
    assert SimpleDense.from_config(ours.get_config()).get_config() == ours.get_config()


def test_l2_normalize_has_no_weights_and_matches_tf() -> None:
    x = np.random.default_rng(6).normal(size=(4, 5)).astype("float32")
    layer = L2Normalize()
    out = layer(x)
    assert layer.weights == []
    np.testing.assert_allclose(out, tf.math.l2_normalize(x, axis=-1), atol=ATOL)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), np.ones(4), atol=1e-5)


def test_pairwise_distance_multiple_inputs_and_outputs() -> None:
    rng = np.random.default_rng(7)
    a = rng.normal(size=(5, 4)).astype("float32")
    b = rng.normal(size=(5, 4)).astype("float32")
    distance, cosine = PairwiseDistance()((a, b))
    np.testing.assert_allclose(distance[:, 0], np.linalg.norm(a - b, axis=-1), rtol=1e-5)
    expected_cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    np.testing.assert_allclose(cosine[:, 0], expected_cos, rtol=1e-5, atol=ATOL)

    in_a, in_b = keras.Input((4,)), keras.Input((4,))
    model = keras.Model([in_a, in_b], PairwiseDistance()((in_a, in_b)))
    graph_distance, graph_cosine = model.predict([a, b], verbose=0)
    assert graph_distance.shape == graph_cosine.shape == (5, 1)
    np.testing.assert_allclose(graph_distance, distance, atol=ATOL)
    np.testing.assert_allclose(graph_cosine, cosine, atol=ATOL)


def test_gaussian_noise_identity_at_inference_and_fresh_noise_in_training() -> None:
    x = np.ones((200, 50), dtype="float32")
    layer = GaussianNoise(0.5, seed=1)
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer(x, training=False), x)
    first = layer(x, training=True).numpy()
    second = layer(x, training=True).numpy()
    assert not np.array_equal(first, x)
    assert not np.array_equal(first, second)
    assert float(np.std(first - x)) == pytest.approx(0.5, abs=0.02)
    assert float(np.mean(first - x)) == pytest.approx(0.0, abs=0.02)

    # The TF103 contrast: under tf.function the noise is not frozen into the graph.
    noisy = tf.function(lambda t: layer(t, training=True))
    assert not np.array_equal(noisy(x).numpy(), noisy(x).numpy())
    assert noisy.experimental_get_tracing_count() == 1


# --- models -------------------------------------------------------------------------------------


def test_residual_regressor_trains_and_includes_aux_loss() -> None:
    x, y = regression_data()
    model = ResidualRegressor(width=8, hidden=16, activity_weight=1e-2, noise_stddev=0.05, seed=1)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2), loss=HuberLoss(), metrics=[StreamingHuber()]
    )
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0).history
    assert history["loss"][-1] < 0.8 * history["loss"][0]
    assert len(history["activity"]) == 4

    logs = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    assert len(model.losses) == 1  # the add_loss term of the last forward pass
    assert logs["activity"] > 0
    assert logs["loss"] == pytest.approx(logs["streaming_huber"] + logs["activity"], rel=1e-5)


def test_keras_save_load_round_trip(tmp_path: Path) -> None:
    x, y = regression_data()
    model = ResidualRegressor(width=8, hidden=16, noise_stddev=0.1, seed=3)
    model.compile(
        optimizer="adam",
        loss=HuberLoss(delta=2.0),
        metrics=[StreamingHuber(delta=2.0), huber_metric],
    )
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)

    assert type(loaded) is ResidualRegressor
    assert loaded.get_config() == model.get_config()
    assert isinstance(loaded.loss, HuberLoss)
    assert loaded.loss.delta == 2.0
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    before = model.evaluate(x, y, verbose=0, return_dict=True)
    after = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert after.keys() == before.keys() >= {"loss", "streaming_huber", "huber_metric", "activity"}
    for name, value in before.items():
        assert after[name] == pytest.approx(value, abs=ATOL)


def test_custom_training_loop_trains_traces_once_and_prints_eagerly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    x, y = regression_data()
    train = tf.data.Dataset.from_tensor_slices((x, y)).batch(16, drop_remainder=True)
    valid = tf.data.Dataset.from_tensor_slices((x[:32], y[:32])).batch(16)
    trainer = LoopTrainer(
        ResidualRegressor(width=8, hidden=16, seed=1), keras.optimizers.Adam(1e-2), HuberLoss()
    )
    history = trainer.fit(train, valid, epochs=3)

    assert history["loss"][-1] < 0.8 * history["loss"][0]
    assert history["val_loss"][-1] < history["val_loss"][0]
    # 3 epochs x 4 same-shape batches: one trace each, not one per batch.
    assert trainer.train_step.experimental_get_tracing_count() == 1
    assert trainer.test_step.experimental_get_tracing_count() == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    # A new batch shape is a new signature: exactly one more trace.
    trainer.train_step(x[:8], y[:8])
    assert trainer.train_step.experimental_get_tracing_count() == 2


def test_custom_train_step_through_fit() -> None:
    x, y = regression_data()
    model = CustomStepRegressor(hidden=16)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=HuberLoss())
    history = model.fit(x, y, epochs=4, batch_size=16, validation_data=(x, y), verbose=0).history
    assert set(history) == {"loss", "huber", "val_loss", "val_huber"}
    assert history["loss"][-1] < history["loss"][0]

    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    expected = float(keras.losses.Huber()(y, model.predict(x, verbose=0)))
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)
    assert logs["huber"] == pytest.approx(expected, rel=1e-5)


# --- dynamic model vs its graph twin ------------------------------------------------------------


def _twins() -> tuple[DynamicShrinkModel, GraphShrinkModel]:
    dynamic = DynamicShrinkModel(hidden=8, threshold=1.0, max_steps=6)
    graph = GraphShrinkModel(hidden=8, threshold=1.0, max_steps=6)
    probe = np.zeros((1, 4), dtype="float32")
    dynamic(probe)
    graph(probe)
    graph.set_weights(dynamic.get_weights())
    return dynamic, graph


@pytest.mark.parametrize(("scale", "halvings"), [(0.01, 0), (1.0, 2), (3.0, 3), (1e3, 6)])
def test_dynamic_model_equals_graph_twin_and_reference(scale: float, halvings: int) -> None:
    dynamic, graph = _twins()
    x = scale * np.random.default_rng(8).normal(size=(16, 4)).astype("float32")
    kernel, bias, head_kernel, head_bias = dynamic.get_weights()
    hidden = np.maximum(x @ kernel + bias, 0.0)
    steps = 0
    while steps < 6 and np.linalg.norm(hidden, axis=-1).max() > 1.0:
        hidden, steps = hidden * 0.5, steps + 1
    assert steps == halvings  # the inputs really exercise different loop lengths
    expected = hidden @ head_kernel + head_bias

    eager_out = dynamic(x).numpy()
    graph_out = graph.predict(x, batch_size=len(x), verbose=0)  # traced by Keras, like fit
    np.testing.assert_allclose(eager_out, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(graph_out, eager_out, rtol=1e-6, atol=ATOL)


def test_dynamic_model_needs_run_eagerly_and_trains_like_its_twin() -> None:
    dynamic, graph = _twins()
    x = 3.0 * np.random.default_rng(9).normal(size=(32, 4)).astype("float32")
    y = x[:, :1].copy()

    dynamic.compile(optimizer="sgd", loss="mse")  # graph mode: float() of a symbolic tensor
    with pytest.raises(TypeError, match="SymbolicTensor"):
        dynamic.train_on_batch(x, y)

    compile_dynamic(dynamic, optimizer=keras.optimizers.SGD(0.01), loss="mse")
    graph.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    losses = [dynamic.train_on_batch(x, y) for _ in range(3)]
    graph_losses = [graph.train_on_batch(x, y) for _ in range(3)]
    np.testing.assert_allclose(graph_losses, losses, rtol=1e-5)
    assert losses[-1] < losses[0]
    for ours, twin in zip(dynamic.get_weights(), graph.get_weights(), strict=True):
        np.testing.assert_allclose(twin, ours, rtol=1e-5, atol=ATOL)


# --- a misconception ----------------------------------------------------------------------------


def test_tf_range_and_constant_of_np_arange_are_not_interchangeable() -> None:
    r = tf.range(10)
    # Deliberate dtype leak, the case TF204 exists for: NumPy's default int is int64.
    c = tf.constant(np.arange(10))  # noqa: TF204
    assert r.dtype == tf.int32
    assert c.dtype == tf.int64
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32 tensor but is a int64"):
        r + c
    np.testing.assert_array_equal(r + tf.constant(np.arange(10), dtype=tf.int32), 2 * np.arange(10))
