"""How many seeds each confirmatory claim needs: a power analysis from a pilot's paired differences.

For each claim of the confirmatory family (`claim_list.CLAIMS` with a test), the pilot (the
records of a results folder, e.g. seeds 0-9 of `results/full`) gives the paired per-seed gain of
A over B (positive: A is better) with its standard deviation. The seeds needed are the fewest
that give `POWER` for the claim's own question at the family's strictest corrected level,
alpha / m (the first step of Holm's procedure over the m claims):
- better: a one-sided paired t-test of gain > 0 (`statsmodels` `TTestPower`);
- not worse: a one-sided paired t-test of gain > -margin (non-inferiority, `TTestPower`);
- similar: two one-sided tests of |difference| < margin (TOST), whose power statsmodels has no
  class for: from the noncentral t (Phillips 1990, "Power of the two one-sided tests procedure in
  bioequivalence", J Pharmacokinet Biopharm; Lakens 2017's TOSTER uses the same approximation):
  power = P(T1 > t_c) + P(T2 < -t_c) - 1, T1 ~ t'(n-1, (d+M) sqrt(n) / sd), T2 ~ t'(n-1, (d-M) sqrt(n) / sd).
A claim whose pilot effect lies where its question cannot succeed (a "better" with no gain, a
"similar" with |effect| at or beyond the margin), or that the cap cannot power, is stated so.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats
from statsmodels.stats.power import TTestPower

from experiments.analysis.claims.claim_metrics import MARGINS, lower_is_better
from experiments.analysis.claims.comparison import paired_differences
from experiments.analysis.evidence.stats import ALPHA

POWER = 0.9
CAP = 40  # the most seeds a claim is planned with
SMALLEST = 3


def tost_power(effect, sd, margin, n, alpha):
    """Power of TOST (paired, n seeds) for a true mean difference `effect` with per-seed sd `sd`.

    Units: `effect`, `sd` and `margin` in the metric's units. Returns a probability in [0, 1]."""
    if n < 2 or sd <= 0:
        return float("nan")
    df, root = n - 1, np.sqrt(n)
    critical = scipy_stats.t.ppf(1 - alpha, df)
    upper = scipy_stats.nct.sf(critical, df, (effect + margin) * root / sd)
    lower = scipy_stats.nct.cdf(-critical, df, (effect - margin) * root / sd)
    return float(max(0.0, upper + lower - 1.0))


def one_sided_power(shift, sd, n, alpha):
    """Power of a one-sided paired t-test (n seeds) when the tested mean lies `shift` above its null."""
    if n < 2 or sd <= 0:
        return float("nan")
    return float(TTestPower().power(effect_size=shift / sd, nobs=n, alpha=alpha, alternative="larger"))


def seeds_needed(test, gain, sd, margin, alpha, power=POWER, cap=CAP):
    """The fewest seeds (SMALLEST..cap) that reach `power`, or None if the cap does not (or cannot) reach it.

    `gain`: the pilot's mean gain of A over B (positive: A better); `test`: "better", "not worse" or
    "equivalence"."""
    if test == "equivalence":
        reaches = lambda n: tost_power(gain, sd, margin, n, alpha) >= power  # noqa: E731
        if abs(gain) >= margin:
            return None
    else:
        shift = _shift(test, gain, margin)
        if shift <= 0:
            return None
        reaches = lambda n: one_sided_power(shift, sd, n, alpha) >= power  # noqa: E731
    return next((n for n in range(SMALLEST, cap + 1) if reaches(n)), None)


def _shift(test, gain, margin):
    """How far above its null a one-sided question's true mean lies: 0 for better, -margin for not worse."""
    return gain if test == "better" else gain + margin


@dataclass
class PlanRow:
    """One claim's plan: the pilot's numbers, the seeds it needs, what they cost, and why not when they cannot."""

    claim: str
    task: str
    test: str
    metric: str
    pilot_seeds: int
    pilot_gain: float
    paired_sd: float
    margin: float
    seeds: int | None
    core_minutes: float | None
    why_not: str = ""


