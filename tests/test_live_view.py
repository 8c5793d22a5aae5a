"""`sweep --tensorboard DIR`: every branch of a pack writes its per-epoch scalars under DIR/<task>/<run_id>,
read back here with TensorBoard's own reader; the records are the same as without it."""

import json

import pytest

from experiments import records
from experiments.cli import main

SWEEP = ["sweep", "--profile", "smoke", "--tasks", "sepal_width", "bird_plane_saturated", "--seeds", "0"]
SWEEP += ["--pairings", "linear+mse", "linear+mae", "sigmoid+bce", "sigmoid+mse", "--workers", "1"]


def _scalars(folder):
    """{tag: [(step, value)]} of one run's event files, through TensorBoard's EventAccumulator."""
    import tensorflow as tf
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder))
    accumulator.Reload()
    return {
        tag: [(e.step, float(tf.make_ndarray(e.tensor_proto))) for e in accumulator.Tensors(tag)]
        for tag in accumulator.Tags()["tensors"]
    }


def _comparable(record):
    return {k: v for k, v in record.items() if k not in ("timing", "environment")}


@pytest.mark.slow
def test_each_run_writes_its_curves_and_changes_no_record(tmp_path, monkeypatch):
    pytest.importorskip("tensorboard")
    monkeypatch.delenv("WTA_TENSORBOARD_DIR", raising=False)
    board = tmp_path / "tb"
    assert main([*SWEEP, "--results", str(tmp_path / "with"), "--tensorboard", str(board)]) == 0
    monkeypatch.delenv("WTA_TENSORBOARD_DIR", raising=False)  # set for the workers by the first sweep
    assert main([*SWEEP, "--results", str(tmp_path / "without")]) == 0
    with_board = {r["run_id"]: r for r in records.load_all(tmp_path / "with").records}
    without = {r["run_id"]: r for r in records.load_all(tmp_path / "without").records}
    assert sorted(with_board) == sorted(without) and len(with_board) >= 4  # the same run ids
    for run_id, record in with_board.items():
        assert json.dumps(_comparable(record), sort_keys=True) == json.dumps(
            _comparable(without[run_id]), sort_keys=True
        )  # the same numbers
        scalars = _scalars(board / record["task"] / run_id)
        history = record["history"]
        headline = "mse" if record["task"] == "sepal_width" else "accuracy"
        assert [step for step, _ in scalars[f"test/{headline}"]] == [h["epoch"] for h in history]
        assert scalars[f"test/{headline}"][-1][1] == pytest.approx(history[-1]["test"][headline], rel=1e-6)
        assert scalars["train/loss"][-1][1] == pytest.approx(history[-1]["train_loss"], rel=1e-6)
        if record["task"] == "bird_plane_saturated":  # the probe's gradient at the output
            assert scalars["probe/grad_wrong"][0][1] == pytest.approx(history[0]["probe"]["grad_wrong"], rel=1e-6)


def test_an_empty_tensorboard_folder_is_refused(tmp_path, capsys):
    assert main([*SWEEP, "--results", str(tmp_path / "r"), "--tensorboard", " "]) == 2
    assert "--tensorboard needs a folder" in capsys.readouterr().err
