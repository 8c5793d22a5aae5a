"""The training conditions (experiments.data.conditions): seeded, on the training split only, in the run id only
when set, refused where a task does not take them."""

import numpy as np
import pytest

from experiments import config as cfg
from experiments.cli import main
from experiments.data import Split, conditions


def _split(y):
    x = np.arange(len(y))[:, None]
    return Split(x, np.asarray(y), x[:5], np.asarray(y)[:5], source="toy")


@pytest.mark.parametrize("kind, y", [("binary", np.repeat([0.0, 1.0], 500)), ("multiclass", np.arange(2000) % 10)])
def test_symmetric_noise_changes_about_eta_of_the_labels_to_another_class_and_leaves_the_test_labels(kind, y):
    noisy = conditions.apply(_split(y), kind, {"label_noise": 0.3})
    changed = noisy.y_train != y
    assert abs(changed.mean() - 0.3) < 0.05
    if kind == "multiclass":  # uniform over the other nine classes
        counts = np.bincount(((noisy.y_train - y) % 10)[changed].astype(int), minlength=10)
        assert counts[0] == 0 and counts[1:].min() > 0.5 * counts[1:].mean()
    np.testing.assert_array_equal(noisy.y_test, y[:5])
    assert f"{int(changed.sum()):,} of {len(y):,} training labels changed" in noisy.source
    again = conditions.apply(_split(y), kind, {"label_noise": 0.3})
    np.testing.assert_array_equal(again.y_train, noisy.y_train)  # seeded


def test_multilabel_noise_flips_each_label_on_its_own():
    y = (np.random.default_rng(1).random((400, 10)) < 0.2).astype("float32")
    noisy = conditions.apply(_split(y), "multilabel", {"label_noise": 0.1})
    assert abs((noisy.y_train != y).mean() - 0.1) < 0.02 and set(np.unique(noisy.y_train)) <= {0.0, 1.0}


def test_positive_share_subsamples_the_training_set_to_that_share_of_positives():
    y = np.repeat([0.0, 1.0], [490, 517])
    shared = conditions.apply(_split(y), "binary", {"positive_share": 0.1})
    assert (shared.y_train == 0).sum() == 490 and abs(shared.y_train.mean() - 0.1) < 0.005
    majority = conditions.apply(_split(y), "binary", {"positive_share": 0.9})
    assert (majority.y_train == 1).sum() == 517 and abs(majority.y_train.mean() - 0.9) < 0.005


def test_a_condition_enters_the_run_id_only_when_set():
    clean = cfg.resolve("bird_plane", "sigmoid+bce", 0, "smoke")
    assert "label_noise" not in clean["data"] and "positive_share" not in clean["data"]
    zero = cfg.resolve("bird_plane", "sigmoid+bce", 0, "smoke", data_options={"label_noise": 0})
    noisy = cfg.resolve("bird_plane", "sigmoid+bce", 0, "smoke", data_options={"label_noise": 0.2})
    assert cfg.run_id(zero) == cfg.run_id(clean) != cfg.run_id(noisy)


def test_a_condition_is_refused_with_its_rule_or_where_no_task_takes_it(tmp_path, capsys):
    with pytest.raises(ValueError, match=r"label_noise must be a share in \[0, 1\)"):
        cfg.resolve("bird_plane", "sigmoid+bce", 0, "smoke", data_options={"label_noise": 1.5})
    with pytest.raises(ValueError, match=r"positive_share must be a share in \(0, 1\)"):
        cfg.resolve("bird_plane", "sigmoid+bce", 0, "smoke", data_options={"positive_share": 0})
    argv = ["run", "sepal_width", "--pairing", "linear+mse", "--profile", "smoke", "--results", str(tmp_path)]
    assert main([*argv, "--data", "label_noise=0.2"]) == 2
    assert "label_noise: not an option of sepal_width" in capsys.readouterr().err


@pytest.mark.parametrize("how", conditions.TARGET_SCALES)
def test_target_scale_is_fitted_on_the_training_rows_and_leaves_the_test_targets(how):
    y = np.array([2.0, 3.0, 4.4, 2.6, 3.4])
    split = conditions.apply(_split(y), "regression", {"target_scale": how})
    scale, shift = split.target_transform
    np.testing.assert_allclose(split.y_train * scale + shift, y)  # mapped back exactly
    if how == "minmax":
        assert (split.y_train.min(), split.y_train.max()) == (0.0, 1.0)
    else:
        assert abs(split.y_train.mean()) < 1e-12 and split.y_train.std() == pytest.approx(1.0)
    np.testing.assert_array_equal(split.y_test, y[:5])  # the test targets stay in their own units
    assert f"target_scale={how}" in split.source and "fitted on the 5 training rows" in split.source


