"""Keras's own objects as a user meets them: which outputs Keras's loss reads, per backend, and the record.

On TensorFlow Keras's cross-entropies read the logits behind a Keras sigmoid or softmax head
(`_get_logits` in keras/src/backend/tensorflow/nn.py); on JAX they read the outputs as written. These
tests run on whichever backend is active (scripts/test.sh runs this file on both).
"""

import keras
import numpy as np
import pytest

from experiments import config as cfg
from experiments.analysis.evidence import keras_worlds
from experiments.pairings import get_pairing
from experiments.training import keras_view
from experiments.training.runner import run

ON_TENSORFLOW = keras.backend.backend() == "tensorflow"


def _head(activation, units=1):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(units, activation=activation)(inputs))


@pytest.mark.parametrize(
    ("task", "pairing", "activation", "units", "behind_on_tensorflow"),
    [
        ("bird_plane", "sigmoid+bce(from_logits=true)", "sigmoid", 1, True),  # sigmoid twice
        ("bird_plane", "softmax@1+bce", "softmax", 1, True),  # BCE reads a one-unit softmax's logit
        ("cifar10", "softmax+sparse_cce_logits", "softmax", 10, True),  # softmax twice
        ("cifar10", "softmax+bce", "softmax", 10, True),  # BCE on a softmax: one-vs-rest sigmoids of its logits
        ("cifar10", "sigmoid+cce", "sigmoid", 10, True),  # CCE on sigmoids: a softmax of their logits
        ("bird_plane", "sigmoid+bce", "sigmoid", 1, False),  # matched: both readings are one loss
        ("bird_plane", "linear+bce_probs", "linear", 1, False),  # no head to look behind
        ("bird_plane", "relu+bce", "relu", 1, False),
    ],
)
def test_keras_loss_reads_the_logits_behind_the_head_on_tensorflow_only(
    task, pairing, activation, units, behind_on_tensorflow
):
    p = get_pairing(task, pairing)
    model = _head(activation, units)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32") * 3
    if p.target == "integer":
        y = rng.integers(0, units, size=64).astype("float32")
    elif units > 1:
        y = np.eye(units, dtype="float32")[rng.integers(0, units, size=64)]
    else:
        y = rng.integers(0, 2, size=(64, 1)).astype("float32")
    view = keras_view.builtin_loss_at_start(model, model.layers[-1], p, x, y)
    expected = "logits_behind_head" if behind_on_tensorflow and ON_TENSORFLOW else "outputs"
    assert view["read"] == expected, view
    if expected == "logits_behind_head":
        assert view["loss"] == pytest.approx(view["logits_loss"], rel=1e-4)
        assert view["loss"] != pytest.approx(view["hand_written_loss"], rel=1e-3)
    elif keras_view.can_read_behind(p) and pairing != "sigmoid+bce":
        assert view["loss"] == pytest.approx(view["hand_written_loss"], rel=1e-4)


def test_a_keras_objects_run_names_its_backend_and_reads_outputs_as_the_loss_computed(fake_archive):
    """Sigmoid twice with Keras's objects: on TensorFlow the run is the matched model, decoded from its logits,
    and its accuracy is Keras's own; on JAX the outputs are read as written (logits)."""
    overrides = {"objects": "keras", "epochs": 2}
    twice = run(cfg.resolve("bird_plane", "sigmoid+bce(from_logits=true)", 0, "smoke", overrides))
    matched = run(cfg.resolve("bird_plane", "sigmoid+bce", 0, "smoke", overrides))
    assert twice["status"] == matched["status"] == "ok", twice.get("error")
    assert twice["config"]["backend"] == keras.backend.backend() == twice["environment"]["backend"]
    if ON_TENSORFLOW:
        assert twice["read_as"]["spec"]["loss_kwargs"] == {"from_logits": True}
        assert twice["read_as"]["spec"]["activation"] == "linear" and twice["evaluation"]["space"] == "logits"
        assert any("from_logits=True" in w for w in twice["keras"]["warnings"])
        # The same model as the matched pairing: the same accuracy, read from the logits or the probabilities.
        assert twice["final"]["accuracy"] == pytest.approx(matched["final"]["accuracy"], abs=1e-9)
        assert twice["keras"]["accuracy"]["value"] == pytest.approx(twice["final"]["accuracy"], abs=1e-6)
        assert [h["train_loss"] for h in twice["history"]] == pytest.approx(
            [h["train_loss"] for h in matched["history"]], rel=1e-5
        )
    else:
        assert "read_as" not in twice and twice["keras"]["read"] == "outputs"


def test_the_backend_enters_the_run_id_of_keras_objects_only(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    on_tf = cfg.resolve("bird_plane", "sigmoid+bce", 0, "smoke", {"objects": "keras"})
    custom = cfg.resolve("bird_plane", "sigmoid+bce", 0, "smoke")
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    on_jax = cfg.resolve("bird_plane", "sigmoid+bce", 0, "smoke", {"objects": "keras"})
    assert "backend" not in custom and cfg.run_id(custom) == cfg.run_id(
        cfg.resolve("bird_plane", "sigmoid+bce", 0, "smoke")
    )
    assert (on_tf["backend"], on_jax["backend"]) == ("tensorflow", "jax")
    assert cfg.run_id(on_tf) != cfg.run_id(on_jax)
    monkeypatch.setenv("KERAS_BACKEND", "theano")
    with pytest.raises(ValueError, match="KERAS_BACKEND='theano'.*tensorflow, jax, torch"):
        cfg.resolve("bird_plane", "sigmoid+bce", 0, "smoke", {"objects": "keras"})


def _record(world, pairing, seed, accuracy, read="outputs", score=0.9):
    objects = {} if world == keras_worlds.HAND_WRITTEN else {"objects": "keras", "backend": world}
    return {
        "task": "bird_plane",
        "pairing": pairing,
        "seed": seed,
        "status": "ok",
        "config": objects,
        "final": {"accuracy": accuracy, "roc_auc": score},
        "keras": {"accuracy": {"metric": "BinaryAccuracy", "value": accuracy}, "read": read, "warnings": []},
        "history": [{"train_loss": 0.3}],
    }


@pytest.mark.parametrize(
    ("mistake_accuracy", "read", "word"),
    [
        ([0.5, 0.52, 0.49, 0.51], "outputs", "bites"),
        ([0.8, 0.81, 0.79, 0.80], "logits_behind_head", "undone"),
        ([0.8, 0.805, 0.795, 0.80], "outputs", "harmless"),
        ([0.70, 0.82, 0.74, 0.86], "outputs", "inconclusive"),
    ],
)
def test_each_cell_gets_its_word_from_the_cost_and_the_reading(mistake_accuracy, read, word):
    world = "tensorflow"
    recs = [_record(world, "sigmoid+bce", s, 0.80) for s in range(4)]
    recs += [_record(world, "sigmoid+bce(from_logits=true)", s, a, read) for s, a in enumerate(mistake_accuracy)]
    found = keras_worlds.cells(recs, [])
    cell = found[("sigmoid_twice", world)]
    assert cell.word == word and cell.seeds == [0, 1, 2, 3]
    assert cell.cost == pytest.approx(0.80 - np.mean(mistake_accuracy))
