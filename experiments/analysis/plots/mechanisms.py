"""Figures of the measured mechanisms: output gradients in training, the outlier fits, and the
gradients and never-active units through the body for each hidden activation."""

import warnings
from functools import partial

import numpy as np

from experiments.analysis.claims.hidden_layers import HIDDEN_TASKS, layer_norms, layer_probe
from experiments.analysis.claims.mechanisms import closed_form_fits, fitted_line, probe_points, probe_series, probed
from experiments.analysis.plots.files import in_panels, legend, pairing_colour, plt, provenance, saving
from experiments.analysis.plots.print_check import REFERENCE
from experiments.analysis.wording import TASK_TITLES, figure_title
from experiments.data import iris
from experiments.pairings import task_pairings

PROBED_TASKS = ("bird_plane_saturated", "bird_plane_saturated_sgd", "bird_plane", "cifar10", *HIDDEN_TASKS)


def _sigmoid(m):
    return 1.0 / (1.0 + np.exp(-m))


# |dL/dz| against the margin m (z signed towards the true class) for one sigmoid unit, with the
# suite's losses: BCE -> 1 - s(m); MSE ((s - y)^2) -> 2 s(m) (1 - s(m))^2.
ANALYTIC = {
    "bce": ("cross-entropy: 1 - s(m)", lambda m: 1 - _sigmoid(m)),
    "mse": ("MSE: 2 s(m) (1 - s(m))^2", lambda m: 2 * _sigmoid(m) * (1 - _sigmoid(m)) ** 2),
}


def output_gradients(recs, task):
    """Mean |dL/dz| on wrong and on correct probe images, and the saturated-wrong share, per epoch and pairing: a
    row of three panels per five pairings, the post's pairing in every row."""
    specs = task_pairings(task)
    pairings = [p for p in specs if probed(recs, task, p)]
    if not pairings:
        return None
    post = next((p for p in pairings if specs[p].documented), None)
    rows = in_panels(pairings, post)
    fig, axes = plt.subplots(len(rows), 3, figsize=(14, 3.1 * len(rows) + 0.8), squeeze=False)
    for row_axes, names in zip(axes, rows):
        for pairing in names:
            runs = probed(recs, task, pairing)
            length = min(len(r["history"]) for r in runs)
            with warnings.catch_warnings():  # an epoch with no wrong (or no correct) probe image is NaN: a gap
                warnings.simplefilter("ignore", RuntimeWarning)
                series = [
                    np.nanmean([probe_series(r, key)[:length] for r in runs], axis=0)
                    for key in ("grad_wrong", "grad_correct", "saturated_wrong_share")
                ]
            series[2] = 100 * series[2]
            style = {
                "lw": 2.4 if specs[pairing].documented else 1.4,
                "color": pairing_colour(pairing, specs[pairing].documented),
                "zorder": 10 if specs[pairing].documented else 2,
                "label": pairing + (" (post)" if specs[pairing].documented else ""),
            }
            for ax, values in zip(row_axes, series):
                ax.plot(values, **style)
        for ax, (label, title) in zip(
            row_axes,
            (
                ("mean |dL/dz| (log)", "wrong probe images"),
                ("mean |dL/dz| (log)", "correct probe images"),
                ("% with p(true) < 0.01", "wrong and saturated"),
            ),
        ):
            ax.set_xlabel("epoch (0 = before training)")
            ax.set_ylabel(label)
            ax.set_title(title, fontsize=9)
        row_axes[0].set_yscale("log")
        row_axes[1].set_yscale("log")
        legend(row_axes[2])
    title = "gradient at the output pre-activation on 512 fixed training images, means"
    fig.suptitle(figure_title(task, recs, title))
    return fig


