"""The rules that turn comparisons of two pairings over seeds into verdicts.

The comparisons themselves (effects, intervals, each question's p from its paired t-test over seeds)
are `comparison.compare`'s; this module holds the rules that turn them into verdicts.

Two families, kept apart (../shared/STATISTICS.md; Bender & Lange 2001):
- Confirmatory: the tested claims of `claims.claim_list`, each one pre-declared question: "similar"
  (equivalence within the metric's margin, two one-sided tests), "better" (one-sided, against 0) or
  "not worse" (non-inferiority: not worse by more than the margin). Their p-values are
  Holm-corrected together, over every tested claim with records (`comparisons_by_task`). A claim is
  supported when its question's corrected p is below ALPHA (decided first); contradicted when its 95%
  intervals (t and bootstrap, whichever is wider) lie wholly where the claim is false (`claim_outcome`);
  otherwise inconclusive, with the reason in words (`inconclusive_reason`).
- Exploratory: each mismatch against its task's post pairing asks worse, better (one-sided, against
  0) and similar (TOST, margin); the questions of one task's mismatches are Holm-corrected together.
  "similar" takes precedence over "worse" and "better" when both pass.
"""

import copy

import numpy as np

from experiments.analysis.claims.claim_list import CLAIMS
from experiments.analysis.claims.claim_metrics import (  # noqa: F401  (re-exported: the verdicts' vocabulary)
    RUN_LEVEL,
    lower_is_better,
    run_value,
)
from experiments.analysis.claims.comparison import compare
from experiments.analysis.evidence import stats
from experiments.pairings import documented_pairing, task_pairings
from experiments.tasks import get_task
from experiments.training.metrics import HEADLINE

OUTCOMES = ("worse", "better", "similar", "inconclusive", "not measured")
CLAIM_OUTCOMES = ("supported", "contradicted", "inconclusive", "undecidable", "not measured")


# Each tested claim's one question, by its test.
QUESTION = {"equivalence": "similar", "better": "better", "not worse": "not worse"}


def gain_interval(c):
    """The widest of the t and bootstrap 95% intervals of A - B, oriented so that positive means A is better."""
    low, high = min(c.t_low, c.boot_low), max(c.t_high, c.boot_high)
    return (-high, -low) if lower_is_better(c.metric) else (low, high)


def claim_outcome(claim, comparison):
    """supported, contradicted, inconclusive or not measured: the claim's verdict (the module's rules)."""
    c = comparison
    if c.undecidable:
        return "undecidable"
    if c.missing:
        return "not measured"
    if c.p_holm.get(QUESTION[claim.test], 1.0) < stats.ALPHA:
        return "supported"
    low, high = gain_interval(c)
    margin = c.margin
    if claim.test == "equivalence" and (low >= margin or high <= -margin):
        return "contradicted"  # the whole interval is outside the margin
    if claim.test == "better" and high <= 0:
        return "contradicted"  # no gain at all: the mirror of the test against 0
    if claim.test == "not worse" and high < -margin:
        return "contradicted"  # worse by more than the margin
    return "inconclusive"


def inconclusive_reason(claim, c):
    """Why an inconclusive claim is so, in plain words, with the seeds' detectable effect at the corrected level."""
    question = QUESTION[claim.test]
    raw, corrected = c.p.get(question, float("nan")), c.p_holm.get(question, float("nan"))
    low, high = gain_interval(c)
    if raw < stats.ALPHA <= corrected:
        why = f"p = {raw:.3f} alone, {corrected:.3f} after correcting for {c.family} claims"
    elif claim.test == "equivalence" and -c.margin < low and high < c.margin:
        why = f"the interval lies inside ±{c.margin}, but after correcting for {c.family} claims p = {corrected:.3f}"
    else:
        bound = "±the margin" if claim.test == "equivalence" else ("0" if claim.test == "better" else "−the margin")
        why = f"the interval [{low:.3f}, {high:.3f}] (A better: positive) reaches across {bound}; p = {corrected:.3f}"
    detectable = c.detectable_at(stats.ALPHA / max(c.family, 1))
    return f"{why}; these seeds detect {detectable:.3f} at the corrected level (alpha {stats.ALPHA}/{c.family})"


