"""The mechanisms the texts argue from, as measured: output gradients in training, a saturated
start, outliers, and sparse against one-hot cross-entropy.

Each `describe_*` returns the report's sentence for one descriptive claim of `claims.claim_list`; the
tested claims' verdicts come from `verdicts` (metrics `aulc`, `grad_wrong`, `mse`, `accuracy`).
"""

import numpy as np

from experiments.analysis.evidence import per_image
from experiments.analysis.wording import fmt
from experiments.pairings import task_pairings
from experiments.records import decode_array
from experiments.tasks import get_task

THRESHOLD = 0.75  # the accuracy whose first epoch measures how fast a run learns (issue: "epochs to 75%")


def finished(records, task, pairing):
    """The `ok` runs of `pairing` on `task`."""
    return [r for r in records if r["task"] == task and r["pairing"] == pairing and r["status"] == "ok"]


def probed(records, task, pairing):
    """The `ok` runs of `pairing` on `task` whose records hold the gradient probe."""
    return [r for r in finished(records, task, pairing) if r["history"] and "probe" in r["history"][0]]


def probe_series(record, key):
    """The probe statistic `key` per epoch (NaN where the record has none)."""
    values = [(row.get("probe") or {}).get(key) for row in record.get("history", [])]
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def mean_wrong_gradient(record):
    """Mean |dL/dz| on the wrongly classified probe images, averaged over epochs 0..E; NaN without a probe."""
    series = probe_series(record, "grad_wrong")
    return float(np.nanmean(series)) if np.isfinite(series).any() else float("nan")


def probe_points(record, when):
    """(margin, |dL/dz|) of every probe image at "epoch_0" or "final", or None."""
    points = (record.get("probe_points") or {}).get(when)
    return None if points is None else (decode_array(points["margin"]), decode_array(points["grad"]))


def epochs_to(record, threshold=THRESHOLD):
    """The first epoch with test accuracy >= `threshold`, or None if the run never gets there."""
    for row in record.get("history", []):
        if (row["test"].get("accuracy") or 0.0) >= threshold:
            return row["epoch"]
    return None


def describe_gradient_probe(claim, records):
    parts = []
    for task in (claim.task, "bird_plane_saturated_sgd", "bird_plane"):
        for pairing in (claim.a, claim.b):
            runs = probed(records, task, pairing)
            if not runs:
                parts.append(f"{task} `{pairing}`: not measured (no finished run with the probe)")
                continue
            first = np.array([probe_series(r, "grad_wrong")[0] for r in runs])
            last = np.array([probe_series(r, "grad_wrong")[-1] for r in runs])
            correct = np.array([probe_series(r, "grad_correct")[-1] for r in runs])
            saturated = np.array([probe_series(r, "saturated_wrong_share")[-1] for r in runs])
            wrong = np.array([probe_series(r, "wrong_share")[-1] for r in runs])
            parts.append(
                f"{task} `{pairing}` ({len(runs)} seeds): mean |dL/dz| on wrong probe images {fmt(np.nanmean(first))} "
                f"at epoch 0 and {fmt(np.nanmean(last))} at the end (correct images at the end: "
                f"{fmt(np.nanmean(correct))}); at the end {fmt(100 * np.nanmean(wrong), 1)}% of the probe images are "
                f"wrong, and {fmt(100 * np.nanmean(saturated), 1)}% of those are saturated wrong (p(true) < 0.01)"
            )
    return (
        "; ".join(parts) + ". Probe: 512 fixed training images, the same for every pairing and seed; "
        "dL/dz from each run's own loss by autodiff (figures/output_gradients, figures/gradient_scatter)."
    )


def describe_saturated_start(claim, records):
    parts = []
    for pairing in task_pairings(claim.task):
        runs = finished(records, claim.task, pairing)
        if not runs:
            parts.append(f"`{pairing}`: not measured")
            continue
        reached = [e for r in runs if (e := epochs_to(r)) is not None]
        start = np.mean([r["history"][0]["test"]["accuracy"] for r in runs])
        when = f"reached {THRESHOLD:.0%} test accuracy in {len(reached)} of {len(runs)} seeds " + (
            f"(median epoch {fmt(float(np.median(reached)), 1)})" if reached else ""
        )
        parts.append(
            f"`{pairing}`: test accuracy {fmt(start)} at epoch 0, {when}, final accuracy "
            f"{fmt(np.mean([r['final']['accuracy'] for r in runs]))}"
        )
    return "From the saturated start: " + "; ".join(parts) + f" (figures/learning_curves_{claim.task})."


