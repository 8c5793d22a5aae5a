"""The report's rules on synthetic records with known effects: verdicts, intervals, counts."""

import warnings

import numpy as np
import pytest
from scipy import stats

from experiments.analysis import claims, report, summaries
from tests.synthetic_records import bird_plane, record


def _summary(recs):
    return summaries.all_summaries(recs)


def _verdict(recs, pairing):
    summaries = _summary(recs)
    lines = [line for line in claims.mismatches(summaries).splitlines() if f"`{pairing}`" in line]
    assert len(lines) == 1, lines
    return lines[0]


def test_a_true_five_point_drop_over_ten_seeds_is_worse():
    assert "worse accuracy" in _verdict(bird_plane({"sigmoid+mse": -0.05}), "sigmoid+mse")


def test_a_true_five_point_gain_is_better():
    assert "better accuracy" in _verdict(bird_plane({"sigmoid+mse": +0.05}), "sigmoid+mse")


def test_no_difference_is_indistinguishable_and_the_footnote_holds():
    recs = bird_plane({"sigmoid+mse": 0.0}, noise=0.02)
    assert "indistinguishable from the post's" in _verdict(recs, "sigmoid+mse")
    assert "**Measured: holds.**" in claims.footnote(_summary(recs))


def test_the_footnote_does_not_hold_for_a_clear_drop():
    assert "**Measured: does not hold as stated.**" in claims.footnote(_summary(bird_plane({"sigmoid+mse": -0.10})))


def test_calibration_and_divergence_and_unreached_targets_are_named():
    recs = bird_plane({"linear+mse": 0.0}, **{"linear+mse": {"ece": 0.30}})
    assert "calibrates worse (ECE 0.300 vs 0.100)" in _verdict(recs, "linear+mse")
    recs = bird_plane({"sigmoid+mse": 0.0}, seeds=3)
    recs += [record("bird_plane", "linear+bce_probs", s, [0.5, 0.5], status="diverged") for s in range(2)]
    recs += [record("bird_plane", "linear+bce_probs", 2, np.linspace(0.5, 0.55, 11))]
    line = _verdict(recs, "linear+bce_probs")
    assert "diverged in 2 of 3 seeds" in line
    assert "did not reach 90% of the post's final accuracy in every seed (0 of 1)" in line


def test_confidence_intervals_are_student_t_intervals_of_the_paired_differences():
    recs = bird_plane({"sigmoid+mse": -0.02}, seeds=6, noise=0.03)
    summary = _summary(recs)["bird_plane"].set_index("pairing")
    post = {r["seed"]: r["final"]["accuracy"] for r in recs if r["pairing"] == "sigmoid+bce"}
    diffs = np.array([r["final"]["accuracy"] - post[r["seed"]] for r in recs if r["pairing"] == "sigmoid+mse"])
    low, high = stats.t.interval(0.95, len(diffs) - 1, loc=diffs.mean(), scale=stats.sem(diffs))
    row = summary.loc["sigmoid+mse"]
    np.testing.assert_allclose([row.diff_mean, row.diff_ci_low, row.diff_ci_high], [diffs.mean(), low, high], rtol=1e-3)
    finals = np.array([r["final"]["accuracy"] for r in recs if r["pairing"] == "sigmoid+mse"])
    low, high = stats.t.interval(0.95, len(finals) - 1, loc=finals.mean(), scale=stats.sem(finals))
    np.testing.assert_allclose([row.accuracy_ci_low, row.accuracy_ci_high], [low, high], rtol=1e-3)
    cell = (
        report.readable_table(_summary(recs)["bird_plane"])
        .set_index("pairing")
        .loc["sigmoid+mse", "Δ accuracy vs post"]
    )
    assert cell == f"{diffs.mean():.3f} [{row.diff_ci_low:.3f}, {row.diff_ci_high:.3f}]"


def test_epochs_to_ninety_percent_of_the_posts_final_accuracy():
    curves = {"sigmoid+bce": [0.5, 0.6, 0.7, 0.75, 0.8, 0.8], "sigmoid+mse": [0.5, 0.55, 0.6, 0.65, 0.7, 0.75]}
    recs = [record("bird_plane", p, s, c) for s in range(3) for p, c in curves.items()]
    summary = _summary(recs)["bird_plane"].set_index("pairing")
    # 90% of 0.80 is 0.72: epoch 3 for the post's curve, epoch 5 for the slower one.
    assert summary.loc["sigmoid+bce", "epochs_to_90pct_median"] == 3
    assert summary.loc["sigmoid+mse", "epochs_to_90pct_median"] == 5
    assert "learns slower (5.0 vs 3.0 epochs to 90%)" in _verdict(recs, "sigmoid+mse")


def test_diverged_and_error_counts_reach_the_table():
    recs = bird_plane({"sigmoid+mse": 0.0}, seeds=4)
    recs += [record("bird_plane", "linear+mse", 0, [0.5, 0.5], status="diverged")]
    recs += [record("bird_plane", "linear+mse", s, [0.5], status="error") for s in (1, 2)]
    recs += [record("bird_plane", "linear+mse", 3, np.linspace(0.5, 0.8, 11))]
    table = report.readable_table(_summary(recs)["bird_plane"]).set_index("pairing")
    assert table.loc["linear+mse", "diverged / error"] == "1 / 2"
    assert table.loc["linear+mse", "seeds"] == 1
    assert "not measured (2 run(s) failed with an error); no verdict" in _verdict(recs, "linear+mse")


def test_the_latest_record_of_a_run_is_used_once_with_a_warning(tmp_path):
    from experiments import records

    old = record("bird_plane", "sigmoid+bce", 0, [0.5, 0.6], finished_at="2026-01-01T00:00:00")
    new = {
        **record("bird_plane", "sigmoid+bce", 0, [0.5, 0.9], finished_at="2026-02-01T00:00:00"),
        "run_id": "other_config",
    }
    for r in (old, new):
        records.write_atomic(tmp_path / "runs" / "bird_plane" / f"{r['run_id']}.json", r)
    with pytest.warns(UserWarning, match="1 older record"):
        chosen = report.latest_records(tmp_path)
    assert len(chosen) == 1 and chosen[0]["final"]["accuracy"] == pytest.approx(0.9)


def test_with_no_finished_run_every_claim_is_not_measured_and_there_is_no_verdict():
    recs = [
        record(task, pairing, 0, [0.5], status="error")
        for task, pairing in (
            ("bird_plane", "sigmoid+bce"),
            ("bird_plane", "sigmoid+mse"),
            ("sepal_width", "linear+mse"),
            ("cifar10", "sigmoid+bce"),
            ("multilabel", "softmax+cce"),
        )
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        text = claims.render(recs, _summary(recs))
    assert text.count("**Not measured**") == 4
    for verdict in ("holds", "borne out", "worse", "better", "indistinguishable", "slower", "**Claim**"):
        assert verdict not in text
