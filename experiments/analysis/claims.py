"""REPORT.md: each claim of the reference texts, answered with numbers from the tables.

Every sentence is computed from the per-pairing summaries (`experiments.analysis`)
and cites the table row it comes from; nothing here is typed in by hand.
"""

import datetime

import numpy as np

from experiments.analysis import summaries as stats
from experiments.analysis.summaries import fmt
from experiments.pairings import documented_pairing, task_pairings
from experiments.training.metrics import LOWER_IS_BETTER

SIMILAR_ACCURACY = 0.02  # below this absolute difference we call two accuracies similar
WORSE_ECE = 0.02  # an ECE higher by more than this is "calibrates worse"


def _row(summaries, task, pairing):
    """The summary row of `pairing`, or None when it was not measured: no finished run, or a failed one."""
    summary = summaries.get(task)
    if summary is None or pairing not in set(summary.pairing):
        return None
    row = summary[summary.pairing == pairing].iloc[0]
    return None if row.n_error or not (row.n_seeds + row.n_diverged) else row


def _why_missing(summaries, task, pairing):
    summary = summaries.get(task)
    if summary is None or pairing not in set(summary.pairing):
        return "no records"
    row = summary[summary.pairing == pairing].iloc[0]
    return f"{int(row.n_error)} run(s) failed with an error" if row.n_error else "no finished run"


def _cite(task, pairing):
    return f"[`tables/{task}.md`, row `{pairing}`]"


def _value(row, metric):
    return f"{fmt(row[f'{metric}_mean'])} ± {fmt(row[f'{metric}_sd'])}"


def _diff(row):
    return f"{fmt(row.diff_mean)} [95% CI {fmt(row.diff_ci_low)}, {fmt(row.diff_ci_high)}]"


def _missing(summaries, task, *pairings):
    why = "; ".join(f"{p}: {_why_missing(summaries, task, p)}" for p in pairings if _row(summaries, task, p) is None)
    return f"- **Not measured** ({task} {' / '.join(pairings)}): {why}. No verdict.\n"


def footnote(summaries):
    task = "bird_plane"
    bce, mse = _row(summaries, task, "sigmoid+bce"), _row(summaries, task, "sigmoid+mse")
    if bce is None or mse is None:
        return _missing(summaries, task, "sigmoid+bce", "sigmoid+mse")
    similar_accuracy = abs(mse.diff_mean) < SIMILAR_ACCURACY or (
        np.isfinite(mse.diff_ci_low) and mse.diff_ci_low <= 0 <= mse.diff_ci_high
    )
    # Speed of learning: epochs to 90% of the post's final accuracy. Wall time only separates
    # the two when they were not trained in one pack.
    similar_speed = (
        np.isfinite(mse.epochs_to_90pct_median) and abs(mse.epochs_to_90pct_median - bce.epochs_to_90pct_median) <= 1
    )
    packed = max(mse.pack_size_max, bce.pack_size_max) > 1
    if packed:
        timing = (
            f"both trained in packs of {int(max(mse.pack_size_max, bce.pack_size_max))} "
            "runs sharing one graph, so wall time does not separate them"
        )
    else:
        timing = f"wall time per run {fmt(mse.wall_s_mean, 1)} s vs {fmt(bce.wall_s_mean, 1)} s"
        similar_speed = similar_speed and 0.8 <= mse.wall_s_mean / bce.wall_s_mean <= 1.25
    verdict = "holds" if similar_accuracy and similar_speed else "does not hold as stated"
    return (
        f"- **Claim** (the post's footnote): with mean squared error the bird/plane sigmoid CNN "
        f'"will attain similar accuracy in similar time". **Measured: {verdict}.** '
        f"Test accuracy {_value(mse, 'accuracy')} with MSE vs {_value(bce, 'accuracy')} with binary cross-entropy "
        f"(paired difference {_diff(mse)} over {int(mse.n_paired)} seeds); "
        "epochs to reach 90% of the BCE model's final accuracy: "
        f"{fmt(mse.epochs_to_90pct_median, 1)} vs {fmt(bce.epochs_to_90pct_median, 1)}; "
        f"{timing}. {_cite(task, 'sigmoid+mse')}, {_cite(task, 'sigmoid+bce')}\n"
    )


