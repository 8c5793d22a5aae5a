"""The report's measured statistics that are not tests: output sums, mean and median, multi-label baselines.

Each is the statistic that can show its claim: the per-image spread of output sums (a mean
of calibrated one-vs-rest sigmoids is about 1 by construction); the trained regressors set
beside the closed-form least-squares and least-absolute-deviation fits on the same rows;
threshold-free multi-label metrics with their chance baselines.
"""

import numpy as np

from experiments.analysis import per_image
from experiments.analysis.summaries import fmt
from experiments.data import iris

CONVERGED_SLOPE = 0.001  # training loss falling by less than 0.1% per epoch over the last 10: converged


def _ok(records, task, pairing):
    return [r for r in records if r["task"] == task and r["pairing"] == pairing and r["status"] == "ok"]


def output_sum_statistics(runs):
    """The per-image distribution of the sum of the outputs, pooled over the runs' test images."""
    sums = [s for r in runs if (s := per_image.output_sums(r)) is not None] or [
        np.asarray(r["output_sums"]) for r in runs if r.get("output_sums")
    ]
    if not sums:
        return None
    s = np.concatenate(sums)
    low, high = np.percentile(s, [5, 95])
    off = np.abs(s - 1.0)
    return {
        "images": len(s),
        "mean": s.mean(),
        "sd": s.std(),
        "p5": low,
        "p95": high,
        "off_0.1": np.mean(off > 0.1),
        "off_0.2": np.mean(off > 0.2),
    }


def _describe_output_sums(claim, records):
    parts = []
    for pairing in (claim.a, claim.b):
        st = output_sum_statistics(_ok(records, claim.task, pairing))
        if st is None:
            parts.append(f"`{pairing}`: not measured (no finished run with its outputs)")
            continue
        parts.append(
            f"`{pairing}`: sum of the 10 outputs per test image has sd {fmt(st['sd'])}, 5-95% range "
            f"[{fmt(st['p5'])}, {fmt(st['p95'])}], {fmt(100 * st['off_0.1'], 1)}% of images off 1 by more than 0.1 "
            f"and {fmt(100 * st['off_0.2'], 1)}% by more than 0.2 (mean "
            f"{fmt(st['mean'])}, {st['images']} images over seeds)"
        )
    return "; ".join(parts) + ". Heads whose outputs are logits have no such sum and are left out."


def fitted_line(record):
    """(slope, intercept) of a linear regressor, read exactly off its test outputs; None otherwise."""
    found = per_image.outputs_and_targets(record)
    if found is None or record["pairing_spec"]["activation"] != "linear":
        return None
    split = iris.sepal_split(**record["config"]["data"])
    x = split.x_test.reshape(-1).astype("float64")
    slope, intercept = np.polyfit(x, found[0].reshape(-1), 1)
    return slope, intercept


def loss_slope(record, last=10):
    """The training loss's relative change per epoch over the last `last` epochs (negative: falling)."""
    loss = np.array([row["train_loss"] for row in record["history"]], dtype=float)[-last:]
    if len(loss) < 3 or not np.all(np.isfinite(loss)) or loss.mean() == 0:
        return float("nan")
    return float(np.polyfit(np.arange(len(loss)), loss, 1)[0] / loss.mean())


def closed_form_fits(data_options):
    """Least squares (conditional mean) and least absolute deviation (median) fits on the training rows."""
    from statsmodels.regression.quantile_regression import QuantReg

    split = iris.sepal_split(**data_options)
    x, y = split.x_train.reshape(-1).astype("float64"), split.y_train.reshape(-1).astype("float64")
    design = np.column_stack([x, np.ones_like(x)])
    ols = np.linalg.lstsq(design, y, rcond=None)[0]
    lad = QuantReg(y, design).fit(q=0.5).params
    return {"least squares": tuple(ols), "least absolute deviation": tuple(lad)}, x, y


def _residual_stats(slope, intercept, x, y):
    residual = slope * x + intercept - y
    r2 = 1 - np.sum(residual**2) / np.sum((y - y.mean()) ** 2)
    return np.mean(residual), np.median(residual), r2


