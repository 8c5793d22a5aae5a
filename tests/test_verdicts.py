"""The report's rules on synthetic records with known effects: verdicts, intervals, counts."""

import warnings

import numpy as np
import pytest
from scipy import stats

from experiments.analysis.claims import verdicts
from experiments.analysis.evidence import loading, summaries
from experiments.analysis.render import claims_text, report
from tests.synthetic_records import bird_plane, bird_plane_images, record


def _summary(recs):
    return summaries.all_summaries(recs)


def _outcome(recs, pairing):
    return verdicts.task_comparisons(recs, "bird_plane")[("mismatch", pairing)].outcome


def _claim(recs, claim_id):
    from experiments.analysis.claims.claim_list import CLAIMS

    claim = next(c for c in CLAIMS if c.id == claim_id)
    return verdicts.claim_outcome(claim, verdicts.task_comparisons(recs, claim.task)[("claim", claim_id)])


def test_a_true_five_point_drop_over_ten_seeds_is_worse():
    assert _outcome(bird_plane({"sigmoid+mse": -0.05}), "sigmoid+mse") == "worse"
    assert _claim(bird_plane({"sigmoid+mse": -0.05}), "footnote_accuracy") == "contradicted"


def test_a_true_five_point_gain_is_better():
    assert _outcome(bird_plane({"sigmoid+mse": +0.05}), "sigmoid+mse") == "better"


def test_identical_pairings_are_similar_by_the_equivalence_test():
    recs = bird_plane({"sigmoid+mse": 0.0}, noise=0.01)
    assert _outcome(recs, "sigmoid+mse") == "similar"
    assert _claim(recs, "footnote_accuracy") == "supported"
    assert _claim(recs, "footnote_speed") == "supported"


def test_three_noisy_seeds_are_inconclusive_and_say_what_they_could_detect():
    recs = bird_plane({"sigmoid+mse": -0.03}, seeds=3, noise=0.05)
    comparison = verdicts.task_comparisons(recs, "bird_plane")[("mismatch", "sigmoid+mse")]
    assert comparison.outcome == "inconclusive" and comparison.detectable > 0.03
    assert _claim(recs, "footnote_accuracy") == "inconclusive"
    text = claims_text.render(recs, _summary(recs))
    mismatches = text.split("## What each mismatch does")[1]
    header = [x for x in mismatches.splitlines() if x.startswith("| pairing")][0]
    line = [x for x in mismatches.splitlines() if x.startswith("| `sigmoid+mse`")][0]
    assert "**inconclusive**" in line and "detectable at 80% power" in header
    heads, cells = [h.strip() for h in header.split("|")], [c.strip() for c in line.split("|")]
    assert float(cells[heads.index("detectable at 80% power")]) > 0.03  # what these seeds could detect
    claim_line = [x for x in text.splitlines() if 'id="claim-footnote-accuracy"' in x][0]
    assert "**Inconclusive.** Why: " in claim_line and "these seeds detect" in claim_line
    assert "at the corrected level (alpha 0.05/2)" in claim_line


def test_per_image_outputs_widen_the_interval_with_test_set_noise():
    recs = bird_plane_images({"sigmoid+mse": -0.05}, images=1000)
    comparison = verdicts.task_comparisons(recs, "bird_plane")[("mismatch", "sigmoid+mse")]
    assert comparison.images_resampled and comparison.outcome == "worse"
    seeds_only = verdicts.task_comparisons(
        [{**r, "test_outputs": None} if False else {k: v for k, v in r.items() if k != "test_outputs"} for r in recs],
        "bird_plane",
    )
    narrow = seeds_only[("mismatch", "sigmoid+mse")]
    assert not narrow.images_resampled
    assert comparison.boot_high - comparison.boot_low > narrow.boot_high - narrow.boot_low


def test_mismatches_are_corrected_per_task_and_claims_as_one_confirmatory_family():
    recs = bird_plane({"sigmoid+mse": -0.05, "linear+mse": 0.0})
    comparisons = verdicts.task_comparisons(recs, "bird_plane")
    mismatches = [c for (kind, _), c in comparisons.items() if kind == "mismatch"]
    claims_ = [c for (kind, _), c in comparisons.items() if kind == "claim" and not c.missing]
    assert len(mismatches) == 2 and all(c.family == 6 for c in mismatches)  # 2 mismatches x 3 questions
    for c in mismatches:
        assert all(c.p_holm[k] >= c.p[k] for k in c.p) and max(c.p_holm.values()) <= 1.0
    # The claims with records (footnote accuracy and speed): one question each, one family of two.
    assert len(claims_) == 2 and all(c.family == 2 and len(c.p_holm) == 1 for c in claims_)
    assert set(comparisons[("claim", "footnote_accuracy")].p_holm) == {"similar"}
    assert set(comparisons[("claim", "footnote_speed")].p_holm) == {"not worse"}


