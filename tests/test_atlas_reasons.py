"""The atlas's reasons, each measured on a constructed case; and its classes judged on threshold-free scores."""

import numpy as np

from experiments import config as cfg
from experiments.analysis.atlas import cells as atlas_cells
from experiments.analysis.atlas import reasons as atlas_reasons
from experiments.pairings import get_pairing
from tests.synthetic_records import record

WIDTHS = np.linspace(2.0, 4.4, 30).astype("float32")
LABELS = (np.arange(40) % 2).astype("float32")


def _reasons(task, kind, name, runs):
    ok = [r for r in runs if r["status"] == "ok"]
    return atlas_reasons.reasons(kind, get_pairing(task, name), runs, ok)


def test_a_dead_relu_seed_is_named_with_its_seed_count():
    alive = record("sepal_width", "relu+mse", 0, [1.0, 0.5], images=(WIDTHS + 0.1, WIDTHS))
    dead = record("sepal_width", "relu+mse", 1, [1.0, 1.0], images=(np.zeros(30), WIDTHS))
    reasons = _reasons("sepal_width", "regression", "relu+mse", [alive, dead])
    assert "dead ReLU: every output exactly 0 in 1 of 2 seeds" in reasons
    assert not any(r.startswith("constant output") for r in reasons)  # the dead seed is not counted twice


def test_a_head_whose_range_cannot_reach_the_targets():
    runs = [record("sepal_width", "sigmoid+mse", s, [3.0, 2.9], images=(np.full(30, 0.99), WIDTHS)) for s in (0, 1)]
    reasons = _reasons("sepal_width", "regression", "sigmoid+mse", runs)
    assert any("range [0, 1] cannot reach the targets [2, 4.4]" in r for r in reasons)


def test_a_head_that_cannot_express_one_class():
    runs = [record("bird_plane", "relu+bce(from_logits=true)", 0, [0.5, 0.5], images=(np.abs(LABELS) + 0.1, LABELS))]
    reasons = _reasons("bird_plane", "binary", "relu+bce(from_logits=true)", runs)
    assert any(
        "cannot express one class: relu outputs lie in [0, inf], all on one side of its threshold 0" in r
        for r in reasons
    )


def test_a_run_that_diverged_at_epoch_0_and_a_zero_gradient():
    diverged = record("bird_plane", "linear+mse", 0, [0.5], status="diverged")
    diverged["diverged_at_epoch"] = 0
    flat = record("bird_plane", "linear+mse", 1, [0.5, 0.5], images=(LABELS * 0.0 + 0.3, LABELS))
    flat["history"][0]["probe"] = {"grad_wrong": 0.0}
    reasons = _reasons("bird_plane", "binary", "linear+mse", [diverged, flat])
    assert "diverged in 1 of 2 seeds (first non-finite loss at epoch 0)" in reasons
    assert "zero gradient at the output at epoch 0 in 1 of 2 seeds" in reasons


def test_the_divergence_cause_is_read_from_the_records_never_from_a_model_the_report_builds(monkeypatch):
    from experiments import rescore
    from experiments.training import runner

    config = cfg.resolve("sepal_width", "linear+poisson", 0, "smoke")
    diverged = {**record("sepal_width", "linear+poisson", 0, [1.0], status="diverged"), "config": config}
    pairing = get_pairing("sepal_width", "linear+poisson")
    # A record written before runs stored what the loss was first fed: the atlas names the repair.
    assert "rescore --untrained" in atlas_reasons._divergence_cause(pairing, [diverged])
    measured = rescore.with_untrained_outputs(diverged)  # what `rescore --untrained` adds: the untrained model's
    shares = measured["untrained_outputs"]
    assert shares["images"] == 30 and set(shares) == {"images", "below_0", "at_most_0", "above_1", "row_sum_at_most_0"}

    def no_model(*_):
        raise AssertionError("the report built a model")

    monkeypatch.setattr(runner, "untrained_test_outputs", no_model)
    cause = atlas_reasons._divergence_cause(pairing, [measured])
    assert "of the test outputs of the untrained linear head lie outside the loss's domain (positive rates)" in cause
    assert f"{shares['at_most_0']:.0%} to {shares['at_most_0']:.0%}" in cause
    assert rescore.with_untrained_outputs(measured) is measured  # measured once


def test_a_cell_is_judged_on_its_threshold_free_score():
    cell = atlas_cells.Cell("sigmoid", "hinge", ranking=0.83, chance=0.5, headline=0.51)
    ok = [record("bird_plane", "sigmoid+hinge", 0, [0.5, 0.51], images=(np.full(40, 0.7), LABELS))]
    assert atlas_cells._class("binary", cell, ok, ok) == "ranks, misread"
    cell.ranking = 0.51
    assert atlas_cells._class("binary", cell, ok, ok) == "at chance"
    cell.ranking, cell.headline = 0.9, 0.8
    assert atlas_cells._class("binary", cell, ok, ok) == "learns"


def test_no_committed_atlas_cell_that_beats_chance_is_called_at_chance():
    from pathlib import Path

    import pandas as pd

    root = Path(__file__).resolve().parents[1] / "results" / "atlas" / "tables"
    for task in ("sepal_width", "bird_plane", "cifar10", "multilabel"):
        cells = pd.read_csv(root / f"atlas_{task}.csv")
        ran = cells[cells["class"].isin(["learns", "ranks, misread", "at chance"])]
        if task == "sepal_width":
            beats = ran["ranking"] < (1 - atlas_cells.LEARNS_MARGIN) * ran["chance"]
        else:
            beats = ran["ranking"] > ran["chance"] + atlas_cells.LEARNS_MARGIN
        assert not (beats & (ran["class"] == "at chance")).any(), task
        assert (beats == ran["class"].isin(["learns", "ranks, misread"])).all(), task
