"""Plots of trained runs: learning curves, final metrics, activation x loss grids, reliability.

Each plotting function returns a matplotlib figure; `plot_jobs` gives the report one job per figure, which saves
it as PNG and PDF.
"""

from functools import partial
from pathlib import Path

import matplotlib.colors
import numpy as np
from scipy import stats

from experiments.analysis.plots import print_check
from experiments.analysis.plots.files import in_panels, legend, pairing_colour, plt, provenance, saving
from experiments.analysis.plots.print_check import REFERENCE, text_colour
from experiments.analysis.wording import TASK_TITLES, figure_title
from experiments.pairings import task_pairings
from experiments.tasks import get_task


def _curves(recs, pairing, key):
    """Epoch -> values over seeds of `key` (a callable on a history row)."""
    by_seed = [[key(row) for row in r["history"]] for r in recs if r["pairing"] == pairing and r["status"] == "ok"]
    if not by_seed:
        return None
    length = min(len(c) for c in by_seed)
    return np.array([c[:length] for c in by_seed], dtype="float64")


def _post_last(task, recs=()):
    """The task's pairings with the post's last, so that it is drawn on top."""
    specs = task_pairings(task, recs)
    return sorted(specs.items(), key=lambda item: item[1].documented)


def _band(values):
    """The mean over seeds (rows) epoch by epoch, and its 95% t interval (NaN where one seed)."""
    mean = np.nanmean(values, axis=0)
    n = np.sum(np.isfinite(values), axis=0)
    if len(values) < 2:
        return mean, mean * np.nan, mean * np.nan
    half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * np.nanstd(values, axis=0, ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def learning_curves(recs, task, headline):
    """Training loss (as a share of its epoch-0 value) and the test headline metric per epoch: the mean over seeds
    with its 95% t interval, at most five pairings a row of panels, the post's pairing in every row."""
    specs = dict(_post_last(task, recs))
    drawn = [p for p in specs if _curves(recs, p, lambda row: row["train_loss"]) is not None]
    post = next((p for p in drawn if specs[p].documented), None)
    rows = in_panels(drawn, post)
    fig, axes = plt.subplots(len(rows), 2, figsize=(11, 2.9 * len(rows) + 0.8), squeeze=False)
    # Each pairing's own loss, as a share of its value before training: one quantity on the axis,
    # where the losses themselves (BCE, MSE, hinge) are on different scales.
    panels = [
        ("training loss / its value at epoch 0", lambda row: row["train_loss"]),
        (f"test {headline}", lambda row: row["test"].get(headline)),
    ]
    for row_axes, names in zip(axes, rows):
        for ax, (label, key) in zip(row_axes, panels):
            shown = []  # the means drawn: the axis is fitted to them, so that one wide band squashes no curve
            for pairing in names:
                spec = specs[pairing]
                values = _curves(recs, pairing, key)
                if label.startswith("training loss"):
                    values = values / values[:, :1]
                epochs = np.arange(values.shape[1])
                mean, low, high = _band(values)
                if label.startswith("test") and headline in ("accuracy", "mean_ap"):  # a bounded metric's band
                    low, high = np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)
                (line,) = ax.plot(
                    epochs,
                    mean,
                    lw=2.6 if spec.documented else 1.4,
                    color=pairing_colour(pairing, spec.documented),
                    zorder=10 if spec.documented else 2,
                    label=pairing + (" (post)" if spec.documented else ""),
                )
                ax.fill_between(epochs, low, high, color=line.get_color(), alpha=0.15, lw=0)
                shown.append(mean[np.isfinite(mean)])
            values = np.concatenate(shown) if shown else np.array([0.0, 1.0])
            if values.size:
                pad = 0.08 * max(values.max() - values.min(), 1e-3)
                ax.set_ylim(values.min() - pad, values.max() + pad)
            ax.set_xlabel("epoch (0 = before training)")
            ax.set_ylabel(label)
        legend(row_axes[1])
    title = "learning curves, mean over seeds, band = its 95% t interval"
    fig.suptitle(figure_title(task, recs, title + (", the post's pairing in every row" if len(rows) > 1 else "")))
    return fig


