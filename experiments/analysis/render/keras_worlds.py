"""The mistake x backend table, and the clause each claim about a mistake gets from it (`evidence.keras_worlds`)."""

import pandas as pd

from experiments.analysis.evidence.keras_worlds import BACKEND_TITLES, HAND_WRITTEN, MARGIN, MISTAKES, worlds_of_claim
from experiments.analysis.wording import fmt

WORDS = {
    "bites": "**bites**",
    "undone": "**undone**",
    "harmless": "**harmless**",
    "inconclusive": "inconclusive",
}


def world_title(world):
    return "hand-written objects" if world == HAND_WRITTEN else f"Keras's own, {BACKEND_TITLES.get(world, world)}"


def _cost(c):
    return f"{fmt(c.cost)} [{fmt(c.low)}, {fmt(c.high)}]"


def _seeds(seeds):
    seeds = sorted(seeds)
    runs = seeds == list(range(seeds[0], seeds[-1] + 1))
    return (
        f"{len(seeds)} ({seeds[0]}-{seeds[-1]})"
        if runs and len(seeds) > 1
        else f"{len(seeds)} ({', '.join(map(str, seeds))})"
    )


def table(found):
    """The Markdown table: one row per (mistake, world)."""
    rows = []
    for mistake in MISTAKES:
        for (m, world), c in found.items():
            if m != mistake.id:
                continue
            rows.append(
                {
                    "mistake": f"{mistake.words}: `{mistake.pairing}` on {mistake.task}",
                    "objects": world_title(world),
                    "seeds": _seeds(c.seeds),
                    "accuracy the user reads": f"{fmt(c.accuracy)} ({c.metric})",
                    "the matched's": f"{fmt(c.matched_accuracy)} (`{mistake.matched}`)",
                    "final training loss": fmt(c.loss),
                    "threshold-free score (the matched's)": f"{fmt(c.score)} ({fmt(c.matched_score)})",
                    "cost [95% CI]": _cost(c),
                    "loss read": "the logits behind the head" if c.read_behind else "the outputs",
                    "what happens": WORDS[c.word]
                    + (" (the model learned)" if c.word == "bites" and c.model_learned else ""),
                }
            )
    return pd.DataFrame(rows).to_markdown(index=False, disable_numparse=True) if rows else ""


def _warnings(found):
    seen = {}
    for (_, world), c in found.items():
        for w in c.warnings:
            seen.setdefault(w, set()).add(BACKEND_TITLES.get(world, world))
    return "".join(f"- {' and '.join(sorted(where))}: “{w.strip(chr(34))}”\n" for w, where in sorted(seen.items()))


def section(found, sources):
    """REPORT.md's section on the mistakes as a Keras user meets them; `sources` names the records' folders."""
    if not found:
        return ""
    return (
        "## The mistakes as a Keras user meets them (exploratory)\n\n"
        + section_intro(sources)
        + "What happens (exploratory: no correction for the number of cells):\n\n"
        f"- **bites**: the cost's interval lies above 0 and the cost is above {fmt(MARGIN, 2)}, the claims' accuracy "
        "margin;\n"
        "- **undone**: Keras's loss read the logits behind the head on every seed (the mistaken outputs never reached "
        "it: for BCE on a softmax it trained one sigmoid per class on the logits, for CCE on sigmoids a softmax), "
        "and the mistake does not bite;\n"
        f"- **harmless**: the loss read the outputs as written, and the interval lies inside ±{fmt(MARGIN, 2)};\n"
        "- inconclusive: none of these;\n"
        f"- *(the model learned)*: it bites, but its mean threshold-free score is within {fmt(MARGIN, 2)} of the "
        "matched pairing's. What bites is how Keras reads its outputs: a 0.5 threshold on tanh outputs trained "
        "toward −1 and +1, or a one-unit softmax that outputs 1 for every image while the loss trained the logits "
        "behind it. "
        "`model.predict` and Keras's accuracy mislead; the logits rank the images as well as the matched model's.\n\n"
        + same_numbers(found)
        + "An interval of 0.000 [0.000, 0.000]: the same accuracy on every seed.\n\n"
        + table(found)
        + "\n\nKeras's warnings, as it printed them in these runs:\n\n"
        + (_warnings(found) or "- none\n")
        + "\n"
    )


# Two mistakes that are one function where Keras's BCE reads them: a linear head and a ReLU head, both clipped.
TWINS = ("logits_as_probabilities", "relu_head")
CLIPPED = (
    "that backend's BCE clips its inputs to [eps, 1 − eps], where a linear and a ReLU head are the same function, "
    "with the same (zero) gradient below eps"
)


