"""Wording shared by the report, the tables and the figures: numbers as text, each task's name in words."""

from collections.abc import Mapping

import numpy as np

from experiments.tasks import TASKS


def fmt(value, digits=3):
    """A number for a table or sentence: `digits` decimals, "n/a" when missing or not finite."""
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def p_value(p, digits=4):
    """A p value for a table: `digits` decimals, "< 0.0001" below the smallest it can show, "" when missing."""
    if p is None:
        return ""
    return f"< {10**-digits:.{digits}f}" if np.isfinite(p) and p < 10**-digits else fmt(p, digits)


class _Titles(Mapping):
    """{task: its title in words}, read from the task registry (`Task.title`), a user's tasks included."""

    def __getitem__(self, task):
        found = TASKS[task]
        return found.title or found.name

    def __iter__(self):
        return iter(TASKS)

    def __len__(self):
        return len(TASKS)


TASK_TITLES = _Titles()


def figure_title(task, recs, what):
    """ "<the task in words>: <what>, <n> seeds" for a figure drawn from `recs` of `task`; where its pairings
    have different numbers of finished seeds, "<low>-<high> seeds per pairing" (true of every row)."""
    per_pairing = {}
    for r in recs:
        if r["task"] == task and r.get("status") == "ok":
            per_pairing.setdefault(r["pairing"], set()).add(r["seed"])
    counts = sorted({len(s) for s in per_pairing.values()}) or [0]
    if len(counts) == 1:
        return f"{TASK_TITLES.get(task, task)}: {what}, {counts[0]} seed{'s' if counts[0] != 1 else ''}"
    return f"{TASK_TITLES.get(task, task)}: {what}, {counts[0]}-{counts[-1]} seeds per pairing"
