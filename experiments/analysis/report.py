"""`python -m experiments report`: tables (CSV, Markdown, LaTeX), plots and REPORT.md from the records."""

import datetime
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from experiments import records
from experiments.analysis import summaries
from experiments.analysis.summaries import fmt
from experiments.tasks import get_task
from experiments.training.metrics import METRICS


def latest_records(results):
    """Every record under `results`, one per (task, pairing, seed): the most recently finished.

    Records of the same run under another config (another profile, say) would
    otherwise be averaged together; the older ones are left out with a warning.
    """
    everything = records.load_all(results)
    chosen = {}
    for r in everything:
        key = (r["task"], r["pairing"], r["seed"])
        stamp = (r.get("timing") or {}).get("finished_at") or ""
        if key not in chosen or stamp >= chosen[key][0]:
            chosen[key] = (stamp, r)
    if len(everything) > len(chosen):
        warnings.warn(
            f"{len(everything) - len(chosen)} older record(s) of the same task, pairing and seed left out.",
            stacklevel=2,
        )
    return [r for _, r in chosen.values()]


def _cell(row, metric):
    mean, sd = row[f"{metric}_mean"], row[f"{metric}_sd"]
    low, high = row[f"{metric}_ci_low"], row[f"{metric}_ci_high"]
    text = fmt(mean)
    if np.isfinite(sd):
        text += f" ± {fmt(sd)} [{fmt(low)}, {fmt(high)}]"
    return text


def readable_table(summary):
    """The summary as strings: mean ± sd [95% CI] per metric, paired difference, speed."""
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
    out["epochs to 90%"] = [fmt(v, 1) if np.isfinite(v) else "not reached" for v in summary.epochs_to_90pct_median]
    out["diverged / error"] = [f"{int(d)} / {int(e)}" for d, e in zip(summary.n_diverged, summary.n_error)]
    out["wall s / run"] = [
        fmt(v, 1) + (f" (pack of {k})" if k > 1 else "") for v, k in zip(summary.wall_s_mean, summary.pack_size_max)
    ]
    return out


def _provenance(recs):
    return (
        f"Measured on: {summaries.provenance(recs)}. Generated "
        f"{datetime.date.today().isoformat()} by `python -m experiments report`."
    )


def write_tables(by_task, recs, folder):
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for task, summary in by_task.items():
        table = readable_table(summary)
        headline = summary.attrs["headline"]
        caption = (
            f"{task} ({get_task(task).summary}). Test metrics: mean ± sd [95% CI] over seeds; "
            f"Δ {headline}: paired difference to the post's pairing over the same seeds [95% CI]; "
            f"epochs to 90%: median first epoch reaching 90% of the post's pairing's final {headline}; "
            "wall s / run: a packed run's wall time is its whole pack's (runs of one seed trained in one graph). "
            + _provenance([r for r in recs if r["task"] == task])
        )
        paths = [folder / f"{task}.csv", folder / f"{task}.md", folder / f"{task}.tex"]
        summary.to_csv(paths[0], index=False)
        paths[1].write_text(f"{caption}\n\n{table.to_markdown(index=False)}\n")
        latex = table.to_latex(
            index=False, caption=caption.replace("%", r"\%").replace("_", r"\_"), label=f"tab:{task}", escape=True
        )
        paths[2].write_text(latex.replace("±", r"$\pm$").replace("Δ", r"$\Delta$"))
        written += paths
    return written


def write_report(results):
    """Tables, plots and REPORT.md for the records under `results`; returns the paths written."""
    from experiments.analysis import claims, plots

    results = Path(results)
    recs = latest_records(results)
    if not recs:
        raise ValueError(f"No run records under {results / 'runs'}; run `python -m experiments sweep` first.")
    by_task = summaries.all_summaries(recs)
    written = write_tables(by_task, recs, results / "tables")
    written += plots.write_plots(recs, by_task, results / "figures")
    report = results / "REPORT.md"
    report.write_text(claims.render(recs, by_task))
    written.append(report)
    return written
