"""REPORT.md's opening: what was measured, on what, by which code, and how to read its verdicts, as small tables.

Every cell comes from the records (their configs, data lines and environments) or from the constants the
verdicts use (`data.stats`, `claims.catalogue.MARGINS`, `data.summaries`), never typed here.
"""

import datetime
from collections import Counter

import pandas as pd

from experiments.analysis.claims.catalogue import CLAIMS, MARGINS, shown_claims
from experiments.analysis.data import stats, summaries
from experiments.training.metrics import HEADLINE

PLATFORM_KEYS = ("python", "keras", "tensorflow", "numpy", "backend", "onednn", "adam", "platform", "cpu")


def _joined(values):
    return "/".join(str(v) for v in sorted(values))


def settings_table(recs, sources=True):
    """One row per task, as its records measured it: epochs, batch, seeds, examples and (`sources`) data (Markdown)."""
    rows = []
    for task in sorted({r["task"] for r in recs}):
        these = [r for r in recs if r["task"] == task]
        data = [r.get("data") or {} for r in these]
        rows.append(
            {
                "task": task,
                "epochs": _joined({r["config"]["epochs"] for r in these}),
                "batch": _joined({r["config"]["batch_size"] for r in these}),
                "seeds": len({r["seed"] for r in these}),
                "train images or rows": _joined({f"{d['train_examples']:,}" for d in data if "train_examples" in d}),
                "test": _joined({f"{d['test_examples']:,}" for d in data if "test_examples" in d}),
                "data": _joined({d.get("source", "unknown data") for d in data}),
            }
        )
        if not sources:
            rows[-1].pop("data")
    return pd.DataFrame(rows).to_markdown(index=False, disable_numparse=True)


def commit_rows(recs):
    """(what, value) rows: the commit this was rendered at, and the commits its records were trained at."""
    from experiments.training.speed.process import source_commit

    commit, dirty = source_commit()
    trained = Counter(
        ((r.get("environment") or {}).get("git_commit"), (r.get("environment") or {}).get("git_dirty")) for r in recs
    )
    parts = [
        f"{n} at {c[:10]}{' (code changed since)' if d else ''}" if c else f"{n} before commits were recorded"
        for (c, d), n in sorted(trained.items(), key=lambda item: -item[1])
    ]
    here = f"{commit[:10]}{' with uncommitted changes' if dirty else ''}" if commit else "outside a git checkout"
    return [("rendered by the code of", f"commit {here} (the rendered files are committed after it)"),
            ("records trained", "; ".join(parts))]  # fmt: skip


def platform_rows(recs):
    """(library or machine, the values its records name) rows."""

    def value(env, key):
        found = env.get(key, "not recorded")
        return " ".join(found) if isinstance(found, list) else str(found)

    envs = [r.get("environment") or {} for r in recs if r.get("environment")]
    rows = [(k, _joined({value(env, k) for env in envs})) for k in (*PLATFORM_KEYS, "cpu_features")]
    return [(k, v) for k, v in rows if v]


def _two_columns(rows):
    return "| | |\n|:--|:--|\n" + "".join(f"| {k} | {v.replace('|', '/')} |\n" for k, v in rows)


def header(recs, inventory=None, n_claims=0, planned=False, plan=None):
    """The title, the records' provenance and settings tables, and the rules of the verdicts.

    `planned`: the folder holds a power plan written before its runs (`plan.json`), so its claims are
    confirmatory; without one they are a pilot's, exploratory.
    """
    profiles = sorted({r["profile"] for r in recs})
    counts = {s: sum(r["status"] == s for r in recs) for s in ("ok", "diverged", "error")}
    warning = (
        ""
        if profiles == ["full"]
        else f"\n**Not for citing:** profile {', '.join(profiles)} is not the post's settings "
        "(the `full` profile is).\n"
    )
    subset = any("subset" in (r.get("data") or {}).get("source", "") for r in recs)
    rows = [
        ("generated", f"{datetime.date.today().isoformat()} by `python -m experiments report`"),
        ("run records", f"{len(recs)}: {counts['ok']} ok, {counts['diverged']} diverged, {counts['error']} error"),
    ]
    if inventory is not None:
        rows.append(("records read", inventory.line().removeprefix("Records: ").rstrip(".")))
    rows += commit_rows(recs) + [("profile(s)", ", ".join(profiles))]
    return (
        "# What the measurements say\n"
        + warning
        + "\n## Provenance\n\n"
        + _two_columns(rows)
        + "\n## Settings and data\n\nAs the records measured them (not as planned).\n\n"
        + settings_table(recs)
        + "\n\n"
        + ("CIFAR-10 numbers come from a subset of CIFAR-10 (sizes above), not full CIFAR-10.\n\n" if subset else "")
        + "Platform and libraries:\n\n"
        + _two_columns(platform_rows(recs))
        + "\nadam: LeanAdam is Adam with Keras's defaults in one update for all of a pack's variables, used only "
        "where a run-time check finds it equal to `keras.optimizers.Adam` "
        "([docs/performance.md](../../docs/performance.md)); the SGD variants use `keras.optimizers.SGD`.\n\n"
        + reading_rules(n_claims, planned, plan)
    )


