"""The statistics a verdict rests on: paired tests over seeds, a two-level bootstrap, corrections.

The unit of replication is a seed; pairings of one task are compared paired by seed. A run's
test score also carries the sampling noise of its test images, which the seed-level tests do
not see: the bootstrap resamples seeds, then test images within each seed (the same images for
both pairings), and its percentile intervals stay inside a bounded metric's range.

- "better"/"worse": one-sided tests; "similar": two one-sided tests (TOST) against a declared
  margin (Lakens 2017); otherwise "inconclusive", with the smallest effect the design could
  detect at 80% power. p-values are Holm-corrected within each task's family (Holm 1979).
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestPower

ALPHA = 0.05
POWER = 0.8
BOOTSTRAP_SAMPLES = 4000  # draws of the two-level bootstrap of a per-image mean (accuracy, MSE)
MEAN_AP_SAMPLES = 1000  # draws for mean average precision, which is recomputed per draw (not a per-image mean)


def t_interval(values, level=0.95):
    """(mean, low, high) of a Student t interval over seeds; NaN bounds below two values."""
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return (float(v.mean()) if len(v) else float("nan")), float("nan"), float("nan")
    if np.all(v == v[0]):
        return float(v[0]), float(v[0]), float(v[0])
    low, high = stats.t.interval(level, len(v) - 1, loc=v.mean(), scale=stats.sem(v))
    return float(v.mean()), float(low), float(high)


def one_sided_p(diffs, alternative):
    """p of a paired t-test that the mean difference is "greater" or "less" than 0."""
    d = np.asarray(diffs, dtype=float)
    if len(d) < 2:
        return float("nan")
    if np.all(d == d[0]):  # no spread: the sign decides
        return 0.0 if (d[0] > 0 if alternative == "greater" else d[0] < 0) else 1.0
    return float(stats.ttest_1samp(d, 0.0, alternative=alternative).pvalue)


def tost_p(diffs, margin):
    """p of two one-sided tests that the mean difference lies inside (-margin, +margin)."""
    d = np.asarray(diffs, dtype=float)
    if len(d) < 2:
        return float("nan")
    return max(one_sided_p(d + margin, "greater"), one_sided_p(d - margin, "less"))


def holm(pvalues):
    """Holm-adjusted p-values (NaN stays NaN and is not counted in the family)."""
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full_like(p, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        adjusted[finite] = multipletests(p[finite], alpha=ALPHA, method="holm")[1]
    return adjusted


def detectable_effect(diffs, alpha=ALPHA, power=POWER):
    """The smallest mean paired difference a one-sided test of this many seeds finds at `power`."""
    d = np.asarray(diffs, dtype=float)
    if len(d) < 2 or d.std(ddof=1) == 0:
        return float("nan")
    effect_size = TTestPower().solve_power(nobs=len(d), alpha=alpha, power=power, alternative="larger")
    return float(effect_size * d.std(ddof=1))


def probability_of_superiority(diffs):
    """P(A > B) over seeds from paired differences A - B (ties count half)."""
    d = np.asarray(diffs, dtype=float)
    return float(np.mean(d > 0) + 0.5 * np.mean(d == 0)) if len(d) else float("nan")


@dataclass(frozen=True)
class Bootstrap:
    """A two-level bootstrap distribution of a paired mean difference (seeds, then images)."""

    estimate: float
    low: float
    high: float
    samples: np.ndarray

    def p_greater_than(self, value):
        """Bootstrap p of "the difference is above `value`": the share of samples at or below it."""
        return float((np.sum(self.samples <= value) + 1) / (len(self.samples) + 1))

    def p_less_than(self, value):
        return float((np.sum(self.samples >= value) + 1) / (len(self.samples) + 1))


def _percentiles(draws, level):
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def _mean_draws(values, rng, samples, chunk=200):
    """Bootstrap means over seeds of per-image means: `values` is (seeds, images)."""
    values = np.asarray(values, dtype=float)
    n_seeds, n_images = values.shape
    draws = []
    for start in range(0, samples, chunk):
        size = min(chunk, samples - start)
        # int32: the same numbers numpy draws as int64 for a range below 2**32 (one 32-bit bounded generator), in
        # half the memory, so sooner drawn and gathered
        seeds = rng.integers(0, n_seeds, size=(size, n_seeds), dtype=np.int32)
        images = rng.integers(0, n_images, size=(size, n_seeds, n_images), dtype=np.int32)
        draws.append(values[seeds[..., None], images].mean(axis=(1, 2)))
    return np.concatenate(draws)


def _score_draws(data, score, rng, samples, n_images):
    """Bootstrap means over seeds of `score(run_data, image_index)` for a metric that is not a per-image mean."""
    n_seeds = len(data[0])
    draws = np.empty(samples)
    for k in range(samples):
        seeds = rng.integers(0, n_seeds, size=n_seeds)
        per_seed = []
        for s in seeds:
            index = rng.integers(0, n_images, size=n_images)
            per_seed.append(score(*(d[s] for d in data), index))
        draws[k] = np.mean(per_seed)
    return draws


def paired_bootstrap(a, b, rng, score=None, samples=BOOTSTRAP_SAMPLES, level=0.95, n_images=None):
    """Two-level bootstrap of the mean over seeds of A - B: seeds resampled, then test images.

    With `score=None`, `a` and `b` are (seeds, images) arrays of per-image values whose mean is
    the metric (accuracy: correct or not; MSE: squared errors), resampled with the same images
    for both. Otherwise `a[i]`, `b[i]` are seed i's per-image data and `score(data_a, data_b,
    index)` returns the difference of the metric on the images `index`, of which there are `n_images`.
    """
    if score is None:
        diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
        estimate = float(diff.mean())
        draws = _mean_draws(diff, rng, samples)
    else:
        full = np.arange(n_images)
        estimate = float(np.mean([score(x, y, full) for x, y in zip(a, b)]))
        draws = _score_draws((a, b), score, rng, samples, n_images)
    return Bootstrap(estimate, *_percentiles(draws, level), draws)


def mean_interval(values, rng, samples=BOOTSTRAP_SAMPLES, level=0.95):
    """Percentile interval of a mean over seeds of per-image means: (seeds, images) values.

    Inside the metric's range by construction (a bounded metric's interval never passes 1).
    """
    return _percentiles(_mean_draws(values, rng, samples), level)
