"""Sweeps: the grid of tasks x pairings x seeds, resumable, parallel, local or on Ray.

Each run is owned through a lock file while it runs, so two sweeps on one results
folder never run the same run twice; a finished run's record is written atomically
by the driver, so a sweep killed at any moment loses at most the runs in flight,
and the next sweep redoes exactly those. Runs whose record is done are skipped;
runs that ended in `error` are retried.
"""

import atexit
import concurrent.futures as cf
import multiprocessing
import os
import sys
import threading
import time
from dataclasses import dataclass, field

from experiments import config as cfg
from experiments import records
from experiments.metrics import HEADLINE
from experiments.pairings import task_pairings
from experiments.tasks import TASKS, get_task

MAX_ATTEMPTS = 3  # a run whose worker process dies is resubmitted, up to this many tries


def plan(profile="full", tasks=None, pairings=None, seeds=None, overrides=None, data_options=None):
    """The resolved configs of the grid, in a stable order."""
    tasks = list(tasks or TASKS)
    for task in tasks:
        get_task(task)
    known = {name for task in tasks for name in task_pairings(task)}
    unknown = sorted(set(pairings or ()) - known)
    if unknown:
        raise ValueError(f"Unknown pairing(s) {', '.join(unknown)} for tasks {', '.join(tasks)}; valid: {', '.join(sorted(known))}.")
    prof = cfg.load_profile(profile)
    configs = []
    for task in tasks:
        task_seeds = seeds or prof["tasks"].get(task, {}).get("seeds") or prof["settings"].get("seeds") or cfg.DEFAULTS["seeds"]
        cfg.check_settings({"seeds": list(task_seeds)}, "--seeds")
        for pairing in task_pairings(task):
            if pairings and pairing not in pairings:
                continue
            for seed in task_seeds:
                configs.append(cfg.resolve(task, pairing, seed, profile, overrides, data_options))
    return configs


@dataclass
class Tally:
    total: int
    done_before: int = 0
    busy_elsewhere: int = 0
    statuses: dict = field(default_factory=lambda: {"ok": 0, "diverged": 0, "error": 0})
    failures: list = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    @property
    def finished(self):
        return sum(self.statuses.values())

    def line(self):
        todo = self.total - self.done_before - self.busy_elsewhere
        elapsed = time.monotonic() - self.started
        eta = elapsed / self.finished * (todo - self.finished) if self.finished else float("nan")
        width = 24
        filled = int(width * self.finished / todo) if todo else width
        bar = "#" * filled + "." * (width - filled)
        failed = self.statuses["diverged"] + self.statuses["error"]
        return f"[{bar}] {self.finished}/{todo} runs, {failed} failed, {_clock(elapsed)} elapsed, ETA {_clock(eta)}"


def _clock(seconds):
    if seconds != seconds:  # NaN: nothing to extrapolate from yet
        return "--"
    minutes, s = divmod(int(seconds), 60)
    return f"{minutes}m{s:02d}s"


def _describe(record):
    final = record.get("final") or {}
    headline = HEADLINE.get(get_task(record["task"]).kind)
    detail = f"{headline}={final[headline]:.4f}" if headline in final and final[headline] is not None else record.get("error", "")
    if record["status"] == "diverged":
        detail = f"loss not finite at epoch {record.get('diverged_at_epoch')}"
    return f"{record['status']:<8} {record['task']}/{record['pairing']}/s{record['seed']} {detail} ({record['timing']['wall_s']:.1f}s)"


@dataclass
class Pack:
    """Runs trained together in one graph (see `experiments.runner`), with their record paths and locks."""

    configs: list
    paths: list
    locks: list
    attempts: int = 0


def _finish(tally, pack, recs, out):
    for path, lock, record in zip(pack.paths, pack.locks, recs):
        records.write_atomic(path, record)
        lock.release()
        tally.statuses[record["status"]] += 1
        if record["status"] == "error":
            tally.failures.append(f"{record['task']}/{record['pairing']}/s{record['seed']}: {record.get('error', 'unknown error')}")
        print(f"{tally.line()}  {_describe(record)}", file=out, flush=True)


def _claim_one(config, results, tally):
    """(path, lock) if this sweep should do the run, taking its lock; else None."""
    path = records.record_path(results, cfg.run_id(config), config["task"])
    if records.is_done(path):
        tally.done_before += 1
        return None
    lock = records.try_lock(path)
    if lock is None:
        tally.busy_elsewhere += 1
        return None
    for stale in records.stale_temporary_files(path):  # a sweep killed while it wrote this record
        stale.unlink(missing_ok=True)
    if records.is_done(path):  # finished by another sweep while we looked
        lock.release()
        tally.done_before += 1
        return None
    return path, lock


def _claim(configs, results, tally, pack_size):
    """Yield packs of up to `pack_size` runs this sweep should do, their locks taken."""
    from experiments.runner import pack_key

    groups = {}
    for config in configs:
        groups.setdefault(pack_key(config), []).append(config)
    for group in groups.values():
        for start in range(0, len(group), pack_size):
            pack = Pack([], [], [])
            for config in group[start : start + pack_size]:
                claimed = _claim_one(config, results, tally)
                if claimed:
                    pack.configs.append(config)
                    pack.paths.append(claimed[0])
                    pack.locks.append(claimed[1])
            if pack.configs:
                yield pack


def _watch_parent(parent_pid):
    """Exit this worker when the sweep that started it is gone (killed, say)."""
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(1.0)


