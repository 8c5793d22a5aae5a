"""The report's measured statistics that are not tests: output sums, mean and median, multi-label baselines.

Each is the statistic that can show its claim: the per-image spread of output sums (a mean
of calibrated one-vs-rest sigmoids is about 1 by construction); the trained regressors set
beside the closed-form least-squares and least-absolute-deviation fits on the same rows;
threshold-free multi-label metrics with their chance baselines.
"""

import numpy as np

from experiments.analysis.claims import hidden_layers, mechanisms
from experiments.analysis.claims.mechanisms import closed_form_fits, finished, fitted_line
from experiments.analysis.evidence import per_image
from experiments.analysis.wording import fmt

# A line fits when its training loss is within 1% of its loss's closed-form optimum (least squares for MSE,
# least absolute deviation for MAE): convergence as a distance to the optimum, not a flat loss.
FITTED_RATIO = 1.01


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
        st = output_sum_statistics(finished(records, claim.task, pairing))
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


def _residual_stats(slope, intercept, x, y):
    residual = slope * x + intercept - y
    r2 = 1 - np.sum(residual**2) / np.sum((y - y.mean()) ** 2)
    return np.mean(residual), np.median(residual), r2


def _describe_mean_vs_median(claim, records):
    runs = {p: finished(records, claim.task, p) for p in (claim.a, claim.b)}
    if not all(runs.values()):
        return "not measured (no finished run of " + " / ".join(p for p, r in runs.items() if not r) + ")."
    fits, split = closed_form_fits(claim.task, runs[claim.a][0]["config"]["data"])
    x, y = split.x_train.reshape(-1).astype("float64"), split.y_train.reshape(-1).astype("float64")
    parts = []
    for name in ("least squares", "least absolute deviation"):
        slope, intercept = fits[name]
        mean, median, r2 = _residual_stats(slope, intercept, x, y)
        parts.append(
            f"{name}: slope {fmt(slope)}, intercept {fmt(intercept)}, training "
            f"residual mean {fmt(mean)}, median {fmt(median)}, R² {fmt(r2)}"
        )
    optimum = {"linear+mse": ("least squares", _mse), "linear+mae": ("least absolute deviation", _mae)}
    xt, yt = split.x_test.reshape(-1).astype("float64"), split.y_test.reshape(-1).astype("float64")
    fit_lines, all_ratios = [], []
    for pairing, rs in runs.items():
        lines = [line for r in rs if (line := fitted_line(r, split)) is not None]
        if not lines:
            parts.append(f"`{pairing}`: no per-image outputs in its records")
            continue
        stats = np.array([_residual_stats(s, i, x, y) for s, i in lines])
        test_r2 = np.mean([_residual_stats(s, i, xt, yt)[2] for s, i in lines])
        slope, intercept = np.mean(lines, axis=0)
        name, loss = optimum.get(pairing, ("least squares", _mse))
        best = loss(*fits[name], x, y)
        ratios = [loss(s, i, x, y) / best for s, i in lines]
        all_ratios += ratios
        fit_lines.append(
            f"`{pairing}` (mean of {len(lines)} seeds): slope {fmt(slope)}, intercept {fmt(intercept)} "
            f"({name}: {fmt(fits[name][0])}, {fmt(fits[name][1])}); training loss {fmt(min(ratios), 2)} to "
            f"{fmt(max(ratios), 2)} times the closed-form optimum ({fmt(best)}); training residual mean "
            f"{fmt(stats[:, 0].mean())}, median {fmt(stats[:, 1].mean())}; R² against a constant "
            f"{fmt(stats[:, 2].mean())} on the training rows, {fmt(test_r2)} on the test rows"
        )
    epochs = runs[claim.a][0]["config"]["epochs"]
    fitted = sum(r <= FITTED_RATIO for r in all_ratios)
    if not all_ratios:
        verdict = f"After {epochs} epochs: not measured (no record of these lines holds its per-image outputs). "
    elif min(all_ratios) > FITTED_RATIO:
        verdict = (
            f"**After {epochs} epochs these lines do not fit:** every seed's training loss is "
            f"{fmt(min(all_ratios), 2)} to {fmt(max(all_ratios), 2)} times its closed-form optimum (within "
            f"{FITTED_RATIO} counts as fitted), so the lines say nothing yet about means and medians. "
        )
    else:
        verdict = (
            f"After {epochs} epochs {fitted} of {len(all_ratios)} lines are within {FITTED_RATIO} times their "
            f"closed-form optimum, and all within {fmt(max(all_ratios), 2)} times. "
        )
    return verdict + "On the training rows: " + "; ".join(parts + fit_lines) + "."


def _mse(slope, intercept, x, y):
    return float(np.mean((slope * x + intercept - y) ** 2))


def _mae(slope, intercept, x, y):
    return float(np.mean(np.abs(slope * x + intercept - y)))


def wall_time(records, task, a, b):
    """Wall time per run of `a` against `b`, from runs trained alone only; else why it was not measured."""
    runs = {p: finished(records, task, p) for p in (a, b)}
    alone = {
        p: [r["timing"]["wall_s"] for r in rs if (r.get("timing") or {}).get("pack_size", 1) == 1]
        for p, rs in runs.items()
    }
    if not all(alone.values()):
        return "Wall time: not measured (the runs were trained in packs, which share one graph and one clock)."
    return (
        "Wall time per run trained alone: " + ", ".join(f"`{p}` {fmt(np.mean(w), 1)} s" for p, w in alone.items()) + "."
    )


