"""`python -m experiments report`: tables (CSV, Markdown, LaTeX), plots and REPORT.md from the records."""

import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.analysis import summaries
from experiments.analysis.loading import Inventory, check_results_folder, latest_records
from experiments.analysis.summaries import fmt
from experiments.analysis.titles import TASK_TITLES
from experiments.tasks import get_task
from experiments.training.metrics import METRICS

REPOSITORY = Path(__file__).resolve().parents[2]  # where README.md and the committed results/full live


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
        f"Measured on: {summaries.provenance(recs)}. Generated "
        f"{datetime.date.today().isoformat()} by `python -m experiments report`."
    )


def write_tables(by_task, recs, folder, comparisons=None):
    folder.mkdir(parents=True, exist_ok=True)
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
        paths = [folder / f"{task}.csv", folder / f"{task}.md", folder / f"{task}.tex"]
        summary.to_csv(paths[0], index=False)
        paths[1].write_text(f"{caption}\n\n{table.to_markdown(index=False)}\n")
        latex = table.to_latex(
            index=False, caption=caption.replace("%", r"\%").replace("_", r"\_"), label=f"tab:{task}", escape=True
        )
        paths[2].write_text(latex.replace("±", r"$\pm$").replace("Δ", r"$\Delta$"))
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
}


def figure_index(folder):
    """A '## Figures' section: every PNG under `folder` with its one-line caption."""
    lines = []
    for png in sorted(Path(folder).glob("*.png")):
        caption = next((text for prefix, text in FIGURE_CAPTIONS.items() if png.stem.startswith(prefix)), None)
        if caption is None:
            continue
        task = png.stem.removeprefix(next(p for p in FIGURE_CAPTIONS if png.stem.startswith(p)))
        where = f" ({TASK_TITLES.get(task, task)})" if task else ""
        lines.append(f"- [`figures/{png.name}`](figures/{png.name}){where}: {caption}.")
    return "\n## Figures\n\n" + "\n".join(lines) + "\n" if lines else ""


def data_sizes(recs):
    """Each task's training and test examples, as its records counted them: "bird_plane 1,007 / 205; ..."."""
    sizes = {}
    for r in recs:
        data = r.get("data") or {}
        if "train_examples" in data:
            sizes.setdefault(r["task"], (data["train_examples"], data.get("test_examples", 0)))
    return "; ".join(f"{t} {n:,} train / {m:,} test" for t, (n, m) in sorted(sizes.items()))


def write_report(results, allow_missing=False):
    """Tables, plots and REPORT.md for the records under `results`; returns the paths written.

    Raises:
        ValueError: no records, or invalid ones without `allow_missing` (see `latest_records`).
    """
    from experiments.analysis import claims, claims_table, mechanism_plots, plots, power, verdicts

    results = Path(results)
    plan = power.read_plan(results)
    inventory = Inventory()
    recs = latest_records(results, allow_missing, inventory)
    if not recs:
        raise ValueError(f"No run records under {results / 'runs'}; run `python -m experiments sweep` first.")
    by_task = summaries.all_summaries(recs)
    comparisons = verdicts.comparisons_by_task(recs, plan=plan)
    written = write_tables(by_task, recs, results / "tables", comparisons)
    written += plots.write_plots(recs, by_task, results / "figures")
    written += mechanism_plots.write_mechanism_plots(recs, results / "figures")
    report = results / "REPORT.md"
    report.write_text(claims.render(recs, by_task, comparisons, inventory, plan) + figure_index(results / "figures"))
    written.append(report)
    table = claims_table.claim_rows(comparisons)
    caption = "The tested claims of the reference texts, answered from the records. " + _provenance(recs)
    written += claims_table.write_claims_table(table, results / "tables", caption)
    # The README's findings come from the citable study: the confirmatory folder (fresh seeds, powered by its
    # plan); its pilot, results/full, is exploratory.
    citable = REPOSITORY / "results" / "confirmatory"
    if results.resolve() == citable.resolve() and (REPOSITORY / "README.md").exists():
        seeds = sorted({r["seed"] for r in recs})
        header = (
            f"Rendered by `python -m experiments report` from the {inventory.read} records of `results/confirmatory`: "
            f"the confirmatory study, on fresh seeds {seeds[0]}-{seeds[-1]}, each claim on at least the seeds its "
            "power plan asks (`plan.json`), after a pilot of seeds 0-9 (`results/full`, exploratory). "
            f"Settings: {claims._settings_line(recs)}; the CIFAR-10 subset embedded in the package, not full "
            f"CIFAR-10. Data: {data_sizes(recs)}. Effect: A − B with its 95% t interval (for MSE and never-active "
            "units a negative effect favours A); seeds: the fresh seeds the test used. Each claim links to its "
            "section of [the report](results/confirmatory/REPORT.md), which states the test, the margin and "
            "every number."
        )
        written.append(claims_table.update_readme(REPOSITORY / "README.md", table, header, "results/confirmatory"))
    return written


