"""README.md's findings, rendered between its markers from the citable study (`results/confirmatory`).

The block opens with the three questions a reader comes with, answered from the records, then the settings
table and the claims table. Nothing between the markers is typed by hand: `report` replaces it.
"""

from pathlib import Path

from experiments.analysis.claims import verdicts
from experiments.analysis.claims.claim_list import CLAIMS
from experiments.analysis.render.claims_table import KERAS_COLUMN, effect_text
from experiments.analysis.render.readme_terms import KERAS_TERMS, NAME_TERMS, TERMS, metric_terms, terms
from experiments.analysis.wording import fmt
from experiments.atomic_files import write_text_atomic

README_START, README_END = "<!-- findings:start -->", "<!-- findings:end -->"
MSE_ON_SIGMOID = ("footnote_accuracy", "footnote_speed", "saturated_start_sgd", "saturated_start")
ONE_UNIT_SOFTMAX = ("bird_plane", "softmax@1+bce")  # its row in the study's bird_plane table (an exploratory line)


def _verdicts(comparisons):
    found = {}
    for claim in (c for c in CLAIMS if c.study == "post"):  # the README answers the post's study
        c = comparisons.get(claim.task, {}).get(("claim", claim.id))
        if claim.test != "descriptive":
            found[claim.id] = (claim, c, "not measured" if c is None else verdicts.claim_outcome(claim, c))
    return found


def _answer(claim, c, outcome):
    if outcome in ("undecidable", "not measured"):
        return f"{claim.in_words}: {outcome}"
    return (
        f"{claim.in_words}: {outcome} (`{claim.a}` − `{claim.b}` on {claim.metric}: {effect_text(c)}, {c.seeds} seeds)"
    )


def _one_unit_softmax(pilot_table):
    """The one-unit softmax's (accuracy, seeds) in a summary table, or None where the table or its row is missing."""
    import pandas as pd

    if not Path(pilot_table).exists():
        return None
    table = pd.read_csv(pilot_table)
    row = table[table["pairing"] == ONE_UNIT_SOFTMAX[1]]
    return None if row.empty else (float(row["accuracy_mean"].iloc[0]), int(row["n_seeds"].iloc[0]))


def answers(comparisons, pilot_table, folder="results/confirmatory"):
    """The three questions of a first-time reader, answered from the comparisons (Markdown bullets)."""
    found = _verdicts(comparisons)
    post = [v for v in found.values() if v[0].source.startswith("the post")]
    others = [v for v in found.values() if not v[0].source.startswith("the post")]

    def tally(items):
        counts = {}
        for claim, _, outcome in items:
            counts.setdefault(outcome, []).append(claim.id)
        return ", ".join(f"{len(ids)} {outcome}" for outcome, ids in counts.items())

    mse_on_sigmoid = "".join(f"  - {_answer(*found[i])}.\n" for i in MSE_ON_SIGMOID if i in found)
    softmax = _one_unit_softmax(pilot_table)
    measured = (
        f" On bird/plane its test accuracy is {fmt(softmax[0])} over {softmax[1]} seeds (`{folder}`, row "
        f"`{ONE_UNIT_SOFTMAX[1]}`): it predicts one class for every image."
        if softmax
        else ""
    )
    return (
        "**In one minute.**\n\n"
        f"- *Which of the post's claims hold?* Of its {len(post)} tested claims, {tally(post)}; of the other "
        f"{len(others)} ({' and '.join(sorted({short_source(v[0].source) for v in others}))}), {tally(others)}. "
        "The table at the end of this section gives each in words, where it comes from, and both arms' values.\n"
        "- *Does MSE on a sigmoid work as well as BCE?* From the post's start, and from a start where the output is "
        "saturated and wrong (there a positive effect means that cross-entropy learns faster):\n"
        + mse_on_sigmoid
        + "- *What does a one-unit softmax do?* exp(z) / exp(z) = 1 for every image: the output never moves. With the "
        "hand-written objects (and Keras's own on JAX) its gradient is 0, so the model cannot learn; on TensorFlow "
        "Keras's BCE trains the logit behind it, but the output still says 1 for every image."
        f"{measured}\n"
    )


