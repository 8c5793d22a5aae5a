"""One pairing against another on one metric, paired by seed: the effect, its intervals and each question's p.

Differences are oriented so that positive means "A is better" (for a loss-like metric, lower). Each
question's p comes from its one pre-declared test, the paired t-test over seeds (TOST for "similar"); the
two-level bootstrap interval (seeds, then test images within a seed) stands beside it as the check on
test-image noise (../shared/STATISTICS.md). `verdicts` turns comparisons into verdicts.
"""

from dataclasses import dataclass, field

import numpy as np

from experiments.analysis.claims.claim_metrics import MARGINS, claim_metric, lower_is_better, run_value
from experiments.analysis.evidence import per_image, stats

_MIRRORED = {"worse": "better", "better": "worse"}  # a question's name seen from the other side


@dataclass
class Comparison:
    """A (pairing A) against B (pairing B) on one metric, paired by seed."""

    task: str
    a: str
    b: str
    metric: str
    margin: float
    seeds: int = 0
    diff: float = float("nan")  # mean A - B over seeds, in the metric's own direction
    t_low: float = float("nan")
    t_high: float = float("nan")
    boot_low: float = float("nan")  # two-level bootstrap interval of A - B
    boot_high: float = float("nan")
    images_resampled: bool = False
    resampling: str = "seeds and test images"
    p_a_beats_b: float = float("nan")
    detectable: float = float("nan")
    p: dict = field(default_factory=dict)  # worse / better / similar, raw then Holm-corrected
    p_holm: dict = field(default_factory=dict)
    p_boot: dict = field(default_factory=dict)  # the two-level bootstrap's p of each question (the check)
    missing: str = ""
    undecidable: str = ""  # why the power plan declared the claim undecidable before the runs ("" if it did not)
    family: int = 0  # the size of the family its p-values were corrected in
    mirror: "Comparison | None" = None  # the comparison this one reverses (B against A)
    gains: "np.ndarray | None" = None  # per-seed A - B, oriented so that positive means A is better

    def detectable_at(self, alpha):
        """The smallest mean difference these seeds detect at 80% power and level `alpha`."""
        return stats.detectable_effect(self.gains, alpha=alpha) if self.gains is not None else float("nan")

    def reversed(self):
        """B against A: the same test seen from the other side (worse and better swap)."""
        r = Comparison(self.task, self.b, self.a, self.metric, self.margin)
        r.seeds, r.diff, r.t_low, r.t_high = self.seeds, -self.diff, -self.t_high, -self.t_low
        r.boot_low, r.boot_high = -self.boot_high, -self.boot_low
        r.images_resampled, r.resampling, r.missing = self.images_resampled, self.resampling, self.missing
        r.p_a_beats_b = 1.0 - self.p_a_beats_b if np.isfinite(self.p_a_beats_b) else self.p_a_beats_b
        r.detectable = self.detectable
        r.gains = None if self.gains is None else -self.gains
        r.p = {_MIRRORED.get(k, k): v for k, v in self.p.items()}
        r.p_boot = {_MIRRORED.get(k, k): v for k, v in self.p_boot.items()}
        r.mirror = self
        return r

    @property
    def outcome(self):
        if self.missing:
            return "not measured"
        significant = {k for k, v in self.p_holm.items() if np.isfinite(v) and v < stats.ALPHA}
        if "similar" in significant:
            return "similar"
        if "worse" in significant:
            return "worse"
        if "better" in significant:
            return "better"
        return "inconclusive"


def paired_runs(records, task, a, b):
    ok = {(r["pairing"], r["seed"]): r for r in records if r["task"] == task and r["status"] == "ok"}
    seeds = sorted({s for p, s in ok if p == a} & {s for p, s in ok if p == b})
    return [ok[(a, s)] for s in seeds], [ok[(b, s)] for s in seeds]


def paired_differences(records, task, a, b, metric, baseline_task=None):
    """(runs of A, runs of B, per-seed A - B in the metric's own units, per-image values of A, of B or None).

    With `baseline_task`, a difference in differences: per seed, (A - B) on `task` minus (A - B) on
    `baseline_task`, over the seeds all four have; the per-image values are each pairing's task-minus-baseline
    values (both tasks score the same test images). The runs returned are those on `task` and, with a
    baseline, those on it after them (for the cost of a run)."""
    runs_a, runs_b = paired_runs(records, task, a, b)
    if baseline_task is None:
        diffs = [run_value(x, metric) - run_value(y, metric) for x, y in zip(runs_a, runs_b)]
        per_a = [per_image.values(r, metric) for r in runs_a]
        per_b = [per_image.values(r, metric) for r in runs_b]
        return runs_a, runs_b, np.array(diffs, dtype=float), per_a, per_b
    base_a, base_b = paired_runs(records, baseline_task, a, b)
    seeds = sorted({r["seed"] for r in runs_a} & {r["seed"] for r in base_a})
    pick = lambda runs: [next(r for r in runs if r["seed"] == s) for s in seeds]  # noqa: E731
    runs_a, runs_b, base_a, base_b = pick(runs_a), pick(runs_b), pick(base_a), pick(base_b)
    diffs = [
        (run_value(x, metric) - run_value(y, metric)) - (run_value(x0, metric) - run_value(y0, metric))
        for x, y, x0, y0 in zip(runs_a, runs_b, base_a, base_b)
    ]

    def drop(run, base):
        v, v0 = per_image.values(run, metric), per_image.values(base, metric)
        return None if v is None or v0 is None or len(v) != len(v0) else v - v0

    per_a = [drop(x, x0) for x, x0 in zip(runs_a, base_a)]
    per_b = [drop(y, y0) for y, y0 in zip(runs_b, base_b)]
    return runs_a + base_a, runs_b + base_b, np.array(diffs, dtype=float), per_a, per_b


