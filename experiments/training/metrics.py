"""Held-out test metrics, in NumPy, computed on probabilities.

`to_probabilities` turns a model's outputs into probabilities through the pairing's
link (sigmoid or softmax for logits, a rescale for tanh, a clip for unbounded
outputs); `evaluate` then computes the metrics of the task's kind.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ECE_BINS = 10
_EPS = 1e-7


def _sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class Link:
    """How a pairing's raw outputs become probabilities, and where on the raw scale "class 1" starts."""

    to_probabilities: Callable
    description: str
    threshold: float  # a raw output at or above it decides class 1 (probability 0.5)


LINKS = {
    "identity": Link(lambda x: x, "outputs used as probabilities as they are", 0.5),
    "sigmoid": Link(_sigmoid, "sigmoid applied to the logits", 0.0),
    "softmax": Link(_softmax, "softmax applied to the logits", float("nan")),  # argmax decides
    "tanh": Link(lambda x: (x + 1.0) / 2.0, "tanh outputs in [-1, 1] rescaled to (t + 1) / 2", 0.0),
    "clip": Link(lambda x: np.clip(x, 0.0, 1.0), "unbounded outputs clipped to [0, 1]", 0.5),
}


def to_probabilities(outputs, link, kind):
    """Probabilities for the task's `kind`, and a sentence saying how they were made.

    binary: P(class 1) per example (a 2-unit output uses its second column).
    multiclass: rows renormalised to sum to 1 where the link does not make them so.
    """
    how = LINKS[link].description
    probs = np.asarray(LINKS[link].to_probabilities(np.asarray(outputs, dtype="float64")))
    if kind == "binary":
        probs = probs[:, 1] if probs.ndim == 2 and probs.shape[1] == 2 else probs.reshape(-1)
    if kind == "multiclass" and link != "softmax":
        sums = probs.sum(axis=1, keepdims=True)
        if not np.allclose(sums, 1.0, atol=1e-4):
            probs = np.where(sums > 0, probs / np.maximum(sums, _EPS), 1.0 / probs.shape[1])
            how += "; rows renormalised to sum to 1"
    return probs, how


def regression(y_true, y_pred):
    y_true, y_pred = np.ravel(y_true).astype("float64"), np.ravel(y_pred).astype("float64")
    residual = y_pred - y_true
    total = np.sum((y_true - y_true.mean()) ** 2)
    return {
        "mse": float(np.mean(residual**2)),
        "mae": float(np.mean(np.abs(residual))),
        "r2": float(1.0 - np.sum(residual**2) / total) if total > 0 else float("nan"),
        # MSE is minimised by the conditional mean (mean residual 0), MAE by the median.
        "mean_residual": float(np.mean(residual)),
        "median_residual": float(np.median(residual)),
    }


def average_ranks(values):
    """Ranks 1..n with ties given their average rank."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)
    return (upper - (counts - 1) / 2.0)[inverse]


def roc_auc(y_true, scores):
    """Area under the ROC curve (Mann-Whitney U); NaN when only one class is present."""
    y_true = np.ravel(y_true).astype(bool)
    n_pos, n_neg = y_true.sum(), (~y_true).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = average_ranks(np.ravel(scores))
    return float((ranks[y_true].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def reliability(confidence, correct, bins=ECE_BINS):
    """Per equal-width confidence bin: count, mean confidence, accuracy; and the ECE."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    count = np.bincount(index, minlength=bins)
    conf_sum = np.bincount(index, weights=confidence, minlength=bins)
    correct_sum = np.bincount(index, weights=correct.astype("float64"), minlength=bins)
    safe = np.maximum(count, 1)
    mean_conf, accuracy = conf_sum / safe, correct_sum / safe
    ece = float(np.sum(count / max(len(confidence), 1) * np.abs(accuracy - mean_conf)))
    table = {
        "count": count.tolist(),
        "confidence": np.where(count > 0, mean_conf, np.nan).tolist(),
        "accuracy": np.where(count > 0, accuracy, np.nan).tolist(),
    }
    return ece, table


