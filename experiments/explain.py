"""`python -m experiments explain PAIRING`: what the suite knows about one pairing, on one page.

For a pairing on a task (the tasks it is named on, else the one given), from the catalogue and the
committed records, never from a new training run:
- the activation and loss formulas, and the gradient the loss sends back to the output;
- the Keras metric `metrics=["accuracy"]` resolves to, for these targets and outputs;
- what Keras's own loss reads on the running backend (measured now, on an untrained head), and what the
  committed Keras-objects runs measured on each backend (`results/keras_objects`);
- its atlas class and reasons (`results/atlas`), and the claims and lines it is an arm of, with their verdicts;
- the matched pairing to use instead: the task's documented one.
"""

import inspect
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.catalogue import ACTIVATIONS, LOSSES
from experiments.composition import parse
from experiments.pairings import PAIRINGS, documented_pairing, encode_targets, get_pairing
from experiments.tasks import get_task

REPOSITORY = Path(__file__).resolve().parents[1]


def tasks_of(pairing, task=None):
    """The tasks to explain `pairing` on: `task`, else every task that names it, else the task its parts fit."""
    if task is not None:
        get_pairing(task, pairing)  # ValueError, one line, where it cannot be trained there
        return [task]
    named = [t for t, pairings in PAIRINGS.items() if pairing in pairings]
    if named:  # the tasks of their own first (bird_plane), else the variants that name it (bird_plane_hidden)
        return [t for t in named if get_task(t).base is None] or named
    for candidate in ("bird_plane", "cifar10", "multilabel", "sepal_width"):
        try:
            get_pairing(candidate, pairing)
            return [candidate]
        except ValueError:
            continue
    raise ValueError(f"{pairing!r} composes on no task; name one with --task (e.g. --task bird_plane).")


def _first_line(fn):
    doc = inspect.getdoc(fn) or ""
    return doc.split("\n\n")[0].replace("\n", " ")


def formulas(p):
    """Lines: the head's formula, the loss's formula, and the loss's gradient at the output."""
    import custom_objects
    from custom_objects.losses import LOSS_DERIVATIVES

    formula, (low, high), _ = ACTIVATIONS[p.activation]
    loss = LOSSES[p.loss]
    args = ", ".join(f"{k}={v}" for k, v in p.loss_kwargs.items())
    derivative = LOSS_DERIVATIVES[p.loss]
    return [
        f"head: Dense({p.units}, {p.activation}): {formula}, outputs in [{low:g}, {high:g}]",
        f"loss: {p.loss}{f'({args})' if args else ''}: {loss.formula}; targets: {p.target}",
        f"gradient at the output (`{derivative.__name__}`): {_first_line(derivative)}",
        f"the loss's own words (`{custom_objects.get_loss(p.loss).fn.__name__}`): "
        f"{_first_line(custom_objects.get_loss(p.loss).fn)}",
    ]


def _untrained(p, task):
    """(a Keras head on 4 inputs with Keras's activation, inputs, encoded targets) for `p` on `task`."""
    import keras

    from custom_objects.activations import KERAS_EQUIVALENTS

    kind = get_task(task).kind
    rng = np.random.default_rng(0)
    n = 64
    raw = {
        "binary": rng.integers(0, 2, size=n),
        "multiclass": rng.integers(0, 10, size=n),
        "multilabel": (rng.random((n, 10)) < 0.2).astype("float32"),
        "regression": rng.normal(3.0, 0.4, size=n).astype("float32"),
    }[kind]
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(p.units, activation=KERAS_EQUIVALENTS[p.activation])(inputs))
    x = rng.normal(size=(n, 4)).astype("float32") * 3
    return model, x, encode_targets(raw, p.target, p.units)


