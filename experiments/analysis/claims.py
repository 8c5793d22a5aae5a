"""REPORT.md: each claim of `claim_list`, and each mismatch, answered from the records.

Every number and every verdict is computed here from the records (`verdicts`,
`descriptive`); the sentences are templates filled with them.
"""

import datetime
from collections import Counter

from experiments.analysis import descriptive, sections, stats, verdicts
from experiments.analysis.claim_list import CLAIMS, MARGINS
from experiments.analysis.claims_table import claim_rows, markdown
from experiments.analysis.claims_table import source_title as claim_source
from experiments.analysis.keras_said import keras_clause
from experiments.analysis.summaries import fmt
from experiments.pairings import documented_pairing, task_pairings
from experiments.tasks import TASKS


def _cite(task, pairing):
    return f"[`tables/{task}.md`, row `{pairing}`]"


def _numbers(c, question=None):
    """The numbers a comparison's outcome rests on, in one clause; `question`: a claim's one question."""
    if c.missing:
        return f"not measured ({c.missing})"
    level = c.resampling
    asked = [question] if question else list(c.p)
    p = ", ".join(f"{k} {fmt(c.p_holm.get(k), 4)}" for k in asked)
    family = f"among {c.family} claims" if question else f"among the task's {c.family} exploratory questions"
    text = (
        f"Δ {c.metric} (`{c.a}` − `{c.b}`) {fmt(c.diff)}, 95% t interval over {c.seeds} seeds "
        f"[{fmt(c.t_low)}, {fmt(c.t_high)}], two-level bootstrap [{fmt(c.boot_low)}, {fmt(c.boot_high)}] "
        f"(resampling {level}); P(`{c.a}` beats `{c.b}` in a seed) {fmt(c.p_a_beats_b, 2)}; "
        f"Holm-corrected p ({family}): {p}"
    )
    if not question and c.outcome == "inconclusive":
        detectable = c.detectable_at(stats.ALPHA / max(c.family, 1))
        text += f"; smallest difference these seeds detect at 80% power and the corrected level: {fmt(detectable)}"
    return text


def _claim_line(claim, comparisons, records):
    anchor = f'<a id="claim-{claim.id.replace("_", "-")}"></a>'
    head = f'- {anchor}"{claim.quote}" ({claim_source(claim.source)}).'
    if claim.test == "descriptive":
        return head + " **Measured:** " + descriptive.describe(claim, records) + "\n"
    c = comparisons.get(claim.task, {}).get(("claim", claim.id))
    if c is None:
        return head + f" **Not measured**: no records of {claim.task}. No verdict.\n"
    outcome = verdicts.claim_outcome(claim, c)
    margin = MARGINS.get(claim.metric, (None, ""))
    relation = {"equivalence": "similar to", "better": "better than", "not worse": "not worse than"}[claim.test]
    test = f"Test: `{claim.a}` {relation} `{claim.b}` on {claim.metric}, margin ±{margin[0]} ({margin[1]})."
    note = f" {claim.note}" if claim.note else ""
    if claim.metric == "aulc":
        note += " " + descriptive.wall_time(records, claim.task, claim.a, claim.b)
    verdict = "**Not measured.** No verdict." if outcome == "not measured" else f"**{outcome.capitalize()}.**"
    if outcome == "undecidable":
        verdict += f" Declared before the runs by the power plan: {c.undecidable}; not tested."
    if outcome == "inconclusive":
        verdict += f" Why: {verdicts.inconclusive_reason(claim, c)}."
    numbers = _numbers(c, verdicts.QUESTION[claim.test])
    return f"{head} {verdict} {test}{note} {numbers}. {_cite(claim.task, claim.a)}, {_cite(claim.task, claim.b)}\n"


def _mismatch_lines(task, comparisons, summary, recs=()):
    lines = []
    for pairing, spec in task_pairings(task).items():
        c = comparisons.get(("mismatch", pairing))
        if c is None:
            continue
        extra = ""
        if summary is not None and pairing in set(summary.pairing):
            row = summary[summary.pairing == pairing].iloc[0]
            counts = [
                f"{int(row[k])} {name}"
                for k, name in (("n_diverged", "diverged"), ("n_collapsed", "collapsed"), ("n_error", "failed"))
                if row.get(k, 0)
            ]
            extra = f" Runs: {', '.join(counts)}." if counts else ""
        outcome = "**not measured**; no verdict" if c.outcome == "not measured" else f"**{c.outcome}**"
        said = keras_clause(recs, task, pairing)
        said = f" {said}" if said else ""
        lines.append(f"- `{pairing}` ({spec.note}): {outcome}. {_numbers(c)}.{extra}{said} {_cite(task, pairing)}\n")
    return "".join(lines)


