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
from experiments.composition import encode_targets, parse
from experiments.pairings import PAIRINGS, documented_pairing, get_pairing
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
    gradient = _first_line(derivative)
    if p.loss_kwargs.get("from_logits"):  # the docstring's own line for the logits form, where it has one
        doc = (inspect.getdoc(derivative) or "").replace("\n", " ")
        said = doc.partition("With `from_logits=True`: ")[2].split(". ")[0]
        gradient = f"with from_logits=True, at the logits z: {said}" if said else gradient
    return [
        f"head: Dense({p.units}, {p.activation}): {formula}, outputs in [{low:g}, {high:g}]",
        f"loss: {p.loss}{f'({args})' if args else ''}: {loss.formula}"
        + (f", on {loss.logits}(z) of its input z" if p.loss_kwargs.get("from_logits") and loss.logits else "")
        + f"; targets: {p.target}",
        f"gradient at the output (`{derivative.__name__}`): {gradient}",
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


def same_pairing(a, b):
    """Whether two pairings train the same head and loss (a named pairing and its composed spelling alike)."""
    return (a.activation, a.units, a.loss, dict(a.loss_kwargs)) == (b.activation, b.units, b.loss, dict(b.loss_kwargs))


def keras_now(p, task):
    """What Keras does with `p` in this process: {"backend", "accuracy_metric", "loss_reads", "warnings"}."""
    import keras

    from experiments.training import keras_view

    model, x, y = _untrained(p, task)
    metric = keras_view.resolved_accuracy(y, model(x))
    view = keras_view.builtin_loss_at_start(model, model.layers[-1], p, x, y)
    return {
        "backend": keras.backend.backend(),
        "accuracy_metric": type(metric).__name__,
        "loss_reads": view["read"],
        "warnings": [w.strip('"') for w in view["warnings"]],
    }


def _table(path):
    return pd.read_csv(path) if Path(path).is_file() else None


def atlas_cell(p, task, root=REPOSITORY):
    """The pairing's atlas cell on `task` (`results/atlas/tables/atlas_<task>.csv`): {"class", "seeds",
    "headline", "matched_headline", "reasons", "keras_loss_equal", "source"}, or None where there is none."""
    source = Path("results") / "atlas" / "tables" / f"atlas_{task}.csv"
    table = _table(Path(root) / source)
    if table is None:
        return None
    row = table[table["pairing"] == p.name]
    matched = table[table["pairing"] == documented_pairing(task).name]
    if row.empty:
        return None
    r = row.iloc[0]

    def number(value):
        return None if pd.isna(value) else float(value)

    return {
        "class": r["class"],
        "seeds": int(r["seeds"]),
        "headline": number(r["headline"]),
        "matched_headline": number(matched.iloc[0]["headline"]) if not matched.empty else None,
        "reasons": r["reasons"] if isinstance(r["reasons"], str) and r["reasons"] else "",
        "keras_loss_equal": r.get("keras_loss_equal") if isinstance(r.get("keras_loss_equal"), str) else None,
        "source": str(source),
    }


def claims_of(p, task, root=REPOSITORY):
    """The claims of `results/confirmatory` and `results/conditions` with `p` as an arm:
    [{"claim", "study", "test", "verdict", "a", "b", "metric", "effect", "low", "high", "keras"}]."""
    found = []
    for study in ("confirmatory", "conditions"):
        table = _table(Path(root) / "results" / study / "tables" / "claims.csv")
        if table is None or "a" not in table:
            continue
        for _, r in table[(table["task"] == task) & ((table["a"] == p.name) | (table["b"] == p.name))].iterrows():
            keras = r.get("with Keras's own objects")
            found.append(
                {
                    "claim": r["claim"],
                    "study": f"results/{study}",
                    "test": r["test"],
                    "verdict": r["verdict"],
                    "a": r["a"],
                    "b": r["b"],
                    "metric": r["metric"],
                    "effect": float(r["effect"]),
                    "low": float(r["t_low"]),
                    "high": float(r["t_high"]),
                    "effect_text": r["effect [95% CI]"],
                    "keras": keras if isinstance(keras, str) and keras else "",
                }
            )
    return found


def keras_object_cells(p, task, root=REPOSITORY):
    """The committed Keras-objects runs of `p` on `task`, per backend (`results/keras_objects`):
    [{"mistake", "backend", "seeds", "word", "accuracy", "matched_accuracy", "cost", "low", "high", "score"}]."""
    from experiments.analysis.evidence import keras_worlds
    from experiments.analysis.evidence.loading import latest_records

    folder = Path(root) / "results" / "keras_objects"
    mistake = next(
        (m for m in keras_worlds.MISTAKES if m.task == task and same_pairing(get_pairing(task, m.pairing), p)),
        None,
    )
    if mistake is None or not folder.is_dir():
        return []
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = keras_worlds.cells(latest_records(folder), [])
    return [
        {
            "mistake": mistake.id,
            "backend": world,
            "seeds": len(c.seeds),
            "word": c.word,
            "accuracy": c.accuracy,
            "matched_accuracy": c.matched_accuracy,
            "cost": c.cost,
            "low": c.low,
            "high": c.high,
            "score": c.score,
            "source": "results/keras_objects's records; the table: results/confirmatory/REPORT.md",
        }
        for (mid, world), c in found.items()
        if mid == mistake.id
    ]


def explain_pages(pairing, task=None, root=REPOSITORY):
    """What the suite knows of `pairing`, one dict per task (`tasks_of`): its formulas, what Keras does with it
    here, the committed Keras-objects runs, its atlas cell, its claims, and the matched pairing.

    Raises:
        ValueError: the pairing does not parse, or composes on no task (one line, with what would).
    """
    if not any(pairing in named for named in PAIRINGS.values()):
        parse(pairing)  # not a named pairing: the grammar's one-line error first
    pages = []
    for t in tasks_of(pairing, task):
        p = get_pairing(t, pairing)
        matched = documented_pairing(t)
        pages.append(
            {
                "pairing": p.name,
                "task": t,
                "note": p.note,
                "formulas": formulas(p),
                "keras_now": keras_now(p, t),
                "keras_objects": keras_object_cells(p, t, root),
                "atlas": atlas_cell(p, t, root),
                "claims": claims_of(p, t, root),
                "matched": same_pairing(p, matched),
                "use_instead": matched.name,
            }
        )
    return pages


SCORE_WORDS = {"binary": "ROC AUC (needs no threshold)", "multiclass": "macro ROC AUC (needs no threshold)"}
READS = {
    "outputs": "the head's outputs, as the pairing is written",
    "logits_behind_head": "the logits behind the {activation} head, not its outputs (the pairing "
    "`linear+{loss}(from_logits=true)`)",
}


def page_text(page):
    """One page of `explain_pages` as lines of text."""
    from experiments.analysis.evidence.keras_worlds import BACKEND_TITLES

    p = get_pairing(page["task"], page["pairing"])
    now = page["keras_now"]
    lines = [f"{page['pairing']} on {page['task']}: {page['note']}", *page["formulas"]]
    lines.append(f'Keras\'s metrics=["accuracy"] resolves to {now["accuracy_metric"]} for these targets and outputs')
    reads = READS[now["loss_reads"]].format(activation=p.activation, loss=p.loss)
    lines.append(f"on {now['backend']} (this process), Keras's own loss reads {reads}")
    if now["warnings"]:
        lines.append("Keras warns: " + " / ".join(f"“{w}”" for w in now["warnings"]))
    for c in page["keras_objects"]:
        lines.append(
            f"with Keras's own objects on {BACKEND_TITLES.get(c['backend'], c['backend'])} ({c['seeds']} seeds, "
            f"{c['source']}): {c['word']}; Keras's accuracy {c['accuracy']:.3f} against the matched "
            f"{c['matched_accuracy']:.3f} (cost {c['cost']:.3f} [{c['low']:.3f}, {c['high']:.3f}]); "
            f"{SCORE_WORDS.get(get_task(page['task']).kind, 'threshold-free score')} {c['score']:.3f}"
        )
    atlas = page["atlas"]
    if atlas is not None:
        lines.append(
            f"atlas ({page['task']}, {atlas['seeds']} seeds, {atlas['source']}): {atlas['class']}; reasons: "
            f"{atlas['reasons'] or 'none measured'}"
        )
    for c in page["claims"]:
        keras = f"; with Keras's own objects: {c['keras']}" if c["keras"] else ""
        lines.append(f"claim {c['claim']} ({c['study']}): {c['test']}: {c['verdict']}, A − B {c['effect_text']}{keras}")
    lines.append(
        "this is the task's matched pairing (the post's)" if page["matched"] else f"use instead: {page['use_instead']}"
    )
    return lines


def explain(pairing, task=None, root=REPOSITORY):
    """The page for `pairing` (on `task`, or the tasks that name it), as text (`explain_pages`)."""
    return "\n\n".join("\n  ".join(page_text(page)) for page in explain_pages(pairing, task, root))
