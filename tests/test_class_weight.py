"""`class_weight` as Keras's `fit` takes it: "balanced" or {class id: weight}, per example on every output."""

import numpy as np
import pytest

from experiments import records
from experiments.cli import main
from experiments.data import class_weights


def test_balanced_weights_follow_scikit_learns_rule_and_average_one():
    y = np.array([0] * 30 + [1] * 10 + [2] * 60)
    weights = class_weights.resolve("balanced", "multiclass", y, 3)
    assert weights == pytest.approx({0: 100 / (3 * 30), 1: 100 / (3 * 10), 2: 100 / (3 * 60)})
    assert class_weights.sample_weights(weights, "multiclass", y).mean() == pytest.approx(1.0)


def _run(results, *extra):
    argv = ["run", "bird_plane", "--pairing", "sigmoid+bce", "--profile", "smoke", "--results", str(results)]
    assert main([*argv, *extra]) == 0
    (path,) = (results / "runs" / "bird_plane").glob("*.json")
    return records.read(path)


def test_equal_weights_train_the_same_model_and_heavier_planes_move_the_outputs(tmp_path):
    plain = _run(tmp_path / "plain")
    ones = _run(tmp_path / "ones", "--set", 'class_weight={"0": 1, "1": 1}')
    assert ones["run_id"] != plain["run_id"] and ones["data"]["class_weight"] == {"0": 1.0, "1": 1.0}
    assert [h["train_loss"] for h in ones["history"]] == pytest.approx([h["train_loss"] for h in plain["history"]])
    assert np.allclose(records.decode_array(ones["test_outputs"]), records.decode_array(plain["test_outputs"]))
    planes = _run(tmp_path / "planes", "--set", 'class_weight={"0": 1, "1": 8}')
    assert records.decode_array(planes["test_outputs"]).mean() > records.decode_array(plain["test_outputs"]).mean()


@pytest.mark.parametrize(
    "task, pairing, setting, said",
    [
        ("sepal_width", "linear+mse", "balanced", "binary and multiclass tasks only; sepal_width is regression"),
        ("bird_plane", "sigmoid+bce", '{"0": 1}', "gives no weight to class(es) [1]"),
        ("bird_plane", "sigmoid+bce", "heavy", 'class_weight must be "balanced" or {class id: weight}'),
    ],
)
def test_a_class_weight_that_cannot_apply_is_refused_before_any_run(tmp_path, capsys, task, pairing, setting, said):
    argv = ["run", task, "--pairing", pairing, "--profile", "smoke", "--results", str(tmp_path / "r")]
    assert main([*argv, "--set", f"class_weight={setting}"]) == 2
    err = capsys.readouterr().err.strip()
    assert said in err and len(err.splitlines()) == 1 and not (tmp_path / "r").exists()
