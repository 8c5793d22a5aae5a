"""Figures of the measured mechanisms: output gradients in training, the outlier fits, and the
gradients and never-active units through the body for each hidden activation."""

import warnings

import numpy as np

from experiments.analysis.claims.hidden_layers import HIDDEN_TASKS, layer_norms, layer_probe
from experiments.analysis.claims.mechanisms import closed_form_fits, fitted_line, probe_points, probe_series, probed
from experiments.analysis.plots.files import plt, provenance, save
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
    """Mean |dL/dz| on wrong and correct probe images, and the saturated-wrong share, per epoch and pairing."""
    pairings = [p for p in task_pairings(task) if probed(recs, task, p)]
    if not pairings:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    for pairing in pairings:
        runs = probed(recs, task, pairing)
        length = min(len(r["history"]) for r in runs)
        with warnings.catch_warnings():  # an epoch with no wrong (or no correct) probe image is NaN: a gap
            warnings.simplefilter("ignore", RuntimeWarning)
            wrong = np.nanmean([probe_series(r, "grad_wrong")[:length] for r in runs], axis=0)
            correct = np.nanmean([probe_series(r, "grad_correct")[:length] for r in runs], axis=0)
            saturated = np.nanmean([probe_series(r, "saturated_wrong_share")[:length] for r in runs], axis=0)
        (line,) = axes[0].plot(wrong, lw=1.8, label=f"{pairing}: wrong")
        axes[0].plot(correct, lw=1.0, ls="--", color=line.get_color(), label=f"{pairing}: correct")
        axes[1].plot(100 * saturated, lw=1.5, color=line.get_color(), label=pairing)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("mean |dL/dz| on probe images (log)")
    axes[0].set_title("gradient at the output pre-activation")
    axes[1].set_ylabel("% of wrong probe images with p(true) < 0.01")
    axes[1].set_title("saturated on the wrong side")
    for ax in axes:
        ax.set_xlabel("epoch (0 = before training)")
        ax.legend(fontsize=7)
    fig.suptitle(figure_title(task, recs, "output gradients on 512 fixed training images, means"))
    fig.tight_layout()
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
    fig.tight_layout()
    return fig


def outlier_fits(recs, task="sepal_width_outliers"):
    """The corrupted training rows, the clean test rows, each loss's fitted line and the closed-form lines."""
    runs = [r for r in recs if r["task"] == task and r["status"] == "ok"]
    if not runs:
        return None
    data = runs[0]["config"]["data"]
    fits, split = closed_form_fits(task, data)
    fig, ax = plt.subplots(figsize=(7.5, 5))
    x, y = split.x_train.reshape(-1), split.y_train.reshape(-1)
    clean = y == iris.sepal_split(data["test_fraction"], data["split_seed"]).y_train.reshape(-1)
    ax.scatter(x[clean], y[clean], s=10, color="grey", label="training rows")
    ax.scatter(x[~clean], y[~clean], s=14, color="red", label="training rows moved +3 cm")
    ax.scatter(split.x_test.reshape(-1), split.y_test.reshape(-1), s=12, marker="x", color="k", label="clean test rows")
    grid = np.linspace(x.min(), x.max(), 2)
    for pairing in task_pairings(task):
        lines = np.array(
            [line for r in runs if r["pairing"] == pairing and (line := fitted_line(r, split)) is not None]
        )
        if len(lines):
            slope, intercept = lines.mean(axis=0)
            ax.plot(grid, slope * grid + intercept, lw=2, label=f"{pairing} (mean of {len(lines)} seeds)")
    for name, (slope, intercept) in fits.items():
        ax.plot(grid, slope * grid + intercept, lw=1, ls="--", label=name)
    ax.set_xlabel("Sepal.Length (cm)")
    ax.set_ylabel("Sepal.Width (cm)")
    ax.set_title("Outliers pull the MSE line; MAE and Huber stay with the bulk")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def layer_gradients(recs, task):
    """Per layer and arm: kernel-gradient norms at epoch 0, 1 and the end, and never-active units at the end."""
    arms = {
        p: [r for r in recs if r["pairing"] == p and r["status"] == "ok" and r.get("layer_probe")]
        for p in task_pairings(task)
    }
    arms = {p: runs for p, runs in arms.items() if runs}
    if not arms:
        return None
    last = max(int(e) for runs in arms.values() for r in runs for e in r["layer_probe"]["epochs"])
    fig, axes = plt.subplots(1, 4, figsize=(19, 4.4))
    for ax, epoch in zip(axes, ("0", "1", None)):
        for pairing, runs in arms.items():
            labels, norms = layer_norms(runs, epoch)
            if labels is not None:
                ax.plot(range(len(labels)), norms, marker="o", ms=3, lw=1.5, label=pairing.removesuffix("_body"))
        ax.set_xticks(range(len(labels)), labels, rotation=45, fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("kernel-gradient norm (log; geometric mean over seeds)")
        ax.set_title(f"epoch {epoch if epoch is not None else last}" + (" (before training)" if epoch == "0" else ""))
        ax.legend(fontsize=7)
    for pairing, runs in arms.items():
        off = np.mean([layer_probe(r)["never_active"] for r in runs], axis=0)
        axes[3].plot(range(len(off)), 100 * off, marker="o", ms=3, lw=1.5, label=pairing.removesuffix("_body"))
    axes[3].set_xticks(range(len(labels) - 1), labels[:-1], rotation=45, fontsize=7)
    axes[3].set_ylabel("% of units never active on the probe set")
    axes[3].set_title(f"never-active units, epoch {last} (ReLU: dead)")
    axes[3].legend(fontsize=7)
    seeds = min(len(runs) for runs in arms.values())
    fig.suptitle(f"{TASK_TITLES.get(task, task)}: 512 fixed training images, {seeds}+ seeds per arm")
    fig.tight_layout()
    return fig


def write_mechanism_plots(recs, folder):
    written = []
    for task in PROBED_TASKS:
        task_recs = [r for r in recs if r["task"] == task]
        fig = output_gradients(task_recs, task)
        if fig is not None:
            written += save(fig, folder, f"output_gradients_{task}", provenance(task_recs))
    scatters = (("bird_plane_saturated", "gradient_scatter"), ("bird_plane_saturated_sgd", "gradient_scatter_sgd"))
    for task, name in scatters:
        task_recs = [r for r in recs if r["task"] == task]
        fig = gradient_scatter(task_recs, task)
        if fig is not None:
            written += save(fig, folder, name, provenance(task_recs))
    task_recs = [r for r in recs if r["task"] == "sepal_width_outliers"]
    fig = outlier_fits(task_recs)
    if fig is not None:
        written += save(fig, folder, "outlier_fits", provenance(task_recs))
    for task in HIDDEN_TASKS:
        task_recs = [r for r in recs if r["task"] == task]
        fig = layer_gradients(task_recs, task)
        if fig is not None:
            written += save(fig, folder, f"layer_gradients_{task}", provenance(task_recs))
    return written