def keras_now(p, task):
    """Lines: Keras's resolved accuracy, and which outputs its loss reads on the running backend."""
    import keras

    from experiments.training import keras_view

    model, x, y = _untrained(p, task)
    metric = keras_view.resolved_accuracy(y, model(x))
    view = keras_view.builtin_loss_at_start(model, model.layers[-1], p, x, y)
    read = {
        "outputs": "the head's outputs, as the pairing is written",
        "logits_behind_head": f"the logits behind the {p.activation} head, not its outputs (the pairing "
        f"`linear+{p.loss}(from_logits=true)`)",
    }[view["read"]]
    lines = [
        f'Keras\'s metrics=["accuracy"] resolves to {type(metric).__name__} for these targets and outputs',
        f"on {keras.backend.backend()} (this process), Keras's own loss reads {read}",
    ]
    if view["warnings"]:
        lines.append("Keras warns: " + " / ".join(f"“{w.strip(chr(34))}”" for w in view["warnings"]))
    return lines


def _table(path):
    return pd.read_csv(path) if Path(path).is_file() else None


def atlas_lines(p, task, root=REPOSITORY):
    """Lines: the pairing's atlas cell on `task` (`results/atlas/tables/atlas_<task>.csv`), if there is one."""
    table = _table(Path(root) / "results" / "atlas" / "tables" / f"atlas_{task}.csv")
    if table is None:
        return []
    row = table[table["pairing"] == p.name]
    if row.empty:
        return [f"atlas ({task}): no cell for {p.name}"]
    r = row.iloc[0]
    reasons = r["reasons"] if isinstance(r["reasons"], str) and r["reasons"] else "none measured"
    return [f"atlas ({task}, {int(r['seeds'])} seeds): {r['class']}; reasons: {reasons}"]


def claim_lines(p, task, root=REPOSITORY):
    """Lines: the claims of `results/confirmatory` and `results/conditions` with `p` as an arm, and their verdicts."""
    lines = []
    for study in ("confirmatory", "conditions"):
        table = _table(Path(root) / "results" / study / "tables" / "claims.csv")
        if table is None or "a" not in table:
            continue
        for _, r in table[(table["task"] == task) & ((table["a"] == p.name) | (table["b"] == p.name))].iterrows():
            keras = r.get("with Keras's own objects")
            keras = f"; with Keras's own objects: {keras}" if isinstance(keras, str) and keras else ""
            lines.append(
                f"claim {r['claim']} (results/{study}): {r['test']}: {r['verdict']}, A − B {r['effect [95% CI]']}"
                f"{keras}"
            )
    return lines


def keras_world_lines(p, task, root=REPOSITORY):
    """Lines: the committed Keras-objects runs of `p` on `task`, per backend (`results/keras_objects`)."""
    from experiments.analysis.data import keras_worlds
    from experiments.analysis.data.loading import latest_records

    folder = Path(root) / "results" / "keras_objects"
    mistake = next((m for m in keras_worlds.MISTAKES if m.pairing == p.name and m.task == task), None)
    if mistake is None or not folder.is_dir():
        return []
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = keras_worlds.cells(latest_records(folder), [])
    lines = []
    for (mid, world), c in found.items():
        if mid == mistake.id:
            lines.append(
                f"with Keras's own objects on {keras_worlds.BACKEND_TITLES.get(world, world)} ({len(c.seeds)} seeds): "
                f"{c.word}; Keras's accuracy {c.accuracy:.3f} against the matched {c.matched_accuracy:.3f} "
                f"(cost {c.cost:.3f} [{c.low:.3f}, {c.high:.3f}]); threshold-free score {c.score:.3f}"
            )
    return lines


def explain(pairing, task=None, root=REPOSITORY):
    """The page for `pairing` (on `task`, or the tasks that name it), as text.

    Raises:
        ValueError: the pairing does not parse, or composes on no task (one line, with what would).
    """
    if not any(pairing in named for named in PAIRINGS.values()):
        parse(pairing)  # not a named pairing: the grammar's one-line error first
    pages = []
    for t in tasks_of(pairing, task):
        p = get_pairing(t, pairing)
        matched = documented_pairing(t)
        lines = [f"{p.name} on {t}: {p.note}"]
        lines += formulas(p)
        lines += keras_now(p, t)
        lines += keras_world_lines(p, t, root) + atlas_lines(p, t, root) + claim_lines(p, t, root)
        same = p.name == matched.name
        lines.append("this is the task's matched pairing (the post's)" if same else f"use instead: {matched.name}")
        pages.append("\n  ".join(lines))
    return "\n\n".join(pages)