def gradient_scatter(recs, task="bird_plane_saturated", seed=0):
    """Measured |dL/dz| against the margin, per probe image, at epoch 0 and at the end; analytic curve over it."""
    pairings = [
        p
        for p, spec in task_pairings(task).items()
        if spec.units == 1 and any(r["seed"] == seed for r in probed(recs, task, p))
    ]
    if not pairings:
        return None
    fig, axes = plt.subplots(1, len(pairings), figsize=(4.6 * len(pairings), 4.2), squeeze=False)
    grid = np.linspace(-8, 8, 400)
    for ax, pairing in zip(axes[0], pairings):
        spec = task_pairings(task)[pairing]
        record = next(r for r in probed(recs, task, pairing) if r["seed"] == seed)
        for when, colour in (("epoch_0", "grey"), ("final", "tab:blue")):
            points = probe_points(record, when)
            if points is not None:
                label = "epoch 0" if when == "epoch_0" else f"epoch {len(record['history']) - 1}"
                ax.scatter(points[0], points[1], s=6, alpha=0.5, color=colour, label=label)
        name, curve = ANALYTIC["bce" if spec.loss == "bce" else "mse"]
        ax.plot(grid, curve(grid), color="k", lw=1.2, label=f"analytic, {name}")
        ax.axvspan(-8, 0, color="red", alpha=0.06)
        ax.set_yscale("log")
        ax.set_ylim(1e-6, 2)
        ax.set_xlim(-8, 8)
        ax.set_xlabel("margin m: z signed towards the true class (< 0: wrong)")
        ax.set_ylabel("|dL/dz| per image")
        ax.set_title(pairing)
        ax.legend(fontsize=7, loc="lower left")
    fig.suptitle(f"{TASK_TITLES.get(task, task)}, seed {seed} (one seed): each dot one probe image")
    return fig


def outlier_fits(recs, task="sepal_width_outliers"):
    """The corrupted training rows and the clean test rows, twice: on the left each loss's fitted line (the mean of
    its seeds), on the right the closed-form lines on the same rows; the clean rows' own line on both."""
    runs = [r for r in recs if r["task"] == task and r["status"] == "ok"]
    if not runs:
        return None
    data = runs[0]["config"]["data"]
    fits, split = closed_form_fits(task, data)
    reference = "least squares on the clean test rows"
    fig, axes = plt.subplots(1, 2, figsize=(15, 4.8), sharex=True, sharey=True)
    x, y = split.x_train.reshape(-1), split.y_train.reshape(-1)
    clean = y == iris.sepal_split(data["test_fraction"], data["split_seed"]).y_train.reshape(-1)
    grid = np.linspace(x.min(), x.max(), 2)
    for ax in axes:
        ax.scatter(x[clean], y[clean], s=10, color="grey", label="training rows")
        ax.scatter(x[~clean], y[~clean], s=14, color="red", label="training rows moved +3 cm")
        ax.scatter(split.x_test.reshape(-1), split.y_test.reshape(-1), s=12, marker="x", color="k", label="test rows")
        slope, intercept = fits[reference]
        ax.plot(grid, slope * grid + intercept, color="k", lw=1, ls=":", label=reference, gid=REFERENCE)
        ax.set_xlabel("Sepal.Length (cm)")
        ax.set_ylabel("Sepal.Width (cm)")
    for pairing, spec in task_pairings(task).items():
        lines = np.array(
            [line for r in runs if r["pairing"] == pairing and (line := fitted_line(r, split)) is not None]
        )
        if len(lines):
            slope, intercept = lines.mean(axis=0)
            colour = pairing_colour(pairing, spec.documented)
            axes[0].plot(grid, slope * grid + intercept, lw=2, color=colour, label=f"{pairing} ({len(lines)} seeds)")
    for name, (slope, intercept) in fits.items():
        if name != reference:
            axes[1].plot(grid, slope * grid + intercept, lw=1.5, ls="--", label=f"{name}, on the training rows")
    axes[0].set_title("trained: each loss's line, mean over seeds", fontsize=9)
    axes[1].set_title("closed form on the same training rows", fontsize=9)
    for ax in axes:
        legend(ax)
    fig.suptitle("Outliers pull the MSE line; MAE and Huber stay with the bulk")
    return fig