def test_confidence_intervals_are_student_t_intervals_of_the_paired_differences():
    recs = bird_plane({"sigmoid+mse": -0.02}, seeds=6, noise=0.03)
    summary = _summary(recs)["bird_plane"].set_index("pairing")
    post = {r["seed"]: r["final"]["accuracy"] for r in recs if r["pairing"] == "sigmoid+bce"}
    diffs = np.array([r["final"]["accuracy"] - post[r["seed"]] for r in recs if r["pairing"] == "sigmoid+mse"])
    low, high = stats.t.interval(0.95, len(diffs) - 1, loc=diffs.mean(), scale=stats.sem(diffs))
    row = summary.loc["sigmoid+mse"]
    np.testing.assert_allclose([row.diff_mean, row.diff_ci_low, row.diff_ci_high], [diffs.mean(), low, high], rtol=1e-3)
    # A metric's own interval is a percentile bootstrap over seeds: inside [0, 1] however few the seeds.
    finals = np.array([r["final"]["accuracy"] for r in recs if r["pairing"] == "sigmoid+mse"])
    assert finals.min() <= row.accuracy_ci_low < finals.mean() < row.accuracy_ci_high <= finals.max()
    near_one = summaries.task_summary(
        [record("bird_plane", "sigmoid+bce", s, [0.5, a]) for s, a in enumerate([0.99, 1.0, 0.7])], "bird_plane"
    )
    assert near_one.accuracy_ci_high.iloc[0] <= 1.0
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
    table = report.readable_table(_summary(recs)["bird_plane"]).set_index("pairing")
    assert table.loc["sigmoid+mse", "epochs to 90%"] == "5.0"


def test_diverged_and_error_counts_reach_the_table():
    recs = bird_plane({"sigmoid+mse": 0.0}, seeds=4)
    recs += [record("bird_plane", "linear+mse", 0, [0.5, 0.5], status="diverged")]
    recs += [record("bird_plane", "linear+mse", s, [0.5], status="error") for s in (1, 2)]
    recs += [record("bird_plane", "linear+mse", 3, np.linspace(0.5, 0.8, 11))]
    table = report.readable_table(_summary(recs)["bird_plane"]).set_index("pairing")
    assert table.loc["linear+mse", "diverged / collapsed / error"] == "1 / 0 / 2"
    assert table.loc["linear+mse", "seeds"] == 1
    text = claims_text.render(recs, _summary(recs))
    row = [x for x in text.split("## What each mismatch does")[1].splitlines() if x.startswith("| `linear+mse`")][0]
    assert "regression on {0, 1} labels: a linear probability model" in row and "| not measured " in row
    assert "linear+mse: 2 run(s) failed with an error" in text


def test_a_collapsed_run_is_flagged_and_counted():
    recs = bird_plane({"sigmoid+mse": 0.0}, seeds=3)
    recs.append(record("bird_plane", "linear+bce_probs", 0, [0.5, 0.8, 0.52]))  # fell to chance
    recs.append(record("bird_plane", "linear+bce_probs", 1, [0.5, 0.9, 0.75]))  # 15 points below its best
    recs.append(record("bird_plane", "linear+bce_probs", 2, [0.5, 0.8, 0.79]))
    assert [summaries.collapsed(r) for r in recs[-3:]] == [True, True, False]
    table = report.readable_table(_summary(recs)["bird_plane"]).set_index("pairing")
    assert table.loc["linear+bce_probs", "diverged / collapsed / error"] == "0 / 2 / 0"


