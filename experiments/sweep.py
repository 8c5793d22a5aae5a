"""Sweeps: the grid of tasks x pairings x seeds, resumable, parallel, local or on Ray.

Each run is owned through a lock file while it runs, so two sweeps on one results
folder never run the same run twice; a finished run's record is written atomically
by the driver, so a sweep killed at any moment loses at most the runs in flight,
and the next sweep redoes exactly those. Runs whose record is done are skipped;
runs that ended in `error` are retried.
"""

import concurrent.futures as cf
import multiprocessing
import os
import sys
import threading
import time
from dataclasses import dataclass, field

from experiments import config as cfg
from experiments import records
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
    from experiments.metrics import HEADLINE

    headline = HEADLINE.get(get_task(record["task"]).kind)
    detail = f"{headline}={final[headline]:.4f}" if headline in final and final[headline] is not None else record.get("error", "")
    if record["status"] == "diverged":
        detail = f"loss not finite at epoch {record.get('diverged_at_epoch')}"
    return f"{record['status']:<8} {record['task']}/{record['pairing']}/s{record['seed']} {detail} ({record['timing']['wall_s']:.1f}s)"


def _finish(tally, path, record, lock, out):
    records.write_atomic(path, record)
    lock.release()
    tally.statuses[record["status"]] += 1
    print(f"{tally.line()}  {_describe(record)}", file=out, flush=True)


def _claim(configs, results, tally):
    """Yield (config, path, lock) for each run this sweep should do, taking its lock."""
    for config in configs:
        path = records.record_path(results, cfg.run_id(config), config["task"])
        if records.is_done(path):
            tally.done_before += 1
            continue
        lock = records.try_lock(path)
        if lock is None:
            tally.busy_elsewhere += 1
            continue
        if records.is_done(path):  # finished by another sweep while we looked
            lock.release()
            tally.done_before += 1
            continue
        yield config, path, lock


def _watch_parent(parent_pid):
    """Exit this worker when the sweep that started it is gone (killed, say)."""
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(1.0)


def _init_worker(parent_pid, threads):
    from experiments.runner import limit_threads

    limit_threads(threads)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _run_in_worker(config, verbose):
    from experiments.runner import run

    return run(config, verbose=verbose)


def _lost_record(config, message):
    return {
        "schema_version": 1,
        "run_id": cfg.run_id(config),
        "task": config["task"],
        "pairing": config["pairing"],
        "seed": config["seed"],
        "profile": config["profile"],
        "config": config,
        "status": "error",
        "error": message,
        "history": [],
        "final": None,
        "timing": {"wall_s": 0.0},
    }


def run_local(configs, results, workers, verbose, out):
    """Runs in `workers` processes, each TensorFlow limited to one thread."""
    tally = Tally(total=len(configs))
    claims = _claim(configs, results, tally)
    context = multiprocessing.get_context("spawn")
    attempts = {}
    retry = []
    while True:
        pool = cf.ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(os.getpid(), 1))
        in_flight = {}
        broken = False

        def submit_next():
            item = retry.pop() if retry else next(claims, None)
            if item is None:
                return False
            attempts[item[1]] = attempts.get(item[1], 0) + 1
            in_flight[pool.submit(_run_in_worker, item[0], verbose)] = item
            return True

        while len(in_flight) < workers and submit_next():
            pass
        while in_flight:
            done, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
            for future in done:
                config, path, lock = in_flight.pop(future)
                try:
                    record = future.result()
                except cf.process.BrokenProcessPool:
                    broken = True
                    if attempts[path] < MAX_ATTEMPTS:
                        retry.append((config, path, lock))
                    else:
                        _finish(tally, path, _lost_record(config, f"worker process died {MAX_ATTEMPTS} times"), lock, out)
                    continue
                _finish(tally, path, record, lock, out)
            if not broken:
                while len(in_flight) < workers and submit_next():
                    pass
        pool.shutdown(wait=True, cancel_futures=True)
        if not retry:
            return tally


def run_ray(configs, results, workers, address, verbose, out):
    """Runs as Ray tasks; each returns its record and the driver writes it."""
    import ray

    from experiments.runner import limit_threads

    def ray_run(config):
        limit_threads(1)
        return _run_in_worker(config, verbose)

    env = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    if address:
        ray.init(address=address, runtime_env={"env_vars": env}, log_to_driver=verbose)
    else:
        ray.init(num_cpus=workers, include_dashboard=False, runtime_env={"env_vars": env}, log_to_driver=verbose)
    # Ray re-runs a task whose worker died (max_retries); the driver writes each record once.
    remote = ray.remote(num_cpus=1, max_retries=MAX_ATTEMPTS - 1)(ray_run)
    capacity = max(1, int(ray.cluster_resources().get("CPU", workers)))
    tally = Tally(total=len(configs))
    claims = _claim(configs, results, tally)
    in_flight = {}
    try:
        while True:
            while len(in_flight) < capacity and (item := next(claims, None)) is not None:
                in_flight[remote.remote(item[0])] = item
            if not in_flight:
                return tally
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            config, path, lock = in_flight.pop(ready[0])
            try:
                record = ray.get(ready[0])
            except Exception as error:  # the task failed every retry
                record = _lost_record(config, f"Ray task failed: {type(error).__name__}: {error}")
            _finish(tally, path, record, lock, out)
    finally:
        for ref, (_, _, lock) in in_flight.items():
            ray.cancel(ref, force=True)
            lock.release()
        ray.shutdown()


def sweep(configs, results, workers=None, executor="local", address=None, verbose=False, out=sys.stderr):
    """Run every config of the grid not done yet; print a summary; return the tally."""
    workers = workers or os.cpu_count() or 1
    if executor == "local":
        tally = run_local(configs, results, workers, verbose, out)
    elif executor == "ray":
        tally = run_ray(configs, results, workers, address, verbose, out)
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
    return tally