def fitted_line(record, split):
    """(slope, intercept) of a regressor's predictions on the test inputs of `split` (its task's data,
    loaded once by the caller), by least squares; None if the record holds no outputs."""
    found = per_image.outputs_and_targets(record)
    if found is None:
        return None
    slope, intercept = np.polyfit(split.x_test.reshape(-1), found[0].reshape(-1), 1)
    return float(slope), float(intercept)


def closed_form_fits(task, data_options):
    """Least squares and least absolute deviation lines on the task's training rows (outliers included)."""
    from statsmodels.regression.quantile_regression import QuantReg

    split = get_task(task).load_data(**data_options)
    x, y = split.x_train.reshape(-1).astype("float64"), split.y_train.reshape(-1).astype("float64")
    design = np.column_stack([x, np.ones_like(x)])
    fits = {
        "least squares": tuple(np.linalg.lstsq(design, y, rcond=None)[0]),
        "least absolute deviation": tuple(QuantReg(y, design).fit(q=0.5).params),
    }
    xt, yt = split.x_test.reshape(-1).astype("float64"), split.y_test.reshape(-1).astype("float64")
    fits["least squares on the clean test rows"] = tuple(np.polyfit(xt, yt, 1))
    return fits, split


def describe_outlier_fits(claim, records):
    runs = {p: finished(records, claim.task, p) for p in task_pairings(claim.task)}
    if not any(runs.values()):
        return "not measured (no finished run)."
    data = next(rs for rs in runs.values() if rs)[0]["config"]["data"]
    fits, split = closed_form_fits(claim.task, data)
    parts = [f"{name}: slope {fmt(s)}, intercept {fmt(i)}" for name, (s, i) in fits.items()]
    for pairing, rs in runs.items():
        lines = np.array([line for r in rs if (line := fitted_line(r, split)) is not None])
        if not len(lines):
            parts.append(f"`{pairing}`: not measured")
            continue
        parts.append(
            f"`{pairing}` (mean of {len(lines)} seeds): slope {fmt(lines[:, 0].mean())}, intercept "
            f"{fmt(lines[:, 1].mean())}, clean-test MSE {fmt(np.mean([r['final']['mse'] for r in rs]))}, "
            f"MAE {fmt(np.mean([r['final']['mae'] for r in rs]))}"
        )
    return f"Training rows: {split.source}. " + "; ".join(parts) + " (figures/outlier_fits)."


def describe_sparse_same(claim, records):
    a, b = ({r["seed"]: r for r in finished(records, claim.task, p)} for p in (claim.a, claim.b))
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return f"not measured (no seed with both `{claim.a}` and `{claim.b}` finished)."
    first = [abs(a[s]["history"][0]["train_loss"] - b[s]["history"][0]["train_loss"]) for s in seeds]
    loss = [
        max(abs(x["train_loss"] - y["train_loss"]) for x, y in zip(a[s]["history"], b[s]["history"])) for s in seeds
    ]
    accuracy = [abs(a[s]["final"]["accuracy"] - b[s]["final"]["accuracy"]) for s in seeds]
    same = sum(d == 0 for d in accuracy)
    epochs = len(a[seeds[0]]["history"]) - 1
    if max(loss) == 0 and same == len(seeds):
        how = (
            "bit for bit: the same initial weights give the same training loss at every epoch and the same final "
            "test accuracy"
        )
    else:
        how = (
            f"the untrained models' training losses differ by at most {max(first):.1e}, the training losses over "
            f"{epochs} epochs by at most {max(loss):.1e}, and the final test accuracies are equal in {same} of "
            f"{len(seeds)} seeds (largest difference {fmt(max(accuracy))}): rounding differences that training "
            "carries along"
        )
    return (
        f"Over {len(seeds)} seeds of {epochs} epochs, `{claim.a}` and `{claim.b}` agree {how}. "
        "The equivalence test is the claim above."
    )
