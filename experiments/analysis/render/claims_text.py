"""REPORT.md: each claim of `claims.claim_list`, and each mismatch, answered from the records.

Every number and every verdict is computed here from the records (`verdicts`,
`descriptive`); the sentences are templates filled with them.
"""

from experiments.analysis.claims import verdicts
from experiments.analysis.claims.claim_list import STUDIES, STUDY_TITLES, shown_claims
from experiments.analysis.evidence import stats
from experiments.analysis.render import sections
from experiments.analysis.render.claim_sections import claim_section
from experiments.analysis.render.claims_table import GLANCE_COLUMNS, claim_rows, markdown
from experiments.analysis.render.glossary import glossary
from experiments.analysis.render.keras_said import keras_clause
from experiments.analysis.render.keras_worlds import pairing_clause
from experiments.analysis.render.report_header import design, header
from experiments.analysis.wording import fmt
from experiments.pairings import documented_pairing, task_pairings
from experiments.tasks import TASKS, get_task


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


def _runs_note(summary, pairing):
    """ "3 diverged, 1 collapsed" from the task's summary row, or ""."""
    if summary is None or pairing not in set(summary.pairing):
        return ""
    row = summary[summary.pairing == pairing].iloc[0]
    counts = [
        f"{int(row[k])} {name}"
        for k, name in (("n_diverged", "diverged"), ("n_collapsed", "collapsed"), ("n_error", "failed"))
        if row.get(k, 0)
    ]
    return ", ".join(counts)


def _mismatch_lines(task, comparisons, summary, recs=(), keras_cells=None):
    """Each pairing against the task's documented one: a table (one row a pairing, what it is in the glossary),
    then a short note per pairing where Keras would have said something or its own objects were measured."""
    import pandas as pd

    rows, notes = [], []
    families = []
    for pairing, spec in task_pairings(task, recs).items():  # named, then composed ones the records hold
        c = comparisons.get(("mismatch", pairing))
        if c is None:
            continue
        families.append(c.family)
        measured = not c.missing
        inconclusive = measured and c.outcome == "inconclusive"
        detectable = fmt(c.detectable_at(stats.ALPHA / max(c.family, 1))) if inconclusive else ""
        rows.append(
            {
                "pairing (A)": f"`{pairing}`",
                "what it is": spec.note,
                "verdict": "not measured" if c.outcome == "not measured" else f"**{c.outcome}**",
                f"Δ {c.metric} [95% t interval]": f"{fmt(c.diff)} [{fmt(c.t_low)}, {fmt(c.t_high)}]"
                if measured
                else c.missing,
                "two-level bootstrap": f"[{fmt(c.boot_low)}, {fmt(c.boot_high)}]" if measured else "",
                "P(A beats B in a seed)": fmt(c.p_a_beats_b, 2) if measured else "",
                "corrected p: worse, better, similar": ", ".join(
                    fmt(c.p_holm.get(k), 4) for k in ("worse", "better", "similar") if k in c.p_holm
                ),
                "seeds": c.seeds,
                "detectable at 80% power": detectable,
                "runs": _runs_note(summary, pairing),
            }
        )
        said = keras_clause(recs, task, pairing)
        if said:
            notes.append(f"- `{pairing}`, as Keras would have shown it: {said}\n")
        worlds = pairing_clause(keras_cells or {}, task, pairing)
        if worlds:
            notes.append(f"- `{pairing}`, measured with the hand-written objects; {worlds}\n")
    if not rows:
        return ""
    table = pd.DataFrame(rows)
    table = table[[k for k in table if (table[k] != "").any()]]  # a column with nothing in it is left out
    return (
        table.to_markdown(index=False, disable_numparse=True)
        + f"\n\nB: `{documented_pairing(task).name}`; each pairing's own numbers: its row of "
        f"[`tables/{task}.md`](tables/{task}.md). Δ: A − B, paired by seed; the corrected "
        f"p-values are Holm's among the task's {max(families)} exploratory questions.\n"
        + ("\n" + "".join(notes) if notes else "")
    )