@pytest.mark.slow
def test_a_sigmoid_head_on_scaled_targets_reaches_the_widths_and_is_scored_in_cm(tmp_path):
    from experiments import records
    from experiments.analysis.evidence.per_image import outputs_and_targets

    argv = ["run", "sepal_width", "--pairing", "sigmoid+mse", "--profile", "quick", "--results", str(tmp_path)]
    assert main([*argv, "--data", "target_scale=minmax"]) == 0
    assert main(argv) == 0
    loaded = records.load_all(tmp_path).records
    scaled, plain = sorted(loaded, key=lambda r: "target_scale" in r["config"]["data"], reverse=True)
    assert "target_scale" in scaled["config"]["data"] and "target_scale" not in plain["config"]["data"]
    outputs, targets = outputs_and_targets(scaled)
    assert outputs.min() > 1.0  # predictions in cm (mapped back), not in the sigmoid's (0, 1)
    assert scaled["final"]["mse"] == pytest.approx(float(np.mean((outputs.ravel() - targets.ravel()) ** 2)))
    assert scaled["final"]["mse"] < plain["final"]["mse"] / 5  # (0, 1) cannot reach widths of 2-4.4 cm
    committed = cfg.run_id(cfg.resolve("sepal_width", "sigmoid+mse", 0, "quick"))
    assert plain["run_id"] == committed  # without the option, the run id of before


def _drop_records(mae_drop, cce_drop, seeds=10):
    """cifar10 and cifar10_noise40 records of softmax+mae and softmax+sparse_cce with known accuracies."""
    from tests.synthetic_records import record

    rng = np.random.default_rng(0)
    recs = []
    for s in range(seeds):
        clean = {"softmax+mae": 0.40, "softmax+sparse_cce": 0.47}
        noisy = {"softmax+mae": 0.40 - mae_drop, "softmax+sparse_cce": 0.47 - cce_drop}
        for task, accuracies in (("cifar10", clean), ("cifar10_noise40", noisy)):
            for pairing, accuracy in accuracies.items():
                recs.append(record(task, pairing, s, [0.1, accuracy + rng.normal(0, 0.005)]))
    return recs


def test_a_noise_claim_is_a_difference_in_differences_paired_by_seed():
    from experiments.analysis.claims import verdicts
    from experiments.analysis.claims.claim_list import CLAIMS

    claim = next(c for c in CLAIMS if c.id == "noise_mae_robust")
    assert claim.baseline_task == "cifar10" and claim.study == "conditions"
    for mae_drop, cce_drop, expected in ((0.02, 0.12, "supported"), (0.12, 0.02, "contradicted")):
        comparisons = verdicts.comparisons_by_task(_drop_records(mae_drop, cce_drop))
        c = comparisons["cifar10_noise40"][("claim", claim.id)]
        assert c.seeds == 10
        assert c.diff == pytest.approx(cce_drop - mae_drop, abs=0.01)  # MAE loses less: positive
        assert verdicts.claim_outcome(claim, c) == expected
    # A seed missing on the clean task drops out of the pairs.
    recs = [r for r in _drop_records(0.02, 0.12) if not (r["task"] == "cifar10" and r["seed"] == 0)]
    assert verdicts.comparisons_by_task(recs)["cifar10_noise40"][("claim", claim.id)].seeds == 9


def test_balanced_accuracy_is_the_mean_of_the_class_accuracies_as_a_per_image_mean():
    from experiments.analysis.claims.claim_metrics import run_value
    from experiments.analysis.evidence import per_image
    from tests.synthetic_records import record

    labels = np.array([0] * 90 + [1] * 10)
    p = np.where(labels == 1, 0.2, 0.1)  # says 0 for every image: accuracy 0.9, balanced accuracy 0.5
    p[:9] = 0.9  # 9 birds wrong: bird accuracy 81/90
    p[90:95] = 0.8  # 5 planes right: plane accuracy 5/10
    rec = record("bird_plane_share10", "sigmoid+bce", 0, [0.5, 0.86], images=(p, labels))
    values = per_image.values(rec, "balanced_accuracy")
    assert values.mean() == pytest.approx((81 / 90 + 5 / 10) / 2)
    assert run_value(rec, "balanced_accuracy") == pytest.approx((81 / 90 + 5 / 10) / 2)
    assert per_image.values(rec, "accuracy").mean() == pytest.approx(86 / 100)


