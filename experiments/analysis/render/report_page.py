"""The report's claims and figures as one offline HTML page (`report.html`, beside REPORT.md).

Each claim of REPORT.md with its quote, verdict, numbers and its card's figure (`claims/<id>.png`), the
data said once, and every figure of the folder shown from its PNG beside the page (`figures/`; no script, no
server, no CDN: it opens from the file, offline, and the figures are not stored twice). Rendered by jinja2
with autoescaping; every number in it comes from the same `claims_table.claim_rows` as REPORT.md.
"""

from pathlib import Path

import jinja2

from experiments.analysis.evidence.summaries import sources_by_task
from experiments.atomic_files import staged_glob, write_text_atomic
from experiments.training.speed.process import render_stamp

PAGE = "report.html"

_TEMPLATE = jinja2.Environment(autoescape=True).from_string(
    """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body { font-family: sans-serif; margin: 1em 2em; max-width: 1100px; }
table { border-collapse: collapse; font-size: 0.85em; } td, th { border: 1px solid #ccc; padding: 3px 6px; }
th { background: #eee; } figure { margin: 2em 0; } img { max-width: 100%; } figcaption { font-size: 0.9em; }
section.claim { border-top: 1px solid #ccc; margin-top: 1.5em; } blockquote { color: #444; margin-left: 1em; }
</style></head>
<body>
<h1>{{ title }}</h1>
<p>{{ count }} run records, generated {{ today }} by <code>python -m experiments report</code>. The full text,
with every number's test and interval: <a href="REPORT.md">REPORT.md</a>. The data, once:</p>
<ul>{% for source, tasks in sources %}<li>{{ source }}: {{ tasks }}</li>
{% endfor %}</ul>
<h2>The claims</h2>
<p>Each claim: its quote, its verdict, both arms' difference A − B with its 95% t interval over seeds, and its
card's figure (each seed's A and B, and the per-seed differences); the card has a sentence to cite.</p>
{% for claim in claims %}<section class="claim" id="claim-{{ claim.id }}">
<h3>{{ claim.words }}</h3>
<blockquote>“{{ claim.says }}” — {{ claim.source }}</blockquote>
<p><strong>{{ claim.verdict }}</strong>. {{ claim.test }}: A − B {{ claim.effect }}, {{ claim.seeds }} seeds
{%- if claim.p %}, corrected p {{ claim.p }}{% endif %}.{% if claim.keras %} With Keras's own objects:
{{ claim.keras }}.{% endif %}
{% if claim.card %}<a href="claims/{{ claim.id }}.md">Its card</a>, {% endif %}<a href="{{ claim.section }}">its
section of REPORT.md</a>{% if claim.figures %}; its task's figures: {% for figure in claim.figures %}<a
href="#{{ figure.id }}">{{ figure.short }}</a>{%- if not loop.last %}, {% endif %}{% endfor %}{% endif %}.</p>
{% if claim.card %}<img alt="{{ claim.id }}: each seed's A and B, and the per-seed differences"
src="claims/{{ claim.id }}.png">{% endif %}
</section>
{% endfor %}<h2>Figures</h2>
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


def _sources_once(records):
    """[(data source, "task, task (profile p)")]: each data source said once, with the tasks measured on it."""
    by_source = {}
    for task, profile, source in sources_by_task(records):
        by_source.setdefault(source, []).append(f"{task} (profile {profile})")
    return [(source, ", ".join(tasks)) for source, tasks in by_source.items()]


def report_page(table, folder, captions, records):
    """The page's HTML text. `table`: the claims table (`claims_table.claim_rows`), `captions`: figure-file
    prefix -> caption (`report.FIGURE_CAPTIONS`), `records`: the records it was rendered from."""
    from experiments.analysis.claims.claim_list import CLAIMS
    from experiments.analysis.render.claims_table import KERAS_COLUMN

    words = {c.id: c.in_words or c.id for c in CLAIMS}
    figures = _figures(Path(folder) / "figures", captions)
    claims = [
        {
            "id": row["claim"],
            "words": words.get(row["claim"], row["claim"]),
            "says": row["says"],
            "source": row["source"],
            "verdict": str(row["verdict"]).capitalize(),
            "test": row["test"],
            "effect": row["effect [95% CI]"],
            "seeds": row["seeds"],
            "p": row["corrected p"],
            "keras": "" if str(row.get(KERAS_COLUMN, "")).startswith("n/a") else row.get(KERAS_COLUMN, ""),
            "section": row["details"],
            "card": (Path(folder) / "claims" / f"{row['claim']}.png").exists(),
            "figures": [f for f in figures if f["task"] == row["task"]],
        }
        for _, row in table.iterrows()
    ]
    return _TEMPLATE.render(
        title="What the measurements say",
        count=f"{len(records):,}",
        today=f"with {render_stamp()}",
        sources=_sources_once(records),
        claims=claims,
        figures=figures,
    )


def write_report_page(table, folder, captions, records):
    """Write `folder`/report.html; returns its path."""
    path = Path(folder) / PAGE
    write_text_atomic(path, report_page(table, folder, captions, records))
    return path
