"""`python -m experiments report`: tables (CSV, Markdown, LaTeX), plots and REPORT.md from the records."""

import gc
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.analysis.evidence import summaries
from experiments.analysis.evidence.checks import check_evidence
from experiments.analysis.evidence.loading import Inventory, latest_records, rendering
from experiments.analysis.render.tables import write_table
from experiments.analysis.wording import TASK_TITLES, fmt
from experiments.atomic_files import staged_glob, write_text_atomic
from experiments.tasks import get_task
from experiments.training.metrics import METRICS

REPOSITORY = Path(__file__).resolve().parents[3]  # where README.md and the committed results/full live


def _cell(row, metric):
    mean, sd = row[f"{metric}_mean"], row[f"{metric}_sd"]
    low, high = row[f"{metric}_ci_low"], row[f"{metric}_ci_high"]
    text = fmt(mean)
    if np.isfinite(sd):
        text += f" ± {fmt(sd)} [{fmt(low)}, {fmt(high)}]"
    return text


def readable_table(summary, comparisons=None):
    """The summary as strings: mean ± sd [95% interval] per metric, paired difference, verdict, speed."""
    kind, headline = summary.attrs["kind"], summary.attrs["headline"]
    out = pd.DataFrame({"pairing": [p + (" (post)" if d else "") for p, d in zip(summary.pairing, summary.documented)]})
    out["seeds"] = summary.n_seeds.astype(int)
    for metric in METRICS[kind]:
        out[metric] = [_cell(row, metric) for _, row in summary.iterrows()]
    out[f"Δ {headline} vs post"] = [
        "—"
        if row.documented
        else (
            f"{fmt(row.diff_mean)} [{fmt(row.diff_ci_low)}, {fmt(row.diff_ci_high)}]"
            if np.isfinite(row.diff_mean)
            else "n/a"
        )
        for _, row in summary.iterrows()
    ]
    if comparisons is not None:
        found = [
            None if row.documented else comparisons.get(("mismatch", row.pairing)) for _, row in summary.iterrows()
        ]
        out["Δ two-level bootstrap"] = [
            "—" if c is None or c.missing else f"[{fmt(c.boot_low)}, {fmt(c.boot_high)}]" for c in found
        ]
        out["P(beats post)"] = ["—" if c is None or c.missing else fmt(c.p_a_beats_b, 2) for c in found]
        out["verdict vs post"] = ["—" if c is None else c.outcome for c in found]
    out["epochs to 90%"] = [fmt(v, 1) if np.isfinite(v) else "not reached" for v in summary.epochs_to_90pct_median]
    out["diverged / collapsed / error"] = [
        f"{int(d)} / {int(c)} / {int(e)}" for d, c, e in zip(summary.n_diverged, summary.n_collapsed, summary.n_error)
    ]
    out["wall s / run"] = [
        fmt(v, 1) + (f" (pack of {k})" if k > 1 else "") for v, k in zip(summary.wall_s_mean, summary.pack_size_max)
    ]
    return out


def _provenance(recs):
    return (
        f"Measured on: {summaries.provenance(recs)}. Rendered by `python -m experiments report` (the date and "
        "commit are in REPORT.md's header: a table re-rendered from the same records is the same file)."
    )


def write_tables(by_task, recs, folder, comparisons=None):
    written = []
    for task, summary in by_task.items():
        table = readable_table(summary, (comparisons or {}).get(task))
        headline = summary.attrs["headline"]
        caption = (
            f"{task} ({get_task(task).summary}). Test metrics: mean "
            "± sd [95% percentile bootstrap interval] over seeds; "
            f"Δ {headline}: paired difference to the post's pairing over the same seeds [95% t interval], and its "
            "two-level bootstrap interval (seeds, then test images); P(beats post): share of seeds where it does; "
            "verdict vs post: worse / better / similar (within the "
            "margin) / inconclusive, Holm-corrected (see REPORT.md); "
            f"epochs to 90%: median first epoch reaching 90% of the post's pairing's final {headline}; "
            "wall s / run: a packed run's wall time is its whole pack's (runs of one seed trained in one graph). "
            + _provenance([r for r in recs if r["task"] == task])
        )
        paths = write_table(folder, task, summary, caption, shown=table, label=f"tab:{task}")
        written += paths
    return written


# One-line captions of the report's figures, by file-name prefix (the task follows the prefix).
FIGURE_CAPTIONS = {
    "learning_curves_": "training loss (as a share of its epoch-0 value) and test headline metric per epoch, "
    "mean over seeds with min..max band; the post's pairing in black, on top",
    "final_": "final test headline metric per pairing: each seed a point, the mean with its 95% interval",
    "grid_": "mean final test headline metric per activation and loss",
    "reliability_": "reliability diagram: accuracy against confidence, test sets pooled over seeds",
    "output_gradients_": "mean |dL/dz| at the output on wrong and correct probe images, and the share saturated wrong",
    "layer_gradients_": "per-layer gradient norms and never-active units of the hidden-activation arms",
    "gradient_scatter": "each probe image's margin against its |dL/dz|, before and after training (one seed)",
    "outlier_fits": "the fitted lines of MSE, MAE and Huber on iris with outliers, against the closed-form fits",
    "output_sums_": "sums of the 10 outputs per test image: softmax against one-vs-rest sigmoids",
    "noise_curve": "test accuracy against the training labels' symmetric noise rate, per loss (mean, 95% t interval)",
    "imbalance_curve": "test balanced accuracy against the share of planes in training, per loss (mean, 95% t "
    "interval)",
}