def test_the_conditions_tasks_train_on_their_condition_and_test_on_the_clean_split(fake_archive):
    from experiments.tasks import get_task

    clean, noisy = get_task("cifar10").load_data(), get_task("cifar10_noise40").load_data()
    np.testing.assert_array_equal(clean.x_test, noisy.x_test)
    np.testing.assert_array_equal(clean.y_test, noisy.y_test)
    changed = np.mean(clean.y_train != noisy.y_train)
    assert 0.3 < changed < 0.5 and "label_noise=0.4" in noisy.source
    rare = get_task("bird_plane_share10").load_data()
    assert np.mean(rare.y_train == 1) == pytest.approx(0.1, abs=0.03)  # the fake archive has few images: rounding
    np.testing.assert_array_equal(rare.y_test, get_task("bird_plane").load_data().y_test)


def test_the_atlas_under_a_condition_goes_to_its_own_folder(capsys):
    from experiments.cli import main

    assert main(["sweep", "--profile", "atlas", "--data", "label_noise=0.4", "--tasks", "cifar10", "--dry-run"]) == 0
    assert "results/atlas_label_noise_0.4" in capsys.readouterr().out
    assert main(["sweep", "--profile", "atlas", "--data", "label_noise=0", "--tasks", "cifar10", "--dry-run"]) == 0
    assert "results/atlas;" in capsys.readouterr().out.replace(" ", ";").replace("\n", ";")  # no noise: the clean atlas


def test_the_noise_curve_draws_each_losss_mean_and_interval_from_the_records():
    from experiments.analysis.plots import conditions

    recs = _drop_records(0.02, 0.12)
    fig = conditions.noise_curve(recs)
    lines = {c.get_label(): c.lines[0] for c in fig.axes[0].containers}  # one errorbar per loss
    mae = next(line for label, line in lines.items() if label.startswith("softmax+mae"))
    np.testing.assert_allclose(mae.get_xdata(), [0.0, 0.4])
    np.testing.assert_allclose(mae.get_ydata(), [0.40, 0.38], atol=0.005)
    assert "softmax+mse" not in " ".join(lines)  # no records of it: no line
    assert conditions.imbalance_curve(recs) is None  # no bird_plane records


def test_the_conditions_grid_counts_in_a_dry_run(tmp_path, capsys):
    from experiments.cli import main

    tasks = ["cifar10_noise20", "cifar10_noise40", "cifar10_noise60", "bird_plane_share10", "bird_plane_share25"]
    argv = ["sweep", "--tasks", *tasks, "--seeds", *map(str, range(10)), "--results", str(tmp_path), "--dry-run"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "130 runs in the grid" in out  # 3 noise levels x 3 losses x 10 seeds + 2 shares x 2 losses x 10 seeds
    assert "cifar10_noise40: 10 packs" in out  # one pack of its 3 losses per seed
    assert not (tmp_path / "runs").exists()


def test_a_conditions_task_refuses_another_value_of_its_condition():
    for value in (0.2, 0):
        with pytest.raises(ValueError, match=r"task 'cifar10_noise40' fixes label_noise=0.4; for another value train "):
            cfg.resolve("cifar10_noise40", "softmax+mae", 0, "smoke", data_options={"label_noise": value})
    assert (
        cfg.resolve("cifar10_noise40", "softmax+mae", 0, "smoke", data_options={"label_noise": 0.4})["data"][
            "label_noise"
        ]
        == 0.4
    )


def test_a_named_pairing_on_a_task_without_it_names_its_tasks():
    from experiments.pairings import get_pairing

    with pytest.raises(ValueError, match=r"'sigmoid\+focal_balanced' is a named pairing of bird_plane, "):
        get_pairing("sepal_width", "sigmoid+focal_balanced")
    with pytest.raises(ValueError, match=r"'softmax\+cce_smoothed' is a named pairing of cifar10, not of bird_plane"):
        get_pairing("bird_plane", "softmax+cce_smoothed")
