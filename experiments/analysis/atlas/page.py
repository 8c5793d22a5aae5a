"""The atlas as one self-contained HTML page: a heat map per task, and a click on a cell opens its pairing.

The page is drawn by Plotly (its offline HTML: plotly.js inlined, no server, no CDN, so it opens from a
file on a machine without network). Each cell's detail is built here, in Python, as Plotly traces: the
mean and per-seed learning curves, the final test outputs against the targets, the mean |dL/dz| at the
output on the probe images per epoch, and the cell's class, reasons and what Keras would have shown.
The page's only script of its own hands a clicked cell's traces to `Plotly.react`.
"""

import html
import json
from pathlib import Path

import numpy as np

from experiments.analysis.atlas import traces as atlas_traces
from experiments.analysis.atlas.cells import LEARNS_MARGIN
from experiments.analysis.atlas.heat_map import score_name
from experiments.analysis.evidence.summaries import sources_by_task
from experiments.analysis.wording import TASK_TITLES, fmt
from experiments.atomic_files import write_text_atomic
from experiments.composition import LOSS_FORMS, OUTPUT_ACTIVATIONS
from experiments.pairings import documented_pairing
from experiments.tasks import get_task
from experiments.training.metrics import HEADLINE, LOWER_IS_BETTER, RANKING
from experiments.training.speed.process import render_stamp

PAGE = "atlas.html"
DIGITS = 4  # decimals kept in the page's numbers: its size, not its precision, is what they cost

# The cell's label in the heat map (the PNG's, on one line) and its hover text.
_NO_NUMBER = {"refused": "refused", "no finished seed": "no seed", "diverged": "diverged"}


def label(cell, kind):
    if cell.kind_of_cell in _NO_NUMBER:
        return _NO_NUMBER[cell.kind_of_cell]
    text = f"{cell.ranking:.1e}" if abs(cell.ranking) >= 1e4 else fmt(cell.ranking, 2)  # a diverging MSE: 1.5e+09
    if kind in ("binary", "multiclass"):
        text += f"<br>acc {fmt(cell.headline, 2)}"
    return text + {"at chance": "<br>(chance)", "ranks, misread": "<br>(misread)"}.get(cell.kind_of_cell, "")


def _info(task, cell, kind):
    """The cell's words, as escaped HTML: class, reasons, decision rule and what Keras would have shown."""
    e = html.escape
    head = f"<b>{e(cell.pairing or cell.activation + '+' + cell.loss_form)}</b> on {e(TASK_TITLES.get(task, task))}"
    lines = [f"{head}: <b>{e(cell.kind_of_cell)}</b>"]
    if cell.refused:
        lines.append(f"Refused before training: {e(cell.refused)}")
    if cell.seeds:
        score = score_name(kind)
        lines.append(
            f"{cell.seeds} seed(s), {cell.diverged} diverged; test {e(score)} {fmt(cell.ranking, 3)} "
            f"(chance {fmt(cell.chance, 3)}); {e(HEADLINE[kind])} {fmt(cell.headline, 3)}"
        )
    if cell.decision:
        lines.append(f"Decision rule: {e(cell.decision)}")
    for reason in cell.reasons:
        lines.append(f"Reason: {e(reason)}")
    if cell.keras_metric:
        lines.append(
            f'Keras: metrics=["accuracy"] resolves to {e(cell.keras_metric)}, which shows '
            f"{fmt(cell.keras_accuracy, 3)}; Keras's loss equals the hand-written one at epoch 0: "
            f"{e(cell.keras_loss_equal or 'not measured')}"
        )
        if cell.keras_note:
            lines.append(e(cell.keras_note))
    lines.append("Keras warned: " + ("; ".join(e(w) for w in cell.warnings) if cell.warnings else "nothing"))
    return "<br>".join(lines)


def _layout(kind):
    metric = HEADLINE[kind]
    return {
        "grid": {"rows": 1, "columns": 3, "pattern": "independent"},
        "height": 360,
        "margin": {"t": 40, "b": 50, "l": 50, "r": 10},
        "barmode": "overlay",
        "legend": {"orientation": "h", "y": -0.25},
        "xaxis": {"title": {"text": "epoch"}},
        "yaxis": {"title": {"text": f"test {metric}"}},
        "xaxis2": {"title": {"text": "final test output"}},
        "yaxis2": {"title": {"text": "share of outputs"}},
        "xaxis3": {"title": {"text": "epoch"}},
        "yaxis3": {"title": {"text": "mean |dL/dz| at the output"}, "type": "log"},
        "annotations": [
            {"text": t, "xref": f"x{i} domain", "yref": f"y{i} domain", "x": 0.5, "y": 1.12, "showarrow": False}
            for i, t in (
                ("", "learning curves"),
                ("2", "outputs against the targets"),
                ("3", "gradient at the output (probe)"),
            )
        ],
    }


