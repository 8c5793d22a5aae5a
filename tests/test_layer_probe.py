"""The layer probe against hand-computed gradients and units, and the hidden-activation tasks' runs."""

from types import SimpleNamespace

import keras
import numpy as np
import pytest

import custom_objects
from experiments import config as cfg
from experiments.data.cifar10 import preflight
from experiments.pairings import get_pairing
from experiments.tasks import TASKS, convnet
from experiments.training import layer_probe

X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.5, -2.0], [2.0, 1.0]], dtype="float32")
Y = np.array([1.0, 0.0, 0.0, 1.0], dtype="float32")
W1 = np.array([[0.5, -1.0], [0.3, -0.2]], dtype="float32")  # unit 1: -x1 - 0.2 x2 - 3 < 0 on every row of X
B1 = np.array([0.1, -3.0], dtype="float32")
W2 = np.array([[0.8], [-0.4]], dtype="float32")
B2 = np.array([0.2], dtype="float32")


def _tiny(hidden="relu"):
    model = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(2, activation=custom_objects.get_activation(hidden)),
            keras.layers.Dense(1, activation=custom_objects.get_activation("sigmoid")),
        ]
    )
    model.set_weights([W1, B1, W2, B2])
    return model


def _by_hand():
    """Backpropagation of the mean binary cross-entropy through Dense(2, relu) -> Dense(1, sigmoid)."""
    pre = X @ W1 + B1
    h = np.maximum(pre, 0)
    p = 1 / (1 + np.exp(-(h @ W2 + B2)))
    dz = (p[:, 0] - Y)[:, None] / len(X)  # d mean BCE / dz = (p - y) / n
    d_w2 = h.T @ dz
    d_w1 = X.T @ ((dz @ W2.T) * (pre > 0))
    return [np.linalg.norm(d_w1), np.linalg.norm(d_w2)]


def _branch(model, pairing):
    return SimpleNamespace(model=model, pairing=pairing, make_loss=custom_objects.losses.LOSSES[pairing.loss])


def test_kernel_gradient_norms_and_dead_units_are_the_hand_computed_ones():
    probe = layer_probe.LayerProbe.__new__(layer_probe.LayerProbe)
    probe.x, probe.y = X, Y
    measured = probe.measure(_branch(_tiny(), get_pairing("bird_plane", "sigmoid+bce")))
    assert measured["layers"] == ["dense", "output"]
    np.testing.assert_allclose(measured["grad_norm"], _by_hand(), rtol=1e-5)
    assert measured["never_active"] == [0.5]  # unit 1 never fires on X; unit 0 does


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu", "tanh", "sigmoid", "gelu", "swish"])
def test_a_unit_is_never_active_when_its_pre_activation_is_never_positive_whatever_the_activation(hidden):
    # f(z) > f(0) exactly when z > 0 for all six: sigmoid's unit 1 stays below 0.5, gelu's below 0, ...
    assert layer_probe.never_active(_tiny(hidden), X) == [0.5]
    assert layer_probe.never_active(_tiny(hidden), -X) == [0.5]  # unit 1 is still off; unit 0 fires on -X's rows


def test_measured_epochs_are_the_start_the_first_and_the_last():
    assert layer_probe.measured_epochs(50) == [0, 1, 50]
    assert layer_probe.measured_epochs(1) == [0, 1]


def test_the_deep_body_adds_its_layers_after_the_second_pooling_and_rejects_a_bad_count():
    model = convnet.build("deep", (32, 32, 3), 1, "sigmoid", "tanh", extra_conv_layers=6)
    layers, labels = layer_probe.weighted_layers(model)
    assert labels == [f"conv{i}" for i in range(1, 9)] + ["dense", "output"]
    assert all(layer.output.shape[1:3] == (8, 8) for layer in layers[2:8])
    assert all(layer.activation.__name__ == "tanh" for layer in layers[:-1])
    deep = next(t for t in TASKS.values() if "extra_conv_layers" in t.model_options)
    for bad in (-1, 1.5, True, 65):  # checked by the task, the one place a data option is checked
        with pytest.raises(ValueError, match="data option extra_conv_layers must be an integer from 0 to 64"):
            deep.build_model(1, "sigmoid", options={"extra_conv_layers": bad})


def test_a_hidden_activation_pack_records_the_layer_probe_and_holds_the_numbers_of_its_runs_alone(fake_archive):
    from experiments.training.runner import run, run_pack

    configs = [cfg.resolve("bird_plane_deep", p, 0, "smoke") for p in ("relu_body", "sigmoid_body")]
    configs, _ = preflight(configs)
    packed = run_pack(configs)
    for config, record in zip(configs, packed):
        assert record["status"] == "ok", record.get("error")
        assert record["pairing_spec"]["hidden_activation"] == config["pairing"].removesuffix("_body")
        probe = record["layer_probe"]
        assert probe["layers"] == [f"conv{i}" for i in range(1, 9)] + ["dense", "output"]
        assert sorted(probe["epochs"], key=int) == ["0", "1", "2"]
        for measured in probe["epochs"].values():
            assert len(measured["grad_norm"]) == 10 and len(measured["never_active"]) == 9
            assert all(np.isfinite(measured["grad_norm"])) and all(0 <= s <= 1 for s in measured["never_active"])
    alone = run(configs[1])
    assert alone["layer_probe"]["layers"] == packed[1]["layer_probe"]["layers"]
    for a, b in zip(alone["layer_probe"]["epochs"].values(), packed[1]["layer_probe"]["epochs"].values()):
        np.testing.assert_allclose(a["grad_norm"], b["grad_norm"], rtol=1e-4)
        assert a["never_active"] == b["never_active"]
    assert [r["train_loss"] for r in alone["history"]] == pytest.approx(
        [r["train_loss"] for r in packed[1]["history"]], rel=1e-5
    )
    # At the start, a sigmoid stack passes far less gradient to its first layer than a ReLU stack does.
    first_to_last = [r["layer_probe"]["epochs"]["0"]["grad_norm"] for r in packed]
    relu, sigmoid = (g[0] / g[-1] for g in first_to_last)
    assert sigmoid < relu / 100
    plain = run({**configs[1], "probe": False})
    assert "layer_probe" not in plain and plain["final"] == alone["final"]