def verdict_table(results):
    """Every verdict of the records under `results`: {(task, "mismatch" or "claim", name): outcome}."""
    from experiments.analysis import power, verdicts
    from experiments.analysis.claim_list import CLAIMS

    recs = latest_records(results)
    found = {}
    for task, comparisons in sorted(verdicts.comparisons_by_task(recs, plan=power.read_plan(results)).items()):
        for (kind, name), comparison in comparisons.items():
            if kind == "claim":
                claim = next(c for c in CLAIMS if c.id == name)
                found[(task, kind, name)] = verdicts.claim_outcome(claim, comparison)
            else:
                found[(task, kind, name)] = comparison.outcome
    return found


def compare_folders(folder_a, folder_b):
    """Lines naming each verdict that differs between two result folders (other seeds, another machine).

    Raises:
        ValueError: a folder is missing, holds no records, or holds invalid ones.
    """
    for folder in (folder_a, folder_b):
        check_results_folder(folder)
    a, b = verdict_table(folder_a), verdict_table(folder_b)
    lines = []
    for key in sorted(set(a) & set(b)):
        if a[key] != b[key]:
            task, kind, name = key
            lines.append(f"{task} {kind} {name}: {a[key]} in {folder_a}, {b[key]} in {folder_b}")
    only = len(set(a) ^ set(b))
    if only:
        lines.append(f"({only} verdict(s) in one folder only, not compared: its records lack the other's runs)")
    return lines


def same_runs(folder_a, folder_b):
    """Lines comparing the runs both folders hold (same run id: same task, pairing, seed and settings),
    per task: how many end with identical headline metrics, and the median and largest difference."""
    from experiments.tasks import get_task
    from experiments.training.metrics import HEADLINE

    a = {r["run_id"]: r for r in latest_records(folder_a) if r["status"] == "ok"}
    b = {r["run_id"]: r for r in latest_records(folder_b) if r["status"] == "ok"}
    lines = []
    for task in sorted({a[i]["task"] for i in set(a) & set(b)}):
        headline = HEADLINE[get_task(task).kind]
        shared = [i for i in sorted(set(a) & set(b)) if a[i]["task"] == task]
        diffs = np.array([abs(a[i]["final"][headline] - b[i]["final"][headline]) for i in shared])
        lines.append(
            f"{task}: {len(shared)} runs in both; {int((diffs == 0).sum())} with identical final {headline}; "
            f"|difference| median {fmt(float(np.median(diffs)), 4)}, largest {fmt(float(diffs.max()), 4)}"
        )
    return lines


def agreeing_claims(folder_a, folder_b):
    """Lines naming each claim whose verdict is the same in both folders (`compare_folders` lists the others)."""
    a, b = verdict_table(folder_a), verdict_table(folder_b)
    return [
        f"{task} claim {name}: {a[key]} in both"
        for key in sorted(set(a) & set(b))
        if (task := key[0]) and key[1] == "claim" and (name := key[2]) and a[key] == b[key]
    ]