def _heat_map(task, cells, kind):
    """The task's heat map as a Plotly figure dict; each cell's customdata is its key in the page's data."""
    by_position = {(c.activation, c.loss_form): c for c in cells}
    z, text, keys = [], [], []
    for activation in OUTPUT_ACTIVATIONS:
        row_z, row_text, row_keys = [], [], []
        for form in LOSS_FORMS:
            cell = by_position[(activation, form)]
            numeric = cell.kind_of_cell in ("learns", "ranks, misread", "at chance") and np.isfinite(cell.ranking)
            value = np.log10(max(cell.ranking, 1e-12)) if kind == "regression" else cell.ranking
            row_z.append(round(float(value), DIGITS) if numeric else None)
            row_text.append(label(cell, kind))
            row_keys.append(f"{task}|{activation}|{form}")
        z.append(row_z)
        text.append(row_text)
        keys.append(row_keys)
    headline = RANKING.get(kind, HEADLINE[kind])
    lower = headline in LOWER_IS_BETTER
    post = documented_pairing(task).name
    # A diverging regression cell's MSE is 10^8 where a fit's is 0.2: colours on a log scale, labels as measured.
    colour = f"log10 test {score_name(kind)}" if kind == "regression" else f"test {score_name(kind)}"
    short = [
        f.replace("binary_focal_crossentropy", "binary_focal").replace("(from_logits=true)", " (logits)")
        for f in LOSS_FORMS
    ]
    marked = [
        {  # the post's cell, outlined
            "type": "rect",
            "xref": "x",
            "yref": "y",
            "x0": list(LOSS_FORMS).index(c.loss_form) - 0.5,
            "x1": list(LOSS_FORMS).index(c.loss_form) + 0.5,
            "y0": list(OUTPUT_ACTIVATIONS).index(c.activation) - 0.5,
            "y1": list(OUTPUT_ACTIVATIONS).index(c.activation) + 0.5,
            "line": {"color": "#d62728", "width": 3},
        }
        for c in cells
        if c.pairing == post
    ]
    return {
        "data": [
            {
                "type": "heatmap",
                "z": z,
                "x": short,
                "y": list(OUTPUT_ACTIVATIONS),
                "text": text,
                "customdata": keys,
                "texttemplate": "%{text}",
                "textfont": {"size": 9},
                "hovertemplate": "%{y} + %{x}<br>%{text}<extra>click for its curves</extra>",
                "colorscale": "Viridis",
                "reversescale": lower,
                "colorbar": {"title": {"text": f"{colour}<br>({'lower' if lower else 'higher'} is better)"}},
                "xgap": 1,
                "ygap": 1,
            }
        ],
        "layout": {
            "title": {"text": f"{html.escape(TASK_TITLES.get(task, task))} (outlined in red: the post's, {post})"},
            "shapes": marked,
            "height": 420,
            "margin": {"t": 50, "b": 120, "l": 70, "r": 10},
            "yaxis": {"autorange": "reversed", "title": {"text": "output activation"}},
            "xaxis": {"tickangle": -50, "title": {"text": "loss"}},
            "plot_bgcolor": "lightgrey",
        },
    }


_SCRIPT = """
const atlas = JSON.parse(document.getElementById("atlas-data").textContent);
for (const [task, figure] of Object.entries(atlas.heatMaps)) {
  const div = document.getElementById("heat-" + task);
  Plotly.newPlot(div, figure.data, figure.layout, {responsive: true});
  div.on("plotly_click", (event) => show(event.points[0].customdata));
}
function show(key) {
  const cell = atlas.cells[key];
  const task = key.split("|")[0];
  document.getElementById("info-" + task).innerHTML = cell.info;
  Plotly.react(document.getElementById("detail-" + task), cell.traces, atlas.layouts[task]);
}
"""


FIRST = "bird_plane"  # the page opens on the post's first model
# What each class of cell means (the atlas's own rules, `analysis.atlas.cells`).
CLASS_WORDS = {
    "learns": f"its score beats chance by at least {LEARNS_MARGIN} (for MSE: is {LEARNS_MARGIN:.0%} below the "
    "training-mean predictor's), and so does its decision rule's accuracy",
    "ranks, misread": "its score beats chance, but its decision rule's accuracy does not: the outputs order the "
    "examples, and the rule that turns them into classes reads them wrongly",
    "at chance": "its score does not beat chance",
    "diverged": "every seed's training loss became infinite or NaN",
    "refused": "Keras refused the pairing before training (shapes or targets it cannot take)",
    "no finished seed": "no run of it finished",
}


