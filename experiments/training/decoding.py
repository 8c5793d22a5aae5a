"""How a pairing's raw outputs are read, from the targets its loss trained them toward.

A decision rule follows the targets' encoding, in the space in which the loss compares outputs
(`experiments.composition.comparison_space`):
- one unit: a threshold at the midpoint of the two target codes: 0.5 on {0, 1} (whatever the
  head: a tanh or linear head trained by MSE toward 0 and 1 is read at 0.5), 0 on {-1, +1} (the
  hinge family), and logit 0 with `from_logits=True`; class ids as numbers (a one-unit head on
  CIFAR-10's ten classes) are read as the nearest code;
- two or more units: the argmax of the raw outputs, never clipped first; for categorical
  cross-entropy (and the suite's sparse form of it), which scores each output over its row's sum,
  the argmax of o_k / sum_j o_j, the loss's own probabilities (the same argmax wherever the head
  cannot go negative);
- multi-label: the one-unit rule per label (for a categorical loss, whose targets are the
  multi-hot rows over their number of objects k, the midpoint of 0 and 1/k, k the mean count).

The ranking score (ROC AUC, macro one-vs-rest AUC, mean AP) is the raw output where no
probabilities exist, and the probabilities where the loss reads the outputs as probabilities:
- the losses of the "probabilities" space (bce, focal, cce, KL, sparse cce), through a sigmoid
  or softmax when they are told they get logits, and rows renormalised to sum 1 where Keras's
  categorical losses renormalise them (a sigmoid head with cce);
- MSE on a sigmoid or softmax head: on {0, 1} targets it is the Brier score, a proper scoring
  rule, so its outputs are probability estimates.
Log loss, Brier and ECE exist only there; elsewhere they are None, and `Decoding.no_probabilities`
says why.

Every function takes the pairing as a `Pairing` or as a record's `pairing_spec` dict.
"""

from dataclasses import dataclass

import numpy as np

from experiments.composition import LOSSES, TARGET_UNITS, comparison_space

_EPS = 1e-7
# The losses that score each output over its row's sum (Keras's categorical_crossentropy; the suite's
# sparse form is the same function on one-hot rows), and the heads whose outputs can be negative.
_CAN_BE_NEGATIVE = ("linear", "tanh")


def spec_read(record):
    """The pairing spec a record's outputs are decoded with: its `read_as` spec where Keras's built-in loss
    read the logits behind the head (its `test_outputs` are then those logits; `keras_view`), else its
    `pairing_spec`."""
    return (record.get("read_as") or {}).get("spec") or record["pairing_spec"]


def _field(spec, key):
    return spec[key] if isinstance(spec, dict) else getattr(spec, key)


def _sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class Decoding:
    """The rule that reads a pairing's outputs, in words and as numbers.

    decision: the decision rule in words;
    threshold: one unit or per label, a raw output at or above it decides class 1 (None: argmax or
        nearest code; for normalised multi-hot targets the threshold applies to the probabilities);
    probabilities: how probabilities are made, in words, or None when the loss does not read the
        outputs as probabilities;
    no_probabilities: why there are none ("" when there are);
    space: the loss's comparison space.
    """

    decision: str
    threshold: float | None
    probabilities: str | None
    no_probabilities: str
    space: str

    def as_record(self):
        return {
            "decision": self.decision,
            "threshold": self.threshold,
            "probabilities": self.probabilities,
            "no_probabilities": self.no_probabilities,
            "space": self.space,
        }


def _distribution(kind, units, target):
    """Whether the loss reads each row of outputs as one distribution over the units."""
    return units > 1 and (kind != "multilabel" or target == "normalized_multi_hot")


def _argmax_over_row_sum(activation, loss, space):
    """Whether several units are decided by the argmax of o_k / sum_j o_j (cce on a head that can go negative)."""
    return space == "probabilities" and LOSSES[loss].renormalises and activation in _CAN_BE_NEGATIVE


def _reads_probabilities(activation, loss, space):
    if space in ("probabilities", "logits"):
        return True, ""
    if loss == "mse" and activation in ("sigmoid", "softmax"):
        return True, ""
    words = {"values": "a distance to the target codes", "margins": "signed margins", "rates": "Poisson rates"}
    return False, f"{loss} compares the outputs as {words[space]}, not as probabilities"


