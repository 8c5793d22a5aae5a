"""The commands that train or list: `list`, `summary`, `run`, `sweep` and `bench`."""

import importlib.util
import json
import os
import sys

from experiments.cli.arguments import (
    RESULTS_ROOT,
    check_backend,
    check_data_used,
    check_writable,
    results_folder,
    settings_from,
)
from experiments.training.speed.process import import_keras_quietly


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


def cmd_explain(args):
    from experiments.explain import explain
    from experiments.tasks import get_task
    from experiments.training.speed.process import import_keras_quietly

    if args.task is not None:
        get_task(args.task)  # one line naming the tasks
    check_backend()
    import_keras_quietly()
    if args.json:
        import json

        from experiments.explain import explain_pages
        from experiments.records import jsonable

        print(json.dumps(jsonable(explain_pages(args.pairing, args.task)), indent=1))
    else:
        print(explain(args.pairing, args.task))


def cmd_check(args):
    import json

    from experiments.check_model import check, check_text
    from experiments.records import jsonable
    from experiments.training.speed.process import import_keras_quietly

    check_backend()
    import_keras_quietly()
    found = check(args.model, args.targets, args.kind)
    print(json.dumps(jsonable(found), indent=1) if args.json else check_text(found))
    return found["exit_code"]


def cmd_loss(args):
    import json

    from experiments.loss_on_tensors import measure_all, report_text
    from experiments.records import jsonable
    from experiments.training.speed.process import import_keras_quietly

    check_backend()
    import_keras_quietly()
    found = measure_all(args.loss, args.targets, args.outputs, args.from_logits)
    if args.json:  # arrays as nested lists, NaN as null
        plain = json.loads(json.dumps(found, default=lambda a: a.tolist() if hasattr(a, "tolist") else str(a)))
        print(json.dumps(jsonable(plain), indent=1))
    else:
        print(report_text(found))


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
    check_backend()
    from experiments import config as cfg
    from experiments import records, run_lock
    from experiments.data.cifar10 import preflight
    from experiments.tasks import check_conditions, task_file
    from experiments.training.runner import run
    from experiments.training.speed.process import prepare_training_process

    results = results_folder(args)
    overrides, data = settings_from(args)
    if "seeds" in overrides:  # `run` trains one seed, `--seed`; `sweep` is the command that takes a list
        raise ValueError(
            f"run trains one seed: use --seed N (not --set seeds={overrides['seeds']}), or sweep --seeds "
            f"{' '.join(map(str, overrides['seeds']))} for several."
        )
    check_data_used(data, {args.task}, args)
    config = cfg.resolve(args.task, args.pairing, args.seed, args.profile, overrides, data)
    (config,), _ = preflight([config])
    check_conditions([config])
    task_file.check_folder(results, [args.task])
    check_writable(results)
    path = records.record_path(results, cfg.run_id(config), args.task)
    if not args.force and _finished(path):
        print(f"done already: {cfg.run_id(config)} has a finished record at {path}; --force trains it again.")
        return 0
    prepare_training_process(verbose=args.verbose)
    lock = run_lock.try_lock(path)
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
        why = (
            "it is read-only (chmod u+w, then move the new one there, to replace it)"
            if records.read_only(path)
            else "move it there once the folder is writable"
        )
        print(f"error: could not write {path}; the record was kept at {kept}: {why}.", file=sys.stderr)
        return 1
    final = record.get("final") or {}
    print(f"{record['status']}: {record['run_id']} -> {path}")
    metrics = ", ".join(f"{k}={v:.4f}" for k, v in final.items() if isinstance(v, float))
    print("  " + (metrics or record.get("error", "")))
    return 0 if record["status"] != "error" else 1


def _check_tensorboard(folder):
    """Refuse a `--tensorboard` folder that cannot be written (before a dry run, too); hand it to the workers."""
    from experiments.config import TENSORBOARD_ENV

    if not folder.strip():
        raise ValueError("--tensorboard needs a folder (e.g. --tensorboard tb), got an empty name.")
    if importlib.util.find_spec("tensorboard") is None:
        raise ValueError(
            "--tensorboard needs TensorBoard, which is not installed: pip install 'winner-takes-all[tensorboard]'."
        )
    check_writable(folder, what="--tensorboard folder", option="--tensorboard")
    # The workers (spawned processes, Ray's through its env_vars) inherit it; no config carries it.
    os.environ[TENSORBOARD_ENV] = os.path.abspath(folder)
    print(f"tensorboard: per-run scalars under {folder}; watch with `tensorboard --logdir {folder}`", file=sys.stderr)


def cmd_sweep(args):
    from experiments.data.cifar10 import preflight
    from experiments.interrupts import SweepInterrupted, sigterm_as_interrupt
    from experiments.sweep import check_counts, plan, sweep
    from experiments.tasks import check_conditions, task_file

    check_counts(args.workers, args.pack_size)
    check_backend()
    if args.address is not None and args.executor != "ray":
        raise ValueError(f"--address {args.address} names a Ray cluster; add --executor ray, or leave --address out.")
    if args.calibrate and not args.dry_run:
        raise ValueError("--calibrate only estimates a dry run's cost; use it with --dry-run.")
    results = results_folder(args)
    overrides, data = settings_from(args)
    notes = []
    configs, sources = preflight(plan(args.profile, args.tasks, args.pairings, args.seeds, overrides, data, notes))
    check_conditions(configs)
    task_file.check_folder(results_folder(args), sorted({c["task"] for c in configs}))
    check_data_used(data, {c["task"] for c in configs}, args)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for source in sources:
        print(f"data: {source}", file=sys.stderr)
    if args.tensorboard is not None:
        _check_tensorboard(args.tensorboard)
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
    check_writable(results)
    with sigterm_as_interrupt():
        try:
            tally = sweep(
                configs, results, args.workers, args.executor, args.address, args.verbose, pack_size=args.pack_size
            )
        except SweepInterrupted as interrupted:
            print(interrupted, file=sys.stderr, flush=True)
            return interrupted.exit_code
    return 1 if tally.statuses["error"] or tally.kept_elsewhere else 0


def cmd_bench(args):
    check_backend(args.backend)
    os.environ["KERAS_BACKEND"] = args.backend  # this process's Keras and the bench's subprocesses
    import_keras_quietly()
    from experiments.bench.run import main as bench_main

    return bench_main(args)