def _describe_sigmoid_slope(claim, records):
    # The closed form s(1 - s), in NumPy: a report never imports Keras (the hand-written derivative,
    # custom_objects.activations, equals it: tests/test_activations.py).
    x = np.linspace(-10, 10, 20001).astype("float32")
    s = 1.0 / (1.0 + np.exp(-x.astype("float64")))
    slope = s * (1.0 - s)
    peak = int(np.argmax(slope))
    verdict = (
        "Computed from the function, not from runs (no test, so no verdict): the claim does not hold."
        if slope[peak] < 1
        else "Computed from the function, not from runs (no test, so no verdict): the claim holds."
    )
    return (
        f"{verdict} The sigmoid's slope s(1 - s) is at most {fmt(slope[peak], 4)}, at x = {fmt(float(x[peak]), 2)}: "
        "its steepest point is a quarter of the identity's slope, not a large one. It falls below 0.01 for |x| > "
        f"{fmt(float(np.abs(x[slope >= 0.01]).max()), 2)}: the sigmoid's problem is saturation, not steepness."
    )


def _describe_ce_gradient(claim, records):
    grads = []
    for r in finished(records, claim.task, claim.a):
        found = per_image.probabilities(r)
        if found is not None:
            probs, targets = found
            grads.append(probs - np.eye(probs.shape[1])[np.ravel(targets).astype(int)])
    if not grads:
        return "not measured (no finished run with per-image outputs)."
    g = np.concatenate(grads)
    inside = bool(g.min() >= -1 and g.max() <= 1)
    return (
        f"{'It holds here' if inside else 'It does not hold here'} (measured, not tested). Over {len(g)} test "
        f"images of {len(grads)} trained "
        f"`{claim.a}` models, the gradient of the loss at the logits, p - y, ranges from {fmt(g.min())} to "
        f"{fmt(g.max())}; its true-class entry averages "
        f"{fmt(float(g[g < 0].mean()) if (g < 0).any() else float('nan'))}. "
        "It is bounded by construction (a probability minus a 0/1 target)."
    )


def _describe_top_two(claim, records):
    from experiments.analysis.claims.claim import RAW_OUTPUTS

    top = np.sort(RAW_OUTPUTS)[::-1]
    soft = np.exp(RAW_OUTPUTS - RAW_OUTPUTS.max())
    soft = np.sort(soft / soft.sum())[::-1]
    text = (
        f"For the post's ten raw outputs, the top two stand in the ratio {fmt(top[0] / top[1], 2)}; after the softmax, "
        f"their probabilities stand in the ratio {fmt(soft[0] / soft[1], 2)}, "
        f"and the top one takes {fmt(100 * soft[0], 1)}%."
    )
    ratios = []
    for r in finished(records, claim.task, claim.a):
        found = per_image.outputs_and_targets(r)
        if found is None:
            continue
        logits = np.sort(found[0], axis=1)[:, ::-1]
        keep = logits[:, 1] > 0  # the ratio of raw outputs is defined where both are positive
        prob_ratio = np.exp(logits[:, 0] - logits[:, 1])
        ratios.append((logits[keep, 0] / logits[keep, 1], prob_ratio[keep]))
    if ratios:
        raw = np.concatenate([a for a, _ in ratios])
        probs = np.concatenate([b for _, b in ratios])
        text += (
            f" Over the test images of the trained `{claim.a}` models "
            f"whose top two logits are positive ({len(raw)} images), "
            f"the median ratio of the top two logits is {fmt(np.median(raw), 2)} and of their softmax probabilities "
            f"{fmt(np.median(probs), 2)}."
        )
    return text


def _describe_clipped(claim, records):
    parts = []
    for pairing in (claim.a, claim.b):
        runs = finished(records, claim.task, pairing)
        shares = [
            np.mean((o < 0) | (o > 1))
            for r in runs
            if (f := per_image.outputs_and_targets(r)) is not None
            for o in [f[0]]
        ]
        accuracy = [r["final"]["accuracy"] for r in runs]
        if not shares:
            parts.append(f"`{pairing}`: not measured (no finished run with per-image outputs)")
            continue
        parts.append(
            f"`{pairing}`: {fmt(100 * np.mean(shares), 1)}% of its final test outputs lie outside [0, 1] (mean of "
            f"{len(shares)} seeds; range {fmt(100 * min(shares), 1)}-{fmt(100 * max(shares), 1)}%), test accuracy "
            f"{fmt(np.mean(accuracy))}"
        )
    return (
        "; ".join(parts)
        + ". Outside [0, 1] the clipped binary cross-entropy has no gradient, so those images no longer teach "
        "the model; see the mismatch line of `linear+bce_probs` for its verdict."
    )


def describe(claim, records):
    describers = {
        "sigmoid_slope": _describe_sigmoid_slope,
        "ce_gradient": _describe_ce_gradient,
        "top_two_ratio": _describe_top_two,
        "clipped_share": _describe_clipped,
    }
    describers |= {
        "gradient_probe": mechanisms.describe_gradient_probe,
        "saturated_start": mechanisms.describe_saturated_start,
        "outlier_fits": mechanisms.describe_outlier_fits,
        "sparse_same": mechanisms.describe_sparse_same,
        "hidden_layers": hidden_layers.describe_hidden_layers,
    }
    if claim.metric in describers:
        return describers[claim.metric](claim, records)
    if claim.metric == "output_sum":
        return _describe_output_sums(claim, records)
    if claim.metric == "residuals":
        return _describe_mean_vs_median(claim, records)
    raise ValueError(f"Claim {claim.id!r}: no descriptive statistic {claim.metric!r}.")