def _why_missing(records, task, pairing):
    mine = [r for r in records if r["task"] == task and r["pairing"] == pairing]
    failed = sum(r["status"] == "error" for r in mine)
    if failed:
        return f"{pairing}: {failed} run(s) failed with an error"
    return f"{pairing}: no records" if not mine else ""


def compare(records, task, a, b, metric, rng, non_inferiority=False, baseline_task=None):
    """A against B on `metric` over the seeds both have (`paired_differences`; a difference in differences
    with `baseline_task`)."""
    margin = MARGINS.get(metric, (float("nan"), ""))[0]
    c = Comparison(task, a, b, metric, margin)
    tasks = (task,) if baseline_task is None else (task, baseline_task)
    c.missing = "; ".join(m for t in tasks for m in (_why_missing(records, t, a), _why_missing(records, t, b)) if m)
    if c.missing:
        return c
    runs_a, runs_b, diffs, per_a, per_b = paired_differences(records, task, a, b, metric, baseline_task)
    c.seeds = len(diffs)
    if c.seeds < 2:
        c.missing = f"{c.seeds} seed(s) with both pairings finished; a comparison needs 2 or more"
        return c
    sign = -1.0 if lower_is_better(metric) else 1.0
    if not np.isfinite(diffs).all():
        c.missing = f"{int((~np.isfinite(diffs)).sum())} of {c.seeds} seed pairs have no {metric} in their records"
        return c
    c.diff, c.t_low, c.t_high = stats.t_interval(diffs)
    gains = sign * diffs
    c.gains = gains
    c.p_a_beats_b = stats.probability_of_superiority(gains)
    c.detectable = stats.detectable_effect(gains)

    data = (
        [per_image.probabilities(r) for r in runs_a + runs_b] if metric == "mean_ap" and not baseline_task else [None]
    )
    data = [None if d is None else per_image.ranked(*d) for d in data]
    if all(v is not None for v in per_a + per_b):
        boot = stats.paired_bootstrap(np.array(per_a), np.array(per_b), rng)
        c.images_resampled = True
    elif all(d is not None for d in data):
        data_a, data_b = data[: len(runs_a)], data[len(runs_a) :]
        boot = stats.paired_bootstrap(
            data_a,
            data_b,
            rng,
            score=lambda x, y, i: per_image.mean_ap(x, i) - per_image.mean_ap(y, i),
            samples=stats.MEAN_AP_SAMPLES,
            n_images=data_a[0][1].shape[1],
        )
        c.images_resampled = True
    else:  # seeds only: the run-level values
        c.resampling = claim_metric(metric).seeds_only or "seeds only: these records hold no per-image outputs"
        boot = stats.paired_bootstrap(diffs[:, None], np.zeros((len(diffs), 1)), rng)
    c.boot_low, c.boot_high = boot.low, boot.high

    # p of each question: the pre-declared primary test, the paired t-test over seeds (the unit of
    # replication). The two-level bootstrap's p is kept beside it as the check on test-image noise.
    def p(question, boot_p, t_p):
        c.p[question] = t_p
        c.p_boot[question] = boot_p

    worse, better = ("less", "greater") if sign > 0 else ("greater", "less")
    p("worse", boot.p_less_than(0.0) if sign > 0 else boot.p_greater_than(0.0), stats.one_sided_p(diffs, worse))
    p("better", boot.p_greater_than(0.0) if sign > 0 else boot.p_less_than(0.0), stats.one_sided_p(diffs, better))
    p("similar", max(boot.p_greater_than(-margin), boot.p_less_than(margin)), stats.tost_p(diffs, margin))
    if non_inferiority:  # not worse than B by more than the margin, and its opposite
        shifted = diffs + sign * margin  # above 0 (in the better direction) when A is less than a margin worse
        p(
            "not worse",
            boot.p_greater_than(-margin) if sign > 0 else boot.p_less_than(margin),
            stats.one_sided_p(shifted, better),
        )
        p(
            "worse by the margin",
            boot.p_less_than(-margin) if sign > 0 else boot.p_greater_than(margin),
            stats.one_sided_p(shifted, worse),
        )
    return c
