"""The claims table: one row per tested claim of `claims.claim_list`, rendered from the records.

Written at the top of REPORT.md, to `tables/claims.{csv,md,tex}`, and, for the committed study
(`results/confirmatory`), into README.md (`readme`), so that no number or verdict in
the README is typed by hand.
"""

import re

import pandas as pd

from experiments.analysis.claims import verdicts
from experiments.analysis.claims.claim_list import shown_claims
from experiments.analysis.render.tables import write_table
from experiments.analysis.wording import fmt, p_value

# The reference texts by their titles (../shared/reference/README.md); the post by author, title, blog and date.
POST = 'Keydana, "Winner takes all: A look at activations and cost functions", RStudio AI Blog, 2018-10-11'
SOURCE_TITLES = {
    "the post": POST,
    "reference 000": '"Logistic activation with cross-entropy" (an untitled notebook text, author not named)',
    "reference 003": '"Common Activation and Loss Functions" (blog post, author not named)',
    "reference 004": '"Activation & Loss Functions" (tutorial page, author not named)',
    "Nielsen": 'Nielsen, "Neural Networks and Deep Learning", ch. 3',
}
QUESTION = {"equivalence": "similar", "better": "better", "not worse": "not worse"}


def source_title(source):
    """A claim's source with its text named by title: "the post, footnote" -> the post's citation, footnote."""
    for key, title in SOURCE_TITLES.items():
        if source.startswith(key):
            rest = source[len(key) :].lstrip(",. ")
            if key == "Nielsen":
                rest = source[len(key) :].lstrip(", ")
                rest = re.sub(r"^Neural Networks and Deep Learning, ch\. 3[,:]?\s*|^ch\. 3[,:]?\s*", "", rest)
                rest = rest.strip(",. ")
            return title + (f", {rest}" if rest else "")
    return source