def render(recs, by_task, comparisons=None, inventory=None, plan=None, keras_cells=None):
    """REPORT.md's text for `recs`; `by_task` are the per-task summaries (`summaries.all_summaries`);
    `inventory` (`loading.Inventory`) counts the records read, skipped and invalid; `plan` the power plan."""
    if comparisons is None:
        comparisons = verdicts.comparisons_by_task(recs, plan=plan)
    table = claim_rows(comparisons, plan, keras_cells)
    n_claims = max((c.family for t in comparisons.values() for (k, _), c in t.items() if k == "claim"), default=0)
    text = header(recs, inventory, n_claims, planned=bool(plan), plan=plan) + design(plan, recs)
    shown = shown_claims(plan)
    if all(get_task(r["task"]).task_file for r in recs):  # only a user's own tasks: the post's claims are not here
        return text + _yours(recs, comparisons, by_task, keras_cells)
    text += "## The claims at a glance\n\n" + (
        "One row per tested claim (the descriptive ones follow below); effect: A − B on the metric with its 95% t "
        "interval over seeds; corrected p: the claim's own question, Holm-corrected among the claims. Each claim's "
        "section below gives its quote, source and every number; all columns are in `tables/claims.*`.\n\n"
        + markdown(table, columns=GLANCE_COLUMNS)
        + "\n\n"
    )
    for study in STUDIES:
        claims = [c for c in shown if c.study == study]
        if claims:
            text += f"## {STUDY_TITLES[study]}\n\n" + "".join(
                claim_section(c, comparisons, recs, keras_cells) for c in claims
            )
    text += glossary(recs)
    text += (
        "\n## What each mismatch does (exploratory)\n\nEach against its task's documented pairing, on the task's "
        "headline metric; estimates with intervals, Holm-corrected within each task (see the rules above).\n"
    )
    for task in TASKS:
        if task not in comparisons:
            continue
        post = documented_pairing(task).name
        caveat = f"{TASK_CAVEATS[task]}\n\n" if task in TASK_CAVEATS else ""
        lines = _mismatch_lines(task, comparisons[task], by_task.get(task), recs, keras_cells)
        if lines:  # a task that is only a claim's (an undecidable one, say) has no mismatch lines
            text += f"\n### {task} (against `{post}`)\n\n" + caveat + lines
    extra = sections.extra_sections(recs, not_tested=any(c.study == "post" for c in shown))
    return text + ("\n" + extra if extra else "") + _sources(shown)


def _yours(recs, comparisons, by_task, keras_cells):
    """The report of a folder that holds only a user's own tasks (`experiments.tasks.task_file`): what was trained
    on which data and body, then each pairing against the task's matched one."""
    text = (
        "## Your tasks\n\nThis folder holds only tasks declared in task files, not the post's: the post's claims are "
        "not tested here. Each pairing below is compared with its task's matched pairing, seed by seed.\n\n"
        "| task | kind | data | SHA-256 (first 12 of 64 hex digits; in full in each record) | body |\n"
        "|:--|:--|:--|:--|:--|\n"
    )
    for task in sorted({r["task"] for r in recs}):
        options = get_task(task).data_options
        body = f"`{options['body']}` ({options['body_sha256'][:12]})" if options["body"] else "the default"
        text += (
            f"| {task} | {get_task(task).kind} | `{options['data_file']}` | {options['data_sha256'][:12]} | {body} |\n"
        )
    text += glossary(recs) + "\n## Each pairing against the matched one (exploratory)\n"
    for task in sorted(comparisons):
        post = documented_pairing(task).name
        lines = _mismatch_lines(task, comparisons[task], by_task.get(task), recs, keras_cells)
        if lines:
            text += f"\n### {task} (against `{post}`)\n\n" + lines
    return text


def _sources(claims):
    """The texts `claims` quote, by title (../shared/reference/README.md), and the papers they state in the suite's
    words."""
    from experiments.analysis.render.claims_table import SOURCE_TITLES

    used = {next((k for k in SOURCE_TITLES if c.source.startswith(k)), c.source) for c in claims}
    lines = [f"- {key}: {title}" for key, title in SOURCE_TITLES.items() if key in used]
    papers = sorted(u for u in used if u not in SOURCE_TITLES)
    text = "\n## Sources\n\n"
    if lines:
        text += (
            "The claims quote these texts (quotes shortened with [...]; a bracketed phrase is the suite's paraphrase "
            "of the setting):\n\n" + "\n".join(lines) + "\n"
        )
    if papers:
        text += "\nThe literature's claims state these papers' findings in the suite's words:\n\n"
        text += "\n".join(f"- {paper}" for paper in papers) + "\n"
    return text


# What a reader must know before quoting a task's mismatch lines.
TASK_CAVEATS = {
    "sepal_width": "At the post's 50 epochs these lines do not fit (see the mean-vs-median claim): the differences "
    "below compare undertrained lines; `sepal_width_fitted` compares them at their optima.",
}