def same_numbers(found):
    """A paragraph on each pair of mistakes that measured the same accuracy on every one of the same seeds in one
    world (objects and backend), with why where the suite knows it; "" where none did. Two equal cells in a table
    look like a copying error; this says they are one result."""
    lines = []
    cells = list(found.items())
    for i, ((first, world), a) in enumerate(cells):
        for (second, other), b in cells[i + 1 :]:
            if world != other or a.seeds != b.seeds or a.accuracies != b.accuracies:
                continue
            why = f": {CLIPPED}" if {first, second} == set(TWINS) and world != HAND_WRITTEN else ""
            lines.append(
                f"`{a.mistake.pairing}` and `{b.mistake.pairing}` ({world_title(world)}) measured the same accuracy "
                f"on every one of their {len(a.seeds)} seeds (mean {fmt(a.accuracy)}){why}."
            )
    return " ".join(lines) + " Such cells are one result each, not a copying error.\n\n" if lines else ""


def compact_table(found):
    """The README's table: one row per mistake, one column per world, each cell its word and cost."""
    worlds = []
    for _, world in found:
        if world not in worlds:
            worlds.append(world)
    rows = []
    for mistake in MISTAKES:
        row = {"mistake": f"{mistake.words} (`{mistake.pairing}`, {mistake.task})"}
        for world in worlds:
            c = found.get((mistake.id, world))
            learned = " (the model learned)" if c is not None and c.word == "bites" and c.model_learned else ""
            row[world_title(world)] = "" if c is None else f"{c.word}{learned}: {_cost(c)}, {len(c.seeds)} seeds"
        rows.append(row)
    return pd.DataFrame(rows).to_markdown(index=False, disable_numparse=True)


def claim_clause(found, claim_id):
    """One sentence: what a claim's mistake does with Keras's own objects on each backend, or ""."""
    return _clause(worlds_of_claim(found, claim_id))


def pairing_clause(found, task, pairing):
    """One sentence: what the mistake `pairing` on `task` does with Keras's own objects on each backend, or ""."""
    mistake = next((m for m in MISTAKES if m.task == task and m.pairing == pairing), None)
    if mistake is None:
        return ""
    return _clause({w: c for (m, w), c in found.items() if m == mistake.id})


def _clause(cells):
    keras_cells = {w: c for w, c in cells.items() if w != HAND_WRITTEN}
    if not keras_cells:
        return ""
    parts = []
    for world, c in keras_cells.items():
        name = BACKEND_TITLES.get(world, world)
        if c.word == "undone":
            warned = " and warns" if c.warnings else ""
            parts.append(f"on {name}, Keras's built-in loss undoes it (it reads the logits behind the head{warned})")
        elif c.word == "bites":
            parts.append(f"on {name} it bites (cost {_cost(c)}, {len(c.seeds)} seeds)")
        else:
            parts.append(f"on {name} it is {c.word} (cost {_cost(c)}, {len(c.seeds)} seeds)")
    return "with Keras's own objects (exploratory, uncorrected), " + "; ".join(parts) + "."


def claim_column(found, claim_id):
    """The claims table's cell: each backend's word for the claim's mistake with Keras's own objects."""
    cells = worlds_of_claim(found, claim_id)
    return "; ".join(f"{BACKEND_TITLES.get(w, w)}: {c.word}" for w, c in cells.items() if w != HAND_WRITTEN)


def section_intro(sources):
    """The section's opening, in short paragraphs."""
    return (
        "The claims above are measured with the suite's hand-written activations and losses (`custom_objects`): "
        "they show what each mistake does to the numbers.\n\n"
        "A Keras user trains Keras's own `activation=...` and `keras.losses...` instead. On TensorFlow, Keras's "
        "cross-entropies do not read a Keras sigmoid or softmax head's outputs: they take the logits behind it "
        "(`_get_logits` in `keras/src/backend/tensorflow/nn.py`), and warn only where the loss was told "
        "`from_logits=True`. On JAX they read the outputs as written (so does PyTorch's backend, by Keras's source; "
        "no PyTorch runs here).\n\n"
        "So each mistake was trained again with Keras's own objects (`--set objects=keras`) on each backend, at the "
        f"post's settings (50 epochs, batch 32, Adam 1e-3). Records: {sources}.\n\n"
        "Columns:\n\n"
        "- *accuracy the user reads*: Keras's own `metrics=[\"accuracy\"]` on the head's outputs, as `model.evaluate` "
        "prints it (the metric class it resolves to in brackets); for the hand-written objects, the suite's decoding;\n"
        "- *threshold-free score*: ROC AUC for bird/plane, macro one-vs-rest AUC for CIFAR-10, read the way the loss "
        "computed it (from the logits where Keras's loss read the logits): what the model can do at any threshold;\n"
        "- *cost*: the matched pairing's accuracy minus the mistake's, paired by seed, with its 95% t interval;\n"
        "- *loss read*: measured per run on 512 untrained training images, by comparing Keras's loss with the "
        "hand-written loss of each reading (`experiments/training/keras_view.py`).\n\n"
    )
