"""Run records -> pandas: per-run rows, and per-pairing statistics over seeds.

Every number in the tables, plots and REPORT.md is computed here from the records.
"""

import numpy as np
import pandas as pd

from experiments.analysis.evidence.stats import mean_interval, t_interval
from experiments.pairings import task_pairings
from experiments.tasks import TASKS, get_task
from experiments.training.metrics import HEADLINE, LOWER_IS_BETTER, METRICS

REACH_FRACTION = 0.9  # "epochs to reach 90% of the matched pairing's final headline metric"


def _finite(values):
    return np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype="float64")


def mean_ci(values):
    """(mean, sd, ci_low, ci_high, n) of the finite values; the CI is Student's t interval (`stats.t_interval`)."""
    v = _finite(values)
    mean, low, high = t_interval(v)
    return mean, float(v.std(ddof=1)) if len(v) > 1 else float("nan"), low, high, len(v)


def seed_interval(values, samples=4000):
    """95% percentile bootstrap interval of the mean over seeds: inside the metric's range, unlike mean ± t sd."""
    v = _finite(values)
    if len(v) < 2:
        return float("nan"), float("nan")
    return mean_interval(v[:, None], np.random.default_rng(0), samples=samples)


def runs_frame(records):
    """One row per record: identity, status, final test metrics, timings, data."""
    rows = []
    for r in records:
        spec = r.get("pairing_spec") or {}
        row = {
            "task": r["task"],
            "pairing": r["pairing"],
            "seed": r["seed"],
            "profile": r["profile"],
            "status": r["status"],
            "documented": bool(spec.get("documented", False)),
            "wall_s": (r.get("timing") or {}).get("wall_s"),
            "pack_size": (r.get("timing") or {}).get("pack_size", 1),
            "images_per_s": (r.get("timing") or {}).get("images_per_s"),
            "data_source": (r.get("data") or {}).get("source"),
            "data_fingerprint": (r.get("data") or {}).get("fingerprint"),
        }
        row.update(r.get("final") or {})
        rows.append(row)
    return pd.DataFrame(rows)


def _reached(value, target, lower_is_better):
    if value is None or not np.isfinite(value):
        return False
    return value <= target if lower_is_better else value >= target


def epochs_to_reach(record, metric, target):
    """First epoch whose test `metric` reaches `target`; NaN if it never does."""
    lower = metric in LOWER_IS_BETTER
    for row in record.get("history", []):
        if _reached(row["test"].get(metric), target, lower):
            return row["epoch"]
    return float("nan")


def reach_target(matched_final, metric):
    """90% of the matched pairing's final value (for a loss-like metric: within 1/0.9 of it)."""
    return matched_final / REACH_FRACTION if metric in LOWER_IS_BETTER else REACH_FRACTION * matched_final


COLLAPSE_NEAR_CHANCE = 0.05  # a final score within 5 points of chance
COLLAPSE_FALL = 0.10  # or more than 10 points below the run's own best epoch


def chance_level(record):
    """The headline score of a model that knows nothing: the majority class, or the mean prevalence."""
    from experiments.analysis.evidence.per_image import outputs_and_targets

    kind = get_task(record["task"]).kind
    found = outputs_and_targets(record)
    if kind == "regression":
        return float("nan")
    if found is None:
        units = (record.get("pairing_spec") or {}).get("units", 1)
        return 0.5 if kind == "binary" else (1.0 / max(units, 2) if kind == "multiclass" else float("nan"))
    y = np.asarray(found[1])
    if kind == "multilabel":
        return float(y.mean())
    counts = np.bincount(np.ravel(y).astype(int))
    return float(counts.max() / counts.sum())


def collapsed(record):
    """Whether a finished run collapsed: near chance at the end, or far below its own best."""
    kind = get_task(record["task"]).kind
    headline = HEADLINE[kind]
    if kind == "regression" or record["status"] != "ok":
        return False
    final = record["final"].get(headline)
    best = max((row["test"].get(headline) or -np.inf) for row in record["history"])
    return bool(
        final is not None and (final - chance_level(record) < COLLAPSE_NEAR_CHANCE or best - final > COLLAPSE_FALL)
    )


