"""Wording shared by the report, the tables and the figures: numbers as text, each task's name in words."""

import numpy as np

from experiments.tasks import NOISE_TASKS, SHARE_TASKS, TASKS


def fmt(value, digits=3):
    """A number for a table or sentence: `digits` decimals, "n/a" when missing or not finite."""
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def p_value(p, digits=4):
    """A p value for a table: `digits` decimals, "< 0.0001" below the smallest it can show, "" when missing."""
    if p is None:
        return ""
    return f"< {10**-digits:.{digits}f}" if np.isfinite(p) and p < 10**-digits else fmt(p, digits)


TASK_TITLES = {
    "sepal_width": "Iris sepal width from sepal length (regression)",
    "sepal_width_fitted": "Iris sepal width, trained to its loss's optimum",
    "sepal_width_outliers": "Iris sepal width with 10% of training targets moved +3 cm",
    "bird_plane": "Bird vs airplane (binary CNN)",
    "bird_plane_saturated": "Bird vs airplane from a saturated start (Adam)",
    "bird_plane_saturated_sgd": "Bird vs airplane from a saturated start (plain SGD)",
    "bird_plane_hidden": "Bird vs airplane, hidden activation swept",
    "bird_plane_deep": "Bird vs airplane, 9 hidden layers, hidden activation swept",
    "cifar10": "CIFAR-10, 10 classes (softmax CNN)",
    "cifar10_hidden": "CIFAR-10, hidden activation swept",
    "multilabel": "CIFAR-10 mosaics, several objects per image (multi-label)",
}
TASK_TITLES |= {  # the conditions' own tasks (the clean ones are above)
    **{
        n: f"CIFAR-10 with {eta:.0%} symmetric label noise in training"
        for eta, n in NOISE_TASKS.items()
        if TASKS[n].base
    },
    **{n: f"Bird vs airplane with {s:.0%} planes in training" for s, n in SHARE_TASKS.items() if TASKS[n].base},
}


def figure_title(task, recs, what):
    """ "<the task in words>: <what>, <n> seeds" for a figure drawn from `recs` of `task`; where its pairings
    have different numbers of finished seeds, "<low>-<high> seeds per pairing" (true of every row)."""
    per_pairing = {}
    for r in recs:
        if r["task"] == task and r.get("status") == "ok":
            per_pairing.setdefault(r["pairing"], set()).add(r["seed"])
    counts = sorted({len(s) for s in per_pairing.values()}) or [0]
    if len(counts) == 1:
        return f"{TASK_TITLES.get(task, task)}: {what}, {counts[0]} seed{'s' if counts[0] != 1 else ''}"
    return f"{TASK_TITLES.get(task, task)}: {what}, {counts[0]}-{counts[-1]} seeds per pairing"
