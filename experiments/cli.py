"""`python -m experiments COMMAND`: list, summary, run, sweep, report, figures, bench."""

import argparse
import json
import os
import sys
from pathlib import Path

from experiments.training.speed.process import import_keras_quietly

RESULTS_ROOT = "results"


def results_folder(args):
    """`--results`, or `results/<profile>`: each profile's runs, tables and report apart.

    Raises:
        ValueError: `--results` given but empty (it would silently mean `results/<profile>`).
    """
    if args.results is not None:
        if not args.results.strip():
            raise ValueError("--results is empty; name a folder, or leave the flag out for results/<profile>.")
        return args.results
    return os.path.join(RESULTS_ROOT, args.profile)


def _check_data_used(data, tasks, args):
    """Raise a ValueError if a `--data` option is taken by none of `tasks` (it would be ignored silently)."""
    from experiments.tasks import get_task

    given = set(_key_values(args.data, "--data"))
    taken = {k for t in tasks for k in get_task(t).data_options}
    unused = sorted(given - taken)
    if unused:
        valid = sorted(taken - {"cifar10_fingerprint", "cifar10_archive", "data_source"})
        raise ValueError(
            f"--data {', '.join(unused)}: not an option of {', '.join(sorted(tasks))}; "
            f"valid: {', '.join(valid) or 'none'}."
        )


def _key_values(pairs, flag):
    """KEY=VALUE strings as a dict; VALUE parsed as JSON where it can be (10, 0.5, null)."""
    out = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"{flag} expects KEY=VALUE, got {pair!r}.")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def _settings_from(args):
    from experiments.tasks import TASKS

    overrides = _key_values(args.set, "--set")
    for key in ("epochs", "batch_size", "train_limit", "test_limit"):
        if getattr(args, key, None) is not None:
            overrides[key] = getattr(args, key)
    data = _key_values(args.data, "--data")
    for flag, key in (("--cifar10-archive", "cifar10_archive"), ("--data-source", "data_source")):
        value = getattr(args, key, None)
        if value is not None and not value.strip():
            raise ValueError(f"{flag} is empty; name a file (or leave the flag out for the embedded subset).")
        if value:
            data[key] = value
    valid = {k for t in TASKS.values() for k in t.data_options}
    unknown = sorted(set(data) - valid)
    if unknown:
        raise ValueError(f"Unknown data option(s) {', '.join(unknown)}; valid: {', '.join(sorted(valid))}.")
    return overrides, data


def _list_objects():
    from experiments.composition import GRAMMAR, LOSSES, OUTPUT_ACTIVATIONS

    print(f"A pairing is named, or composed: {GRAMMAR}.")
    print("\noutput activations (ACTIVATION):")
    for name, formula in OUTPUT_ACTIVATIONS.items():
        print(f"  {name:<26} {formula}")
    print("\nlosses (LOSS), with the arguments a pairing may set and their defaults:")
    for name, traits in LOSSES.items():
        args = ", ".join(f"{k}={json.dumps(v)}" for k, v in traits.kwargs.items())
        print(f"  {name:<26} {traits.formula}" + (f"  [{args}]" if args else ""))


def cmd_list(args):
    from experiments.config import load_profile, profile_names
    from experiments.pairings import task_pairings
    from experiments.tasks import TASKS

    if args.objects:
        return _list_objects()

    for task in TASKS.values():
        print(f"{task.name:<12} {task.summary}")
        for p in task_pairings(task.name).values():
            mark = "*" if p.documented else " "
            kwargs = ", ".join(f"{k}={v}" for k, v in p.loss_kwargs.items())
            loss = f"{p.loss}({kwargs})" if kwargs else p.loss
            print(f"   {mark} {p.name:<26} Dense({p.units}, {p.activation}) + {loss} on {p.target} targets: {p.note}")
    print("\n* the post's (matched) pairing")
    print("profiles: " + "; ".join(f"{n}: {load_profile(n)['description']}" for n in profile_names()))


def cmd_summary(args):
    import_keras_quietly()
    from experiments.tasks import get_task

    task = get_task(args.task)
    task.build_model(*task.documented_head).summary()


def _finished(path):
    """True if a valid finished record is at `path`; an invalid one is named and trained again."""
    from experiments import records

    state, reason = records.state(path)
    if state == "invalid":
        print(records.set_aside(path, reason), file=sys.stderr)
    return state == "done"