def _keras_user(keras_cells, folder):
    """The bullet and table on the mistakes as a Keras user meets them, or ""."""
    from experiments.analysis.render.keras_worlds import claim_clause, compact_table, same_numbers

    if not keras_cells:
        return ""
    words = {c.id: c.in_words or c.id for c in CLAIMS}
    clauses = "".join(
        f"  - {words[claim]}: {claim_clause(keras_cells, claim)}\n"
        for claim in ("softmax_twice", "logits_as_probabilities")
        if claim_clause(keras_cells, claim)
    )
    return (
        "- *Does a mistake bite in my own Keras model?* For a sigmoid or softmax applied twice, it depends on the "
        "backend. On TensorFlow, Keras's cross-entropies read the logits behind a Keras sigmoid or softmax head, so "
        "those mistakes never reach the loss; on JAX they do.\n"
        f"{clauses}"
        "  - Each mistake in each world (*cost*: the matched pairing's accuracy minus the mistake's, 95% t interval "
        "over seeds; the accuracy is Keras's own, as `model.evaluate` prints it, for Keras's objects, and the "
        "suite's decoding for the hand-written ones; "
        f"[the report's section]({folder}/REPORT.md#the-mistakes-as-a-keras-user-meets-them-exploratory) "
        "gives every number, the words' rules and Keras's warnings):\n\n"
        + terms(KERAS_TERMS, lead="In the table")
        + "\n\n"
        + compact_table(keras_cells)
        + "\n\n"
        + same_numbers(keras_cells)
    )


# Where a claim comes from, in a word or two (the full titles: REPORT.md's sources and each card).
SHORT_SOURCES = {
    "the post": "the post",
    "reference 000": "a notebook text",
    "reference 003": "a blog post",
    "reference 004": "a tutorial page",
    "Nielsen": "Nielsen's book",
}


def short_source(source):
    """ "the post", "a tutorial page", "Nielsen's book"... for a claim's `source`."""
    return next((words for key, words in SHORT_SOURCES.items() if source.startswith(key)), "the literature")


def claims_in_words(table, folder):
    """The claims table as a reader wants it: the claim in words (linking to its card), the verdict, each arm
    with its mean, the difference with its 95% t interval, the seeds, and Keras's own objects where measured."""
    import pandas as pd

    from experiments.analysis.claims.claim_list import CLAIMS

    words = {c.id: c.in_words or c.id for c in CLAIMS}
    sources = {c.id: short_source(c.source) for c in CLAIMS}
    rows = []
    for _, row in table.iterrows():
        measured = pd.notna(row.get("effect")) and row["seeds"]
        rows.append(
            {
                "claim (its card: figure and a sentence to cite)": f"[{words[row['claim']]}]({folder}/claims/"
                f"{row['claim']}.md)",
                "from": sources[row["claim"]],
                "verdict": row["verdict"],
                "A": f"`{row['a']}` " + (fmt(row["mean_a"]) if measured else ""),
                "B": f"`{row['b']}` " + (fmt(row["mean_b"]) if measured else ""),
                "A − B [95% t interval]": f"{row['effect [95% CI]']} {row['metric']}" if measured else "not tested",
                "seeds": row["seeds"] if measured else "",
            }
        )
        if KERAS_COLUMN in table:
            rows[-1]["Keras's own objects"] = row[KERAS_COLUMN].replace("n/a: no mistake pairing", "")
    return pd.DataFrame(rows).to_markdown(index=False, disable_numparse=True)