def decoding(spec, kind):
    """The `Decoding` of a pairing on a task of `kind` (binary, multiclass or multilabel)."""
    activation, units, loss = _field(spec, "activation"), int(_field(spec, "units")), _field(spec, "loss")
    kwargs, target = dict(_field(spec, "loss_kwargs") or {}), _field(spec, "target")
    space = comparison_space(loss, kwargs)
    probabilistic, why_not = _reads_probabilities(activation, loss, space)
    rows = _distribution(kind, units, target)
    if space == "logits":
        how = "softmax of the logits" if rows else "sigmoid of the logits"
    elif rows and LOSSES[loss].renormalises:
        how = (
            "outputs over their row's sum (o_k / sum_j o_j, clipped to [0, 1]), as categorical cross-entropy reads them"
        )
    elif rows and activation != "softmax" and loss != "mse":
        how = "outputs clipped to [0, 1] and renormalised to sum 1 per row"
    else:
        how = "the outputs as they are (clipped to [0, 1])"
    probabilities = how if probabilistic else None
    if target == "class_value":
        decision = "the nearest class id to the one output (outputs trained toward the ids 0-9 as numbers)"
        return Decoding(decision, None, None, "one output per image holds no distribution over the classes", space)
    if kind in ("binary", "multiclass") and units > 1:
        if _argmax_over_row_sum(activation, loss, space):
            return Decoding("argmax of o_k / sum_j o_j, the loss's probabilities", None, probabilities, why_not, space)
        return Decoding("argmax of the raw outputs", None, probabilities, why_not, space)
    if target == "normalized_multi_hot":
        decision = "per label, probability at or above half of 1/k (targets: multi-hot rows over k, k the mean count)"
        return Decoding(decision, None, probabilities, why_not, space)
    if space == "logits":
        threshold, codes = 0.0, "logit 0 (probability 0.5)"
    elif target == "plus_minus_one":
        threshold, codes = 0.0, "0, the midpoint of the targets -1 and +1"
    else:
        threshold, codes = 0.5, "0.5, the midpoint of the targets 0 and 1"
    per = "per label, " if kind == "multilabel" else ""
    return Decoding(f"{per}raw output at or above {codes}", threshold, probabilities, why_not, space)


def _probability_rows(outputs, spec, kind):
    """(n, units) probabilities as the loss reads the outputs (None where it reads none)."""
    rule = decoding(spec, kind)
    if rule.probabilities is None:
        return None
    out = np.asarray(outputs, dtype="float64")
    out = out.reshape(len(out), -1)
    rows = _distribution(kind, out.shape[1], _field(spec, "target"))
    if rule.space == "logits":
        return _softmax(out) if rows else _sigmoid(out)
    if rows and LOSSES[_field(spec, "loss")].renormalises:
        sums = out.sum(axis=1, keepdims=True)
        safe = np.where(np.abs(sums) > _EPS, sums, np.nan)
        return np.nan_to_num(np.clip(out / safe, 0.0, 1.0), nan=1.0 / out.shape[1])
    if rows:
        clipped = np.clip(out, 0.0, None)
        sums = clipped.sum(axis=1, keepdims=True)
        return np.where(sums > _EPS, clipped / np.maximum(sums, _EPS), 1.0 / out.shape[1])
    return np.clip(out, 0.0, 1.0)


def probabilities(outputs, spec, kind):
    """Probabilities as the loss reads the outputs, or None (see `decoding`).

    Shapes: binary (n,) P(class 1); multiclass (n, K) rows summing to 1; multilabel (n, K) per label.
    """
    probs = _probability_rows(outputs, spec, kind)
    if probs is None or kind != "binary":
        return probs
    return probs[:, 1] if probs.shape[1] == 2 else probs[:, 0]


def scores(outputs, spec, kind, probs=None):
    """Ranking scores: binary (n,) for class 1; multiclass and multilabel (n, K); None for class values.

    The probabilities where the loss reads them (see `probabilities`; pass them as `probs` where they are
    computed already), else the raw outputs (for two units, the second minus the first, which ranks as
    their argmax decides)."""
    if _field(spec, "target") == "class_value":
        return None
    probs = probabilities(outputs, spec, kind) if probs is None else probs
    if probs is not None and kind != "multilabel":
        return probs
    out = np.asarray(outputs, dtype="float64")
    out = out.reshape(len(out), -1)
    if kind == "binary":
        return out[:, 1] - out[:, 0] if out.shape[1] == 2 else out[:, 0]
    return out


def decide(outputs, spec, kind, targets=None):
    """Predicted classes: binary (n,) 0/1; multiclass (n,) ids; multilabel (n, K) booleans.

    `targets` (multi-hot rows) are needed only for normalised multi-hot targets, for their mean count k.
    """
    rule = decoding(spec, kind)
    out = np.asarray(outputs, dtype="float64")
    out = out.reshape(len(out), -1)
    if _field(spec, "target") == "class_value":  # composed only for a one-unit head on several classes
        classes = TARGET_UNITS[kind][0]
        return np.clip(np.rint(np.nan_to_num(out[:, 0], nan=-1.0)), 0, classes - 1).astype(int)
    if kind in ("binary", "multiclass") and out.shape[1] > 1:
        if _argmax_over_row_sum(_field(spec, "activation"), _field(spec, "loss"), rule.space):
            return _probability_rows(outputs, spec, kind).argmax(axis=1)
        return out.argmax(axis=1)
    if rule.threshold is None:  # normalised multi-hot: half of 1/k on the probabilities
        probs = probabilities(outputs, spec, kind)
        probs = out if probs is None else probs
        k = float(np.mean(np.asarray(targets).sum(axis=1))) if targets is not None else 1.0
        return probs >= 0.5 / max(k, 1.0)
    predicted = out >= rule.threshold
    return predicted[:, 0].astype(int) if kind == "binary" else predicted
