"""The words the README's findings define for a stranger (`render.readme`): its terms, the mistakes' table's words,
the suite's ids and the claim metrics, each said once, before the text that uses them."""

# The terms of the block, each defined once, before the answers that use them (the report's glossary has more).
TERMS = (
    ("BCE, CCE, MSE, MAE", "binary cross-entropy, categorical cross-entropy, mean squared error, mean absolute error"),
    ("pairing", "an output activation with a loss, e.g. `sigmoid+bce`; the *matched* one is the task's right one"),
    ("supported", "the claim's own test passes at the 5% level after Holm's correction over all the claims"),
    ("undecidable", "the power plan, written before the runs, found that even its cap of seeds could not decide it"),
    ("confirmatory", "the claims' runs on fresh seeds, after the power plan; exploratory: every other comparison"),
    (
        "aulc",
        "the area under the test-accuracy curve (trapezoid rule over epochs 0 to the last), divided by the number "
        "of epochs: how fast a model learns",
    ),
    ("t interval", "the 95% Student t interval of the mean per-seed difference A − B"),
    ("margin", "how close counts as similar, declared before the runs (for accuracy 0.02: two percentage points)"),
)
# The words of the mistakes' table, said just before it.
KERAS_TERMS = (
    ("the suite's decoding", "how outputs become classes: as the loss trained them (`docs/usage.md`)"),
    ("logits behind the head", "z, the output layer's values before its sigmoid or softmax"),
    ("bites", "the mistake costs accuracy: its cost's interval lies above 0, and the cost above the margin"),
    (
        "undone",
        "Keras's loss read the logits behind the head, so the mistake never reached it (its cost is then noise "
        "around 0)",
    ),
    ("harmless", "the interval lies inside ± the margin"),
    ("inconclusive", "none of these: the interval is too wide to say"),
    (
        "bites (the model learned)",
        "it costs accuracy as the outputs are read, yet the model ranks the test images nearly as well as the "
        "matched one (its ROC AUC within the margin): what fails is the reading, a 0.5 threshold on tanh outputs "
        "trained toward −1 and +1, or outputs that say one class for every image",
    ),
)
# The suite's ids a reader meets in the answers and the tables, in words (`experiments.composition`'s grammar).
NAME_TERMS = (
    ("`@1`", "one output unit (`softmax@1`: a softmax over a single unit)"),
    ("`_probs`", "the loss told its inputs are probabilities (`from_logits=False`)"),
    ("`_logits`, `(from_logits=true)`", "the loss told its inputs are logits (`from_logits=True`)"),
    ("`relu_body`, `sigmoid_body`", "every hidden layer's activation swapped to that one; the head stays the post's"),
)


def terms(terms, per_line=4, lead="Terms"):
    """`terms`, a few to a line (each line a short paragraph), the first led by `lead`."""
    lines = [terms[i : i + per_line] for i in range(0, len(terms), per_line)]
    return (
        "\n"
        + "\n\n".join(
            (f"{lead}: " if k == 0 else "") + "; ".join(f"*{term}*: {words}" for term, words in group) + "."
            for k, group in enumerate(lines)
        )
        + "\n\n"
    )


def metric_terms(table):
    """The claim metrics of the claims' table not defined above, each in the words on its cards' axis (its
    glossary definition where one is short)."""
    from experiments.analysis.claims.claim_metrics import claim_metric

    named = {"accuracy", "mse", "aulc"}
    out = []
    for name in dict.fromkeys(table["metric"].dropna()):
        metric = claim_metric(name)
        words = metric.axis.removeprefix(f"{name} (").removesuffix(")") if metric.axis.startswith(f"{name} (") else ""
        words = metric.definition if metric.definition and len(metric.definition) <= 200 else words
        if name not in named and words:
            out.append((name, words))
    return tuple(out)
