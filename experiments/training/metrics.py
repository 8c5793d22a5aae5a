"""Held-out test metrics, in NumPy, read the way the loss trained the outputs.

`experiments.training.decoding` gives each pairing's decision rule (from its targets' encoding),
its ranking score and, where the loss reads the outputs as probabilities, the probabilities;
`evaluate` computes the metrics of the task's kind from them. Metrics that need probabilities
(log loss, Brier, ECE) are None where the loss does not read the outputs as probabilities.
"""

import numpy as np

from experiments.training import decoding

ECE_BINS = 10
_EPS = 1e-7


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


def binary(y_true, predicted, score, p):
    """Accuracy of the decisions `predicted` (0/1), ROC AUC of `score`, and, where `p` (P(class 1)) is
    not None, log loss, Brier score and ECE. Shapes: every argument (n,)."""
    y = np.ravel(y_true).astype("float64")
    correct = np.ravel(predicted).astype(bool) == (y == 1)
    values = {"accuracy": float(np.mean(correct)), "roc_auc": roc_auc(y, score)}
    values.update(log_loss=None, brier=None, ece=None)
    table = None
    if p is not None:
        p = np.ravel(p).astype("float64")
        pc = np.clip(p, _EPS, 1 - _EPS)
        says_one = p >= 0.5
        ece, table = reliability(np.where(says_one, p, 1.0 - p), says_one == (y == 1))
        values.update(
            log_loss=float(-np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc))),
            brier=float(np.mean((p - y) ** 2)),
            ece=ece,
        )
    return values, table


def macro_auc(ids, scores):
    """Macro one-vs-rest ROC AUC over the classes present (Hand & Till's one-vs-rest form); None without scores."""
    if scores is None:
        return None
    aucs = [roc_auc(ids == c, scores[:, c]) for c in range(scores.shape[1]) if 0 < np.sum(ids == c) < len(ids)]
    return float(np.mean(aucs)) if aucs else float("nan")


def multiclass(y_true, predicted, score, probs, outputs):
    """Accuracy of `predicted` (n,) class ids, macro AUC of `score` (n, K), and where `probs` (n, K) is
    not None, log loss and ECE; the mean sum of the raw `outputs` per image."""
    ids = np.ravel(y_true).astype(int)
    values = {"accuracy": float(np.mean(np.ravel(predicted) == ids)), "macro_auc": macro_auc(ids, score)}
    values.update(log_loss=None, ece=None)
    table = None
    if probs is not None:
        said = probs.argmax(axis=1)
        ece, table = reliability(np.clip(probs.max(axis=1), 0.0, 1.0), said == ids)
        p_true = np.clip(probs[np.arange(len(ids)), ids], _EPS, 1.0)
        values.update(log_loss=float(-np.mean(np.log(p_true))), ece=ece)
    values["mean_output_sum"] = float(np.mean(np.sum(outputs.reshape(len(outputs), -1), axis=1)))
    return values, table


def average_precision(y_true, scores):
    """Mean of the precision at the rank of each positive (NaN without positives)."""
    y_true = np.asarray(y_true).astype(bool)
    if not y_true.any():
        return float("nan")
    order = np.argsort(-scores, kind="stable")
    hits = y_true[order]
    precision_at_k = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision_at_k[hits].mean())


def average_precisions_of_ranked(hits):
    """`average_precision` of each row of `hits` (K, n): row k holds column k's labels already sorted by score,
    best first (`analysis.evidence.per_image.mean_ap` sorts them); the same floats as `average_precision`."""
    precision_at_k = np.cumsum(hits, axis=1) / np.arange(1, hits.shape[1] + 1)
    at_positives = precision_at_k[hits]  # row after row: each row's precisions at its positives
    out, start = [], 0
    for count in np.count_nonzero(hits, axis=1).tolist():  # each row's sum / count: the float `ndarray.mean` gives
        out.append(float(np.add.reduce(at_positives[start : start + count]) / count) if count else float("nan"))
        start += count
    return out


def multilabel(y_true, predicted, score):
    """Mean AP of the raw `score` (n, K), and F1, subset accuracy and Hamming loss of `predicted` (n, K)."""
    y = np.asarray(y_true).astype(bool)
    predicted = np.asarray(predicted).astype(bool)
    tp = (predicted & y).sum(axis=0)
    fp = (predicted & ~y).sum(axis=0)
    fn = (~predicted & y).sum(axis=0)
    per_class_ap = [average_precision(y[:, c], score[:, c]) for c in range(y.shape[1])]
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
    "multiclass": ["accuracy", "macro_auc", "log_loss", "ece", "mean_output_sum"],
    "multilabel": ["mean_ap", "micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"],
}
# The metric each kind is ranked by (higher is better unless listed in LOWER_IS_BETTER).
HEADLINE = {"regression": "mse", "binary": "accuracy", "multiclass": "accuracy", "multilabel": "mean_ap"}
# The threshold-free score of each classification kind: whether a model learns never hangs on a threshold.
RANKING = {"binary": "roc_auc", "multiclass": "macro_auc", "multilabel": "mean_ap"}
LOWER_IS_BETTER = {"mse", "mae", "log_loss", "brier", "ece", "hamming_loss"}


def evaluate(kind, y_true, outputs, spec):
    """Test metrics of `kind`, the reliability table (where there are probabilities) and the decoding used.

    `spec`: the pairing (a `Pairing` or a record's `pairing_spec`); `outputs`: the raw outputs (n, units).
    Returns (metrics, table or None, `decoding.Decoding` as a dict, or a sentence for regression)."""
    outputs = np.asarray(outputs, dtype="float64")
    if kind == "regression":
        return regression(y_true, outputs), None, "outputs are the predictions"
    rule = decoding.decoding(spec, kind)
    predicted = decoding.decide(outputs, spec, kind, targets=y_true)
    probs = decoding.probabilities(outputs, spec, kind)
    score = decoding.scores(outputs, spec, kind, probs)
    if kind == "binary":
        metrics, table = binary(y_true, predicted, score, probs)
    elif kind == "multiclass":
        metrics, table = multiclass(y_true, predicted, score, probs, outputs)
    else:
        metrics, table = multilabel(y_true, predicted, score)
    return metrics, table, rule.as_record()


# The version of the decoding rules a record's `final` was computed with: 1, the link's 0.5 threshold on
# probabilities (records before the rules); 2, the rules of `experiments.training.decoding`.
DECODING_VERSION = 2


def evaluation_fields(how, history_version=DECODING_VERSION):
    """The record's `evaluation` fields for what `evaluate` returned as its third value; `history_version`: the
    rules its per-epoch history was computed with (a run just trained: these; a rescored one: its own)."""
    fields = dict(how) if isinstance(how, dict) else {"decision": how, "probabilities": None}
    return {**fields, "decoding_version": DECODING_VERSION, "history_decoding_version": history_version}