def _run_minutes(runs):
    """Core-minutes of one run: its pack's wall time shared among the pack's runs (pilot records' means)."""
    per = [(r["timing"].get("wall_s") or 0.0) / max(r["timing"].get("pack_size") or 1, 1) for r in runs]
    return float(np.mean(per)) / 60.0 if per else float("nan")


def plan(records, claims, alpha=ALPHA, power=POWER, cap=CAP):
    """A `PlanRow` per confirmatory claim of `claims` (those with a test), from the pilot `records`."""
    family = [c for c in claims if c.test in ("equivalence", "better", "not worse")]
    level = alpha / max(len(family), 1)
    rows = []
    for claim in family:
        runs_a, runs_b, diffs, _, _ = paired_differences(
            records, claim.task, claim.a, claim.b, claim.metric, claim.baseline_task
        )
        diffs = diffs[np.isfinite(diffs)] if len(diffs) else diffs
        margin = MARGINS.get(claim.metric, (float("nan"), ""))[0]
        sign = -1.0 if lower_is_better(claim.metric) else 1.0
        row = PlanRow(claim.id, claim.task, claim.test, claim.metric, len(diffs), float("nan"), float("nan"), margin,
                      None, None)  # fmt: skip
        if len(diffs) < 2:
            row.why_not = f"{len(diffs)} pilot seed(s) with both pairings: no pilot"
            rows.append(row)
            continue
        row.pilot_gain, row.paired_sd = float(sign * diffs.mean()), float(diffs.std(ddof=1))
        if row.paired_sd == 0:
            row.seeds, row.why_not = SMALLEST, "no spread over the pilot's seeds: the smallest study decides it"
        else:
            row.seeds = seeds_needed(claim.test, row.pilot_gain, row.paired_sd, margin, level, power, cap)
        if row.seeds is None:
            row.why_not = _why_not(claim.test, row, level, power, cap)
        else:
            per_seed = 2 if claim.baseline_task else 1  # runs of A and of B on the task, and on the baseline
            row.core_minutes = row.seeds * per_seed * (_run_minutes(runs_a) + _run_minutes(runs_b))
        rows.append(row)
    return rows, level


def _why_not(test, row, level, power, cap):
    if test == "equivalence" and abs(row.pilot_gain) >= row.margin:
        gap = abs(row.pilot_gain)
        return f"the pilot's difference {gap:.4f} is at or beyond the margin {row.margin}: TOST cannot succeed"
    if test == "better" and row.pilot_gain <= 0:
        return f"the pilot shows no gain ({row.pilot_gain:.4f}): a test of 'better' cannot succeed"
    if test == "not worse" and row.pilot_gain <= -row.margin:
        return f"the pilot is worse by more than the margin ({row.pilot_gain:.4f} vs -{row.margin})"
    if test == "equivalence":
        reached = tost_power(row.pilot_gain, row.paired_sd, row.margin, cap, level)
    else:
        reached = one_sided_power(_shift(test, row.pilot_gain, row.margin), row.paired_sd, cap, level)
    return f"undecidable at the cap: {cap} seeds give power {reached:.2f} < {power} at level {level:.4f}"


PILOT_SEEDS = 3  # the fewest pilot seeds a written plan is sized from: two give one difference's spread, a guess