def median_vs_mean(summaries):
    task = "sepal_width"
    mse, mae = _row(summaries, task, "linear+mse"), _row(summaries, task, "linear+mae")
    if mse is None or mae is None:
        return _missing(summaries, task, "linear+mse", "linear+mae")
    mean_ok = abs(mse.mean_residual_mean) < abs(mae.mean_residual_mean)
    median_ok = abs(mae.median_residual_mean) < abs(mse.median_residual_mean)
    verdict = {
        (True, True): "borne out: each model centres the statistic its loss targets better than the other does",
        (
            False,
            True,
        ): "half borne out: the MAE model centres the median better, but the MSE model does not centre the mean better",
        (
            True,
            False,
        ): "half borne out: the MSE model centres the mean better, but the MAE model does not centre the median better",
        (False, False): "not borne out at this training length",
    }[(mean_ok, median_ok)]
    return (
        f"- **Claim**: mean squared error predicts the conditional mean, mean absolute error the median. "
        f"**Measured: {verdict}.** On the 30 held-out iris rows, the MSE model's residuals have mean "
        f"{_value(mse, 'mean_residual')} (median {_value(mse, 'median_residual')}); the MAE model's have median "
        f"{_value(mae, 'median_residual')} (mean {_value(mae, 'mean_residual')}). Test MSE {_value(mse, 'mse')} vs "
        f"{_value(mae, 'mse')}, test MAE {_value(mse, 'mae')} vs {_value(mae, 'mae')} (MSE model vs MAE model). "
        f"Residuals far from 0 for both mean that the post's training (Adam, learning rate 1e-3, raw inputs) "
        f"has not converged in the epochs run. {_cite(task, 'linear+mse')}, {_cite(task, 'linear+mae')}\n"
    )


def softmax_vs_sigmoid(summaries):
    task = "cifar10"
    soft, sig = _row(summaries, task, "softmax+sparse_cce"), _row(summaries, task, "sigmoid+bce")
    if soft is None or sig is None:
        return _missing(summaries, task, "softmax+sparse_cce", "sigmoid+bce")
    return (
        f"- **Claim** (reference 000): sigmoid outputs in a multi-class problem need not sum to 1, softmax outputs do. "
        f"Mean sum of the 10 outputs per test image: {_value(soft, 'mean_output_sum')} for softmax, "
        f"{_value(sig, 'mean_output_sum')} for one-vs-rest sigmoids. Test accuracy {_value(soft, 'accuracy')} vs "
        f"{_value(sig, 'accuracy')} (paired difference of the sigmoids {_diff(sig)}); log loss (sigmoid outputs "
        f"renormalised) {_value(soft, 'log_loss')} vs {_value(sig, 'log_loss')}. "
        f"{_cite(task, 'softmax+sparse_cce')}, {_cite(task, 'sigmoid+bce')}\n"
    )


def multilabel_claim(summaries):
    task = "multilabel"
    sig, soft = _row(summaries, task, "sigmoid+bce"), _row(summaries, task, "softmax+cce")
    if sig is None or soft is None:
        return _missing(summaries, task, "sigmoid+bce", "softmax+cce")
    return (
        f"- **Claim** (the post's close): to detect several objects, use a sigmoid on every output unit, not a "
        f"winner-takes-all softmax. Mean average precision {_value(sig, 'mean_ap')} (sigmoid+bce) vs "
        f"{_value(soft, 'mean_ap')} (softmax+cce; paired difference {_diff(soft)}); micro F1 at 0.5 "
        f"{_value(sig, 'micro_f1')} vs {_value(soft, 'micro_f1')}; exact-match accuracy "
        f"{_value(sig, 'subset_accuracy')} vs {_value(soft, 'subset_accuracy')}. A softmax spreads one unit of "
        f"probability over the objects, so at threshold 0.5 it can name at most one. "
        f"{_cite(task, 'sigmoid+bce')}, {_cite(task, 'softmax+cce')}\n"
    )


