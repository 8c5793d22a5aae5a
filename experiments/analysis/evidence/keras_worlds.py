"""Each mistake as a Keras user meets it: Keras's own activation and loss, per backend, beside the hand-written.

The suite's studies train the hand-written objects of `custom_objects`: the mechanism of each mistake. A user
trains Keras's own `activation="sigmoid"` and `keras.losses.BinaryCrossentropy(...)`, and on TensorFlow
Keras's cross-entropies read the logits behind a Keras sigmoid or softmax head instead of its outputs
(`experiments.training.keras_view`), so some mistakes never reach the loss there. `results/keras_objects`
holds every mistake and its matched pairing trained with `objects=keras` on each backend; this module pairs
them by seed into one row per (mistake, world), a world being a backend's Keras objects or the hand-written
objects of the study that tests the claims.

A row's word, from the cost in accuracy as the user reads it (matched − mistake, paired by seed, with its 95%
t interval; Keras's own "accuracy" on the head's outputs for Keras's objects, the suite's decoding for the
hand-written ones), against the accuracy margin of the claims (`claims.claim_metrics.MARGINS`, two points):
- *bites*: the interval lies above 0 and the mean cost is above the margin;
- *undone*: Keras's loss read the logits behind the head on every seed (the mistaken outputs never reached
  it; it warned where `from_logits=True`), and it does not bite;
- *harmless*: the loss read the outputs as written, and the interval lies inside (−margin, +margin);
- *inconclusive*: none of these (too few seeds, or a cost near the margin).
"""

from collections import Counter
from dataclasses import dataclass

import numpy as np

from experiments.analysis.claims.claim_metrics import MARGINS
from experiments.analysis.evidence import stats
from experiments.tasks import get_task

MARGIN = MARGINS["accuracy"][0]
BACKEND_TITLES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
HAND_WRITTEN = "hand-written"
THRESHOLD_FREE = {"binary": "roc_auc", "multiclass": "macro_auc"}


@dataclass(frozen=True)
class Mistake:
    """A mismatched pairing people make, with the matched pairing it is measured against on its task."""

    id: str
    words: str
    task: str
    pairing: str
    matched: str
    claim: str | None = None  # the claim that tests it, where one does


MISTAKES = (
    Mistake(
        "softmax_twice",
        "softmax applied twice (a softmax head, the loss told `from_logits=True`)",
        "cifar10",
        "softmax+sparse_cce_logits",
        "softmax+sparse_cce",
        "softmax_twice",
    ),
    Mistake(
        "logits_as_probabilities",
        "logits passed to BCE as probabilities (a linear head, `from_logits=False`)",
        "bird_plane",
        "linear+bce_probs",
        "sigmoid+bce",
        "logits_as_probabilities",
    ),
    Mistake(
        "sigmoid_twice",
        "sigmoid applied twice (a sigmoid head, the loss told `from_logits=True`)",
        "bird_plane",
        "sigmoid+bce(from_logits=true)",
        "sigmoid+bce",
    ),
    Mistake("one_unit_softmax", "a one-unit softmax into BCE", "bird_plane", "softmax@1+bce", "sigmoid+bce"),
    Mistake("relu_head", "a ReLU head into BCE", "bird_plane", "relu+bce", "sigmoid+bce"),
    Mistake("hinge_on_01", "hinge on {0, 1} labels (a tanh head)", "bird_plane", "tanh+hinge", "sigmoid+bce"),
    Mistake("bce_on_softmax", "BCE on a 10-class softmax", "cifar10", "softmax+bce", "softmax+sparse_cce"),
    Mistake("cce_on_sigmoids", "CCE on 10 sigmoid outputs", "cifar10", "sigmoid+cce", "softmax+sparse_cce"),
)


def records_for(results, recs):
    """(Keras-objects records, hand-written records, where they come from) for the report of `results`.

    The Keras-objects records are those among `recs` (a folder swept with `--set objects=keras`), and, for
    the citable study (a folder named `confirmatory`), those of `keras_objects` beside it."""
    from pathlib import Path

    from experiments.analysis.evidence.loading import latest_records
    from experiments.analysis.wording import cited_folder

    keras_recs = [r for r in recs if world_of(r) != HAND_WRITTEN]
    sources = [cited_folder(results)] if keras_recs else []
    beside = Path(results).parent / "keras_objects"  # the citable study's (or a copy of it, beside it)
    if Path(results).name == "confirmatory" and beside.is_dir():
        found = latest_records(beside)
        keras_recs += found
        counts = Counter(BACKEND_TITLES.get(world_of(r), world_of(r)) for r in found)
        per_backend = ", ".join(f"{n} on {backend}" for backend, n in sorted(counts.items()))
        sources.append(f"`results/keras_objects` ({per_backend}; each row names its seeds)")
    hand = [r for r in recs if world_of(r) == HAND_WRITTEN]
    hand_words = f"; the hand-written objects: `{cited_folder(results)}`" if sources else ""
    return keras_recs, hand, ", ".join(sources) + hand_words


def one_world(recs):
    """The records the claims, tables and figures are drawn from: the hand-written objects' where there are
    any, else one backend's Keras objects (TensorFlow's first), so that no seed is counted twice. The
    others appear in the mistake x backend table."""
    worlds = {world_of(r) for r in recs}
    for world in (HAND_WRITTEN, *BACKEND_TITLES):
        if world in worlds:
            return [r for r in recs if world_of(r) == world]
    return recs