def _settings_line(recs):
    """Epochs, batch size and seeds of the records, per task, as measured (not as planned)."""
    parts = []
    for task in sorted({r["task"] for r in recs}):
        these = [r for r in recs if r["task"] == task]
        epochs = sorted({r["config"]["epochs"] for r in these})
        batch = sorted({r["config"]["batch_size"] for r in these})
        seeds = sorted({r["seed"] for r in these})
        parts.append(
            f"{task}: {'/'.join(map(str, epochs))} epochs, batch {'/'.join(map(str, batch))}, {len(seeds)} seeds"
        )
    return "; ".join(parts)


def _commit_line(recs):
    """The commit this report was rendered at, and the commits (dirty or not) its records were trained at."""
    from experiments.training.speed.process import source_commit

    commit, dirty = source_commit()
    trained = Counter(
        ((r.get("environment") or {}).get("git_commit"), (r.get("environment") or {}).get("git_dirty")) for r in recs
    )
    parts = [
        f"{n} at {c[:10]}{' (code changed since)' if d else ''}" if c else f"{n} before commits were recorded"
        for (c, d), n in sorted(trained.items(), key=lambda item: -item[1])
    ]
    here = f"{commit[:10]}{' with uncommitted changes' if dirty else ''}" if commit else "outside a git checkout"
    return (
        f"Rendered by the code of commit {here} (the rendered files are committed after it). "
        f"Records trained: {'; '.join(parts)}."
    )


def _platform_line(recs):
    keys = ("python", "keras", "tensorflow", "numpy", "backend", "onednn", "adam", "platform", "cpu", "cpu_features")

    def value(env, key):
        found = env.get(key, "not recorded")
        return " ".join(found) if isinstance(found, list) else str(found)

    seen = {k: sorted({value(r.get("environment") or {}, k) for r in recs if r.get("environment")}) for k in keys}
    return "; ".join(f"{k} {'/'.join(v)}" for k, v in seen.items() if v)


def _header(recs, inventory=None, n_claims=0):
    profiles = sorted({r["profile"] for r in recs})
    counts = {s: sum(r["status"] == s for r in recs) for s in ("ok", "diverged", "error")}
    by_source = {}
    for r in recs:
        key = (r["profile"], (r.get("data") or {}).get("source", "unknown data"))
        by_source.setdefault(key, set()).add(r["task"])
    sources = "\n".join(
        f"- profile `{p}`, {', '.join(sorted(tasks))}: {s}" for (p, s), tasks in sorted(by_source.items())
    )
    citable = profiles == ["full"]
    warning = (
        ""
        if citable
        else (
            f"\n**Not for citing:** profile {', '.join(profiles)} is not the post's settings (the `full` profile is).\n"
        )
    )
    subset = any("subset" in (r.get("data") or {}).get("source", "") for r in recs)
    margins = "; ".join(f"{m} ±{v[0]}" for m, v in MARGINS.items())
    return (
        "# What the measurements say\n\n"
        f"Generated {datetime.date.today().isoformat()} by `python -m experiments report` from {len(recs)} run records "
        f"({counts['ok']} ok, {counts['diverged']} diverged, {counts['error']} error).\n{warning}\n"
        + (f"{inventory.line()}\n\n" if inventory is not None else "")
        + f"Settings: {_settings_line(recs)}.\n\nData:\n\n{sources}\n\n"
        + ("CIFAR-10 numbers come from a subset of CIFAR-10 (sizes above), not full CIFAR-10.\n\n" if subset else "")
        + f"Platform and libraries: {_platform_line(recs)}. LeanAdam is Adam with Keras's defaults in one "
        "update for all of a pack's variables, used only where a run-time check finds it equal to "
        "`keras.optimizers.Adam` (docs/performance.md); the SGD variants use `keras.optimizers.SGD`.\n\n"
        + f"{_commit_line(recs)}\n\n"
        "How to read the verdicts. Pairings are compared paired by seed. Each question's p comes from its one "
        "pre-declared test, the paired t-test over seeds (the seed is the unit of replication); the two-level "
        f"bootstrap interval (seeds, then test images within a seed; {stats.BOOTSTRAP_SAMPLES:,} draws for accuracy "
        f"and MSE, {stats.MEAN_AP_SAMPLES:,} for mean AP, seeds only for run-level measures) stands beside it as the "
        f"check on test-image noise. The level is {stats.ALPHA}. Margins, declared before the runs: {margins}.\n\n"
        f"- **Claims (confirmatory).** Each tested claim is one pre-declared question: *similar* (two one-sided "
        "tests against the margin), *better* (one-sided, against 0) or *not worse* (not worse by more than the "
        f"margin). The {n_claims} tested claims with records form one family, Holm-corrected together. A claim is "
        "**supported** when its question's corrected p is below the level (decided first); **contradicted** when "
        "its 95% intervals (t and bootstrap, the wider) lie wholly where the claim is false (outside the margin "
        "for *similar*; at or below no gain for *better*; worse by more than the margin for *not worse*); else "
        "**inconclusive**, with the reason and the effect its seeds detect at the Bonferroni level alpha/(family "
        "size), a conservative stand-in for Holm's. A claim that asks the same question as a mismatch line has its "
        "own p, corrected among the claims: quote the claim's. Effects are A − B in the metric's own units, so "
        "for a loss-like metric (MSE, never-active units) a negative effect favours A. P(A beats B in a seed) "
        "counts ties as half.\n"
        "- **Mismatches (exploratory).** Each mismatch is an estimate against its task's post pairing, with "
        "intervals; it asks *worse* and *better* (one-sided, against 0) and *similar* (the margin), and the "
        "questions of one task's mismatches are Holm-corrected together. *similar* takes precedence when two "
        "questions pass.\n"
        "- A claim or comparison whose runs are missing or failed is **not measured** and gets no verdict; "
        "**collapsed** runs end within 0.05 of chance or 0.10 below their own best epoch, and are counted, not "
        "dropped. Tables: `tables/`; figures: `figures/`.\n\n"
    )


