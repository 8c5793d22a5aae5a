"""Sweeps: the grid of tasks x pairings x seeds, resumable, parallel, local or on Ray.

- `grid`: the run configs of a grid;
- `claims`: which runs this sweep does (lock files, packs) and writing their records;
- `local`, `ray_cluster`: the executors;
- `progress`: counts, the progress bar and a line per finished run.

Nothing here imports Keras or TensorFlow: the driver plans, claims and writes; the
workers train.
"""

import os
import sys

from experiments.config import DEFAULT_PACK_SIZE
from experiments.interrupts import SweepInterrupted, begin_cleanup, exit_code
from experiments.sweep.grid import plan
from experiments.sweep.locks import claim
from experiments.sweep.progress import Progress
from experiments.terminal import listed

EXECUTORS = ("local", "ray")

__all__ = ["DEFAULT_PACK_SIZE", "EXECUTORS", "check_counts", "plan", "sweep"]


def check_counts(workers, pack_size):
    """Raise a one-line ValueError unless `workers` (None: the default) and `pack_size` are positive integers."""
    for flag, value, meaning in (
        ("--workers", workers, "parallel runs, e.g. 2"),
        ("--pack-size", pack_size, "runs per graph, 1 = each run alone"),
    ):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{flag} must be a positive integer ({meaning}), got {value!r}.")


def sweep(
    configs, results, workers=None, executor="local", address=None, verbose=False, out=None, pack_size=DEFAULT_PACK_SIZE
):
    """Run every config of the grid not done yet; print a summary; return the tally.

    Runs of one task and seed that differ only in their pairing are trained in packs
    of up to `pack_size` per graph (1: each run alone); see `experiments.training`.

    Raises:
        SweepInterrupted: Ctrl-C (KeyboardInterrupt) or SIGTERM (`interrupts.Terminated`) stopped it;
            the records written so far are whole, the runs in flight are not written.
    """
    workers = os.cpu_count() or 1 if workers is None else workers
    out = out or sys.stderr  # looked up now: sys.stderr may have been replaced since import
    check_counts(workers, pack_size)
    if executor not in EXECUTORS:
        raise ValueError(f"Unknown executor {executor!r}; valid: {', '.join(EXECUTORS)}.")
    if executor == "ray":
        from experiments.sweep import ray_cluster

        ray_cluster.start(workers, address, verbose)  # a cluster that cannot be joined stops us here
    progress = Progress(len(configs), out)
    claims = claim(configs, results, progress.tally, pack_size, progress.note)
    try:
        if executor == "local":
            from experiments.sweep.local import run_local

            run_local(claims, progress, workers, verbose)
        else:
            ray_cluster.run_ray(claims, progress, workers, verbose)
    except KeyboardInterrupt as interrupt:  # Ctrl-C, or SIGTERM under interrupts.sigterm_as_interrupt
        begin_cleanup()
        progress.bar.leave = False  # the bar is cleared, so the one line stands alone
        done = progress.tally.done_before + progress.tally.finished
        raise SweepInterrupted(done, len(configs), exit_code(interrupt)) from None
    finally:
        progress.close()
    tally = progress.tally
    s = tally.statuses
    invalid = f" ({tally.invalid} invalid record(s) moved aside and run again)" if tally.invalid else ""
    print(
        f"sweep: {len(configs)} runs in the grid; {tally.done_before} already done, "
        f"{tally.finished} run now ({s['ok']} ok, {s['diverged']} diverged, {s['error']} error){invalid}, "
        f"{tally.busy_elsewhere} running in another sweep. Records: {os.path.join(results, 'runs')}",
        file=out,
        flush=True,
    )
    for failure in tally.failures:
        print(f"failed: {failure}", file=out, flush=True)
    if tally.kept_elsewhere:
        print(
            f"error: {len(tally.kept_elsewhere)} record(s) could not be written into {os.path.join(results, 'runs')} "
            f"(a full or read-only disk) and were kept elsewhere; move each where it belongs:\n"
            + listed(tally.kept_elsewhere, first=10),
            file=sys.stderr,
            flush=True,
        )
    return tally
