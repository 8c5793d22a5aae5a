"""The atlas rendered: per task a heat map (`atlas.heat_map`), a table (CSV, Markdown, LaTeX), and ATLAS.md over them.

Every number comes from the records of `results/atlas`, classified by `experiments.analysis.atlas.cells`.
"""

from collections import Counter
from pathlib import Path

import numpy as np

from experiments.analysis.atlas import cells as atlas_cells
from experiments.analysis.atlas.heat_map import heat_map, score_name
from experiments.analysis.atlas.page import PAGE, write_atlas_page
from experiments.analysis.evidence.summaries import provenance
from experiments.analysis.plots.files import save
from experiments.analysis.render.tables import write_table
from experiments.analysis.wording import TASK_TITLES, fmt, paragraphs
from experiments.atomic_files import write_text_atomic
from experiments.composition import LOSS_FORMS, OUTPUT_ACTIVATIONS
from experiments.tasks import get_task
from experiments.training.metrics import HEADLINE
from experiments.training.speed.process import render_stamp


def _table(cells):
    frame = atlas_cells.cells_table(cells)
    frame["warnings"] = ["; ".join(w) for w in frame["warnings"]]
    frame["reasons"] = ["; ".join(r) for r in frame["reasons"]]
    return frame.rename(columns={"kind_of_cell": "class"})


def _readable(frame, kind):
    def number(v, digits=3):
        return "" if v is None or not np.isfinite(v) else fmt(v, digits)

    out = frame[["activation", "loss_form", "pairing", "class", "seeds"]].copy()
    out[f"test {score_name(kind)}"] = [number(v) for v in frame["ranking"]]
    if kind == "regression":
        out["MSE / training-mean MSE"] = [number(v / c) for v, c in zip(frame["ranking"], frame["chance"])]
        out["MSE / least-squares MSE"] = [number(v) for v in frame["mse_ratio"]]
    else:
        out["chance"] = [number(v) for v in frame["chance"]]
        out[f"test {HEADLINE[kind]} (decision rule)"] = [number(v) for v in frame["headline"]]
        out["decision rule"] = frame["decision"]
    out['Keras "accuracy"'] = [
        f"{m} {number(v)}".strip() if m else "" for m, v in zip(frame["keras_metric"], frame["keras_accuracy"])
    ]
    out["Keras loss = ours at epoch 0"] = frame["keras_loss_equal"]
    out["output range"] = [
        "" if not np.isfinite(lo) else f"[{number(lo, 3)}, {number(hi, 3)}]"
        for lo, hi in zip(frame["output_low"], frame["output_high"])
    ]
    out["mean |dL/dz| wrong, epoch 0"] = [number(v, 4) for v in frame["grad_wrong"]]
    out["why not learning / refused"] = [r or ref for r, ref in zip(frame["reasons"], frame["refused"])]
    out["Keras warnings"] = frame["warnings"]
    out["Keras vs the decision rule"] = frame["keras_note"]
    return out


def _iris_note(records, counts):
    """Why every iris cell may be at chance: the post's settings fit no line in the atlas's epochs."""
    from experiments.config import load_profile

    iris = [r for r in records if r["task"] == "sepal_width"]
    if not iris or counts.get("sepal_width", {}).get("learns", 0):
        return ""
    epochs = iris[0]["config"]["epochs"]
    fitted = load_profile("full")["tasks"]["sepal_width_fitted"]["epochs"]
    return (
        f"On iris no cell learns, the post's `linear+mse` included: after {epochs} epochs of the post's settings no "
        "line beats predicting the training mean on the test rows (in the full study the iris lines reach their "
        f"optima only after {fitted:,} epochs: `sepal_width_fitted`)."
    )


def _class_words(kind):
    """What each class means for a task of `kind`, in one sentence each."""
    if kind == "regression":
        return (
            f"Class: learns (test MSE at least {atlas_cells.LEARNS_MARGIN:.0%} below the training-mean predictor's), "
            "at chance, diverged, refused (by Keras, not run). The MSE is also given as a ratio to least squares "
            "fitted on the training rows (1 is the best a line can do)."
        )
    score = score_name(kind)
    misread = (
        ""
        if kind == "multilabel"
        else f"; ranks, misread ({score} beats chance but the decision rule's accuracy does not)"
    )
    return (
        f"Class: learns (test {score} beats chance by {atlas_cells.LEARNS_MARGIN}"
        + ("" if kind == "multilabel" else ", and so does the decision rule's accuracy")
        + f"){misread}; at chance ({score} does not); diverged; refused (by Keras, not run)."
    )


