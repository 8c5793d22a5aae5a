"""REPORT.md's section of one claim: its verdict and the one sentence of why first, then the whole quote with its
source, then its numbers in a table. Every number comes from its `verdicts.Comparison`."""

import pandas as pd

from experiments.analysis.claims import descriptive, verdicts
from experiments.analysis.claims.claim_list import MARGINS
from experiments.analysis.render.claims_table import source_title
from experiments.analysis.wording import fmt, p_value, paragraphs

RELATION = {"equivalence": "similar to", "better": "better than", "not worse": "not worse than"}


def anchor(claim):
    """The claim's link target in REPORT.md (`REPORT.md#claim-<id with hyphens>`)."""
    return f"claim-{claim.id.replace('_', '-')}"


def cite(task, pairing):
    return f"[`tables/{task}.md`, row `{pairing}`]"


def why(claim, c, outcome):
    """One sentence: why the claim got its verdict."""
    question = verdicts.QUESTION[claim.test]
    p = p_value(c.p_holm.get(question))
    low, high = verdicts.gain_interval(c)
    interval = f"[{fmt(low)}, {fmt(high)}] (the wider of the t and bootstrap intervals; A better: positive)"
    if outcome == "undecidable":
        return f"Declared before the runs by the power plan: {c.undecidable}; not tested."
    if outcome == "inconclusive":
        return f"Why: {verdicts.inconclusive_reason(claim, c)}."
    if outcome == "contradicted":
        where = {
            "equivalence": f"outside ±{c.margin}",
            "better": "at or below no gain",
            "not worse": f"below −{c.margin}",
        }[claim.test]
        return f"The gain's widest 95% interval {interval} lies wholly {where}: the claim is false here."
    if claim.test == "equivalence":
        return f"`{c.a}` is within ±{c.margin} of `{c.b}` on {c.metric}: both one-sided tests pass (corrected p {p})."
    # The same effect and 95% t interval as the claims table and the numbers below: A − B, unoriented.
    lower = " (lower is better here: negative favours A)" if verdicts.lower_is_better(c.metric) else ""
    effect = f"A − B {fmt(c.diff)} [{fmt(c.t_low)}, {fmt(c.t_high)}]{lower}"
    if claim.test == "better" and claim.baseline_task:
        return (
            f"`{c.a}` loses less {c.metric} than `{c.b}` from {claim.baseline_task} to {claim.task} over {c.seeds} "
            f"seeds (corrected p {p}; {effect})."
        )
    if claim.test == "better":
        return f"`{c.a}` beats `{c.b}` on {c.metric} over {c.seeds} seeds (corrected p {p}; {effect})."
    return f"`{c.a}` is not worse than `{c.b}` by more than {c.margin} on {c.metric} (corrected p {p})."


def numbers_table(claim, c):
    """The claim's numbers, one row (Markdown)."""
    margin = MARGINS.get(claim.metric, (None, ""))
    question = verdicts.QUESTION[claim.test]
    row = {
        "test": f"`{claim.a}` {RELATION[claim.test]} `{claim.b}` on {claim.metric}",
        "margin": f"±{margin[0]}",
        "effect A − B": fmt(c.diff),
        "95% t interval": f"[{fmt(c.t_low)}, {fmt(c.t_high)}]",
        "two-level bootstrap": f"[{fmt(c.boot_low)}, {fmt(c.boot_high)}]",
        "P(A beats B)": fmt(c.p_a_beats_b, 2),
        "seeds": c.seeds,
        f"corrected p (of {c.family})": p_value(c.p_holm.get(question)),
    }
    return pd.DataFrame([row]).to_markdown(index=False, disable_numparse=True)


def claim_section(claim, comparisons, records, keras_cells=None):
    """The Markdown section of `claim`: heading, verdict and why, the quote whole, its numbers, its rows."""
    heading = f"### {claim.id}\n\n"
    quote = f'> "{claim.quote}"\n>\n> — {source_title(claim.source)}\n\n'
    target = f'<a id="{anchor(claim)}"></a>'
    if claim.test == "descriptive":
        return heading + paragraphs(f"{target}**Measured.** {descriptive.describe(claim, records)}") + "\n\n" + quote
    c = comparisons.get(claim.task, {}).get(("claim", claim.id))
    if c is None:
        return heading + f"{target}**Not measured**: no records of {claim.task}. No verdict.\n\n" + quote
    outcome = verdicts.claim_outcome(claim, c)
    if outcome == "not measured":
        return heading + f"{target}**Not measured** ({c.missing}). No verdict.\n\n" + quote
    margin = MARGINS.get(claim.metric, (None, ""))
    notes = [f"Margin: {margin[1]}."] if margin[1] else []
    if claim.note:
        notes.append(claim.note)
    if claim.metric == "aulc":
        notes.append(descriptive.wall_time(records, claim.task, claim.a, claim.b))
    tasks = (claim.task, claim.baseline_task) if claim.baseline_task else (claim.task,)
    rows = ", ".join(cite(t, p) for t in tasks for p in (claim.a, claim.b))
    notes.append(f"Bootstrap: resampling {c.resampling}. Rows: {rows}.")
    if not c.undecidable:
        notes.append(f"Its card, with one figure and a sentence to cite: [claims/{claim.id}.md](claims/{claim.id}.md).")
    table = "" if c.undecidable else numbers_table(claim, c) + "\n\n"
    from experiments.analysis.render.keras_worlds import claim_clause

    keras = claim_clause(keras_cells or {}, claim.id)
    keras = f" This is measured with the hand-written objects; {keras}" if keras else ""
    return (
        heading
        + f"{target}**{outcome.capitalize()}.** {why(claim, c, outcome)}{keras}\n\n"
        + quote
        + table
        + "\n\n".join(paragraphs(note) for note in notes)
        + "\n\n"
    )
