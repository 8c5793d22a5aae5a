"""The report's claims and figures as one offline HTML page (`report.html`, beside REPORT.md).

The claims table of REPORT.md, each row linking to the figures of its claim's task, and every figure
of the folder shown from its PNG beside the page (`figures/`; no script, no server, no CDN: it opens
from the file, offline, and the figures are not stored twice). Rendered by jinja2 with autoescaping;
every number in it comes from the same `claims_table.claim_rows` as REPORT.md.
"""

from pathlib import Path

import jinja2

from experiments.analysis.data.summaries import sources_by_task
from experiments.atomic_files import staged_glob, write_text_atomic
from experiments.training.speed.process import render_stamp

PAGE = "report.html"

_TEMPLATE = jinja2.Environment(autoescape=True).from_string(
    """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body { font-family: sans-serif; margin: 1em 2em; max-width: 1300px; }
table { border-collapse: collapse; font-size: 0.85em; } td, th { border: 1px solid #ccc; padding: 3px 6px; }
th { background: #eee; } figure { margin: 2em 0; } img { max-width: 100%; } figcaption { font-size: 0.9em; }
</style></head>
<body>
<h1>{{ title }}</h1>
<p>{{ count }} run records, generated {{ today }} by <code>python -m experiments report</code>. The full text,
with every number's test and interval: <a href="REPORT.md">REPORT.md</a>. Measured on:</p>
<ul>{% for task, profile, source in sources %}<li><code>{{ task }}</code> (profile {{ profile }}): {{ source }}</li>
{% endfor %}</ul>
<h2>The claims</h2>
<table>
<tr>{% for column in columns %}<th>{{ column }}</th>{% endfor %}<th>figures</th></tr>
{% for row in rows %}<tr>{% for value in row.cells %}<td>{{ value }}</td>{% endfor %}
<td>{% for figure in row.figures %}<a href="#{{ figure.id }}">{{ figure.short }}</a>
{%- if not loop.last %}, {% endif %}{% endfor %}</td></tr>
{% endfor %}</table>
<h2>Figures</h2>
{% for figure in figures %}<figure id="{{ figure.id }}">
<img alt="{{ figure.name }}" src="figures/{{ figure.name }}">
<figcaption><code>figures/{{ figure.name }}</code>: {{ figure.caption }}</figcaption>
</figure>
{% endfor %}</body>
</html>
"""
)


def _figures(folder, captions):
    """Every captioned PNG of `folder`: id, file name, short name, task and caption."""
    found = []
    for png in staged_glob(folder, "*.png"):
        prefix = next((p for p in captions if png.stem.startswith(p)), None)
        if prefix is None:
            continue
        task = png.stem.removeprefix(prefix)
        found.append(
            {
                "id": f"figure-{png.stem}",
                "name": png.name,
                "short": prefix.rstrip("_").replace("_", " "),
                "task": task,
                "caption": captions[prefix] + (f" ({task})" if task else ""),
            }
        )
    return found


def report_page(table, folder, captions, records):
    """The page's HTML text. `table`: the claims table (a DataFrame with a `task` column), `captions`:
    figure-file prefix -> caption (`report.FIGURE_CAPTIONS`), `records`: the records it was rendered from."""
    figures = _figures(Path(folder) / "figures", captions)
    rows = [
        {"cells": list(row.values), "figures": [f for f in figures if f["task"] == row["task"]]}
        for _, row in table.iterrows()
    ]
    return _TEMPLATE.render(
        title="What the measurements say",
        count=f"{len(records):,}",
        today=f"with {render_stamp()}",
        sources=sources_by_task(records),
        columns=list(table.columns),
        rows=rows,
        figures=figures,
    )


def write_report_page(table, folder, captions, records):
    """Write `folder`/report.html; returns its path."""
    path = Path(folder) / PAGE
    write_text_atomic(path, report_page(table, folder, captions, records))
    return path
