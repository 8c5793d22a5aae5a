"""The claims table: one row per tested claim of `claim_list`, rendered from the records.

Written at the top of REPORT.md, to `tables/claims.{csv,md,tex}`, and, for the committed study
(`results/full`), into README.md between its findings markers, so that no number or verdict in
the README is typed by hand.
"""

import re
from pathlib import Path

import pandas as pd

from experiments.analysis import verdicts
from experiments.analysis.claim_list import CLAIMS
from experiments.analysis.summaries import fmt

# The reference texts by their titles (../shared/reference/README.md); the post by author, title, blog and date.
POST = 'Keydana, "Winner takes all: A look at activations and cost functions", RStudio AI Blog, 2018-10-11'
TITLES = {
    "the post": POST,
    "reference 000": '"Logistic activation with cross-entropy" (an untitled notebook text, author not named)',
    "reference 003": '"Common Activation and Loss Functions" (blog post, author not named)',
    "reference 004": '"Activation & Loss Functions" (tutorial page, author not named)',
    "Nielsen": 'Nielsen, "Neural Networks and Deep Learning", ch. 3',
}
QUESTION = {"equivalence": "similar", "better": "better", "not worse": "not worse"}
README_START, README_END = "<!-- findings:start -->", "<!-- findings:end -->"


def source_title(source):
    """A claim's source with its text named by title: "the post, footnote" -> the post's citation, footnote."""
    for key, title in TITLES.items():
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


def claim_rows(comparisons):
    """One row per tested claim: claim, source, task, verdict, effect [95% t interval], seeds, corrected p."""
    rows = []
    for claim in CLAIMS:
        if claim.test == "descriptive":
            continue
        c = comparisons.get(claim.task, {}).get(("claim", claim.id))
        if c is None:
            verdict, effect, seeds, p = "not measured", "no records", 0, None
        else:
            verdict = verdicts.claim_outcome(claim, c)
            effect = "" if c.missing else f"{fmt(c.diff)} [{fmt(c.t_low)}, {fmt(c.t_high)}]"
            seeds, p = c.seeds, c.p_holm.get(QUESTION[claim.test])
            if c.undecidable:
                effect, seeds, p = "not tested (the power plan: undecidable)", 0, None
        rows.append(
            {
                "claim": claim.id,
                "says": _short(claim.quote),
                "source": source_title(claim.source),
                "task": claim.task,
                "test": f"{claim.a} {QUESTION[claim.test]} vs {claim.b} on {claim.metric}",
                "verdict": verdict,
                "effect [95% CI]": effect,
                "seeds": seeds,
                "corrected p": "" if p is None else fmt(p, 4),
                "details": f"REPORT.md#claim-{claim.id.replace('_', '-')}",
            }
        )
    return pd.DataFrame(rows)


# The README's narrower table: the claim, what it says, its verdict and numbers (sources and tests in the report).
README_COLUMNS = ["claim", "says", "verdict", "effect [95% CI]", "seeds", "corrected p"]


def markdown(table, link_prefix="", columns=None):
    """The table as Markdown, each claim linking to its section of REPORT.md; `columns`: a subset to show."""
    shown = table.drop(columns=["details"]).copy()
    for column in ("says", "source", "test"):
        if column in shown:  # a pipe inside a quote (|z|) would end a Markdown cell
            shown[column] = shown[column].str.replace("|", "\\|", regex=False)
    if columns:
        shown = shown[columns]
    shown["claim"] = [f"[{c}]({link_prefix}{d})" for c, d in zip(table["claim"], table["details"])]
    return shown.to_markdown(index=False)


def write_claims_table(table, folder, caption):
    """`tables/claims.{csv,md,tex}`; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "claims.csv", folder / "claims.md", folder / "claims.tex"]
    table.to_csv(paths[0], index=False)
    paths[1].write_text(f"{caption}\n\n{markdown(table, '../')}\n")
    latex = table.drop(columns=["details"]).to_latex(
        index=False, caption=caption.replace("%", r"\%").replace("_", r"\_"), label="tab:claims", escape=True
    )
    paths[2].write_text(latex)
    return paths


def update_readme(readme, table, header, folder="results/full"):
    """Replace the README's findings block (between the markers) with `header` and the claims table of `folder`."""
    readme = Path(readme)
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        raise ValueError(f"{readme} has no findings markers ({README_START} ... {README_END}).")
    block = f"{README_START}\n{header}\n\n{markdown(table, folder.rstrip('/') + '/', README_COLUMNS)}\n{README_END}"
    before, rest = text.split(README_START, 1)
    after = rest.split(README_END, 1)[1]
    readme.write_text(before + block + after)
    return readme
