"""One card per tested claim, for a writer to lift: `claims/<id>.md` and its figure, in the report's folder.

A card holds the quote and its source, the verdict and why, both arms' means, the difference A − B with
the same 95% t interval as the claims table and the verdict sentence, the seeds, the data and the commits,
a sentence to cite as it is, one figure of just the claim's arms (each seed's pair of values, and the
per-seed differences with their mean and interval), and the claim's row in LaTeX.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import patheffects

from experiments.analysis.claims import verdicts
from experiments.analysis.claims.claim_list import MARGINS, shown_claims
from experiments.analysis.claims.claim_metrics import claim_metric, lower_is_better
from experiments.analysis.evidence import summaries
from experiments.analysis.plots.files import pairing_colour, plt, save
from experiments.analysis.plots.print_check import REFERENCE
from experiments.analysis.render.claim_sections import RELATION, why
from experiments.analysis.render.claims_table import arm_values, commits, source_title
from experiments.analysis.render.keras_worlds import claim_clause
from experiments.analysis.wording import TASK_TITLES, cited_folder, fmt, p_value
from experiments.atomic_files import write_text_atomic
from experiments.pairings import documented_pairing
from experiments.tasks import get_task

CARDS = "claims"


def _seed_range(seeds):
    seeds = sorted(seeds)
    return f"{seeds[0]}-{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else ", ".join(map(str, seeds))


def _sizes(runs):
    """ "N training and M test examples per run", from the records' own counts (the task's, not its source's)."""
    sizes = sorted(
        {((r.get("data") or {}).get("train_examples"), (r.get("data") or {}).get("test_examples")) for r in runs}
    )
    return "; ".join(f"{train:,} training and {test:,} test examples per run" for train, test in sizes if train)


