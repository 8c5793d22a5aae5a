"""The local executor: packs of runs in worker processes, TensorFlow limited to one thread each."""

import atexit
import concurrent.futures as cf
import multiprocessing
import os
import threading
import time

from experiments.interrupts import begin_cleanup
from experiments.sweep.locks import finish, lost_record, release

MAX_ATTEMPTS = 3  # a pack whose worker process dies is resubmitted, up to this many tries


def _watch_parent(parent_pid):
    """Exit this worker when the sweep that started it is gone (killed, say)."""
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(1.0)


def _init_worker(parent_pid, threads):
    from experiments.interrupts import ignore_in_worker
    from experiments.training.speed.process import exit_now, prepare_training_process

    ignore_in_worker()
    prepare_training_process(threads)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    atexit.register(exit_now)


def run_in_worker(configs, verbose):
    from experiments.training.runner import run_pack

    return run_pack(configs, verbose=verbose)


def _stop(pool):
    """End the pool's workers now (they ignore Ctrl-C) and let the pool go without waiting for their packs."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):  # no public API before Python 3.14
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def run_local(claims, progress, workers, verbose):
    """Train the claimed packs in `workers` processes; a pack whose worker dies is retried.

    On Ctrl-C or SIGTERM (a KeyboardInterrupt here) the workers are ended and the interrupt goes on.
    """
    context = multiprocessing.get_context("spawn")
    retry, in_flight = [], {}
    while True:
        pool = cf.ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(os.getpid(), 1))
        try:
            _drain(pool, claims, retry, progress, workers, verbose, in_flight)
        except KeyboardInterrupt:
            begin_cleanup()
            _stop(pool)
            for pack in [*in_flight.values(), *retry]:  # their runs are to do again: their lock files go
                release(pack)
            raise
        pool.shutdown(wait=True, cancel_futures=True)
        if not retry:
            return


def _drain(pool, claims, retry, progress, workers, verbose, in_flight):
    """Run packs on `pool` until none is left or the pool broke (a worker died); failed packs go to `retry`.
    `in_flight` ({future: pack}) holds the packs running, for the caller to release on an interrupt."""
    in_flight.clear()
    broken = False

    def submit_next():
        pack = retry.pop() if retry else next(claims, None)
        if pack is None:
            return False
        pack.attempts += 1
        in_flight[pool.submit(run_in_worker, pack.configs, verbose)] = pack
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
                    finish(
                        pack,
                        [lost_record(c, f"worker process died {MAX_ATTEMPTS} times") for c in pack.configs],
                        progress,
                    )
                continue
            finish(pack, recs, progress)
        if not broken:
            while len(in_flight) < workers and submit_next():
                pass
