"""What a claim is (`Claim`) and the equivalence margins its tests use, declared before any result is seen."""

from dataclasses import dataclass

import numpy as np

# The post's "winner takes all" figure: its 10 raw outputs, read off the plotted bars (+-0.03; see
# ../shared/reference/README.md), used by the figure and by the claim that describes it.
RAW_OUTPUTS = np.array([5.22, 7.15, 1.36, 2.75, 3.64, 2.46, 7.88, 4.36, 0.28, 2.67])

# Equivalence margins per metric: a difference inside (-margin, +margin) counts as "similar".
MARGINS = {
    "accuracy": (
        0.02,
        "two accuracy points (a share of the task's own test images), less than a reader would call a different result",
    ),
    "mean_ap": (0.02, "two points of mean average precision, the accuracy margin's size on the multi-label scale"),
    "mse": (
        0.02,
        "0.02 cm^2, small against the iris lines' test MSE (about 0.2 fitted, 0.4 after the post's 50 epochs)",
    ),
    "grad_wrong": (
        0.01,
        "a hundredth of the largest push cross-entropy can give a wrong output (|p - y| <= 1 at the logit)",
    ),
    "aulc": (
        0.02,
        "two points of mean test accuracy over the epochs, the accuracy margin applied to the learning curve",
    ),
    "grad_ratio": (
        0.3,
        "log10 units: a factor of 2 in the first layer's share of the gradient, far less than the orders of "
        "magnitude 'vanishing' means",
    ),
    "never_active": (
        0.05,
        "five points of never-active units, fewer than one of a convolution's 8 channels (12.5 points)",
    ),
    "balanced_accuracy": (
        0.02,
        "two points of balanced accuracy (the mean of the two classes' accuracies), the accuracy margin's size",
    ),
    "ece": (
        0.01,
        "one point of expected calibration error (10 bins), small against the calibration error of an "
        "overconfident CNN",
    ),
}


@dataclass(frozen=True)
class Claim:
    """One claim: what it says, where it says it, and the test that decides it.

    test: "equivalence" (a is similar to b within the metric's margin), "better" (a beats b),
    "not worse" (a is not worse than b by more than the margin), or "descriptive" (a measured
    statistic, no test).
    baseline_task: where set, the effect is a difference in differences: (a - b) on `task` minus
        (a - b) on `baseline_task`, paired by seed (a loses less than b from the baseline's data to the
        task's: label noise, say). Both tasks have the same test images, so images pair too.
    in_words: the claim in plain words, for a heading: "MSE on a sigmoid learns as fast as binary cross-entropy".
    study: the study whose confirmatory family the claim belongs to ("post": the post's and the reference
        texts'; "conditions": the literature's claims about label noise, imbalance and smoothing); a power
        plan sizes one study (`python -m experiments plan --study`).
    """

    id: str
    quote: str
    source: str
    task: str
    test: str
    metric: str
    a: str
    b: str | None = None
    note: str = ""
    baseline_task: str | None = None
    study: str = "post"
    in_words: str = ""  # the claim as a reader would say it, for headings and the README ("" : `id` is shown)