def figure(claim, c, seeds, a, b, chance=None):
    """Left: each seed's A and B (joined), with both means, and `chance` (a model that knows nothing) where given.
    Right: the per-seed A − B, its mean and 95% t
    interval, 0, and the margin where the claim's question has one."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.2, 3.4), gridspec_kw={"width_ratios": [1.1, 1]})
    for x, y in zip(a, b):
        left.plot([0, 1], [x, y], color="0.75", lw=0.8, zorder=1)
    post = documented_pairing(claim.task).name
    colours = [pairing_colour(arm, arm == post) for arm in (claim.a, claim.b)]  # each pairing's colour everywhere
    for i, (values, colour) in enumerate(zip((a, b), colours)):
        left.scatter(np.full(len(values), i), values, color=colour, s=16, alpha=0.6, zorder=2)
        # the mean: black with a white edge, so that it shows over black (the post's pairing's) points too
        mean_bar = left.plot([i - 0.25, i + 0.25], [np.mean(values)] * 2, color="black", lw=2.5, zorder=3)[0]
        mean_bar.set_path_effects([patheffects.withStroke(linewidth=5, foreground="white")])
    marks = [" (post)" if arm == post else "" for arm in (claim.a, claim.b)]
    left.set_xticks([0, 1], [f"A\n{claim.a}{marks[0]}", f"B\n{claim.b}{marks[1]}"], fontsize=8)
    left.set_xlim(-0.5, 1.5)
    left.set_xlabel("arm (pairing)", fontsize=8)
    if chance is not None and np.isfinite(chance):
        left.axhline(chance, color="0.4", lw=0.8, ls="--", gid=REFERENCE)
        left.text(1.48, chance, f"chance {fmt(chance)}", ha="right", va="bottom", fontsize=7, color="0.3")
    words = claim_metric(claim.metric).axis or claim.metric
    left.set_ylabel(f"change in {words},\n{claim.baseline_task} to {claim.task}" if claim.baseline_task else words)
    left.set_title(f"each of {len(seeds)} seeds (black: mean)", fontsize=9)
    diffs = a - b
    right.scatter(diffs, np.zeros(len(diffs)) + np.linspace(-0.15, 0.15, len(diffs)), color="0.45", s=12)
    right.errorbar([c.diff], [0.5], xerr=[[c.diff - c.t_low], [c.t_high - c.diff]], fmt="o", color="black", capsize=4)
    right.axvline(0, color="0.3", lw=0.8, ls=":")
    margin = MARGINS.get(claim.metric, (None,))[0]
    if margin and claim.test in ("equivalence", "not worse"):  # where the question's answer is "yes"
        x0, x1 = right.get_xlim()
        x0, x1 = min(x0, -1.1 * margin), max(x1, 1.1 * margin)
        high = margin if claim.test == "equivalence" else x1  # "not worse": everything above −margin
        right.axvspan(-margin, high, color="#9ecae1", alpha=0.3, zorder=0)
        right.set_xlim(x0, x1)
        words = f"within ±{margin:g}" if claim.test == "equivalence" else f"above −{margin:g}"
        right.text(0.02, 0.95, f"shaded: {words}", transform=right.transAxes, fontsize=7, va="top")
    right.set_yticks([0, 0.5], ["seeds", "mean, 95% t"], fontsize=8)
    right.set_ylim(-0.4, 0.9)
    right.set_ylabel("what is shown", fontsize=8)
    lower = " (lower is better: negative favours A)" if lower_is_better(claim.metric) else ""
    change = f"change in {words}" if claim.baseline_task else words
    right.set_xlabel(f"A − B, {change}{lower}")
    right.set_title("per-seed differences", fontsize=9)
    fig.suptitle(f"{claim.in_words or claim.id}: {verdicts.claim_outcome(claim, c)}", fontsize=10)
    return fig


def _cite(claim, c, outcome, a, b, seeds, folder, commits, keras=""):
    keras = f" Measured with the suite's hand-written activations and losses; {keras}" if keras else ""
    arms = (
        f"from {claim.baseline_task}, `{claim.a}` changed {claim.metric} by {fmt(np.mean(a))} and `{claim.b}` by "
        f"{fmt(np.mean(b))}"
        if claim.baseline_task
        else f"`{claim.a}` reached {claim.metric} {fmt(np.mean(a))} and `{claim.b}` {fmt(np.mean(b))}"
    )
    return (
        f"In the winner-takes-all suite's {folder} (records trained at commit {commits}), on "
        f"{TASK_TITLES.get(claim.task, claim.task)}, {arms}: A − B = {fmt(c.diff)} "
        f"(95% t interval [{fmt(c.t_low)}, {fmt(c.t_high)}], "
        f"{len(seeds)} seeds, {_seed_range(seeds)}); the claim that `{claim.a}` is {RELATION[claim.test]} "
        f"`{claim.b}` is {outcome} (Holm-corrected p {p_value(c.p_holm.get(verdicts.QUESTION[claim.test]))})." + keras
    )


def card(claim, c, records, folder, keras_cells):
    """(the card's Markdown, the figure) of one measured claim."""
    outcome = verdicts.claim_outcome(claim, c)
    seeds, a, b = arm_values(records, claim)
    runs = [r for r in records if r["task"] == claim.task and r["pairing"] in (claim.a, claim.b)]
    trained_at = commits(runs)
    numbers = pd.DataFrame(
        [
            {
                "A": f"`{claim.a}`",
                ("change in A" if claim.baseline_task else "mean A"): fmt(np.mean(a)),
                "B": f"`{claim.b}`",
                ("change in B" if claim.baseline_task else "mean B"): fmt(np.mean(b)),
                "A − B [95% t interval]": f"{fmt(c.diff)} [{fmt(c.t_low)}, {fmt(c.t_high)}]",
                "seeds": f"{len(seeds)} ({_seed_range(seeds)})",
                "corrected p": p_value(c.p_holm.get(verdicts.QUESTION[claim.test])),
            }
        ]
    )
    caveats = []
    if claim.metric == "aulc":
        caveats.append("The metric is the area under the test-accuracy curve over every epoch, not the last epoch.")
    else:
        epochs = sorted({len(r["history"]) - 1 for r in runs if r.get("history")})
        if epochs:
            caveats.append(f"Read at the last epoch of each run (epoch {', '.join(map(str, epochs))}), not the best.")
    if claim.task.endswith("_sgd"):
        caveats.append("Trained by plain SGD (learning rate 0.01), not the post's Adam.")
    if claim.baseline_task:
        caveats.append(f"A difference in differences: the drop from {claim.baseline_task} to {claim.task}.")
    keras = claim_clause(keras_cells or {}, claim.id)
    if keras:
        caveats.append(f"Measured with the suite's hand-written objects; {keras}")
    plain = numbers.map(lambda v: str(v).replace("`", ""))
    latex = plain.rename(columns=lambda k: k.replace("−", "-")).to_latex(index=False, escape=True).replace("−", "-")
    text = (
        f"# {claim.in_words or claim.id}\n\n"
        f"Claim `{claim.id}`: is `{claim.a}` {RELATION[claim.test]} `{claim.b}` on {claim.metric}?\n\n"
        f'> "{claim.quote}"\n>\n> — {source_title(claim.source)}\n\n'
        f"**{outcome.capitalize()}.** {why(claim, c, outcome)}\n\n"
        + numbers.to_markdown(index=False, disable_numparse=True)
        + f"\n\nData: {summaries.provenance(runs)}; {_sizes(runs)}. Records trained at commit {trained_at}."
        + ("\n\n" + " ".join(caveats) if caveats else "")
        + f"\n\n![{claim.id}: each seed's A and B, and the per-seed differences]({claim.id}.png)\n\n"
        f"**Cite this:** {_cite(claim, c, outcome, a, b, seeds, folder, trained_at, keras)}\n\n"
        f"LaTeX row:\n\n```latex\n{latex}```\n"
    )
    chance = None
    if claim.metric in ("accuracy", "balanced_accuracy") and not claim.baseline_task:  # majority class (balanced: 1/k)
        classes = get_task(claim.task).classes or (10 if get_task(claim.task).kind == "multiclass" else 2)
        levels = [summaries.chance_level(r) for r in runs] if claim.metric == "accuracy" else [1 / classes]
        chance = float(np.nanmean(levels)) if levels else None
    return text, figure(claim, c, seeds, a, b, chance)


def write_cards(records, comparisons, plan, results, keras_cells=None):
    """Every measured claim's card and figure under `results/claims/`; the paths written."""
    folder = Path(results) / CARDS
    written = []
    for claim in shown_claims(plan):
        c = comparisons.get(claim.task, {}).get(("claim", claim.id))
        if claim.test == "descriptive" or c is None or c.missing or c.undecidable:
            continue
        text, fig = card(claim, c, records, cited_folder(results), keras_cells)
        label = summaries.provenance(records_of(records, claim))
        written += save(fig, folder, claim.id, label=label, formats=("png", "pdf", "svg"))
        written.append(write_text_atomic(folder / f"{claim.id}.md", text))
    return written


def records_of(records, claim):
    return [r for r in records if r["task"] == claim.task and r["pairing"] in (claim.a, claim.b)]
