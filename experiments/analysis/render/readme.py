"""README.md's findings, rendered between its markers from the citable study (`results/confirmatory`).

The block opens with the three questions a reader comes with, answered from the records, then the settings
table and the claims table. Nothing between the markers is typed by hand: `report` replaces it.
"""

from pathlib import Path

from experiments.analysis.claims import verdicts
from experiments.analysis.claims.catalogue import CLAIMS
from experiments.analysis.render.claims_table import GLANCE_COLUMNS, effect_text, markdown
from experiments.analysis.render.report_header import settings_table
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
        return f"`{claim.id}` {outcome}"
    return f"`{claim.id}` {outcome} (`{claim.a}` − `{claim.b}` on {claim.metric}: {effect_text(c)}, {c.seeds} seeds)"


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
            counts.setdefault(outcome, []).append(f"`{claim.id}`")
        return "; ".join(f"{len(ids)} {outcome} ({', '.join(ids)})" for outcome, ids in counts.items())

    plain = "; ".join(_answer(*found[i]) for i in MSE_ON_SIGMOID[:2] if i in found)
    saturated = "; ".join(_answer(*found[i]) for i in MSE_ON_SIGMOID[2:] if i in found)
    softmax = _one_unit_softmax(pilot_table)
    measured = (
        f" On bird/plane its test accuracy is {fmt(softmax[0])} over {softmax[1]} seeds (`{folder}`, row "
        f"`{ONE_UNIT_SOFTMAX[1]}`): it predicts one class for every image."
        if softmax
        else ""
    )
    return (
        "**In one minute.**\n\n"
        f"- *Which of the post's claims hold?* Of its {len(post)} tested claims: {tally(post)}. "
        f"Of the other {len(others)} (the other reference texts' claims and the suite's own hypotheses): "
        f"{tally(others)}.\n"
        f"- *Does MSE on a sigmoid work as well as BCE?* From the post's start, on bird/plane: {plain}. From a "
        f"start where the output is saturated and wrong (a positive effect: BCE learns faster): {saturated}.\n"
        "- *What does a one-unit softmax do?* exp(z) / exp(z) = 1 for every image: the output never moves. With the "
        "hand-written objects (and Keras's own on JAX) its gradient is 0, so the model cannot learn; on TensorFlow "
        "Keras's BCE trains the logit behind it, but the output still says 1 for every image."
        f"{measured}\n"
    )


# The terms of the block, each defined once, in the order a reader meets them (the report's glossary has more).
TERMS = (
    ("BCE, CCE, MSE, MAE", "binary cross-entropy, categorical cross-entropy, mean squared error, mean absolute error"),
    ("supported", "the claim's own test passes at the 5% level after Holm's correction over all the claims"),
    ("undecidable", "the power plan, written before the runs, found that even its cap of seeds could not decide it"),
    ("confirmatory", "the claims' runs on fresh seeds, after the power plan; exploratory: every other comparison"),
    ("aulc", "the area under the test-accuracy curve over all epochs, divided by them: how fast a model learns"),
    ("t interval", "the 95% Student t interval of the mean per-seed difference A − B"),
    ("margin", "how close counts as similar (for accuracy, two points), declared before the runs"),
    ("pairing", "an output activation with a loss, e.g. `sigmoid+bce`; the *matched* one is the task's right one"),
    ("the suite's decoding", "how outputs become classes: as the loss trained them (`docs/usage.md`)"),
    ("logits behind the head", "z, the output layer's values before its sigmoid or softmax"),
    (
        "bites, undone, harmless",
        "the mistake costs accuracy; Keras's loss read the logits, so the mistake never reached it; it costs none",
    ),
)


def _terms(per_line=4):
    """The terms, a few to a line (each line a short paragraph)."""
    lines = [TERMS[i : i + per_line] for i in range(0, len(TERMS), per_line)]
    return (
        "\n"
        + "\n\n".join(
            ("Terms: " if k == 0 else "") + "; ".join(f"*{term}*: {words}" for term, words in group) + "."
            for k, group in enumerate(lines)
        )
        + "\n"
    )


def _keras_user(keras_cells, folder):
    """The bullet and table on the mistakes as a Keras user meets them, or ""."""
    from experiments.analysis.render.keras_worlds import claim_clause, compact_table

    if not keras_cells:
        return ""
    clauses = "".join(
        f"  - `{claim}`: {claim_clause(keras_cells, claim)}\n"
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
        "gives every number, the words' rules and Keras's warnings):\n\n" + compact_table(keras_cells) + "\n"
    )


def findings(recs, comparisons, table, inventory, folder, pilot_table, keras_cells=None):
    """The whole block between the markers."""
    seeds = sorted({r["seed"] for r in recs})
    tested_tasks = {c.task for c in CLAIMS if c.test != "descriptive"}  # the table: what the claims measured
    return (
        answers(comparisons, pilot_table, folder)
        + _keras_user(keras_cells, folder)
        + _terms()
        + f"\nRendered by `python -m experiments report` from the {inventory.read} records of `{folder}`, the "
        f"confirmatory study on fresh seeds {seeds[0]}-{seeds[-1]}, with its exploratory lines. Each claim used "
        "at least the seeds its power "
        "plan asks (`plan.json`), after a pilot of seeds 0-9 (`results/full`, exploratory). The CIFAR-10 images "
        "are the subset embedded in the package, not full CIFAR-10:\n\n"
        + settings_table([r for r in recs if r["task"] in tested_tasks], sources=False)
        + "\n\nEffect: A − B with its 95% t interval (for MSE and never-active units a negative effect favours A). "
        f"Each claim links to its section of [the report]({folder}/REPORT.md): the quote, the margin and every "
        "number.\n\n" + markdown(table, folder.rstrip("/") + "/", GLANCE_COLUMNS)
    )


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
