"""Figure titles in words: each task's name as a reader knows it, and how many seeds a figure shows."""

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


def figure_title(task, recs, what):
    """ "<the task in words>: <what>, <n> seeds" for a figure drawn from `recs` of `task`."""
    seeds = len({r["seed"] for r in recs if r["task"] == task})
    return f"{TASK_TITLES.get(task, task)}: {what}, {seeds} seed{'s' if seeds != 1 else ''}"
