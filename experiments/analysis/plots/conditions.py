"""The conditions' figures: test accuracy against the label-noise rate per loss, and balanced accuracy against
the share of positives. Each point is the mean over seeds with its 95% Student t interval; every number comes
from the records (clean points from the clean task's records of the same pairings)."""

from functools import partial

import numpy as np

from experiments.analysis.claims.claim_metrics import run_value
from experiments.analysis.evidence import stats
from experiments.analysis.plots.files import legend, pairing_colour, plt, provenance, saving
from experiments.analysis.wording import TASK_TITLES
from experiments.pairings import documented_pairing
from experiments.tasks import NOISE_TASKS, SHARE_TASKS

NOISE_LOSSES = ("softmax+sparse_cce", "softmax+mae", "softmax+mse")
SHARE_LOSSES = ("sigmoid+bce", "sigmoid+focal_balanced")


def _points(recs, tasks, pairing, metric):
    """[(x, mean, low, high, seeds)] for each x whose task has finished runs of `pairing`."""
    out = []
    for x, task in sorted(tasks.items()):
        values = [run_value(r, metric) for r in recs if r["task"] == task and r["pairing"] == pairing]
        values = [v for v in values if v is not None and np.isfinite(v)]
        if values:
            mean, low, high = stats.t_interval(values)
            out.append((x, mean, low, high, len(values)))
    return out


def _line_plot(recs, tasks, pairings, metric, xlabel, ylabel, title):
    lines = {p: _points(recs, tasks, p, metric) for p in pairings}
    lines = {p: pts for p, pts in lines.items() if len(pts) >= 2}
    if not lines:
        return None
    fig, ax = plt.subplots(figsize=(7.2, 4.4))
    post = documented_pairing(next(iter(tasks.values()))).name  # black, as in every figure
    for pairing, pts in lines.items():
        x, mean, low, high, n = (np.array(v) for v in zip(*pts))
        yerr = np.vstack([mean - np.nan_to_num(low, nan=0.0), np.nan_to_num(high, nan=0.0) - mean])
        yerr = np.where(np.isfinite(low) & np.isfinite(high), yerr, 0.0)
        seeds = f"{n.min()} seeds" if n.min() == n.max() else f"{n.min()}-{n.max()} seeds"
        colour = pairing_colour(pairing, pairing == post)
        label = f"{pairing}{' (post)' if pairing == post else ''} ({seeds})"
        ax.errorbar(
            x,
            mean,
            yerr=yerr,
            marker="o",
            ms=4,
            capsize=3,
            lw=1.5,
            color=colour,
            label=label,
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    legend(ax, fontsize=8)
    return fig


def noise_curve(recs):
    """Test accuracy (clean test labels) against the symmetric label-noise rate of the training labels, per loss."""
    return _line_plot(
        recs,
        NOISE_TASKS,
        NOISE_LOSSES,
        "accuracy",
        "symmetric label noise on the training labels (share changed)",
        "test accuracy (clean test labels)",
        f"{TASK_TITLES['cifar10']}, symmetric label noise, per loss (Ghosh et al. 2017)",
    )


def imbalance_curve(recs):
    """Balanced accuracy on the (balanced) test set against the share of planes in the training set, per loss."""
    return _line_plot(
        recs,
        SHARE_TASKS,
        SHARE_LOSSES,
        "balanced_accuracy",
        "share of planes among the training images (0.5: the clean split, about half)",
        "test balanced accuracy",
        f"{TASK_TITLES['bird_plane']}, rare planes, per loss (Lin et al. 2017)",
    )


def condition_jobs(recs, folder):
    """One job per figure (`files.saving`): the label-noise and class-imbalance curves, each drawn where the records
    can show it; the report's worker processes run them."""
    jobs = []
    for name, fig_of, tasks in (
        ("noise_curve", noise_curve, NOISE_TASKS),
        ("imbalance_curve", imbalance_curve, SHARE_TASKS),
    ):
        used = [r for r in recs if r["task"] in tasks.values()]
        jobs.append(saving(partial(fig_of, used), folder, name, provenance(used)))
    return jobs