def layer_gradients(recs, task):
    """Per layer and arm: kernel-gradient norms at epoch 0, 1 and the end, and never-active units at the end; a row
    of four panels per five arms, the post's arm in every row."""
    specs = task_pairings(task)
    arms = {p: [r for r in recs if r["pairing"] == p and r["status"] == "ok" and r.get("layer_probe")] for p in specs}
    arms = {p: runs for p, runs in arms.items() if runs}
    if not arms:
        return None
    last = max(int(e) for runs in arms.values() for r in runs for e in r["layer_probe"]["epochs"])
    post = next((p for p in arms if specs[p].documented), None)
    rows = in_panels(list(arms), post)
    fig, axes = plt.subplots(len(rows), 4, figsize=(19, 3.9 * len(rows) + 0.8), squeeze=False)
    for row_axes, names in zip(axes, rows):
        for pairing in names:
            runs = arms[pairing]
            style = {
                "marker": "o",
                "ms": 3,
                "lw": 2.4 if specs[pairing].documented else 1.4,
                "color": pairing_colour(pairing, specs[pairing].documented),
                "zorder": 10 if specs[pairing].documented else 2,
                "label": pairing.removesuffix("_body") + (" (post)" if specs[pairing].documented else ""),
            }
            for ax, epoch in zip(row_axes, ("0", "1", None)):
                labels, norms = layer_norms(runs, epoch)
                if labels is not None:
                    ax.plot(range(len(labels)), norms, **style)
                    ax.set_xticks(range(len(labels)), labels, rotation=45, fontsize=7)
            off = np.mean([layer_probe(r)["never_active"] for r in runs], axis=0)
            row_axes[3].plot(range(len(off)), 100 * off, **style)
            names_of_layers = runs[0]["layer_probe"]["layers"][: len(off)]
            row_axes[3].set_xticks(range(len(off)), names_of_layers, rotation=45, fontsize=7)
        for ax, epoch in zip(row_axes, ("0", "1", None)):
            ax.set_yscale("log")
            ax.set_xlabel("layer")
            ax.set_ylabel("kernel-gradient norm (log)")
            before = " (before training)" if epoch == "0" else ""
            ax.set_title(f"epoch {epoch if epoch is not None else last}{before}")
        row_axes[3].set_xlabel("layer")
        row_axes[3].set_ylabel("% of units never active")
        row_axes[3].set_title(f"never-active units, epoch {last} (ReLU: dead)")
        legend(row_axes[3])
    seeds = min(len(runs) for runs in arms.values())
    fig.suptitle(
        f"{TASK_TITLES.get(task, task)}: 512 fixed training images, geometric mean over {seeds}+ seeds per arm"
    )
    return fig


def mechanism_jobs(recs, folder):
    """One job per figure (`files.saving`): output gradients, layer gradients, gradient scatters and outlier fits,
    each drawn where the records can show it (a job with nothing to draw writes nothing), the costliest (many
    log-scaled panels) first; the report's worker processes run them."""
    figures = (
        [(output_gradients, task, f"output_gradients_{task}") for task in PROBED_TASKS]
        + [(layer_gradients, task, f"layer_gradients_{task}") for task in HIDDEN_TASKS]
        + [
            (gradient_scatter, "bird_plane_saturated", "gradient_scatter"),
            (gradient_scatter, "bird_plane_saturated_sgd", "gradient_scatter_sgd"),
            (outlier_fits, "sepal_width_outliers", "outlier_fits"),
        ]
    )
    jobs = []
    for draw, task, name in figures:
        task_recs = [r for r in recs if r["task"] == task]
        jobs.append(saving(partial(draw, task_recs, task), folder, name, provenance(task_recs)))
    return jobs
