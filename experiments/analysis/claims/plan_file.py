"""The power plan on disk: `plan.json` in a study's folder, written before its runs, sealed, and checked
against the runs whenever a report reads it (`check_plan_against`)."""

import json
from pathlib import Path

PLAN_FILE = "plan.json"


def seal(plan):
    """The plan's seal: the SHA-256 of its canonical JSON (every field but `seal`). A plan edited by hand after
    `plan --write` no longer matches its seal, and `read_plan` refuses it."""
    import hashlib

    body = {k: v for k, v in plan.items() if k != "seal"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def write_plan(results, rows, level, args, pilot_seeds, first_seed, commands):
    """Write the plan into the study's folder (`PLAN_FILE`), atomically: declared before its runs."""
    import dataclasses
    import datetime

    from experiments.records import write_atomic
    from experiments.training.speed.process import cpu_description, source_commit

    path = Path(results) / PLAN_FILE
    plan = {
        "written_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "git_commit": source_commit()[0],
        "git_dirty": source_commit()[1],
        "cpu": cpu_description()[0],
        "study": getattr(args, "study", "post"),
        "pilot": {"results": str(args.pilot), "seeds": pilot_seeds},
        "power": args.power,
        "cap": args.cap,
        "level": level,
        "level_rule": "alpha / m, the first step of Holm's procedure over the m confirmatory claims",
        "first_seed": first_seed,
        "claims": [dataclasses.asdict(r) for r in rows],
        "commands": commands,
    }
    from experiments.records import jsonable

    plan = jsonable(plan)
    write_atomic(path, {**plan, "seal": seal(plan)})
    return path


def seeds_of_other_studies(root, exclude=()):
    """{folder: seeds} of every study under `root` (a folder with a `PLAN_FILE`) but those in `exclude`: the
    seeds its records name (file names `<task>__<pairing>__s<seed>__<hash>.json`, read without opening them)."""
    from experiments.analysis.evidence.loading import seed_in_name

    skip = {Path(e).resolve() for e in exclude}
    out = {}
    for plan in sorted(Path(root).glob(f"*/{PLAN_FILE}")):
        folder = plan.parent
        if folder.resolve() in skip or str(folder) in out:
            continue
        seeds = {s for p in folder.glob("runs/*/*.json") if (s := seed_in_name(p)) is not None}
        if seeds:
            out[str(folder)] = sorted(seeds)
    return out


def read_plan(results):
    """The plan written into `results` (`write_plan`), or None where there is none.

    Raises:
        ValueError: the file is not JSON, or lacks the fields a report reads; in one line.
    """
    path = Path(results) / PLAN_FILE
    if not path.exists() and not path.is_symlink():
        return None
    if not path.is_file():  # a folder, a FIFO (which would block a read), a dangling link
        raise ValueError(
            f"{path} is not a regular file; restore the plan from git (`git checkout -- {path}`), or move it out "
            "of the folder to read its runs as exploratory."
        )
    if path.stat().st_size > MOST_PLAN_BYTES:
        raise ValueError(
            f"{path} holds {path.stat().st_size:,} bytes, not a power plan (a few KB); restore it from git "
            f"(`git checkout -- {path}`), or move it out of the folder to read its runs as exploratory."
        )
    try:
        plan = json.loads(path.read_text())
    except ValueError as error:
        raise ValueError(
            f"{path} is not a power plan ({error}); restore it from git (`git checkout -- {path}`): a plan is "
            "never written again over a study's runs."
        ) from None
    needed = ("claims", "pilot", "power", "cap", "level", "written_at")
    missing = [k for k in needed if not isinstance(plan, dict) or k not in plan]
    if missing:
        raise ValueError(f"{path} lacks {', '.join(missing)}; restore it from git (`git checkout -- {path}`).")
    if "seal" not in plan:
        raise ValueError(
            f"{path} has no seal: `plan --write` seals every plan it writes, so this one was written by hand or its "
            f"seal was removed; restore it from git (`git checkout -- {path}`)."
        )
    if plan["seal"] != seal(plan):
        raise ValueError(
            f"{path} was changed after `plan --write` sealed it (its seal no longer matches its content); "
            f"restore it from git (`git checkout -- {path}`): a plan declared before the runs cannot be edited."
        )
    _check_types(plan, path)
    _check_committed(path)
    return plan


MOST_PLAN_BYTES = 1 << 20  # a plan is a few KB; a larger file is not read whole


_NUMBER = {"type": ["number", "null"]}
# The plan as `plan --write` writes it, to the fields the report reads (a plan resealed by hand is checked here).
PLAN_SCHEMA = {
    "type": "object",
    "required": ["written_at", "pilot", "power", "cap", "level", "first_seed", "claims"],
    "properties": {
        "written_at": {"type": "string"},
        "power": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "cap": {"type": "integer", "minimum": 1},
        "level": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "first_seed": {"type": "integer", "minimum": 0},
        "pilot": {
            "type": "object",
            "required": ["seeds"],
            "properties": {"seeds": {"type": "array", "items": {"type": "integer", "minimum": 0}}},
        },
        "claims": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["claim", "task", "test", "metric", "seeds"],
                "properties": {
                    "claim": {"type": "string"},
                    "task": {"type": "string"},
                    "test": {"type": "string"},
                    "metric": {"type": "string"},
                    "seeds": {"type": ["integer", "null"], "minimum": 1},
                    "pilot_seeds": {"type": "integer", "minimum": 0},
                    "pilot_gain": _NUMBER,
                    "paired_sd": _NUMBER,
                    "margin": _NUMBER,
                    "core_minutes": _NUMBER,
                    "why_not": {"type": "string"},
                },
            },
        },
        "commands": {"type": "array", "items": {"type": "string"}},
    },
}