def cmd_run(args):
    from experiments import config as cfg
    from experiments import records
    from experiments.data.cifar10 import preflight
    from experiments.training.runner import run
    from experiments.training.speed.process import prepare_training_process

    results = results_folder(args)
    overrides, data = _settings_from(args)
    _check_data_used(data, {args.task}, args)
    config = cfg.resolve(args.task, args.pairing, args.seed, args.profile, overrides, data)
    (config,), _ = preflight([config])
    records.check_writable(results)
    path = records.record_path(results, cfg.run_id(config), args.task)
    if not args.force and _finished(path):
        print(f"done already: {cfg.run_id(config)} has a finished record at {path}; --force trains it again.")
        return 0
    prepare_training_process(verbose=args.verbose)
    lock = records.try_lock(path)
    if lock is None:
        raise RuntimeError(f"{path.name} is being run by another process (lock {path.with_suffix('.lock')}).")
    try:
        # Another run may have finished between the first look and the lock: look again, holding it.
        if not args.force and _finished(path):
            print(f"done already: {cfg.run_id(config)} was finished by another process at {path}.")
            return 0
        record = run(config, verbose=args.verbose)
        kept = records.write_or_keep(path, record)
    finally:
        lock.release()
    if kept != path:
        print(
            f"error: could not write {path}; the record was kept at {kept}: move it there once the folder is writable."
        )
        return 1
    final = record.get("final") or {}
    print(f"{record['status']}: {record['run_id']} -> {path}")
    metrics = ", ".join(f"{k}={v:.4f}" for k, v in final.items() if isinstance(v, float))
    print("  " + (metrics or record.get("error", "")))
    return 0 if record["status"] != "error" else 1


def cmd_sweep(args):
    from experiments import records
    from experiments.data.cifar10 import preflight
    from experiments.sweep import check_counts, plan, sweep
    from experiments.sweep.interrupts import SweepInterrupted, sigterm_as_interrupt

    check_counts(args.workers, args.pack_size)
    if args.calibrate and not args.dry_run:
        raise ValueError("--calibrate only estimates a dry run's cost; use it with --dry-run.")
    results = results_folder(args)
    overrides, data = _settings_from(args)
    notes = []
    configs, sources = preflight(plan(args.profile, args.tasks, args.pairings, args.seeds, overrides, data, notes))
    _check_data_used(data, {c["task"] for c in configs}, args)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for source in sources:
        print(f"data: {source}", file=sys.stderr)
    if args.dry_run:
        from experiments.sweep.calibrate import calibrate
        from experiments.sweep.estimate import describe

        workers = args.workers or os.cpu_count() or 1
        roots = [RESULTS_ROOT, results]
        calibration = calibrate if args.calibrate else None
        for line in describe(configs, results, args.pack_size, workers, roots, calibration):
            print(line)
        return 0
    if args.executor == "ray":
        from experiments.sweep.ray_cluster import check_reachable

        check_reachable(args.address)  # before anything is written; Ray itself would retry for minutes
    records.check_writable(results)
    with sigterm_as_interrupt():
        try:
            tally = sweep(
                configs, results, args.workers, args.executor, args.address, args.verbose, pack_size=args.pack_size
            )
        except SweepInterrupted as interrupted:
            print(interrupted, file=sys.stderr, flush=True)
            return interrupted.exit_code
    return 1 if tally.statuses["error"] else 0


def cmd_report(args):
    import_keras_quietly()
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

    from experiments.analysis.data.loading import rendering

    results = results_folder(args)
    with rendering(results):
        if args.profile == "atlas":
            from experiments.analysis.data.loading import latest_records
            from experiments.analysis.render.atlas_text import write_atlas

            paths = write_atlas(latest_records(results, args.allow_missing), results)
        else:
            paths = write_report(results, allow_missing=args.allow_missing)
    for path in paths:
        print(path)


