"""What a claim is (`Claim`); the metrics it compares, with their margins, are `claim_metrics.CLAIM_METRICS`."""

from dataclasses import dataclass

import numpy as np

# The post's "winner takes all" figure: its 10 raw outputs, read off the plotted bars (+-0.03; see
# ../shared/reference/README.md), used by the figure and by the claim that describes it.
RAW_OUTPUTS = np.array([5.22, 7.15, 1.36, 2.75, 3.64, 2.46, 7.88, 4.36, 0.28, 2.67])


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