def task_summary(records, task):
    """Per-pairing statistics of one task over seeds, in the task's pairing order."""
    kind = get_task(task).kind
    headline = HEADLINE[kind]
    recs = [r for r in records if r["task"] == task]
    if not recs:
        return pd.DataFrame()
    runs = runs_frame(recs)
    ok = runs[runs.status == "ok"]
    documented = next(p.name for p in task_pairings(task).values() if p.documented)
    matched = ok[ok.pairing == documented].set_index("seed")[headline] if headline in ok else pd.Series(dtype=float)
    target = reach_target(matched.mean(), headline) if len(matched) else float("nan")

    rows = []
    for pairing in task_pairings(task, recs):  # named, then composed ones the records hold
        these = runs[runs.pairing == pairing]
        if these.empty:
            continue
        good = ok[ok.pairing == pairing]
        row = {
            "task": task,
            "pairing": pairing,
            "documented": pairing == documented,
            "n_seeds": int(len(good)),
            "n_diverged": int((these.status == "diverged").sum()),
            "n_error": int((these.status == "error").sum()),
            "n_collapsed": sum(collapsed(r) for r in recs if r["pairing"] == pairing),
        }
        for metric in METRICS[kind]:
            values = good[metric].tolist() if metric in good else []
            row[f"{metric}_mean"], row[f"{metric}_sd"], _, _, _ = mean_ci(values)
            row[f"{metric}_ci_low"], row[f"{metric}_ci_high"] = seed_interval(values)
        paired = (
            good.set_index("seed")[headline].sub(matched).dropna()
            if headline in good and len(matched)
            else pd.Series(dtype=float)
        )
        row["diff_mean"], _, row["diff_ci_low"], row["diff_ci_high"], row["n_paired"] = mean_ci(paired.tolist())
        reach = [epochs_to_reach(r, headline, target) for r in recs if r["pairing"] == pairing and r["status"] == "ok"]
        reached = [e for e in reach if np.isfinite(e)]
        row["epochs_to_90pct_median"] = (
            float(np.median(reached)) if reached and len(reached) == len(reach) else float("nan")
        )
        row["n_reached_90pct"] = len(reached)
        row["wall_s_mean"] = float(these.wall_s.mean())
        row["pack_size_max"] = int(these.pack_size.fillna(1).max())
        rows.append(row)
    summary = pd.DataFrame(rows)
    summary.attrs.update(headline=headline, kind=kind, target=target, documented=documented)
    return summary


def data_sources(records):
    """The distinct (profile, data source) pairs the records were measured on."""
    return sorted({(r["profile"], (r.get("data") or {}).get("source", "unknown data")) for r in records})


def sources_by_task(records):
    """The distinct (task, profile, data source) triples of the records, in task order: for a list per task."""
    order = {t: i for i, t in enumerate(TASKS)}
    found = {(r["task"], r["profile"], (r.get("data") or {}).get("source", "unknown data")) for r in records}
    return sorted(found, key=lambda t: (order.get(t[0], len(order)), t[0], t[1], t[2]))


def provenance(records):
    """One line naming the profile(s) and data the records were measured on: for captions and figures. Sources
    that extend another of the same profile (a condition on the same data: "...; label_noise=0.2: ...") say only
    what they add."""
    by_profile = {}
    for profile, source in data_sources(records):
        by_profile.setdefault(profile, []).append(source)
    parts = []
    for profile, sources in by_profile.items():
        base = min(sources, key=len)
        if len(sources) > 1 and all(s.startswith(base + "; ") for s in sources if s != base):
            extra = [s.removeprefix(base + "; ") for s in sources if s != base]
            parts.append(f"profile {profile}: {base}" + "".join(f"; {e}" for e in extra))
        else:
            parts += [f"profile {profile}: {s}" for s in sources]
    return "; ".join(parts)


def all_summaries(records):
    return {task: s for task in TASKS if not (s := task_summary(records, task)).empty}
