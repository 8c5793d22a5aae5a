"""The atlas's heat map: every output activation x loss form of a task, each cell labelled with its score
or with why it has none."""

import matplotlib
import numpy as np

from experiments.analysis.plots import print_check
from experiments.analysis.plots.files import plt
from experiments.analysis.plots.print_check import contrast, text_colour  # noqa: F401 (the heat maps' ink)
from experiments.analysis.wording import TASK_TITLES, fmt
from experiments.composition import LOSS_FORMS, OUTPUT_ACTIVATIONS
from experiments.pairings import documented_pairing
from experiments.tasks import get_task
from experiments.training.metrics import HEADLINE, LOWER_IS_BETTER, RANKING


def _label(cell, kind):
    if cell.kind_of_cell == "refused":
        return "refused\nby Keras"
    if cell.kind_of_cell == "no finished seed":
        return "no finished\nseed"
    if cell.kind_of_cell == "diverged":
        return "diverged"
    text = fmt(cell.ranking, 2) if not abs(cell.ranking) >= 1e4 else f"{cell.ranking:.1e}"  # a blow-up fits its cell
    if kind in ("binary", "multiclass"):
        text += f"\nacc {fmt(cell.headline, 2)}"
    return text + {"at chance": "\n(chance)", "ranks, misread": "\n(misread)"}.get(cell.kind_of_cell, "")


def score_name(kind):
    """The threshold-free score the atlas judges a task's cells on."""
    return {"regression": "MSE", "binary": "ROC AUC", "multiclass": "macro AUC", "multilabel": "mean AP"}[kind]


def heat_map(task, cells, seeds, epochs):
    """A rows-by-activation, columns-by-loss-form figure with every cell labelled."""
    kind = get_task(task).kind
    headline = RANKING.get(kind, HEADLINE[kind])
    grid = np.full((len(OUTPUT_ACTIVATIONS), len(LOSS_FORMS)), np.nan)
    by_position = {(c.activation, c.loss_form): c for c in cells}
    fig, ax = plt.subplots(figsize=(17, 5.2))
    for i, activation in enumerate(OUTPUT_ACTIVATIONS):
        for j, form in enumerate(LOSS_FORMS):
            cell = by_position[(activation, form)]
            if cell.kind_of_cell in ("learns", "ranks, misread", "at chance"):
                grid[i, j] = cell.ranking
    better = "lower" if headline in LOWER_IS_BETTER else "higher"
    cmap = plt.get_cmap("viridis_r" if headline in LOWER_IS_BETTER else "viridis").with_extremes(bad="lightgrey")
    # A regression's MSE spans orders of magnitude (a head that cannot reach the widths): a log scale.
    low, high = print_check.colour_range(grid)
    log = kind == "regression" and low > 0 and high / low > 100
    norm = matplotlib.colors.LogNorm(low, high) if log else matplotlib.colors.Normalize(low, high)
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, aspect="auto", norm=norm)
    post = documented_pairing(task)
    for i, activation in enumerate(OUTPUT_ACTIVATIONS):
        for j, form in enumerate(LOSS_FORMS):
            cell = by_position[(activation, form)]
            bold = cell.pairing == post.name
            ink = text_colour(image.to_rgba(grid[i, j]) if np.isfinite(grid[i, j]) else cmap.get_bad())
            ax.text(
                j,
                i,
                _label(cell, kind),
                ha="center",
                va="center",
                fontsize=6.5,
                color=ink,
                weight="bold" if bold else "normal",
            )
    short = [
        f.replace("binary_focal_crossentropy", "binary_focal").replace("(from_logits=true)", "\n(logits)")
        for f in LOSS_FORMS
    ]
    ax.set_xticks(range(len(LOSS_FORMS)), short)
    ax.set_yticks(range(len(OUTPUT_ACTIVATIONS)), list(OUTPUT_ACTIVATIONS))
    ax.tick_params(axis="x", labelsize=7, rotation=60)
    ax.set_xlabel('loss ("(logits)": from_logits=True)')
    ax.set_ylabel("output activation")
    fig.colorbar(
        image,
        ax=ax,
        label=f"test {score_name(kind)}, mean of {seeds} seeds ({better} is better){', log scale' if log else ''}",
    )
    ax.set_title(
        f"{TASK_TITLES.get(task, task)}: every output activation x loss, {seeds} seeds, {epochs} epochs "
        f"(bold: the post's pairing, {post.name}; grey: no number, with the reason)",
        fontsize=9,
    )
    return fig