def first_fresh_seed(pilot, pilot_seeds, others, asked=None, cap=CAP):
    """The first seed of a new study: `asked` (`plan --first-seed`), checked, else the one after every seed the
    pilot (`pilot_seeds`) and the other studies (`others`, {folder: seeds}) have trained.

    Raises:
        ValueError: fewer than 2 pilot seeds (no spread to size from), or `asked` is not a seed, leaves no room
            for `cap` seeds below 2**32, or reuses the pilot's or another study's seeds.
    """
    if len(pilot_seeds) < 2:
        raise ValueError(
            f"the pilot {pilot} has {len(pilot_seeds)} seed(s): a power plan needs the spread of per-seed differences, "
            "so at least 2 seeds of each claim's pairings (results/full has 10); sweep more seeds into it first."
        )
    used = max([pilot_seeds[-1], *(max(s) for s in others.values())])
    if asked is None:
        return used + 1
    if asked < 0:
        raise ValueError(f"--first-seed must be a seed, a non-negative integer (e.g. {used + 1}), got {asked}.")
    if asked + cap - 1 > 2**32 - 1:  # numpy's seeds: 0 to 2**32 - 1
        raise ValueError(
            f"--first-seed {asked} leaves no room for {cap} seeds below 2**32 (the largest seed); "
            f"use {used + 1}, the first seed no study has used."
        )
    if asked <= pilot_seeds[-1]:
        raise ValueError(
            f"--first-seed {asked} would reuse the pilot's seeds ({pilot_seeds[0]}-{pilot_seeds[-1]}); the "
            f"confirmatory seeds must be fresh: use {used + 1} or more."
        )
    clash = {f: s for f, s in others.items() if asked <= max(s)}
    if clash:
        named = "; ".join(f"{f} (seeds {min(s)}-{max(s)})" for f, s in clash.items())
        raise ValueError(
            f"--first-seed {asked} would reuse seeds another study has trained and reported: {named}; "
            f"use {used + 1} or more."
        )
    return asked


def decides_nothing(rows, pilot_seeds):
    """Why a plan of `rows` would decide nothing ("" where it decides something): every claim undecidable at
    the cap, or a pilot of fewer than `PILOT_SEEDS` seeds, whose spread is a guess."""
    if rows and all(r.seeds is None for r in rows):
        return f"every one of the {len(rows)} claims is undecidable at the cap: the plan would decide nothing"
    if len(pilot_seeds) < PILOT_SEEDS:
        return (
            f"the pilot has {len(pilot_seeds)} seeds, fewer than {PILOT_SEEDS}: the spread each claim is sized from "
            "is a guess"
        )
    return ""


def seeds_per_pairing(rows, claims):
    """{(task, pairing): seeds}: the most seeds any planned claim asks of each pairing it compares."""
    by_id = {c.id: c for c in claims}
    need = {}
    for row in rows:
        if row.seeds is None:
            continue
        claim = by_id[row.claim]
        for task in (claim.task, claim.baseline_task) if claim.baseline_task else (claim.task,):
            for pairing in (claim.a, claim.b):
                need[(task, pairing)] = max(need.get((task, pairing), 0), row.seeds)
    return need


def sweep_commands(need, first_seed, results):
    """The sweeps that train the planned seeds on fresh seeds from `first_seed`: one per task, each of its
    pairings on the task's largest planned count (a task's runs of one seed train together in packs, so a
    pairing that needs fewer seeds costs less than a pack of its own would)."""
    groups = {}
    for (task, pairing), n in sorted(need.items()):
        pairings, most = groups.get(task, ([], 0))
        groups[task] = ([*pairings, pairing], max(most, n))
    return [
        f"python -m experiments sweep --profile full --results {results} --tasks {task} "
        f"--pairings {' '.join(pairings)} --seeds {' '.join(str(s) for s in range(first_seed, first_seed + n))}"
        for task, (pairings, n) in sorted(groups.items())
    ]


def table(rows):
    """The plan as a DataFrame (one row per claim), for printing and for tables/plan.*."""
    import pandas as pd

    return pd.DataFrame(
        {
            "claim": [r.claim for r in rows],
            "task": [r.task for r in rows],
            "question": [r.test for r in rows],
            "metric": [r.metric for r in rows],
            "margin": [r.margin for r in rows],
            "pilot seeds": [r.pilot_seeds for r in rows],
            "pilot gain (A - B, + favours A)": [round(r.pilot_gain, 4) for r in rows],
            "paired sd": [round(r.paired_sd, 4) for r in rows],
            "seeds needed": [r.seeds if r.seeds is not None else "undecidable" for r in rows],
            "core-minutes": [round(r.core_minutes, 1) if r.core_minutes is not None else "" for r in rows],
            "why not": [r.why_not for r in rows],
        }
    )
