"""Every metric a claim can compare, in one table (`CLAIM_METRICS`): how one run's value is read, which way is
better, the equivalence margin declared before any result was seen, what the bootstrap resamples, and its words.

A claim on a metric the records already hold at their last epoch (`final`) needs no entry unless it is tested for
equivalence (a margin) or its values are no mean over test images; a run-level measure (one value per run, read
from its history or its probe) is one entry here with its `value` function and its `definition`.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from experiments.analysis.claims.hidden_layers import gradient_ratio, never_active_share
from experiments.analysis.claims.mechanisms import mean_wrong_gradient
from experiments.analysis.evidence import per_image
from experiments.training.metrics import LOWER_IS_BETTER


def final(metric):
    """The value a run's record holds for `metric` at its last epoch (None where it holds none)."""
    return lambda record: (record.get("final") or {}).get(metric)


def area_under_learning_curve(record):
    """Mean test accuracy over epochs 0..E (the trapezoid area divided by E); NaN without two epochs of accuracy."""
    accuracy = [row["test"].get("accuracy") for row in record.get("history", [])]
    if len(accuracy) < 2 or any(a is None for a in accuracy):
        return float("nan")
    return float(np.trapezoid(accuracy) / (len(accuracy) - 1))


def balanced_accuracy(record):
    """From the record's test outputs (records written before it was a metric have none): NaN without them."""
    values = per_image.values(record, "balanced_accuracy")
    return float(np.mean(values)) if values is not None else float("nan")


@dataclass(frozen=True, kw_only=True)
class ClaimMetric:
    """One metric as the claims compare it.

    Attributes:
        name: Its name in claims, tables and records.
        value: One run's value from its record (default: the record's `final` value of `name`).
        lower_is_better: Whether a lower value is the better one (a loss, an error, dead units).
        margin: The largest difference still called similar, with `margin_reason`; None where no claim tests
            equivalence on it.
        seeds_only: Why the two-level bootstrap resamples seeds only ("" where it resamples test images too: the
            metric is a mean of per-image values, or mean AP, recomputed on each resample).
        axis: The metric on a card's axis, in a few words (default: its name).
        definition: Its glossary entry, for a measure the records do not hold as a metric (the glossary defines
            those, `render.glossary`).
    """

    name: str
    value: Callable | None = None
    lower_is_better: bool = False
    margin: float | None = None
    margin_reason: str = ""
    seeds_only: str = ""
    axis: str = ""
    definition: str = ""

    def of(self, record):
        """This metric's value for one run."""
        return (self.value or final(self.name))(record)


_SEEDS = "seeds only: {} has no per-image values"
_TABLE = (
    ClaimMetric(
        name="accuracy",
        margin=0.02,
        margin_reason="two accuracy points (a share of the task's own test images), less than a reader would call a "
        "different result",
    ),
    ClaimMetric(
        name="mean_ap",
        margin=0.02,
        margin_reason="two points of mean average precision, the accuracy margin's size on the multi-label scale",
        axis="mean_ap (mean average precision)",
    ),
    ClaimMetric(
        name="mse",
        lower_is_better=True,
        margin=0.02,
        margin_reason="0.02 cm^2, small against the iris lines' test MSE (about 0.2 fitted, 0.4 after the post's 50 "
        "epochs)",
    ),
    ClaimMetric(
        name="grad_wrong",
        value=mean_wrong_gradient,
        margin=0.01,
        margin_reason="a hundredth of the largest push cross-entropy can give a wrong output (|p - y| <= 1 at the "
        "logit)",
        seeds_only=_SEEDS.format("a mean over epochs"),
        axis="grad_wrong (mean |dL/dz| on wrong images)",
        definition="mean |dL/dz| at the output pre-activation over the probe images the model gets wrong, averaged "
        "over the epochs: how hard the loss pushes a wrong output",
    ),
    ClaimMetric(
        name="aulc",
        value=area_under_learning_curve,
        margin=0.02,
        margin_reason="two points of mean test accuracy over the epochs, the accuracy margin applied to the learning "
        "curve",
        seeds_only=_SEEDS.format("a learning curve's area"),
        axis="aulc (mean test accuracy over the epochs)",
        definition="area under the learning curve: the test accuracy integrated over the epochs by the trapezoid "
        "rule, 0 (before training) included, divided by the number of epochs (a mean accuracy); a measure of "
        "learning speed",
    ),
    ClaimMetric(
        name="grad_ratio",
        value=lambda record: gradient_ratio(record, "0"),
        margin=0.3,
        margin_reason="log10 units: a factor of 2 in the first layer's share of the gradient, far less than the "
        "orders of magnitude 'vanishing' means",
        seeds_only=_SEEDS.format("a gradient norm over the probe set"),
        axis="grad_ratio (log10 input / output gradient)",
        definition="log10 of the first hidden layer's gradient norm over the output layer's, at epoch 0: how much "
        "gradient reaches the bottom of the body",
    ),
    ClaimMetric(
        name="never_active",
        value=never_active_share,
        lower_is_better=True,
        margin=0.05,
        margin_reason="five points of never-active units, fewer than one of a convolution's 8 channels (12.5 points)",
        seeds_only=_SEEDS.format("a unit's activity over the probe set"),
        axis="never_active (share of dead units)",
        definition="share of hidden units (channels) whose pre-activation is never positive on any probe image "
        "(lower is better)",
    ),
    ClaimMetric(
        name="balanced_accuracy",
        value=balanced_accuracy,
        margin=0.02,
        margin_reason="two points of balanced accuracy (the mean of the two classes' accuracies), the accuracy "
        "margin's size",
        definition="mean of the two classes' accuracies at the decision rule (Brodersen et al. 2010): 0.5 is chance "
        "whatever the classes' shares; computed from the records' test outputs",
    ),
    ClaimMetric(
        name="ece",
        lower_is_better=True,
        margin=0.01,
        margin_reason="one point of expected calibration error (10 bins), small against the calibration error of an "
        "overconfident CNN",
        seeds_only="seeds only: ECE is a binned statistic of the whole test set, not a mean of per-image values",
    ),
    ClaimMetric(
        name="roc_auc",
        seeds_only="seeds only: ROC AUC ranks the whole test set, it is not a mean of per-image values",
    ),
    ClaimMetric(
        name="macro_auc",
        seeds_only="seeds only: macro AUC ranks the whole test set, it is not a mean of per-image values",
    ),
)
CLAIM_METRICS = {m.name: m for m in _TABLE}


def claim_metric(name):
    """The table's entry for `name`, or one read from the records' `final` values (a metric of
    `training.metrics`, which way is better from `LOWER_IS_BETTER`)."""
    return CLAIM_METRICS.get(name) or ClaimMetric(name=name, lower_is_better=name in LOWER_IS_BETTER)


def run_value(record, metric):
    """One run's value of `metric` (`ClaimMetric.of`)."""
    return claim_metric(metric).of(record)


def lower_is_better(metric):
    return claim_metric(metric).lower_is_better


# Views of the table, by what the code asks.
MARGINS = {m.name: (m.margin, m.margin_reason) for m in _TABLE if m.margin is not None}
RUN_LEVEL = {m.name: m.seeds_only for m in _TABLE if m.value is not None and m.seeds_only}  # one value per run