def legend():
    """The classes of cell, and chance, defined (HTML)."""
    items = "".join(f"<dt><b>{html.escape(k)}</b></dt><dd>{html.escape(v)}</dd>" for k, v in CLASS_WORDS.items())
    return (
        "<h2>How to read a cell</h2>\n<p>A cell is one output activation (row) with one loss (column). Its number is "
        "a score that needs no threshold (ROC AUC for bird/plane, macro one-vs-rest AUC for CIFAR-10, mean AP for "
        "the mosaics, test MSE for iris), with the decision rule's accuracy under it for classifiers. "
        "<b>Chance</b> is the score of a model that knows nothing: AUC 0.5, mean AP the share of positive labels, "
        "the training-mean predictor's MSE. Each cell is one of:</p>\n"
        f"<dl>{items}</dl>\n"
    )


def sources_list(records):
    """The records' data, one list item per task and profile, escaped: what each number was measured on."""
    items = "".join(
        f"<li><code>{html.escape(t)}</code> (profile {html.escape(p)}): {html.escape(src)}</li>"
        for t, p, src in sources_by_task(records)
    )
    return f"<ul>{items}</ul>"


def atlas_page(records, cells_by_task):
    """The page's HTML text: every task's heat map and every cell's detail, with plotly.js inlined."""
    from plotly.offline import get_plotlyjs

    heat_maps, layouts, cells_data, sections = {}, {}, {}, []
    ordered = sorted(cells_by_task.items(), key=lambda item: item[0] != FIRST)  # the post's first model first
    for task, cells in ordered:
        kind = get_task(task).kind
        metric = HEADLINE[kind]
        heat_maps[task] = _heat_map(task, cells, kind)
        layouts[task] = _layout(kind)
        for cell in cells:
            runs = [r for r in records if r["task"] == task and r["pairing"] == cell.pairing and r["status"] == "ok"]
            traces = (
                atlas_traces.curves(runs, metric) + atlas_traces.histogram(kind, runs) + atlas_traces.gradients(runs)
                if runs
                else []
            )
            cells_data[f"{task}|{cell.activation}|{cell.loss_form}"] = {
                "info": _info(task, cell, kind),
                "traces": traces,
            }
        these = [r for r in records if r["task"] == task]
        seeds = len({r["seed"] for r in these})
        epochs = "/".join(str(e) for e in sorted({r["config"]["epochs"] for r in these}))
        sections.append(
            f"<h2>{html.escape(TASK_TITLES.get(task, task))}</h2>\n"
            f"<p>{seeds} seeds a cell, {epochs} epochs; the score: test {html.escape(score_name(kind))}.</p>\n"
            f'<div id="heat-{task}" class="heat"></div>\n'
            f'<p id="info-{task}" class="info">Click a cell to see its pairing.</p>\n'
            f'<div id="detail-{task}" class="detail"></div>\n'
        )
    data = json.dumps({"heatMaps": heat_maps, "layouts": layouts, "cells": cells_data}, separators=(",", ":"))
    data = data.replace("</", "<\\/")  # no "</script>" inside the script element
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>The activation x loss atlas</title>\n"
        "<style>body{font-family:sans-serif;margin:1em 2em;max-width:1400px} .info{font-size:0.9em;"
        "background:#f4f4f4;padding:0.5em} h2{margin-top:2em}</style>\n"
        f"<script>{get_plotlyjs()}</script>\n</head>\n<body>\n"
        "<h1>The activation x loss atlas</h1>\n"
        f"<p>{len(records):,} run records, generated with {render_stamp()} by "
        "<code>python -m experiments report --profile atlas</code>: the same cells as ATLAS.md. Each cell shows "
        "its threshold-free score (and the decision rule's accuracy); click one for its learning curves, its "
        "outputs against the targets, its gradient at the output, and what Keras would have shown. Measured on:"
        f"</p>\n{sources_list(records)}\n"
        + legend()
        + "".join(sections)
        + f'<script type="application/json" id="atlas-data">{data}</script>\n'
        + f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def write_atlas_page(records, cells_by_task, folder):
    """Write `folder`/atlas.html; returns its path."""
    path = Path(folder) / PAGE
    write_text_atomic(path, atlas_page(records, cells_by_task))
    return path