def cmd_plan(args):
    import warnings

    import_keras_quietly()
    from experiments import records
    from experiments.analysis.claims import power
    from experiments.analysis.claims.catalogue import CLAIMS
    from experiments.analysis.data.loading import check_results_folder

    if not 0 < args.power < 1:
        raise ValueError(f"--power must lie strictly between 0 and 1 (e.g. 0.9), got {args.power}.")
    if args.cap < power.SMALLEST:
        raise ValueError(f"--cap must be at least {power.SMALLEST} seeds, got {args.cap}.")
    if args.write:
        records.check_writable(args.results)
        if (Path(args.results) / power.PLAN_FILE).exists():
            raise ValueError(
                f"{args.results} already holds {power.PLAN_FILE}, declared before its runs; a plan is never "
                "replaced: name a new --results folder for a new study."
            )
    check_results_folder(args.pilot)
    loaded = records.load_all(args.pilot)
    if loaded.invalid:
        listed = "; ".join(f"{e.path}: {e.reason}" for e in loaded.invalid[:3])
        raise ValueError(
            f"{len(loaded.invalid)} invalid record(s) in the pilot {args.pilot} ({listed}); repair them "
            "(python -m experiments report names the sweep that does) before sizing a study."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pilot = loaded.records
        rows, level = power.plan(pilot, CLAIMS, power=args.power, cap=args.cap)
    seeds = sorted({r["seed"] for r in pilot})
    if args.first_seed is not None and args.first_seed <= seeds[-1]:
        raise ValueError(
            f"--first-seed {args.first_seed} would reuse the pilot's seeds ({seeds[0]}-{seeds[-1]}); the confirmatory "
            f"seeds must be fresh: use {seeds[-1] + 1} or more."
        )
    print(
        f"Power plan: {len(rows)} confirmatory claims, pilot {args.pilot} (seeds {seeds[0]}-{seeds[-1]}), "
        f"power {args.power} for each claim's own question at alpha/m = {level:.5f}, at most {args.cap} seeds."
    )
    print(power.table(rows).to_markdown(index=False))
    need = power.seeds_per_pairing(rows, CLAIMS)
    first = args.first_seed if args.first_seed is not None else seeds[-1] + 1
    commands = power.sweep_commands(need, first, args.results)
    print(f"\nThe confirmatory sweeps, on fresh seeds from {first} (the pilot's seeds do not count):")
    for line in commands:
        print("  " + line)
    if args.write:
        path = power.write_plan(args.results, rows, level, args, seeds, first, commands)
        print(f"\nplan written (declared before the confirmatory runs): {path}")


def cmd_rescore(args):
    import_keras_quietly()
    from experiments.rescore import rescore_folder

    results = results_folder(args)
    rewritten, unchanged, without, invalid = rescore_folder(results)
    for error in invalid:
        print(f"not rescored, invalid: {error.path} ({error.reason})", file=sys.stderr)
    print(
        f"{results}: {rewritten} record(s) rescored from their stored test outputs, {unchanged} already current"
        + (f", {without} without stored outputs (left as they are)" if without else "")
        + (f", {len(invalid)} invalid (named above; `report` names the repair)" if invalid else "")
        + "; run `report` to render them."
    )


def cmd_figures(args):
    import_keras_quietly()
    from experiments.analysis.plots.concepts import write_figures

    for path in write_figures(results_folder(args)):
        print(path)


def cmd_bench(args):
    os.environ["KERAS_BACKEND"] = args.backend  # this process's Keras and the bench's subprocesses
    import_keras_quietly()
    from experiments.bench import main as bench_main

    return bench_main(args)


def _add_profile_and_results(p):
    from experiments.config import profile_names

    p.add_argument(
        "--profile",
        default="full",
        help=f"settings profile ({', '.join(profile_names())}); default full, the post's",
    )
    p.add_argument("--results", default=None, help="results folder (default: results/<profile>)")


def _add_data_source(p):
    from experiments.data.cifar10 import SOURCES

    p.add_argument(
        "--cifar10-archive",
        dest="cifar10_archive",
        default=None,
        help="cifar-10-python.tar.gz or its cifar-10-batches-py folder (default: $CIFAR10_ARCHIVE)",
    )
    p.add_argument(
        "--data-source",
        dest="data_source",
        choices=SOURCES,
        default=None,
        help=(
            "force one CIFAR-10 source (default: the archive if named, else "
            "the Keras cache if it holds CIFAR-10, else the embedded subset)"
        ),
    )


def _add_settings(p):
    _add_profile_and_results(p)
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", dest="batch_size", type=int)
    p.add_argument("--train-limit", dest="train_limit", type=int, help="at most this many training examples")
    p.add_argument("--test-limit", dest="test_limit", type=int, help="at most this many test examples")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override any setting (repeatable)")
    p.add_argument("--data", action="append", metavar="KEY=VALUE", help="data option, e.g. mosaic_seed=1 (repeatable)")
    _add_data_source(p)
    p.add_argument("--verbose", action="store_true", help="show Keras's per-epoch output")


class OneLineErrors(argparse.ArgumentParser):
    """An argument parser whose errors are one line (and the --help to read), not the whole usage."""

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser():
    from experiments.sweep import DEFAULT_PACK_SIZE

    parser = OneLineErrors(prog="python -m experiments", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineErrors)
    p = sub.add_parser("list", help="the tasks, their pairings and the profiles")
    p.add_argument(
        "--objects", action="store_true", help="the output activations and losses a pairing composes, with formulas"
    )
    p.set_defaults(fn=cmd_list)
    p = sub.add_parser("summary", help="Keras summary of a task's documented model")
    p.add_argument("task")
    p.set_defaults(fn=cmd_summary)
    p = sub.add_parser("run", help="train one run and write its record")
    p.add_argument("task")
    p.add_argument("--pairing", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--force",
        action="store_true",
        help="train again even if the run has a finished record, and replace it (in results/full: the committed study)",
    )
    _add_settings(p)
    p.set_defaults(fn=cmd_run)
    p = sub.add_parser("sweep", help="run the grid of tasks x pairings x seeds (resumable)")
    p.add_argument("--tasks", nargs="+")
    p.add_argument("--pairings", nargs="+")
    p.add_argument("--seeds", nargs="+", type=int)
    p.add_argument("--workers", type=int, default=None, help="parallel runs (default: number of cores)")
    p.add_argument("--executor", choices=("local", "ray"), default="local")
    p.add_argument(
        "--dry-run",
        dest="dry_run",
        action="store_true",
        help="print the grid, what is done and an estimated wall time; run nothing",
    )
    p.add_argument(
        "--calibrate",
        action="store_true",
        help="with --dry-run: for tasks never run on this machine, estimate from a 10-second calibration run "
        "(in a child process; nothing written)",
    )
    p.add_argument("--address", default=None, help="Ray cluster address ('auto' joins a running one)")
    p.add_argument(
        "--pack-size",
        dest="pack_size",
        type=int,
        default=DEFAULT_PACK_SIZE,
        help=f"runs of one task and seed trained in one graph (default {DEFAULT_PACK_SIZE}; 1: each run alone)",
    )
    _add_settings(p)
    p.set_defaults(fn=cmd_sweep)
    for name, fn, text in (
        ("report", cmd_report, "tables and REPORT.md from the records"),
        ("figures", cmd_figures, "the reference texts' figures and the trained models' plots"),
    ):
        p = sub.add_parser(name, help=text)
        _add_profile_and_results(p)
        p.set_defaults(fn=fn)
        if name == "report":
            p.add_argument(
                "--compare",
                nargs=2,
                metavar=("DIR_A", "DIR_B"),
                help="list the verdicts that differ between two result folders (other seeds, another machine)",
            )
            p.add_argument(
                "--allow-missing",
                dest="allow_missing",
                action="store_true",
                help="render even if some records are invalid: their pairings' claims are marked not measured",
            )
    p = sub.add_parser("plan", help="seeds each confirmatory claim needs, from a pilot's records (power analysis)")
    p.add_argument(
        "--pilot", default=os.path.join(RESULTS_ROOT, "full"), help="the pilot's results (default results/full)"
    )
    p.add_argument("--results", default=os.path.join(RESULTS_ROOT, "confirmatory"), help="where the study goes")
    p.add_argument("--power", type=float, default=0.9, help="power per claim (default 0.9)")
    p.add_argument("--cap", type=int, default=40, help="the most seeds a claim is planned with (default 40)")
    p.add_argument("--first-seed", dest="first_seed", type=int, default=None, help="default: after the pilot's")
    p.add_argument("--write", action="store_true", help="write the plan to RESULTS/plan.json before the study runs")
    p.set_defaults(fn=cmd_plan)
    p = sub.add_parser("rescore", help="recompute finished records' test metrics from their stored outputs")
    _add_profile_and_results(p)
    p.set_defaults(fn=cmd_rescore)
    p = sub.add_parser("bench", help="sweep throughput against the plain model.fit loop")
    p.add_argument("--results", default=RESULTS_ROOT)
    p.add_argument("--epochs", type=int, default=30, help="epochs per run (default 30)")
    p.add_argument("--seeds", type=int, default=2, help="seeds per pairing (default 2)")
    p.add_argument("--cifar10-archive", dest="cifar10_archive", default=None)
    p.add_argument(
        "--backend",
        choices=("tensorflow", "jax"),
        default=os.environ.get("KERAS_BACKEND", "tensorflow"),
        help="Keras backend of both sides (default: $KERAS_BACKEND, else tensorflow)",
    )
    p.set_defaults(fn=cmd_bench)
    return parser


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args) or 0
    except (ValueError, RuntimeError) as error:  # bad input, missing data (CifarDataError), a busy run
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a folder that cannot be written (read-only, full, a file where a folder goes)
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}; nothing half-written was left in its place.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C outside a sweep (which answers for itself): no record was half-written
        print("interrupted; nothing half-written is left (records are written whole or not at all)", file=sys.stderr)
        return 130
