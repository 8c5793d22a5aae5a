"""The commands that read records: `report` (and `--compare`), `plan`, `rescore` and `figures`."""

import os
import sys
from pathlib import Path

from experiments.cli.arguments import (
    RESULTS_ROOT,
    check_writable,
    results_folder,
)
from experiments.training.speed.process import import_keras_quietly


def cmd_report(args):
    from experiments.analysis.render.compare import agreeing_claims, compare_folders, same_runs
    from experiments.analysis.render.report import write_report

    if args.compare:
        if not all(folder.strip() for folder in args.compare):
            raise ValueError("--compare needs two results folders; one of them is empty.")
        differing = compare_folders(*args.compare)  # a missing or empty folder: ValueError, exit 2
        for line in same_runs(*args.compare):
            print(f"same runs, {line}")
        for line in agreeing_claims(*args.compare):
            print(line)
        for line in differing:
            print(line)
        count = sum(not line.startswith("(") for line in differing)
        print(f"{count} verdict(s) differ between {args.compare[0]} and {args.compare[1]}.")
        return 0

    from experiments.analysis.evidence.loading import rendering

    results = results_folder(args)
    if args.profile == "atlas":
        from experiments.analysis.atlas.text import write_atlas
        from experiments.analysis.evidence.loading import latest_records

        recs = latest_records(results, args.allow_missing)  # what stops a render stops it before the marker
        if not recs:
            raise ValueError(
                f"results folder {results} holds no run records under {Path(results) / 'runs'}; sweep the atlas "
                f"into it first: python -m experiments sweep --profile atlas --results {results}"
            )
        with rendering(results):
            paths = write_atlas(recs, results)
    else:
        paths = write_report(results, allow_missing=args.allow_missing)  # marks the folder while it writes
    for path in paths:
        print(path)


def cmd_plan(args):
    import warnings

    import_keras_quietly()
    from experiments.analysis.claims import plan_file, power
    from experiments.analysis.claims.claim_list import CLAIMS
    from experiments.analysis.evidence.loading import check_results_folder, latest_records
    from experiments.tasks import get_task

    if args.results is None:
        args.results = os.path.join(RESULTS_ROOT, "confirmatory" if args.study == "post" else "conditions")
    claims = [c for c in CLAIMS if c.study == args.study]
    if not 0 < args.power < 1:
        raise ValueError(f"--power must lie strictly between 0 and 1 (e.g. 0.9), got {args.power}.")
    if args.cap < power.SMALLEST:
        raise ValueError(f"--cap must be at least {power.SMALLEST} seeds, got {args.cap}.")
    if args.write:
        check_writable(args.results)
        if (Path(args.results) / plan_file.PLAN_FILE).exists():
            raise ValueError(
                f"{args.results} already holds {plan_file.PLAN_FILE}, declared before its runs; a plan is never "
                "replaced: name a new --results folder for a new study."
            )
        trained = sorted(Path(args.results).glob("runs/*/*.json"))
        if trained:
            raise ValueError(
                f"{args.results} already holds {len(trained)} run record(s) (e.g. {trained[0].name}): a plan is "
                "declared before its study's runs; name a new, empty --results folder."
            )
    check_results_folder(args.pilot)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # One record per run, as the report reads them: an older duplicate of a pilot run is left out.
        pilot = latest_records(args.pilot, stops="no plan computed: repair the pilot before sizing a study")
        if pilot and all(get_task(r["task"]).task_file for r in pilot):
            raise ValueError(
                f"the pilot {args.pilot} holds only your own tasks; `plan` sizes the reference texts' claims, which "
                "are about the suite's tasks: compare your pairings with `sweep` over more seeds and `report`."
            )
        rows, level = power.plan(pilot, claims, power=args.power, cap=args.cap)
    other = sorted({r["profile"] for r in pilot} - {"full"})
    if other:
        print(
            f"note: the pilot ran at profile {', '.join(other)}, the study's sweeps run `full`: its spread of per-seed "
            "differences need not be the study's, so the seeds sized here may be too few or too many.",
            file=sys.stderr,
        )
    seeds = sorted({r["seed"] for r in pilot})
    # Fresh means fresh for every study: another study's seeds have been trained and may have been read (its
    # exploratory lines), so a new study starts after them too (`plan_file.seeds_of_other_studies`).
    others = {}
    for root in dict.fromkeys((Path(RESULTS_ROOT), Path(args.results).parent)):  # this checkout's, and beside it
        others |= plan_file.seeds_of_other_studies(root, exclude=(args.results, args.pilot))
    first = power.first_fresh_seed(args.pilot, seeds, others, args.first_seed, args.cap)
    nothing = power.decides_nothing(rows, seeds)
    if nothing and args.write and not args.force:
        raise ValueError(f"{nothing}; no plan written (--force writes it anyway: a folder's plan is never replaced).")
    print(
        f"Power plan ({args.study} study): {len(rows)} confirmatory claims, pilot {args.pilot} "
        f"(seeds {seeds[0]}-{seeds[-1]}), "
        f"power {args.power} for each claim's own question at alpha/m = {level:.5f}, at most {args.cap} seeds."
    )
    print(power.table(rows).to_markdown(index=False))
    need = power.seeds_per_pairing(rows, claims)
    commands = power.sweep_commands(need, first, args.results)
    print(
        f"\nThe confirmatory sweeps, on fresh seeds from {first} (the pilot's seeds do not count"
        + (f"; nor do those of {', '.join(others)}" if others else "")
        + "):"
    )
    for line in commands:
        print("  " + line)
    if nothing:
        print(f"\nnote: {nothing}.", file=sys.stderr)
    if args.write:
        path = plan_file.write_plan(args.results, rows, level, args, seeds, first, commands)
        print(f"\nplan written (declared before the confirmatory runs): {path}")


def cmd_rescore(args):
    import_keras_quietly()
    from experiments.rescore import rescore_folder

    results = results_folder(args)
    from experiments.terminal import listed

    if args.untrained:
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")  # one untrained model per record: Keras's retracing notes are expected
    done = rescore_folder(results, untrained=args.untrained)
    if done.invalid:
        print("not rescored, invalid:\n" + listed([f"{e.path} ({e.reason})" for e in done.invalid]), file=sys.stderr)
    if done.busy:
        print("not rescored, held or rewritten by a run meanwhile:\n" + listed(map(str, done.busy)), file=sys.stderr)
    if done.read_only:
        print(
            "not rescored, read-only (chmod u+w to let rescore replace them):\n" + listed(map(str, done.read_only)),
            file=sys.stderr,
        )
    print(
        f"{results}: {done.rewritten - done.untrained} record(s) rescored from their stored test outputs, "
        f"{done.unchanged} already current"
        + (f", {done.without} without stored outputs (left as they are)" if done.without else "")
        + (f", {done.untrained} diverged given what their loss was first fed" if done.untrained else "")
        + (f", {len(done.invalid)} invalid (named above; `report` names the repair)" if done.invalid else "")
        + (f", {len(done.busy)} left to a run that held them (rescore again once it ends)" if done.busy else "")
        + (f", {len(done.read_only)} read-only left as they are (named above)" if done.read_only else "")
        + "; run `report` to render them."
    )
    return 1 if done.busy else 0


def cmd_figures(args):
    import_keras_quietly()
    from experiments.analysis.evidence.loading import rendering
    from experiments.analysis.plots.concepts import write_figures

    results = results_folder(args)
    with rendering(results):  # all of them or none: an interrupted drawing replaces no earlier figure
        paths = write_figures(results)
    for path in paths:
        print(path)
