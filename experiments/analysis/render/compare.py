"""Two results folders side by side (other seeds, another machine): which verdicts differ, which agree,
and how close the runs they share ended. `python -m experiments report --compare A B` prints these lines."""

import numpy as np

from experiments.analysis.claims import plan_file, verdicts
from experiments.analysis.claims.claim_list import CLAIMS
from experiments.analysis.evidence.checks import check_evidence
from experiments.analysis.evidence.loading import check_results_folder, latest_records
from experiments.analysis.wording import fmt
from experiments.tasks import get_task
from experiments.training.metrics import HEADLINE


def verdict_table(results):
    """Every verdict of the records under `results`: {(task, "mismatch" or "claim", name): outcome}."""
    recs = latest_records(results)
    check_evidence(recs, folder=results)  # a record its own stored outputs contradict is never compared
    plan = plan_file.check_plan_against(plan_file.read_plan(results), recs, results)
    found = {}
    for task, comparisons in sorted(verdicts.comparisons_by_task(recs, plan=plan).items()):
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