def final_metric(summary, recs, task, headline):
    fig, ax = plt.subplots(figsize=(8, max(3.2, 0.45 * len(summary) + 1.5)))
    for i, (_, row) in enumerate(summary.iterrows()):
        points = [
            r["final"][headline]
            for r in recs
            if r["pairing"] == row.pairing and r["status"] == "ok" and r["final"].get(headline) is not None
        ]
        ax.scatter(points, [i] * len(points), color="grey", s=14, zorder=2)
        mean = row[f"{headline}_mean"]
        if np.isfinite(row[f"{headline}_ci_low"]):
            ax.errorbar(
                mean,
                i,
                # max(0, ...): seeds that all score the same give an interval equal to the mean up to rounding
                xerr=[[max(0.0, mean - row[f"{headline}_ci_low"])], [max(0.0, row[f"{headline}_ci_high"] - mean)]],
                fmt="o",
                color=pairing_colour(row.pairing, row.documented),
                capsize=3,
                zorder=3,
            )
        elif np.isfinite(mean):
            ax.plot(mean, i, "o", color=pairing_colour(row.pairing, row.documented))
    ax.set_yticks(
        range(len(summary)), [p + (" (post)" if d else "") for p, d in zip(summary.pairing, summary.documented)]
    )
    ax.invert_yaxis()
    ax.set_ylabel("pairing")
    ax.set_xlabel(f"final test {headline} (points: seeds; bar: 95% CI of the mean)")
    ax.set_title(figure_title(task, recs, f"final test {headline}"))
    return fig


def loss_label(spec):
    """The loss of a pairing as the grid shows it: its name, whether it was told it gets logits, and any other
    argument (label smoothing, class balancing), so that no two pairings share a cell."""
    kwargs = {k: v for k, v in spec.loss_kwargs.items() if k != "from_logits"}
    extra = f" ({', '.join(f'{k}={v}' for k, v in sorted(kwargs.items()))})" if kwargs else ""
    return spec.loss + (" (from logits)" if spec.loss_kwargs.get("from_logits") else "") + extra


def activation_loss_grid(summary, task, headline, recs=()):
    """Mean headline metric per activation (rows) and loss (columns). Where the arms differ in the
    body's activation (the hidden-activation tasks), the rows are that, and the head is named per column.
    `recs`: the records, whose composed pairings the summary may hold."""
    specs = task_pairings(task, recs)
    hidden = any(s.hidden_activation for s in specs.values())

    def row_of(spec):
        return spec.hidden_activation if hidden else spec.activation

    def column_of(spec):
        return f"{spec.activation} head, {loss_label(spec)}" if hidden else loss_label(spec)

    acts = sorted({row_of(specs[p]) for p in summary.pairing})
    losses = sorted({column_of(specs[p]) for p in summary.pairing})
    grid = np.full((len(acts), len(losses)), np.nan)
    for _, row in summary.iterrows():
        spec = specs[row.pairing]
        grid[acts.index(row_of(spec)), losses.index(column_of(spec))] = row[f"{headline}_mean"]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(losses) + 2), max(3.6, 0.8 * len(acts) + 2)))
    # a pairing this task does not have: grey, with a dash
    cmap = plt.get_cmap("viridis_r" if headline == "mse" else "viridis").with_extremes(bad="lightgrey")
    # A regression's MSE spans orders of magnitude where a head cannot reach the targets: a log scale.
    low, high = print_check.colour_range(grid)
    log = headline == "mse" and low > 0
    norm = matplotlib.colors.LogNorm(low, high) if log else matplotlib.colors.Normalize(low, high)
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, aspect="auto", norm=norm)
    for (i, j), value in np.ndenumerate(grid):
        ax.text(
            j,
            i,
            "—" if np.isnan(value) else f"{value:.3f}",
            ha="center",
            va="center",
            color=text_colour(image.to_rgba(value) if np.isfinite(value) else cmap.get_bad()),
            fontsize=9,
        )
    ax.set_xticks(range(len(losses)), losses, rotation=20)
    ax.set_yticks(range(len(acts)), acts)
    ax.set_xlabel("loss")
    ax.set_ylabel("hidden activation" if hidden else "output activation")
    fig.colorbar(image, ax=ax, label=f"mean test {headline}" + (", log scale" if log else ""))
    low, high = int(summary.n_seeds.min()), int(summary.n_seeds.max())
    seeds = f"{low} seeds" if low == high else f"{low}-{high} seeds per cell"
    ax.set_title(f"{TASK_TITLES.get(task, task)}: activation x loss, mean of {seeds}")
    return fig