def test_the_latest_record_of_a_run_is_used_once_with_a_warning(tmp_path):
    from experiments import records

    old = record("bird_plane", "sigmoid+bce", 0, [0.5, 0.6], finished_at="2026-01-01T00:00:00")
    new = {
        **record("bird_plane", "sigmoid+bce", 0, [0.5, 0.9], finished_at="2026-02-01T00:00:00"),
        "run_id": "bird_plane__sigmoid+bce__s0__0ffc0ffe",
    }
    for r in (old, new):
        records.write_atomic(tmp_path / "runs" / "bird_plane" / f"{r['run_id']}.json", r)
    with pytest.warns(UserWarning, match="1 older record"):
        chosen = loading.latest_records(tmp_path)
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
        text = claims_text.render(recs, _summary(recs))
    text = text.split("## The reference texts' claims")[1]
    # An analytic fact (the sigmoid's slope) is a verdict from the function itself; nothing else may be one.
    text = "\n".join(line for line in text.splitlines() if "(analytic: from the function, not from runs)" not in line)
    assert text.lower().count("not measured") >= 7 + 4  # every claim measured on runs, and every task's mismatches
    for verdict in (
        "**Supported",
        "**Contradicted",
        "**Inconclusive",
        "**worse",
        "**better",
        "**similar",
        "**inconclusive",
    ):
        assert verdict not in text


def test_compare_lists_the_verdicts_that_differ_between_two_folders(tmp_path, capsys):
    from experiments import records
    from experiments.cli import main

    for name, effect in (("seeds_0_9", -0.05), ("seeds_10_19", 0.0)):
        for r in bird_plane({"sigmoid+mse": effect}, rng_seed=len(name) + int(effect * 100)):
            records.write_atomic(tmp_path / name / "runs" / "bird_plane" / f"{r['run_id']}.json", r)
    a, b = str(tmp_path / "seeds_0_9"), str(tmp_path / "seeds_10_19")
    assert main(["report", "--compare", a, b]) == 0
    out = capsys.readouterr().out
    assert f"bird_plane mismatch sigmoid+mse: worse in {a}, similar in {b}" in out
    assert f"bird_plane claim footnote_accuracy: contradicted in {a}, supported in {b}" in out
    assert main(["report", "--compare", a, a]) == 0
    assert "0 verdict(s) differ" in capsys.readouterr().out


def test_a_claim_that_asks_a_mismatchs_question_keeps_its_numbers_and_its_own_family():
    recs = bird_plane({"sigmoid+mse": 0.0, "linear+bce_probs": -0.10})
    comparisons = verdicts.task_comparisons(recs, "bird_plane")
    mismatch = comparisons[("mismatch", "linear+bce_probs")]
    claim = comparisons[("claim", "logits_as_probabilities")]  # sigmoid+bce better than linear+bce_probs
    assert claim.diff == pytest.approx(-mismatch.diff) and claim.p["better"] == mismatch.p["worse"]
    assert mismatch.outcome == "worse" and set(claim.p_holm) == {"better"}
    assert claim.family == 3 and mismatch.family == 6  # three claims with records; two mismatches x 3
    assert _claim(recs, "logits_as_probabilities") == "supported"
    assert comparisons[("claim", "footnote_accuracy")] is not comparisons[("mismatch", "sigmoid+mse")]


def _planned(recs, plan, claim_id):
    from experiments.analysis.claims.claim_list import CLAIMS

    claim = next(c for c in CLAIMS if c.id == claim_id)
    comparison = verdicts.comparisons_by_task(recs, plan=plan)[claim.task][("claim", claim_id)]
    return verdicts.claim_outcome(claim, comparison), comparison


def test_a_power_plan_holds_each_claim_to_its_seeds_and_its_declared_undecidables():
    recs = bird_plane({"sigmoid+mse": 0.0}, noise=0.01)  # 10 seeds: supported without a plan
    row = {"claim": "footnote_accuracy", "why_not": ""}
    assert _planned(recs, {"claims": [{**row, "seeds": 10}]}, "footnote_accuracy")[0] == "supported"
    outcome, c = _planned(recs, {"claims": [{**row, "seeds": 20}]}, "footnote_accuracy")
    assert outcome == "not measured" and c.missing == "10 of the 20 planned seeds trained so far"
    declared = {**row, "seeds": None, "why_not": "the pilot's difference is at the margin"}
    outcome, c = _planned(recs, {"claims": [declared]}, "footnote_accuracy")
    assert outcome == "undecidable" and not c.p_holm  # not tested, so not corrected in the family


def test_each_questions_p_is_the_paired_t_tests_with_the_bootstrap_beside_it():
    recs = bird_plane({"sigmoid+mse": -0.05})
    c = verdicts.task_comparisons(recs, "bird_plane")[("mismatch", "sigmoid+mse")]
    diffs = c.gains  # A - B (accuracy: higher is better, so the gains are the differences)
    assert c.p["worse"] == pytest.approx(stats.ttest_1samp(diffs, 0.0, alternative="less").pvalue)
    assert set(c.p_boot) == set(c.p)
