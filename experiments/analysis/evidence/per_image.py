"""A run's test results image by image, from the outputs and targets its record holds.

For the bootstrap: accuracy is the mean of per-image correctness, MSE of per-image squared
errors; mean average precision is not a per-image mean, so it comes with a score function.
Records without per-image outputs (older ones) give None: the report then resamples seeds only.
"""

import numpy as np

from experiments.records import decode_array
from experiments.tasks import get_task
from experiments.training import decoding, metrics


def outputs_and_targets(record):
    if "test_outputs" not in record or "test_targets" not in record:
        return None
    return decode_array(record["test_outputs"]).astype("float64"), decode_array(record["test_targets"])


def probabilities(record):
    """(scores, targets) of the run's test images: regression predictions, or the ranking scores
    (`experiments.training.decoding.scores`: probabilities where the loss reads the outputs as such,
    else raw outputs); None without outputs."""
    found = outputs_and_targets(record)
    if found is None:
        return None
    outputs, targets = found
    kind = get_task(record["task"]).kind
    if kind == "regression":
        return outputs.reshape(-1), targets.reshape(-1)
    return decoding.scores(outputs, decoding.spec_read(record), kind), targets


def values(record, metric):
    """Per-image values whose mean is `metric`, or None (no outputs, or not a per-image mean).

    Accuracy follows the pairing's decision rule (`experiments.training.decoding.decide`)."""
    found = outputs_and_targets(record)
    if found is None:
        return None
    outputs, targets = found
    kind = get_task(record["task"]).kind
    if metric in ("accuracy", "balanced_accuracy") and kind in ("binary", "multiclass"):
        predicted = decoding.decide(outputs, decoding.spec_read(record), kind)
        labels = np.ravel(targets).astype(int)
        correct = (np.ravel(predicted) == labels).astype(float)
        if metric == "accuracy":
            return correct
        # Balanced accuracy, the mean of the classes' accuracies (Brodersen et al. 2010), as a per-image mean:
        # image i weighs n / (K n_{y_i}), so that the mean of the weighted hits is (1/K) sum_c accuracy_c.
        classes, counts = np.unique(labels, return_counts=True)
        weight = len(labels) / (len(classes) * counts[np.searchsorted(classes, labels)])
        return correct * weight
    if kind == "regression" and metric in ("mse", "mae"):
        residual = outputs.reshape(-1) - targets.reshape(-1)
        return residual**2 if metric == "mse" else np.abs(residual)
    return None


def ranked(probs, targets):
    """One run's outputs as `mean_ap` reads them: `(ranks, labels)`, both (K, n).

    `ranks[k, i]` is image i's place in label k's scores, best first, ties sharing a place. A stable sort of
    the ranks of any resample of images orders it as a stable sort of its scores would (`average_precision`),
    but as small integers it sorts several times faster: the bootstrap of mean AP sorts thousands of resamples.
    """
    scores = -np.asarray(probs, dtype="float64").T  # ascending = best first
    ranks = np.empty(scores.shape, dtype="uint16" if scores.shape[1] < 2**16 else "int64")
    for k, column in enumerate(scores):
        ranks[k] = np.searchsorted(np.unique(column), column)
    return ranks, np.ascontiguousarray(np.asarray(targets).astype(bool).T)


def mean_ap(data, index):
    """Mean average precision of one run on the images `index` (a resample: repeats allowed); `data` is
    `ranked(probabilities, targets)`. NaN where no label has a positive among them."""
    ranks, labels = data
    order = np.argsort(ranks[:, index], axis=1, kind="stable")
    k, n = order.shape
    hits = labels[:, index].ravel().take(order + np.arange(0, k * n, n)[:, None])  # each label's, sorted by score
    aps = np.array(metrics.average_precisions_of_ranked(hits))
    seen = ~np.isnan(aps)
    count = np.count_nonzero(seen)  # np.nanmean's float, without its call overhead (the bootstrap's inner loop)
    return float(np.add.reduce(np.where(seen, aps, 0.0)) / count) if count else float("nan")


def top_k_recall(probs, targets):
    """Per image: the share of its objects among its k highest scores, k = its number of objects."""
    y = np.asarray(targets).astype(bool)
    k = y.sum(axis=1)
    order = np.argsort(-probs, axis=1, kind="stable")
    ranks = np.argsort(order, axis=1)  # rank of each class in the image's scores
    hits = (ranks < k[:, None]) & y
    return np.where(k > 0, hits.sum(axis=1) / np.maximum(k, 1), np.nan)


def output_sums(record):
    """The sum of the outputs per test image (heads whose outputs are probabilities), else None."""
    found = outputs_and_targets(record)
    spec = decoding.spec_read(record) if record.get("pairing_spec") else {}
    if found is None or spec.get("activation") not in ("sigmoid", "softmax") or spec.get("link") != "identity":
        return None
    return found[0].sum(axis=1)