def write_atlas(records, folder):
    """Heat maps, tables and ATLAS.md for the atlas records; returns the paths written."""
    folder = Path(folder)
    written, sections, counts, cells_by_task = [], [], {}, {}
    own = [t for t in ("sepal_width", "bird_plane", "cifar10", "multilabel") if any(r["task"] == t for r in records)]
    tasks = own + sorted({r["task"] for r in records if get_task(r["task"]).task_file})  # then a user's tasks
    for task in tasks:
        these = [r for r in records if r["task"] == task]
        seeds = len({r["seed"] for r in these})
        epochs = "/".join(str(e) for e in sorted({r["config"]["epochs"] for r in these}))
        cells = cells_by_task[task] = atlas_cells.task_cells(these, task)
        counts[task] = Counter(c.kind_of_cell for c in cells)
        kind = get_task(task).kind
        label = provenance(these)
        written += save(heat_map(task, cells, seeds, epochs), folder / "figures", f"atlas_{task}", label)
        frame = _table(cells)
        readable = _readable(frame, kind)
        caption = (
            f"{TASK_TITLES.get(task, task)}: each output activation x loss form, {seeds} seeds, {epochs} epochs. "
            + _class_words(kind)
            + ' Keras "accuracy": the metric Keras resolves metrics=["accuracy"] to here, on the same test outputs. '
            + label
        )
        written += write_table(folder / "tables", f"atlas_{task}", frame, caption, shown=readable)
        sections.append(
            f"## {TASK_TITLES.get(task, task)}\n\n![atlas of {task}](figures/atlas_{task}.png)\n\n"
            + ", ".join(f"{counts[task].get(k, 0)} {k}" for k in atlas_cells.CLASSES)
            + f" of {len(cells)} cells. Table: [`tables/atlas_{task}.md`](tables/atlas_{task}.md).\n"
        )
    text = (
        "# The activation x loss atlas\n\n"
        + paragraphs(
            f"Generated by `python -m experiments report --profile atlas` with {render_stamp()}, from "
            f"{len(records)} run records. {provenance(records)}."
        )
        + "\n\n"
        f"To click through: [`{PAGE}`]({PAGE}), one self-contained page (it opens from the file, offline): a cell "
        "opens its learning curves, its outputs against the targets, its gradient at the output and what Keras "
        "would have shown.\n\n"
        + paragraphs(
            "Every output activation ("
            + ", ".join(OUTPUT_ACTIVATIONS)
            + ") against every loss form ("
            + ", ".join(LOSS_FORMS)
            + "), per task; units, targets and the evaluation link follow from the task "
            "(`experiments/composition.py`). Each cell is judged on a score that hangs on no threshold (ROC AUC for "
            "bird/plane, macro one-vs-rest AUC for CIFAR-10, mean AP for the mosaics, test MSE for iris): it "
            "**learns** "
            f"when that score beats chance by {atlas_cells.LEARNS_MARGIN} (for MSE: is "
            f"{atlas_cells.LEARNS_MARGIN:.0%} below the "
            "training-mean predictor's) and its decision rule's accuracy does too; it **ranks, misread** when "
            "the score "
            "beats chance but the accuracy does not. The decision rule reads the outputs the way the loss "
            "trained them: "
            "a threshold at the midpoint of the two target codes (0.5 on {0, 1}, 0 on {-1, +1}, logit 0), the argmax "
            "over several units (`experiments/training/decoding.py`). Cells that do not learn name each measured "
            "reason "
            "with the number of seeds that show it (a cell that learns names one only where its training loss ran "
            "below 0). Seeds are few on purpose: the atlas classifies; the full profile "
            "tests. "
            "Seeds and epochs per task: "
            + "; ".join(
                f"{t}: {len({r['seed'] for r in records if r['task'] == t})} seeds, "
                + "/".join(str(e) for e in sorted({r["config"]["epochs"] for r in records if r["task"] == t}))
                + " epochs"
                for t in tasks
            )
            + (
                " (the fewest at which the post's pairing is on its plateau, `experiments/profiles/atlas.json`). "
                if {r["profile"] for r in records} == {"atlas"}
                else f" (profile {', '.join(sorted({r['profile'] for r in records}))}, not the atlas profile's epochs: "
                "classes read before a plateau may differ from the committed atlas's). "
            )
            + _iris_note(records, counts)
        )
        + "\n\n"
        "| task | "
        + " | ".join(atlas_cells.CLASSES)
        + " |\n|---|"
        + "---|" * len(atlas_cells.CLASSES)
        + "\n"
        + "".join(
            f"| {t} | " + " | ".join(str(counts[t].get(k, 0)) for k in atlas_cells.CLASSES) + " |\n" for t in tasks
        )
        + "\n"
        + "\n".join(sections)
    )
    write_text_atomic(folder / "ATLAS.md", text)
    written.append(folder / "ATLAS.md")
    written.append(write_atlas_page(records, cells_by_task, folder))
    return written