def _short(quote, limit=90):
    text = " ".join(quote.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def effect_text(c):
    """A comparison's effect with its 95% t interval: "-0.003 [-0.011, 0.006]"."""
    return f"{fmt(c.diff)} [{fmt(c.t_low)}, {fmt(c.t_high)}]"


KERAS_COLUMN = "with Keras's own objects"


def arm_values(records, claim):
    """(seeds, values of A, values of B) of `claim`, paired by seed: each the metric's per-run value on the claim's
    task; for a difference in differences (`claim.baseline_task`), each arm's change from the baseline task to the
    claim's task (task minus baseline, per seed, over the seeds all four runs have), so that A − B is the claim's
    effect."""
    import numpy as np

    from experiments.analysis.claims.claim_metrics import run_value
    from experiments.analysis.claims.comparison import paired_runs

    runs_a, runs_b = paired_runs(records, claim.task, claim.a, claim.b)
    if claim.baseline_task:
        base_a, base_b = paired_runs(records, claim.baseline_task, claim.a, claim.b)
        base = {r["seed"]: (r, q) for r, q in zip(base_a, base_b)}
        pairs = [(x, y, *base[x["seed"]]) for x, y in zip(runs_a, runs_b) if x["seed"] in base]
        a = np.array([run_value(x, claim.metric) - run_value(bx, claim.metric) for x, _, bx, _ in pairs], dtype=float)
        b = np.array([run_value(y, claim.metric) - run_value(by, claim.metric) for _, y, _, by in pairs], dtype=float)
        return [x["seed"] for x, *_ in pairs], a, b
    a = np.array([run_value(r, claim.metric) for r in runs_a], dtype=float)
    b = np.array([run_value(r, claim.metric) for r in runs_b], dtype=float)
    return [r["seed"] for r in runs_a], a, b


def commits(records):
    """The commits `records` were trained at, as 10-character prefixes joined by commas ("not recorded")."""
    found = sorted({(r.get("environment") or {}).get("git_commit") or "" for r in records} - {""})
    return ", ".join(c[:10] for c in found) or "not recorded"


def _arms_and_provenance(records, claim):
    """{mean_a, mean_b, data, commit} of `claim` from `records` (None where the arms have no paired runs)."""
    import numpy as np

    from experiments.analysis.evidence import summaries

    seeds, a, b = arm_values(records, claim)
    runs = [r for r in records if r["task"] == claim.task and r["pairing"] in (claim.a, claim.b)]
    return {
        "mean_a": float(np.mean(a)) if seeds else None,
        "mean_b": float(np.mean(b)) if seeds else None,
        "data": summaries.provenance(runs) if runs else "",
        "commit": commits(runs) if runs else "",
    }


def claim_rows(comparisons, plan=None, keras_cells=None, records=None):
    """One row per tested claim (of the planned study, with a `plan`): claim, source, task, verdict, effect
    [95% t interval], seeds, corrected p; with `keras_cells` (`evidence.keras_worlds.cells`), a column saying
    what the claim's mistake does with Keras's own objects on each backend; with `records`, each arm's mean,
    the data and the commits (`mean_a`, `mean_b`, `data`, `commit`)."""
    from experiments.analysis.render.keras_worlds import claim_column

    rows = []
    for claim in shown_claims(plan):
        if claim.test == "descriptive":
            continue
        c = comparisons.get(claim.task, {}).get(("claim", claim.id))
        if c is None:
            verdict, effect, seeds, p = "not measured", "no records", 0, None
        else:
            verdict = verdicts.claim_outcome(claim, c)
            effect = "" if c.missing else effect_text(c)
            seeds, p = c.seeds, c.p_holm.get(QUESTION[claim.test])
            if c.undecidable:
                effect, seeds, p = "not tested (the power plan: undecidable)", 0, None
        rows.append(
            {
                "claim": claim.id,
                "says": _short(claim.quote),
                "source": source_title(claim.source),
                "task": claim.task,
                "test": f"{claim.a} {QUESTION[claim.test]} vs {claim.b} on {claim.metric}"
                + (f" (the drop from {claim.baseline_task})" if claim.baseline_task else ""),
                "verdict": verdict,
                "effect [95% CI]": effect,
                "seeds": seeds,
                "corrected p": p_value(p),
                "details": f"REPORT.md#claim-{claim.id.replace('_', '-')}",
            }
        )
        measured = c is not None and not c.missing and not c.undecidable
        rows[-1].update(  # the numbers as numbers, for the CSV (`NUMERIC_COLUMNS`); empty where not measured
            {
                "metric": claim.metric,
                "a": claim.a,
                "b": claim.b,
                "effect": c.diff if measured else None,
                "t_low": c.t_low if measured else None,
                "t_high": c.t_high if measured else None,
                "bootstrap_low": c.boot_low if measured else None,
                "bootstrap_high": c.boot_high if measured else None,
                "p_corrected": c.p_holm.get(QUESTION[claim.test]) if measured else None,
                "p": c.p.get(QUESTION[claim.test]) if measured else None,
                "study": claim.study,
            }
        )
        if records is not None:
            rows[-1].update(_arms_and_provenance(records, claim))
        if keras_cells:
            rows[-1][KERAS_COLUMN] = claim_column(keras_cells, claim.id) or "n/a: no mistake pairing"
    return pd.DataFrame(rows)


# Columns the CSV holds as numbers and names (the Markdown and LaTeX tables show them as text instead).
NUMERIC_COLUMNS = [
    "study",
    "metric",
    "a",
    "b",
    "mean_a",
    "mean_b",
    "effect",
    "t_low",
    "t_high",
    "bootstrap_low",
    "bootstrap_high",
    "p",
    "p_corrected",
    "data",
    "commit",
]

# The narrow table of the README and of the report's glance: the claim, its test, verdict and numbers.
GLANCE_COLUMNS = ["claim", "test", "verdict", "effect [95% CI]", "seeds", "corrected p"]


def markdown(table, link_prefix="", columns=None):
    """The table as Markdown, each claim linking to its section of REPORT.md; `columns`: a subset to show."""
    shown = table.drop(columns=["details", *[c for c in NUMERIC_COLUMNS if c in table]]).copy()
    for column in ("says", "source", "test"):
        if column in shown:  # a pipe inside a quote (|z|) would end a Markdown cell
            shown[column] = shown[column].str.replace("|", "\\|", regex=False)
    if columns:
        shown = shown[[c for c in columns if c in shown] + [c for c in [KERAS_COLUMN] if c in shown]]
    shown["claim"] = [f"[{c}]({link_prefix}{d})" for c, d in zip(table["claim"], table["details"])]
    return shown.to_markdown(index=False, disable_numparse=True)


def write_claims_table(table, folder, caption):
    """`tables/claims.{csv,md,tex}`; returns the paths."""
    shown = table.drop(columns=["details", *[c for c in NUMERIC_COLUMNS if c in table]])
    return write_table(folder, "claims", table, caption, shown, markdown(table, "../"), label="tab:claims")