def world_of(record):
    """ "hand-written", or the backend whose Keras objects trained `record`."""
    config = record["config"]
    return config.get("backend", "tensorflow") if config.get("objects") == "keras" else HAND_WRITTEN


def printed_accuracy(record):
    """The accuracy the user reads: Keras's resolved "accuracy" on the head's outputs for Keras's objects,
    the suite's decoding (`final.accuracy`) for the hand-written ones."""
    if world_of(record) == HAND_WRITTEN:
        return record["final"].get("accuracy")
    return ((record.get("keras") or {}).get("accuracy") or {}).get("value")


@dataclass(frozen=True)
class Cell:
    """One (mistake, world): the numbers of its seeds and its word."""

    mistake: Mistake
    world: str
    seeds: list
    accuracies: tuple  # the mistake's accuracy as the user reads it, per seed (in `seeds`' order)
    metric: str  # Keras's resolved accuracy class, or "accuracy (the suite's decoding)"
    accuracy: float  # the mistake's accuracy as the user reads it, mean over seeds
    matched_accuracy: float
    loss: float  # the mistake's final training loss, as Keras logged it, mean over seeds
    score: float  # its threshold-free score (ROC AUC or macro AUC), read as the loss computed
    matched_score: float
    cost: float  # matched − mistake in the user's accuracy, mean over seeds
    low: float
    high: float
    read_behind: bool  # Keras's loss read the logits behind the head on every seed
    warnings: tuple
    word: str

    @property
    def model_learned(self):
        """Whether the mistake's model ranks the test images as well as the matched one (threshold-free scores
        within the margin): where it bites, what bites is how its outputs are read, not what it learned."""
        return bool(np.isfinite(self.score) and self.score >= self.matched_score - MARGIN)


def _word(cost, low, high, read_behind):
    if np.isfinite(low) and low > 0 and cost > MARGIN:
        return "bites"
    if read_behind:
        return "undone"
    if np.isfinite(low) and -MARGIN < low and high < MARGIN:
        return "harmless"
    return "inconclusive"


def _ok(records, task, pairing, world):
    return {
        r["seed"]: r
        for r in records
        if r["task"] == task and r["pairing"] == pairing and r["status"] == "ok" and world_of(r) == world
    }


def cell(records, mistake, world):
    """The `Cell` of `mistake` in `world` from `records`, or None where no seed has both pairings."""
    bad = _ok(records, mistake.task, mistake.pairing, world)
    good = _ok(records, mistake.task, mistake.matched, world)
    seeds = sorted(set(bad) & set(good))
    pairs = [(bad[s], good[s]) for s in seeds]
    pairs = [(b, g) for b, g in pairs if printed_accuracy(b) is not None and printed_accuracy(g) is not None]
    if not pairs:
        return None
    costs = [printed_accuracy(g) - printed_accuracy(b) for b, g in pairs]
    cost, low, high = stats.t_interval(costs)
    score_key = THRESHOLD_FREE[get_task(mistake.task).kind]
    read_behind = world != HAND_WRITTEN and all(
        (b.get("keras") or {}).get("read") == "logits_behind_head" for b, _ in pairs
    )
    if world == HAND_WRITTEN:
        metric = "accuracy (the suite's decoding)"
    else:
        metric = ((pairs[0][0].get("keras") or {}).get("accuracy") or {}).get("metric", "accuracy")
    warnings = (
        sorted({w for b, _ in pairs for w in (b.get("keras") or {}).get("warnings", [])})
        if world != HAND_WRITTEN
        else []
    )
    return Cell(
        mistake=mistake,
        world=world,
        seeds=[b["seed"] for b, _ in pairs],
        accuracies=tuple(printed_accuracy(b) for b, _ in pairs),
        metric=metric,
        accuracy=float(np.mean([printed_accuracy(b) for b, _ in pairs])),
        matched_accuracy=float(np.mean([printed_accuracy(g) for _, g in pairs])),
        loss=float(np.mean([b["history"][-1]["train_loss"] for b, _ in pairs])),
        score=float(np.nanmean([b["final"].get(score_key, np.nan) for b, _ in pairs])),
        matched_score=float(np.nanmean([g["final"].get(score_key, np.nan) for _, g in pairs])),
        cost=cost,
        low=low,
        high=high,
        read_behind=read_behind,
        warnings=tuple(warnings),
        word=_word(cost, low, high, read_behind),
    )


def cells(keras_records, hand_written_records):
    """{(mistake id, world): Cell} for every mistake in every world the records hold."""
    worlds = sorted({world_of(r) for r in keras_records} - {HAND_WRITTEN}, key=list(BACKEND_TITLES).index)
    found = {}
    for mistake in MISTAKES:
        for world, records in [(HAND_WRITTEN, hand_written_records)] + [(w, keras_records) for w in worlds]:
            c = cell(records, mistake, world)
            if c is not None:
                found[(mistake.id, world)] = c
    return found


def worlds_of_claim(found, claim_id):
    """The cells of the mistake a claim tests, by world, or {} where no mistake is that claim's."""
    mistake = next((m for m in MISTAKES if m.claim == claim_id), None)
    if mistake is None:
        return {}
    return {w: c for (m, w), c in found.items() if m == mistake.id}