def mismatch_verdict(row, post, headline):
    """What a pairing does relative to the post's: diverges, learns slower, is worse or calibrates worse."""
    parts = []
    if row.n_diverged:
        parts.append(f"diverged in {int(row.n_diverged)} of {int(row.n_diverged + row.n_seeds)} seeds")
    if row.n_seeds:
        lower = headline in LOWER_IS_BETTER
        if np.isfinite(row.diff_ci_low) and (row.diff_ci_high < 0 if not lower else row.diff_ci_low > 0):
            parts.append(f"worse {headline} (Δ {_diff(row)})")
        elif np.isfinite(row.diff_ci_low) and (row.diff_ci_low > 0 if not lower else row.diff_ci_high < 0):
            parts.append(f"better {headline} (Δ {_diff(row)})")
        else:
            parts.append(f"{headline} indistinguishable from the post's at this many seeds (Δ {_diff(row)})")
        if not np.isfinite(row.epochs_to_90pct_median):
            parts.append(
                f"did not reach 90% of the post's final {headline} in every "
                f"seed ({int(row.n_reached_90pct)} of {int(row.n_seeds)})"
            )
        elif np.isfinite(post.epochs_to_90pct_median) and row.epochs_to_90pct_median > post.epochs_to_90pct_median + 1:
            parts.append(
                f"learns slower ({fmt(row.epochs_to_90pct_median, 1)} vs "
                f"{fmt(post.epochs_to_90pct_median, 1)} epochs to 90%)"
            )
        if "ece_mean" in row and np.isfinite(row.ece_mean) and row.ece_mean > post.ece_mean + WORSE_ECE:
            parts.append(f"calibrates worse (ECE {fmt(row.ece_mean)} vs {fmt(post.ece_mean)})")
    return "; ".join(parts)


def mismatches(summaries):
    lines = []
    for task, summary in summaries.items():
        post_name = documented_pairing(task).name
        post = _row(summaries, task, post_name)
        if post is None:
            lines.append(
                f"- {task}: not measured (the post's pairing `{post_name}`: "
                f"{_why_missing(summaries, task, post_name)}); no verdicts for its mismatches.\n"
            )
            continue
        headline = summary.attrs["headline"]
        for pairing, spec in task_pairings(task).items():
            if spec.documented or pairing not in set(summary.pairing):
                continue
            row = _row(summaries, task, pairing)
            if row is None:
                lines.append(
                    f"- {task} `{pairing}` ({spec.note}): not measured "
                    f"({_why_missing(summaries, task, pairing)}); no verdict.\n"
                )
                continue
            lines.append(
                f"- {task} `{pairing}` ({spec.note}): {mismatch_verdict(row, post, headline)}. {_cite(task, pairing)}\n"
            )
    return "".join(lines)


def _settings_line(recs):
    """Epochs, batch size and seeds of the records, per task, as measured (not as planned)."""
    parts = []
    for task in sorted({r["task"] for r in recs}):
        these = [r for r in recs if r["task"] == task]
        epochs = sorted({r["config"]["epochs"] for r in these})
        batch = sorted({r["config"]["batch_size"] for r in these})
        seeds = sorted({r["seed"] for r in these})
        parts.append(
            f"{task}: {'/'.join(map(str, epochs))} epochs, batch {'/'.join(map(str, batch))}, {len(seeds)} seeds"
        )
    return "; ".join(parts)


def render(recs, summaries):
    sources = "\n".join(f"- profile `{p}`: {s}" for p, s in stats.data_sources(recs))
    counts = {s: sum(r["status"] == s for r in recs) for s in ("ok", "diverged", "error")}
    subset_note = ""
    if any("subset" in (r.get("data") or {}).get("source", "") for r in recs):
        bird_plane_test = sorted(
            {r["data"]["test_examples"] for r in recs if r["task"] == "bird_plane" and "data" in r}
        )
        subset_note = (
            "\nThe CIFAR-10 numbers come from a subset of CIFAR-10 (sizes above), not full CIFAR-10: absolute "
            "accuracies are lower than on the full data set"
            + (
                f", and the bird/plane test set holds {'/'.join(map(str, bird_plane_test))} images"
                if bird_plane_test
                else ""
            )
            + ".\n"
        )
    return (
        "# What the measurements say\n\n"
        f"Generated {datetime.date.today().isoformat()} by `python -m experiments report` from {len(recs)} run records "
        f"({counts['ok']} ok, {counts['diverged']} diverged, "
        f"{counts['error']} error). Settings: {_settings_line(recs)}. "
        f"Data measured on:\n\n{sources}\n"
        f"{subset_note}\n"
        "Numbers are mean ± sd over seeds of held-out test metrics; differences are paired by seed against the post's "
        "pairing, with 95% t intervals. Tables: `results/tables/`; figures: `results/figures/`.\n\n"
        "## The reference texts' claims\n\n"
        + footnote(summaries)
        + median_vs_mean(summaries)
        + softmax_vs_sigmoid(summaries)
        + multilabel_claim(summaries)
        + "\n## What each mismatch does\n\n"
        + mismatches(summaries)
    )