def _reliability_points(recs, pairing):
    """(confidence, accuracy) per bin with test images, pooled over the pairing's seeds; None if none measured."""
    ok = [r for r in recs if r["pairing"] == pairing and r["status"] == "ok"]
    tables = [r["calibration"] for r in ok if r.get("calibration")]
    if not tables:
        return None
    counts = np.sum([t["count"] for t in tables], axis=0)

    def pooled(key):
        return np.nansum([np.nan_to_num(np.array(t[key], dtype=float)) * np.array(t["count"]) for t in tables], axis=0)

    keep = counts > 0
    return pooled("confidence")[keep] / counts[keep], pooled("accuracy")[keep] / counts[keep]


def reliability_diagram(recs, task):
    """Accuracy against confidence per bin, test sets pooled over seeds: a panel per five pairings, the post's
    pairing in every panel, the diagonal (perfect calibration) in each."""
    specs = dict(_post_last(task, recs))
    points = {p: found for p in specs if (found := _reliability_points(recs, p)) is not None}
    post = next((p for p in points if specs[p].documented), None)
    panels = in_panels(list(points), post)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels) + 1.6, 5.2), squeeze=False, sharey=True)
    for ax, names in zip(axes[0], panels):
        ax.plot([0, 1], [0, 1], "k:", lw=1, label="perfect calibration", gid=REFERENCE)
        for pairing in names:
            spec = specs[pairing]
            ax.plot(
                *points[pairing],
                "o-",
                lw=2.4 if spec.documented else 1.2,
                ms=3,
                zorder=10 if spec.documented else 2,
                color=pairing_colour(pairing, spec.documented),
                label=pairing + (" (post)" if spec.documented else ""),
            )
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("confidence of the predicted class")
        ax.set_ylabel("accuracy")
        legend(ax, loc="upper left", bbox_to_anchor=(0.0, -0.16))
    fig.suptitle(figure_title(task, recs, "reliability, test sets pooled over seeds"), fontsize=10)
    return fig


def plot_jobs(recs, summaries, folder):
    """One job per figure of each task (`files.saving`): learning curves, final metric, activation x loss grid and,
    for classifiers, reliability diagram; the report's worker processes run them."""
    folder = Path(folder)
    jobs = []
    for task, summary in summaries.items():
        task_recs = [r for r in recs if r["task"] == task]
        headline, label = summary.attrs["headline"], provenance(task_recs)
        jobs += [
            saving(partial(learning_curves, task_recs, task, headline), folder, f"learning_curves_{task}", label),
            saving(partial(final_metric, summary, task_recs, task, headline), folder, f"final_{task}", label),
            saving(partial(activation_loss_grid, summary, task, headline, recs), folder, f"grid_{task}", label),
        ]
        if get_task(task).kind in ("binary", "multiclass"):
            jobs.append(saving(partial(reliability_diagram, task_recs, task), folder, f"reliability_{task}", label))
    return jobs