def _describe_mean_vs_median(claim, records):
    runs = {p: _ok(records, claim.task, p) for p in (claim.a, claim.b)}
    if not all(runs.values()):
        return "not measured (no finished run of " + " / ".join(p for p, r in runs.items() if not r) + ")."
    fits, x, y = closed_form_fits(runs[claim.a][0]["config"]["data"])
    parts = []
    for name, (slope, intercept) in fits.items():
        mean, median, r2 = _residual_stats(slope, intercept, x, y)
        parts.append(
            f"{name}: slope {fmt(slope)}, intercept {fmt(intercept)}, training "
            f"residual mean {fmt(mean)}, median {fmt(median)}, R² {fmt(r2)}"
        )
    for pairing, rs in runs.items():
        lines = [line for r in rs if (line := fitted_line(r)) is not None]
        slopes = [loss_slope(r) for r in rs]
        converged = sum(abs(s) < CONVERGED_SLOPE for s in slopes if np.isfinite(s))
        if not lines:
            parts.append(f"`{pairing}`: no per-image outputs in its records")
            continue
        stats = np.array([_residual_stats(s, i, x, y) for s, i in lines])
        slope, intercept = np.mean(lines, axis=0)
        parts.append(
            f"`{pairing}` (mean of {len(lines)} seeds): slope "
            f"{fmt(slope)}, intercept {fmt(intercept)}, training residual "
            f"mean {fmt(stats[:, 0].mean())}, median {fmt(stats[:, 1].mean())}, "
            f"R² against a constant {fmt(stats[:, 2].mean())}; "
            f"training loss converged (falling < {CONVERGED_SLOPE:.1%} per "
            f"epoch over the last 10) in {converged} of {len(rs)} seeds"
        )
    return "On the training rows: " + "; ".join(parts) + "."


def wall_time(records, task, a, b):
    """Wall time per run of `a` against `b`, from runs trained alone only; else why it was not measured."""
    runs = {p: _ok(records, task, p) for p in (a, b)}
    alone = {
        p: [r["timing"]["wall_s"] for r in rs if (r.get("timing") or {}).get("pack_size", 1) == 1]
        for p, rs in runs.items()
    }
    if not all(alone.values()):
        return "Wall time: not measured (the runs were trained in packs, which share one graph and one clock)."
    return (
        "Wall time per run trained alone: " + ", ".join(f"`{p}` {fmt(np.mean(w), 1)} s" for p, w in alone.items()) + "."
    )


def describe(claim, records):
    if claim.metric == "output_sum":
        return _describe_output_sums(claim, records)
    if claim.metric == "residuals":
        return _describe_mean_vs_median(claim, records)
    raise ValueError(f"Claim {claim.id!r}: no descriptive statistic {claim.metric!r}.")


def multilabel_section(records):
    """Threshold-free metrics first, each beside its chance baselines; thresholded metrics after."""
    runs = [r for r in records if r["task"] == "multilabel" and r["status"] == "ok"]
    with_outputs = [r for r in runs if per_image.probabilities(r) is not None]
    if not with_outputs:
        return ""
    _, targets = per_image.probabilities(with_outputs[0])
    y = np.asarray(targets).astype(bool)
    prevalence = y.mean(axis=0)
    lines = [
        "## Multi-label: threshold-free metrics and chance\n\n",
        f"Chance baselines on the {len(y)} test mosaics: random scores give mean average precision about "
        f"{fmt(prevalence.mean())} (the mean class prevalence) and "
        f"top-k recall {fmt(np.mean(y.sum(axis=1) / y.shape[1]))} "
        f"(k = the image's number of objects); predicting no object at all gives Hamming loss {fmt(prevalence.mean())} "
        "and micro F1 0.\n\n",
        "| pairing | seeds | mean AP | top-k recall | micro F1 at 0.5 | "
        "Hamming loss at 0.5 |\n| --- | --- | --- | --- | --- | --- |\n",
    ]
    for pairing in sorted({r["pairing"] for r in with_outputs}):
        rs = [r for r in with_outputs if r["pairing"] == pairing]
        recall = np.mean([np.nanmean(per_image.top_k_recall(*per_image.probabilities(r))) for r in rs])
        final = {k: np.mean([r["final"][k] for r in rs]) for k in ("mean_ap", "micro_f1", "hamming_loss")}
        lines.append(
            f"| `{pairing}` | {len(rs)} | {fmt(final['mean_ap'])} | {fmt(recall)} "
            f"| {fmt(final['micro_f1'])} | {fmt(final['hamming_loss'])} |\n"
        )
    return "".join(lines)


def extra_sections(records):
    return multilabel_section(records)