def _check_types(plan, path):
    """Raise a one-line ValueError where a field the report reads is not as `plan --write` writes it (`PLAN_SCHEMA`;
    a plan resealed by hand), or names a claim the suite does not have."""
    import datetime

    import jsonschema

    from experiments.analysis.claims.claim_list import CLAIMS

    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(PLAN_SCHEMA).iter_errors(plan))
    wrong = f"{'/'.join(map(str, error.absolute_path)) or 'the plan'}: {error.message[:200]}" if error else ""
    if not wrong:
        try:
            datetime.datetime.fromisoformat(plan["written_at"])
        except ValueError:
            wrong = f"written_at: {plan['written_at'][:60]!r} is not a date"
    known = {c.id for c in CLAIMS}
    unknown = [row["claim"] for row in plan["claims"] if not wrong and row["claim"] not in known]
    if unknown:
        wrong = f"claims: {unknown[0][:60]!r} is no claim of the suite"
    if wrong:
        raise ValueError(
            f"{path}: {wrong}, not as `plan --write` writes it; restore it from git "
            f"(`git checkout -- {path}`), or move it out of the folder to read its runs as exploratory."
        )


def _check_committed(path):
    """Where git tracks the plan, it must be its committed version: the commit is the seal that cannot be
    recomputed by hand (a plan edited and resealed differs from it). An untracked plan rests on its own seal."""
    import subprocess

    path = Path(path).resolve()
    try:
        tracked = subprocess.run(
            ["git", "-C", str(path.parent), "ls-files", "--error-unmatch", path.name], capture_output=True, timeout=10
        )
        if tracked.returncode != 0:
            return
        changed = subprocess.run(
            ["git", "-C", str(path.parent), "diff", "--quiet", "HEAD", "--", path.name], capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):  # no git here: the seal alone
        return
    if changed.returncode == 1:
        raise ValueError(
            f"{path} differs from its committed version; restore it (`git checkout -- {path}`): a plan declared "
            "before the runs cannot be changed."
        )


def check_plan_against(plan, recs, results):
    """Raise a one-line ValueError where `plan` was not declared before the runs `recs` it would make
    confirmatory: written after one of them started (its `finished_at` less its `wall_s`), or at a commit that
    is not an ancestor of a run's commit (checked where this checkout knows both commits).

    Returns the plan unchanged (None stays None)."""
    import datetime
    import subprocess

    if plan is None:
        return None
    path = Path(results) / PLAN_FILE
    way_out = (
        f"restore it from git (`git checkout -- {path}`), or move it out of the folder to read its runs as exploratory"
    )

    def utc(stamp):  # a time written without its zone is UTC, as the suite writes them
        moment = datetime.datetime.fromisoformat(stamp)
        return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)

    written = utc(plan["written_at"])
    for r in recs:
        timing = r.get("timing") or {}
        if "finished_at" not in timing:
            continue
        started = utc(timing["finished_at"]) - datetime.timedelta(seconds=timing.get("wall_s") or 0)
        if started < written:
            raise ValueError(
                f"{path} was written at {plan['written_at']}, after run {r['run_id']} started "
                f"({started.isoformat(timespec='seconds')}): a plan declared after its runs cannot make them "
                f"confirmatory; {way_out}."
            )
    commits = {(r.get("environment") or {}).get("git_commit") for r in recs} - {None}
    root = Path(__file__).resolve().parents[3]
    for commit in sorted(commits) if plan.get("git_commit") else ():
        found = subprocess.run(
            ["git", "-C", str(root), "merge-base", "--is-ancestor", plan["git_commit"], commit],
            capture_output=True,
            timeout=10,
        )
        if found.returncode == 1:  # 0: an ancestor; 128: a commit this checkout does not know, left unjudged
            raise ValueError(
                f"{path} names commit {plan['git_commit'][:12]}, which is not an ancestor of the runs' commit "
                f"{commit[:12]}: the plan was not written in this study's history; {way_out}."
            )
    return plan
