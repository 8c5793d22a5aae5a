"""The words the README's findings define for a stranger (`render.readme`): its terms, the mistakes' table's words,
the suite's ids and the claim metrics, each said once, before the text that uses them."""

# The terms of the block, each defined once, before the answers that use them (the report's glossary has more).
TERMS = (
    ("BCE, CCE, MSE, MAE", "binary cross-entropy, categorical cross-entropy, mean squared error, mean absolute error"),
    ("pairing", "an output activation with a loss, e.g. `sigmoid+bce`; the *matched* one is the task's right one"),
    ("supported", "the claim's own test passes at the 5% level, Holm-corrected over all the claims"),
    ("undecidable", "the power plan, made before the runs, found its cap of seeds too small to decide it"),
    ("confirmatory", "the claims' runs on fresh seeds, after the power plan; exploratory: every other comparison"),
    ("aulc", "the test accuracy averaged over the epochs (trapezoid rule, epoch 0 to the last): how fast it learns"),
    ("t interval", "the 95% Student t interval of the mean per-seed difference A − B"),
    ("margin", "how close counts as similar, declared before the runs (accuracy: 0.02)"),
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
    ("`@1`", "one output unit (`softmax@1`: a softmax over one unit)"),
    ("`_probs`", "the loss told its inputs are probabilities (`from_logits=False`)"),
    ("`_logits`, `(from_logits=true)`", "the loss told its inputs are logits (`from_logits=True`)"),
    ("`relu_body`, `sigmoid_body`", "that activation in every hidden layer, the post's head kept"),
)


MOST_CHARACTERS = 600  # a paragraph a stranger reads (the README's rule, `test_layout`)


def terms(items, lead="Terms"):
    """`items` ((term, words), ...) as few paragraphs as hold them under `MOST_CHARACTERS` each, the first led by
    `lead`."""
    paragraphs = [[]]
    for term, words in items:
        entry = f"*{term}*: {words}"
        led = len(lead) + 2 if len(paragraphs) == 1 else 0  # "Terms: " before the first
        if paragraphs[-1] and led + len("; ".join([*paragraphs[-1], entry])) + 1 > MOST_CHARACTERS:
            paragraphs.append([])
        paragraphs[-1].append(entry)
    return "\n\n".join((f"{lead}: " if k == 0 else "") + "; ".join(p) + "." for k, p in enumerate(paragraphs))


def metric_terms(table):
    """The claim metrics of the claims' table not defined above, each in the words on its cards' axis, as one
    "; "-separated string ("" where there are none)."""
    from experiments.analysis.claims.claim_metrics import claim_metric

    named = {"accuracy", "mse", "aulc"}
    out = []
    for name in dict.fromkeys(table["metric"].dropna()):
        axis = claim_metric(name).axis
        if name not in named and axis.startswith(f"{name} ("):
            out.append(f"*{name}*: {axis.removeprefix(f'{name} (').removesuffix(')')}")
    return "; ".join(out)