def _exit_now():
    """End this worker without Python's and TensorFlow's teardown (about 1.4 s).

    Registered after TensorFlow's own exit handlers, so it runs first (they run last in,
    first out). A worker exits only after the pool has told it to, when every result it
    computed has been written to the parent's queue, synchronously; what is left to lose
    is buffered output, which is flushed first.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _init_worker(parent_pid, threads):
    from experiments.tf_setup import prepare_training_process

    prepare_training_process(threads)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    atexit.register(_exit_now)


def _run_in_worker(configs, verbose):
    from experiments.runner import run_pack

    return run_pack(configs, verbose=verbose)


def _lost_record(config, message):
    from experiments.runner import new_record

    return {**new_record(config), "error": message, "timing": {"wall_s": 0.0}}


def run_local(configs, results, workers, pack_size, verbose, out):
    """Packs of runs in `workers` processes, each TensorFlow limited to one thread."""
    tally = Tally(total=len(configs))
    claims = _claim(configs, results, tally, pack_size)
    context = multiprocessing.get_context("spawn")
    retry = []
    while True:
        pool = cf.ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(os.getpid(), 1))
        in_flight = {}
        broken = False

        def submit_next():
            pack = retry.pop() if retry else next(claims, None)
            if pack is None:
                return False
            pack.attempts += 1
            in_flight[pool.submit(_run_in_worker, pack.configs, verbose)] = pack
            return True

        while len(in_flight) < workers and submit_next():
            pass
        while in_flight:
            done, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
            for future in done:
                pack = in_flight.pop(future)
                try:
                    recs = future.result()
                except cf.process.BrokenProcessPool:
                    broken = True
                    if pack.attempts < MAX_ATTEMPTS:
                        retry.append(pack)
                    else:
                        _finish(tally, pack, [_lost_record(c, f"worker process died {MAX_ATTEMPTS} times") for c in pack.configs], out)
                    continue
                _finish(tally, pack, recs, out)
            if not broken:
                while len(in_flight) < workers and submit_next():
                    pass
        pool.shutdown(wait=True, cancel_futures=True)
        if not retry:
            return tally


def run_ray(configs, results, workers, pack_size, address, verbose, out):
    """Packs of runs as Ray tasks; each returns its records and the driver writes them."""
    import ray

    from experiments.tf_setup import ONEDNN_DEFAULT, ONEDNN_VAR, prepare_training_process

    def ray_run(pack_configs):
        prepare_training_process(1)
        return _run_in_worker(pack_configs, verbose)

    env = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3", ONEDNN_VAR: os.environ.get(ONEDNN_VAR, ONEDNN_DEFAULT)}
    if address:
        ray.init(address=address, runtime_env={"env_vars": env}, log_to_driver=verbose)
    else:
        ray.init(num_cpus=workers, include_dashboard=False, runtime_env={"env_vars": env}, log_to_driver=verbose)
    # Ray re-runs a task whose worker died (max_retries); the driver writes each record once.
    remote = ray.remote(num_cpus=1, max_retries=MAX_ATTEMPTS - 1)(ray_run)
    capacity = max(1, int(ray.cluster_resources().get("CPU", workers)))
    tally = Tally(total=len(configs))
    claims = _claim(configs, results, tally, pack_size)
    in_flight = {}
    try:
        while True:
            while len(in_flight) < capacity and (pack := next(claims, None)) is not None:
                in_flight[remote.remote(pack.configs)] = pack
            if not in_flight:
                return tally
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            pack = in_flight.pop(ready[0])
            try:
                recs = ray.get(ready[0])
            except Exception as error:  # the task failed every retry
                recs = [_lost_record(c, f"Ray task failed: {type(error).__name__}: {error}") for c in pack.configs]
            _finish(tally, pack, recs, out)
    finally:
        for ref, pack in in_flight.items():
            ray.cancel(ref, force=True)
            for lock in pack.locks:
                lock.release()
        ray.shutdown()


DEFAULT_PACK_SIZE = 8


def sweep(configs, results, workers=None, executor="local", address=None, verbose=False, out=None, pack_size=DEFAULT_PACK_SIZE):
    """Run every config of the grid not done yet; print a summary; return the tally.

    Runs of one task and seed that differ only in their pairing are trained in packs
    of up to `pack_size` per graph (1: each run alone); see `experiments.runner`.
    """
    workers = workers or os.cpu_count() or 1
    out = out or sys.stderr  # looked up now: sys.stderr may have been replaced since import
    if pack_size < 1:
        raise ValueError(f"--pack-size must be at least 1 (1: each run alone), got {pack_size}.")
    if executor == "local":
        tally = run_local(configs, results, workers, pack_size, verbose, out)
    elif executor == "ray":
        tally = run_ray(configs, results, workers, pack_size, address, verbose, out)
    else:
        raise ValueError(f"Unknown executor {executor!r}; valid: local, ray.")
    s = tally.statuses
    print(
        f"sweep: {len(configs)} runs in the grid; {tally.done_before} already done, "
        f"{tally.finished} run now ({s['ok']} ok, {s['diverged']} diverged, {s['error']} error), "
        f"{tally.busy_elsewhere} running in another sweep. Records: {os.path.join(results, 'runs')}",
        file=out,
        flush=True,
    )
    for failure in tally.failures:
        print(f"failed: {failure}", file=out, flush=True)
    return tally