def binary(y_true, p):
    y = np.ravel(y_true).astype("float64")
    p = np.ravel(p).astype("float64")
    predicted = p >= 0.5
    pc = np.clip(p, _EPS, 1 - _EPS)
    confidence = np.where(predicted, p, 1.0 - p)
    ece, table = reliability(np.clip(confidence, 0.0, 1.0), predicted == (y == 1))
    return {
        "accuracy": float(np.mean(predicted == (y == 1))),
        "roc_auc": roc_auc(y, p),
        "log_loss": float(-np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc))),
        "brier": float(np.mean((p - y) ** 2)),
        "ece": ece,
    }, table


def multiclass(y_true, probs, outputs):
    ids = np.ravel(y_true).astype(int)
    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    ece, table = reliability(np.clip(confidence, 0.0, 1.0), predicted == ids)
    p_true = np.clip(probs[np.arange(len(ids)), ids], _EPS, 1.0)
    return {
        "accuracy": float(np.mean(predicted == ids)),
        "log_loss": float(-np.mean(np.log(p_true))),
        "ece": ece,
        "mean_output_sum": float(np.mean(np.sum(outputs, axis=1))),
    }, table


def average_precision(y_true, scores):
    """Mean of the precision at the rank of each positive (NaN without positives)."""
    y_true = np.asarray(y_true).astype(bool)
    if not y_true.any():
        return float("nan")
    order = np.argsort(-scores, kind="stable")
    hits = y_true[order]
    precision_at_k = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision_at_k[hits].mean())


def multilabel(y_true, probs):
    y = np.asarray(y_true).astype(bool)
    predicted = probs >= 0.5
    tp = (predicted & y).sum(axis=0)
    fp = (predicted & ~y).sum(axis=0)
    fn = (~predicted & y).sum(axis=0)
    per_class_ap = [average_precision(y[:, c], probs[:, c]) for c in range(y.shape[1])]
    seen = (tp + fp + fn) > 0
    f1 = np.where(seen, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    micro_denominator = 2 * tp.sum() + fp.sum() + fn.sum()
    return {
        "mean_ap": float(np.nanmean(per_class_ap)),
        "micro_f1": float(2 * tp.sum() / micro_denominator) if micro_denominator else 0.0,
        "macro_f1": float(f1[seen].mean()) if seen.any() else 0.0,
        "subset_accuracy": float(np.mean(np.all(predicted == y, axis=1))),
        "hamming_loss": float(np.mean(predicted != y)),
    }, None


# The metrics of each kind, in the order the tables show them.
METRICS = {
    "regression": ["mse", "mae", "r2", "mean_residual", "median_residual"],
    "binary": ["accuracy", "roc_auc", "log_loss", "brier", "ece"],
    "multiclass": ["accuracy", "log_loss", "ece", "mean_output_sum"],
    "multilabel": ["mean_ap", "micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"],
}
# The metric each kind is ranked by (higher is better unless listed in LOWER_IS_BETTER).
HEADLINE = {"regression": "mse", "binary": "accuracy", "multiclass": "accuracy", "multilabel": "mean_ap"}
LOWER_IS_BETTER = {"mse", "mae", "log_loss", "brier", "ece", "hamming_loss"}


def evaluate(kind, y_true, outputs, link):
    """Test metrics of `kind`, the reliability table (classification) and how probabilities were made."""
    outputs = np.asarray(outputs, dtype="float64")
    if kind == "regression":
        return regression(y_true, outputs), None, "outputs are the predictions"
    probs, how = to_probabilities(outputs, link, kind)
    if kind == "binary":
        metrics, table = binary(y_true, probs)
    elif kind == "multiclass":
        metrics, table = multiclass(y_true, probs, outputs)
    else:
        metrics, table = multilabel(y_true, probs)
    return metrics, table, how