def _design(plan, recs):
    """The study's design, when its folder holds a power plan: pilot, power, fresh seeds, verdicts."""
    if not plan:
        return ""
    pilot = plan["pilot"]["seeds"]
    fresh = sorted({r["seed"] for r in recs})
    planned = [c for c in plan["claims"] if c["seeds"] is not None]
    undecidable = [c["claim"] for c in plan["claims"] if c["seeds"] is None]
    return (
        "Design. (1) Pilot: the records of `{}` (seeds {}-{}), reported there as exploratory. (2) Power: from the "
        "pilot's paired effect and standard deviation, each claim's seeds for power {} on its own question at "
        "alpha/m = {:.5f}, at most {} seeds (`python -m experiments plan`; the plan was written to `plan.json` at "
        "{}, commit {}, before any run here). (3) Fresh seeds: the pairings of the {} planned claims trained on "
        "seeds {}-{} "
        "only; a claim is tested on every fresh seed its pairings have, and not before it has its planned number. "
        "(4) Verdicts from these seeds alone. {} claim(s) the plan found undecidable are not tested: {}.\n\n"
    ).format(
        plan["pilot"]["results"], pilot[0], pilot[-1], plan["power"], plan["level"], plan["cap"],
        plan["written_at"], (plan.get("git_commit") or "unknown")[:10], len(planned),
        fresh[0] if fresh else "-", fresh[-1] if fresh else "-", len(undecidable), ", ".join(undecidable) or "none",
    )  # fmt: skip


def render(recs, by_task, comparisons=None, inventory=None, plan=None):
    """REPORT.md's text for `recs`; `by_task` are the per-task summaries (`summaries.all_summaries`);
    `inventory` (`loading.Inventory`) counts the records read, skipped and invalid; `plan` the power plan."""
    if comparisons is None:
        comparisons = verdicts.comparisons_by_task(recs, plan=plan)
    table = claim_rows(comparisons)
    n_claims = max((c.family for t in comparisons.values() for (k, _), c in t.items() if k == "claim"), default=0)
    text = _header(recs, inventory, n_claims) + _design(plan, recs) + "## The claims at a glance\n\n"
    text += (
        "One row per tested claim (the descriptive ones follow below); effect: A − B on the metric with its 95% t "
        "interval over seeds (for MSE and never-active units lower is better, so a negative effect favours A); "
        "corrected p: the claim's own question, Holm-corrected as stated above. Also in `tables/claims.*`.\n\n"
        + markdown(table)
        + "\n\n"
    )
    text += "## The reference texts' claims\n\n"
    text += "".join(_claim_line(claim, comparisons, recs) for claim in CLAIMS)
    text += (
        "\n## What each mismatch does (exploratory)\n\nEach against its task's documented pairing, on the task's "
        "headline metric; estimates with intervals, Holm-corrected within each task (see the rules above).\n"
    )
    for task in TASKS:
        if task not in comparisons:
            continue
        post = documented_pairing(task).name
        caveat = f"{TASK_CAVEATS[task]}\n\n" if task in TASK_CAVEATS else ""
        text += (
            f"\n### {task} (against `{post}`)\n\n"
            + caveat
            + _mismatch_lines(task, comparisons[task], by_task.get(task), recs)
        )
    extra = sections.extra_sections(recs)
    return text + ("\n" + extra if extra else "") + _sources()


def _sources():
    """The texts the claims quote, by title (../shared/reference/README.md)."""
    from experiments.analysis.claims_table import TITLES

    lines = [f"- {key}: {title}" for key, title in TITLES.items()]
    return (
        "\n## Sources\n\nThe claims quote these texts (quotes shortened with [...]; a bracketed phrase is the "
        "suite's paraphrase of the setting):\n\n" + "\n".join(lines) + "\n"
    )


# What a reader must know before quoting a task's mismatch lines.
TASK_CAVEATS = {
    "sepal_width": "At the post's 50 epochs these lines do not fit (see the mean-vs-median claim): the differences "
    "below compare undertrained lines; `sepal_width_fitted` compares them at their optima.",
}