def label_noise(conditions):
    """The label-noise study's answer, with its nuance, from the conditions folder's rendered tables ("" where
    they are missing): MAE against cross-entropy at 40% noise and on clean labels."""
    import pandas as pd

    claims_csv, noisy_csv = conditions / "tables" / "claims.csv", conditions / "tables" / "cifar10_noise40.csv"
    if not (claims_csv.exists() and noisy_csv.exists()):
        return ""
    claims = pd.read_csv(claims_csv).set_index("claim")
    noisy = pd.read_csv(noisy_csv).set_index("pairing")
    if not {"noise_mae_robust", "mae_underfits_clean"} <= set(claims.index):
        return ""
    if not {"softmax+mae", "softmax+sparse_cce"} <= set(noisy.index):
        return ""
    robust, clean = claims.loc["noise_mae_robust"], claims.loc["mae_underfits_clean"]
    mae, ce = noisy.loc["softmax+mae"], noisy.loc["softmax+sparse_cce"]

    def level(row):
        return f"{fmt(row.accuracy_mean)} [{fmt(row.accuracy_ci_low)}, {fmt(row.accuracy_ci_high)}]"

    overlap = mae.accuracy_ci_low <= ce.accuracy_ci_high and ce.accuracy_ci_low <= mae.accuracy_ci_high
    if robust.verdict != "supported":
        answer = "Not shown"
    else:  # it loses less; "partly" where it is worse on clean labels or not more accurate at the noise itself
        answer = "Partly" if clean.verdict == "supported" or overlap else "Yes"
    absolute = "the two intervals overlap" if overlap else "the intervals are apart"
    return (
        f"- *Does MAE resist label noise better than cross-entropy?* {answer} "
        "([results/conditions/REPORT.md](results/conditions/REPORT.md); accuracy read at the last epoch):\n"
        "  - With 40% of CIFAR-10's training labels changed at random, MAE loses "
        f"{robust['effect [95% CI]']} less test accuracy than cross-entropy does ({robust.verdict}, "
        f"{robust.seeds} seeds).\n"
        f"  - But on clean labels MAE is {clean['effect [95% CI]']} less accurate ({clean.verdict}), and at 40% "
        f"noise their accuracies are {level(mae)} (MAE) and {level(ce)} (cross-entropy; 95% bootstrap intervals "
        f"of each mean, as the task's table gives them): {absolute}. Cross-entropy "
        f"peaks early and then fits the noise: {int(ce.n_collapsed)} of its {int(ce.n_seeds)} runs end more than "
        "0.1 below their own best epoch.\n"
    )


def findings(recs, comparisons, table, inventory, folder, pilot_table, keras_cells=None, conditions=None):
    """The whole block between the markers; `conditions`: the conditions study's folder, for its label-noise
    answer."""
    seeds = sorted({r["seed"] for r in recs})
    batches = sorted({r["config"]["batch_size"] for r in recs})
    return (
        terms(TERMS + NAME_TERMS)
        + "\n\n"
        + answers(comparisons, pilot_table, folder)
        + (label_noise(Path(conditions)) if conditions else "")
        + _keras_user(keras_cells, folder)
        + f"Rendered by `python -m experiments report` from the {inventory.read} records of `{folder}`, the "
        f"confirmatory study on fresh seeds {seeds[0]}-{seeds[-1]} (each claim's own count is in its row), "
        f"{_epochs(recs)}, batch {'/'.join(map(str, batches))}. Each claim used at least the "
        "seeds its power plan asks (`plan.json`), after a pilot of seeds 0-9 (`results/full`, exploratory). The "
        "CIFAR-10 images are the subset embedded in the package, not full CIFAR-10; each task's sizes are in "
        f"[the report]({folder}/REPORT.md).\n\n"
        "Each claim, in words (A − B: the first arm's value minus the second's, with its 95% t interval; for MSE "
        "and never-active units lower is better, so a negative difference favours A"
        + "".join(f"; {words}" for words in [metric_terms(table)] if words)
        + "):\n\n"
        + claims_in_words(table, folder)
        + "\n"
    )


def _epochs(recs):
    """The epochs the runs trained, in words: "50 epochs (2,000 for sepal_width_fitted and sepal_width_outliers)"."""
    tasks = {}
    for r in recs:
        tasks.setdefault(r["config"]["epochs"], set()).add(r["task"])
    most = max(tasks, key=lambda e: len(tasks[e]))
    others = [f"{e:,} for {' and '.join(sorted(tasks[e]))}" for e in sorted(tasks) if e != most]
    return f"{most:,} epochs" + (f" ({'; '.join(others)})" if others else "")


def update_readme(readme, block):
    """Replace the README's findings block (between the markers) with `block`."""
    readme = Path(readme)
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        raise ValueError(f"{readme} has no findings markers ({README_START} ... {README_END}).")
    before, rest = text.split(README_START, 1)
    after = rest.split(README_END, 1)[1]
    write_text_atomic(readme, f"{before}{README_START}\n{block}\n{README_END}{after}")
    return readme
