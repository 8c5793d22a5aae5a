"""What the atlas and the report say Keras does: a NaN at epoch 0 named, baselines in the test's units, a
training loss below 0 for every loss family, Keras's CategoricalAccuracy on multi-hot rows, composed pairings."""

import keras
import numpy as np
import pytest

from experiments.analysis.atlas import cells as atlas_cells
from experiments.analysis.atlas import reasons as atlas_reasons
from experiments.analysis.render import claims_text, keras_said
from experiments.pairings import get_pairing
from experiments.training import keras_view


def test_a_nan_at_epoch_zero_is_named_with_its_images_and_its_cause():
    """A ReLU head whose units are all 0 on some rows: categorical cross-entropy divides by the row's sum."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="relu")(inputs))
    kernel, bias = model.layers[-1].get_weights()
    model.layers[-1].set_weights([np.abs(kernel), bias])
    x = np.abs(np.random.default_rng(0).normal(size=(16, 4))).astype("float32")
    x[:5] = -x[:5]  # these rows give every unit a negative pre-activation: all outputs 0
    y = np.eye(10, dtype="float32")[np.arange(16) % 10]
    view = keras_view.builtin_loss_at_start(model, model.layers[-1], get_pairing("cifar10", "relu+cce"), x, y)
    assert view["loss"] is None
    assert view["not_finite"]["images"] == 5 and view["not_finite"]["of"] == 16
    assert "sum to 0" in view["not_finite"]["why"] and "17102" in view["not_finite"]["why"]
    record = {"task": "cifar10", "pairing": "relu+cce", "seed": 0, "status": "diverged", "keras": view}
    said = keras_said.keras_clause([record], "cifar10", "relu+cce")
    assert "NaN or infinite in 1 of 1 seeds" in said and "on 5 of its 16 images" in said


def test_the_regression_baseline_is_in_the_test_targets_units_under_a_target_scale():
    plain = atlas_cells._baselines("sepal_width", "{}")
    for scale in ("minmax", "standard"):
        scaled = atlas_cells._baselines("sepal_width", f'{{"target_scale": "{scale}"}}')
        assert scaled == pytest.approx(plain, rel=1e-6)  # float32 targets, scaled and back
    assert 0.1 < plain[0] < 0.4  # cm², iris's sepal widths: not the 6.10 of scaled targets against cm


def _run(loss, seed=0):
    return {
        "seed": seed,
        "status": "ok",
        "history": [{"epoch": 0, "train_loss": 0.7, "test": {}}, {"epoch": 50, "train_loss": loss, "test": {}}],
    }


def test_a_training_loss_below_zero_is_a_reason_for_every_loss_family():
    pairing = get_pairing("multilabel", "sigmoid+kl_divergence")
    ok = [_run(-0.806, 0), _run(-0.7, 1)]
    found = atlas_reasons.reasons("multilabel", pairing, ok, ok)
    assert any("training loss below 0 at the end in 2 of 2 seeds" in f and "kl_divergence" in f for f in found)


def test_categorical_accuracy_on_multi_hot_rows_is_explained_as_keras_computes_it():
    cell = atlas_cells.Cell(activation="sigmoid", loss_form="cce")
    cell.keras_metric, cell.keras_accuracy, cell.headline = "CategoricalAccuracy", 0.169, 0.459
    note = atlas_cells._keras_note(cell, "multilabel")
    assert "argmax of the target row" in note and "lowest-numbered object" in note
    # as Keras computes it: the top output against the argmax of the multi-hot row
    metric = keras.metrics.CategoricalAccuracy()
    metric.update_state(np.array([[0.0, 1.0, 1.0]]), np.array([[0.1, 0.2, 0.7]]))
    assert float(metric.result()) == 0.0  # the top output (2) is an object, but not the row's argmax (1)


def test_composed_pairings_get_their_mismatch_lines_and_table_rows():
    from experiments.analysis.claims import verdicts
    from experiments.analysis.evidence import summaries
    from tests.synthetic_records import bird_plane

    recs = bird_plane({"tanh+mse": -0.05}, seeds=6)  # tanh+mse is no named pairing of bird_plane: composed
    comparisons = verdicts.comparisons_by_task(recs)
    lines = claims_text._mismatch_lines("bird_plane", comparisons["bird_plane"], None, recs)
    row = [x for x in lines.splitlines() if x.startswith("| `tanh+mse`")][0]
    assert "composed:" in row
    assert "tanh+mse" in set(summaries.task_summary(recs, "bird_plane").pairing)