def reading_rules(n_claims, planned=False, plan=None):
    """How to read the verdicts: the tests, the level, the margins and the words, one rule a line. The margins
    are those of the metrics the shown claims (`shown_claims(plan)`) and the exploratory lines' headlines use."""
    used = {c.metric for c in shown_claims(plan) if c.test != "descriptive"} | set(HEADLINE.values())
    margins = "; ".join(f"{m} ±{v[0]}" for m, v in MARGINS.items() if m in used)
    kind = (
        "**Claims (confirmatory).**"
        if planned
        else "**Claims (exploratory here).** No power plan sized these seeds before they ran (the folder has no "
        "`plan.json`), so these verdicts are a pilot's: cite a planned study's (`python -m experiments plan`)."
    )
    return (
        "## How to read the verdicts\n\n"
        "- **Pairing by seed.** Two pairings are compared seed by seed; the seed is the unit of replication.\n"
        "- **One test per question.** Each p comes from its pre-declared test, the paired t-test over seeds.\n"
        "- **The check on test-image noise.** The two-level bootstrap interval (seeds, then test images within a "
        f"seed; {stats.BOOTSTRAP_SAMPLES:,} draws for accuracy and MSE, {stats.MEAN_AP_SAMPLES:,} for mean AP, seeds "
        "only for run-level measures) stands beside each t interval.\n"
        f"- **Level and margins.** The level is {stats.ALPHA}. Margins, declared before the runs: {margins}.\n"
        f"- {kind} Each tested claim asks one question: *similar* (two one-sided tests against "
        "the margin), *better* (one-sided, against 0) or *not worse* (not worse by more than the margin). "
        f"The {n_claims} tested claims with records form one family, Holm-corrected together.\n"
        "  - **supported**: its corrected p is below the level;\n"
        "  - **contradicted**: its 95% intervals (t and bootstrap, the wider) lie wholly where the claim is false;\n"
        "  - **inconclusive**: neither; the section says why, and what effect its seeds could detect;\n"
        "  - **undecidable**: the power plan found, before any run, that the most seeds it allows cannot decide it;\n"
        "  - **not measured**: its runs are missing or failed; no verdict.\n"
        "- **Effects** are A − B in the metric's own units: for MSE, ECE and never-active units lower is better, so a "
        "negative effect favours A. P(A beats B in a seed) counts ties as half.\n"
        "- **Mismatches (exploratory).** Each is an estimate against its task's post pairing. It asks *worse*, "
        "*better* and *similar*, Holm-corrected within its task; *similar* wins when two questions pass.\n"
        f"- **Collapsed** runs end within {summaries.COLLAPSE_NEAR_CHANCE} of chance or {summaries.COLLAPSE_FALL} "
        "below their own best epoch; they are counted, not dropped.\n\n"
    )


def _order(recs, others):
    """ "after the claims' runs " where every one of `others` finished after every claim's run, else ""."""
    finished = lambda rs: [(r.get("timing") or {}).get("finished_at") or "" for r in rs]  # noqa: E731
    other_ids = {id(r) for r in others}
    claims = [r for r in recs if id(r) not in other_ids]
    if claims and others and min(finished(others)) > max(finished(claims)):
        return "after the claims' runs "
    return ""


def design(plan, recs):
    """The study's design, when its folder holds a power plan: pilot, power, fresh seeds, verdicts."""
    if not plan:
        return ""
    pilot = plan["pilot"]["seeds"]
    fresh = sorted({r["seed"] for r in recs})
    planned = [c for c in plan["claims"] if c["seeds"] is not None]
    undecidable = [c["claim"] for c in plan["claims"] if c["seeds"] is None]
    family, tested = len(plan["claims"]), len(planned)
    arms = {
        (task, arm)
        for c in CLAIMS
        if c.id in {p["claim"] for p in planned}
        for task in (c.task, c.baseline_task)
        if task
        for arm in (c.a, c.b)
    }
    others = [r for r in recs if (r["task"], r["pairing"]) not in arms]
    other = sorted({r["seed"] for r in others})
    narrower = {
        task: sorted(seeds)
        for task in dict.fromkeys(r["task"] for r in others)
        if (seeds := {r["seed"] for r in others if r["task"] == task}) != set(other)
    }
    exceptions = "; ".join(f"{t}: {s[0]}-{s[-1]}" for t, s in narrower.items())
    commits = {(r.get("environment") or {}).get("git_commit") for r in recs}
    where = "at the same commit" if len(commits) == 1 and None not in commits else "see the commits above"
    exploratory = (
        f" The other pairings of each task (the exploratory mismatch lines and the descriptive measures) on seeds "
        f"{other[0]}-{other[-1]}{f' ({exceptions})' if exceptions else ''}, trained {_order(recs, others)}({where})."
        if other
        else ""
    )
    return (
        "## Design\n\n"
        f"1. **Pilot.** The records of `{plan['pilot']['results']}` (seeds {pilot[0]}-{pilot[-1]}), reported there "
        "as exploratory.\n"
        f"2. **Power.** From the pilot's paired effect and standard deviation, each claim's seeds for power "
        f"{plan['power']} on its own question at alpha/m = {plan['level']:.5f} (m = {family}: every claim of the plan, "
        f"the undecidable ones included, so stricter than the first step of Holm over the {tested} tested), at most "
        f"{plan['cap']} seeds (`python -m experiments plan`). The plan was written to `plan.json` at "
        f"{plan['written_at']}, commit "
        f"{(plan.get('git_commit') or 'unknown')[:10]}, before any run here.\n"
        f"3. **Fresh seeds.** The pairings of the {len(planned)} claims the plan gave seeds trained on seeds "
        f"{fresh[0] if fresh else '-'}-{fresh[-1] if fresh else '-'} only. A claim is tested on every fresh seed "
        f"its pairings have, and not before it has its planned number.{exploratory}\n"
        f"4. **Verdicts** from these seeds alone. {len(undecidable)} claim(s) the plan found undecidable are not "
        f"tested: {', '.join(undecidable) or 'none'}.\n\n"
    )