def figure_index(folder):
    """A '## Figures' section: every PNG under `folder` with its one-line caption."""
    lines = []
    for png in staged_glob(folder, "*.png"):
        caption = next((text for prefix, text in FIGURE_CAPTIONS.items() if png.stem.startswith(prefix)), None)
        if caption is None:
            continue
        task = png.stem.removeprefix(next(p for p in FIGURE_CAPTIONS if png.stem.startswith(p)))
        where = f" ({TASK_TITLES.get(task, task)})" if task else ""
        lines.append(f"- [`figures/{png.name}`](figures/{png.name}){where}: {caption}.")
    page = "The claims with links to their figures, on one page: [`report.html`](report.html).\n\n"
    return "\n## Figures\n\n" + page + "\n".join(lines) + "\n" if lines else ""


def write_report(results, allow_missing=False):
    """Tables, plots and REPORT.md for the records under `results`; returns the paths written.

    Raises:
        ValueError: no records, or invalid ones without `allow_missing` (see `latest_records`).
    """
    from experiments.analysis.claims import plan_file
    from experiments.config import profile_names

    results = Path(results)
    plan = plan_file.read_plan(results)
    inventory = Inventory()
    recs = latest_records(results, allow_missing, inventory)
    if not recs:
        where = (
            "is a file, not a folder"
            if results.is_file()
            else "does not exist"
            if not results.exists()
            else f"holds no run records under {results / 'runs'}"
        )
        raise ValueError(
            f"results folder {results} {where}; name a folder with runs/ in it, or train into this one first: "
            f"python -m experiments sweep --results {results} --profile PROFILE (one of {', '.join(profile_names())})."
        )
    check_evidence(recs, inventory, results)
    # The records live as long as the render: out of the collector's reach, a full collection (statsmodels' Holm
    # correction asks for one each call) walks only what the render makes, not the records' millions of objects.
    gc.freeze()
    plan_file.check_plan_against(plan, recs, results)
    with rendering(results):  # a broken plan.json or an invalid record stopped us above, before any mark
        return _write_report(results, recs, inventory, plan)


def _write_report(results, recs, inventory, plan):
    from experiments.analysis.claims import verdicts
    from experiments.analysis.evidence import keras_worlds as worlds
    from experiments.analysis.plots import conditions, mechanisms
    from experiments.analysis.plots import results as result_plots
    from experiments.analysis.render import (
        claim_cards,
        claims_table,
        claims_text,
        forked,
        keras_worlds,
        readme,
        report_page,
    )

    keras_recs, hand_recs, sources = worlds.records_for(results, recs)
    found = worlds.cells(keras_recs, hand_recs) if keras_recs else {}
    recs = worlds.one_world(recs)  # the claims, tables and figures: one set of objects (`one_world`)
    by_task = summaries.all_summaries(recs)
    figures = results / "figures"
    drawing = (  # drawn in worker processes while this one computes the comparisons (`forked`); costliest first
        mechanisms.mechanism_jobs(recs, figures)
        + result_plots.plot_jobs(recs, by_task, figures)
        + conditions.condition_jobs(recs, figures)
    )
    with forked.in_background(drawing) as drawn:
        comparisons = verdicts.comparisons_by_task(recs, plan=plan)
        written = write_tables(by_task, recs, results / "tables", comparisons)
        cards = claim_cards.write_cards(recs, comparisons, plan, results, found)
        written += [path for paths in drawn.results() for path in paths]
    report = results / "REPORT.md"
    write_text_atomic(
        report,
        claims_text.render(recs, by_task, comparisons, inventory, plan, found)
        + keras_worlds.section(found, sources)
        + figure_index(results / "figures"),
    )
    written.append(report)
    written += cards
    table = claims_table.claim_rows(comparisons, plan, found, records=recs)
    caption = "The tested claims of the reference texts, answered from the records. " + _provenance(recs)
    written += claims_table.write_claims_table(table, results / "tables", caption)
    written.append(report_page.write_report_page(table, results, FIGURE_CAPTIONS, recs))
    # The README's findings come from the citable study: the confirmatory folder (fresh seeds, powered by its
    # plan); its pilot, results/full, is exploratory.
    citable = REPOSITORY / "results" / "confirmatory"
    if results.resolve() == citable.resolve() and (REPOSITORY / "README.md").exists():
        softmax_table = results / "tables" / f"{readme.ONE_UNIT_SOFTMAX[0]}.csv"  # an exploratory line of the study
        block = readme.findings(
            recs,
            comparisons,
            table,
            inventory,
            "results/confirmatory",
            softmax_table,
            found,
            REPOSITORY / "results" / "conditions",
        )
        written.append(readme.update_readme(REPOSITORY / "README.md", block))
    return written
