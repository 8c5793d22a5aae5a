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


PARAGRAPH_LIMIT = 600  # characters: the longest paragraph a reader gets in README.md, docs/ and the reports


def paragraphs(text, limit=PARAGRAPH_LIMIT):
    """`text` cut at sentence ends into paragraphs of at most `limit` characters each, joined by blank lines.

    A sentence ends at ".", ":", "!" or "?" before a space and a capital letter, a backtick, a bracket or an
    asterisk. A sentence longer than `limit` is cut between its "; "-separated clauses, or else stays whole."""
    import re

    sentences = []
    for sentence in re.split(r"(?<=[.:!?])\s+(?=[A-Z`*(\[])", text.strip()):
        if len(sentence) <= limit:
            sentences.append(sentence)
            continue
        # A list of clauses longer than a paragraph ("a: ...; b: ..."): cut between clauses, each part but the
        # last ending in ";".
        clauses, part = sentence.split("; "), ""
        for clause in clauses:
            if part and len(part) + 2 + len(clause) > limit - 1:
                sentences.append(part + ";")
                part = clause
            else:
                part = f"{part}; {clause}" if part else clause
        sentences.append(part)
    out, current = [], ""
    for sentence in sentences:
        if current and len(current) + 1 + len(sentence) > limit:
            out.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        out.append(current)
    return "\n\n".join(out)


def cited_folder(results):
    """A results folder as a reader cites it: relative to the repository (results/confirmatory), else its name,
    under results/ where it sits in a folder of that name (a copy of the repository's results cites as they do)."""
    from pathlib import Path

    results = Path(results).resolve()
    root = Path(__file__).resolve().parents[2]
    if results.is_relative_to(root):
        return str(results.relative_to(root))
    return f"results/{results.name}" if results.parent.name == "results" else results.name