def _holm(pairs):
    """Holm-correct the p-values of (comparison, question) pairs together; each comparison learns the family's size."""
    adjusted = stats.holm([c.p[k] for c, k in pairs])
    for (c, k), p in zip(pairs, adjusted):
        c.p_holm[k] = float(p)
    for c, _ in pairs:
        c.family = len(pairs)


def mismatch_comparisons(records, task, rng):
    """Each mismatch of `task` against its post pairing: the exploratory family of the task, Holm-corrected."""
    post = documented_pairing(task).name
    headline = HEADLINE[get_task(task).kind]
    present = {r["pairing"] for r in records if r["task"] == task}
    comparisons = {
        ("mismatch", pairing): compare(records, task, pairing, post, headline, rng)
        for pairing in task_pairings(task, records)
        if pairing != post and pairing in present
    }
    _holm([(c, k) for c in comparisons.values() for k in c.p])
    return comparisons


def _claim_comparison(records, claim, mismatches, rng):
    """The comparison a claim's question is asked of: a fresh one, or a copy of the mismatch asking the same."""
    post = documented_pairing(claim.task).name
    headline = HEADLINE[get_task(claim.task).kind]
    same = mismatches.get(("mismatch", claim.a if claim.b == post else claim.b))
    asks_the_same = claim.metric == headline and claim.test != "not worse" and claim.baseline_task is None
    if asks_the_same and post in (claim.a, claim.b) and same is not None:
        c = copy.copy(same if claim.b == post else same.reversed())
        c.mirror, c.p, c.p_holm = None, dict(c.p), {}
        return c
    return compare(
        records, claim.task, claim.a, claim.b, claim.metric, rng, claim.test == "not worse", claim.baseline_task
    )


def _apply_plan(c, row):
    """Hold a claim's comparison to its power plan's row: undecidable as declared, or not measured until every
    planned seed is trained (a claim is never decided on fewer seeds than its plan asked for)."""
    if row["seeds"] is None:
        c.undecidable = row["why_not"]
    elif not c.missing and c.seeds < row["seeds"]:
        c.missing = f"{c.seeds} of the {row['seeds']} planned seeds trained so far"


def comparisons_by_task(records, seed=0, plan=None):
    """{task: {("mismatch", pairing) or ("claim", id): Comparison}} for every task with records.

    Mismatches are corrected per task (exploratory); the tested claims together (confirmatory),
    each on its one question (`QUESTION`). With a power `plan` (`plan_file.read_plan`), a claim it declared
    undecidable is not tested, and one with fewer seeds than planned is not measured yet.
    """
    rng = np.random.default_rng(seed)
    tasks = [t for t in dict.fromkeys(r["task"] for r in records)]
    out = {task: mismatch_comparisons(records, task, rng) for task in tasks}
    planned = {row["claim"]: row for row in (plan or {}).get("claims", [])}
    family = []
    for claim in CLAIMS:
        if claim.test == "descriptive" or (claim.task not in out and claim.id not in planned):
            continue
        if planned and claim.id not in planned:  # a planned study's family is its plan's claims
            continue
        out.setdefault(claim.task, {})
        c = _claim_comparison(records, claim, out[claim.task], rng)
        if claim.id in planned:
            _apply_plan(c, planned[claim.id])
        out[claim.task][("claim", claim.id)] = c
        if not c.missing and not c.undecidable:
            family.append((c, QUESTION[claim.test]))
    _holm(family)
    for task in out.values():  # a claim outside the family (undecidable, missing) may be a mismatch's copy
        for (kind, _), c in task.items():
            if kind == "claim":
                c.family = len(family)
    return out


def task_comparisons(records, task, seed=0):
    """The comparisons of one task (`comparisons_by_task`), claims corrected with every claim of `records`."""
    return comparisons_by_task(records, seed).get(task, {})
