"""`sweep --dry-run`: the grid, what is done already, and a wall-time estimate; nothing written, nothing started.

The estimate comes from earlier runs of the same task on this machine (any results folder
under the results root): their training time per image and epoch, at their pack size, and
their evaluation and start-up time per pack. With `--calibrate`, a task never run here is
estimated from a 10-second calibration (`calibrate.py`) and the task's runs on another
machine; otherwise it gets no estimate.
"""

import math
import platform
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from experiments import config as cfg
from experiments import records
from experiments.sweep.locks import pack_chunks


def grid_status(configs, results, pack_size):
    """(done, to_do configs, packs to train) of the grid in `results`, reading only; packs as the sweep forms them."""
    done, to_do = [], []
    for config in configs:
        path = records.record_path(results, cfg.run_id(config), config["task"])
        # An invalid record is to do: the sweep moves it aside and retrains it.
        (done if records.state(path)[0] == "done" else to_do).append(config)
    packs = pack_chunks(to_do, pack_size)  # as the sweep forms them: from the runs still to do
    return done, to_do, packs


def _earlier_runs(roots, task, here_only=True):
    """Finished runs of `task` measured on this machine (any machine: `here_only=False`), in the results
    folders `roots` and their profiles'."""
    here = platform.platform()
    found = []
    paths = {
        p
        for root in roots
        for pattern in (f"runs/{task}/*.json", f"*/runs/{task}/*.json")
        for p in Path(root).glob(pattern)
    }
    for path in sorted(paths):
        try:
            r = records.read(path)
        except records.InvalidRecordError:
            continue
        timing = (r or {}).get("timing") or {}
        machine = (r or {}).get("environment", {}).get("platform")
        if r and r["status"] == "ok" and (machine == here or not here_only) and timing.get("train_s"):
            found.append(r)
    return found


@dataclass(frozen=True)
class Rates:
    """A task's cost on one machine: seconds per training image, epoch and branch; seconds per pack
    outside training (start-up, data, tracing, evaluation); and its training images."""

    per_image_epoch: float
    overhead: float
    images: int


def rates(runs):
    """The medians of `runs` (finished runs of one task) as `Rates`, or None without runs."""
    if not runs:
        return None
    per_image_epoch = [
        r["timing"]["train_s"]
        / (max(r["timing"]["epochs_run"], 1) * r["data"]["train_examples"] * r["timing"]["pack_size"])
        for r in runs
    ]
    overhead = [r["timing"]["wall_s"] - r["timing"]["train_s"] for r in runs]
    return Rates(float(np.median(per_image_epoch)), float(np.median(overhead)), runs[0]["data"]["train_examples"])


def calibrated_rates(roots, task, calibration):
    """`task`'s rates here, from its runs on another machine and this machine's `calibration`.

    Its costs there (the records shipped in `results/`, say), times this machine's speed relative
    to that machine's on the calibration task. None if no machine has runs of both.
    """
    from experiments.sweep.calibrate import CALIBRATION_TASK

    theirs, reference = rates(_earlier_runs(roots, task, False)), rates(_earlier_runs(roots, CALIBRATION_TASK, False))
    if theirs is None or reference is None:
        return None
    speed = calibration["per_image_epoch"] / reference.per_image_epoch
    return Rates(theirs.per_image_epoch * speed, theirs.overhead * speed, theirs.images)


def pack_seconds(pack, task_rates):
    """Estimated wall time of one pack from its task's `Rates` here, or NaN without them."""
    config = pack[0]
    if task_rates is None:
        return float("nan")
    images = min(task_rates.images, config["train_limit"]) if config["train_limit"] else task_rates.images
    return float(task_rates.per_image_epoch * images * config["epochs"] * len(pack) + task_rates.overhead)


def describe(configs, results, pack_size, workers, roots, calibrate=None):
    """The dry run's lines. `calibrate`: a function returning this machine's calibration, called
    (once) only if some task of the grid has no earlier run here."""
    done, to_do, packs = grid_status(configs, results, pack_size)
    lines = [
        f"dry run: {len(configs)} runs in the grid; {len(done)} done already in {results}; "
        f"{len(to_do)} to run in {len(packs)} packs (up to {pack_size} runs each)."
    ]
    here = {task: rates(_earlier_runs(roots, task)) for task in {pack[0]["task"] for pack in packs}}  # read once
    calibrated = set()
    if calibrate is not None and None in here.values():
        calibration = calibrate()
        lines.append(
            f"calibration: {calibration['seconds']:.0f} s here, {1e6 * calibration['per_image_epoch']:.0f} µs per "
            "training image, epoch and branch of a bird_plane pack"
        )
        for task, found in here.items():
            if found is None and (scaled := calibrated_rates(roots, task, calibration)) is not None:
                here[task] = scaled
                calibrated.add(task)
    by_task = {}
    for pack in packs:
        by_task.setdefault(pack[0]["task"], []).append(pack_seconds(pack, here[pack[0]["task"]]))
    total = 0.0
    for task, seconds in by_task.items():
        if any(math.isnan(s) for s in seconds):
            lines.append(f"  {task}: {len(seconds)} packs; no earlier run of {task} on this machine, so no estimate")
            total = float("nan")
        else:
            how = " (calibrated: other machines' runs of it, scaled)" if task in calibrated else ""
            lines.append(f"  {task}: {len(seconds)} packs, about {sum(seconds) / 60:.1f} min of one core{how}")
            total += sum(seconds)
    if packs:
        seconds = total / workers
        estimate = (
            "unknown"
            if math.isnan(total)
            else (f"about {seconds / 60:.0f} min" if seconds >= 90 else f"about {seconds:.0f} s")
        )
        lines.append(
            f"estimated wall time with {workers} workers: {estimate} "
            "(from earlier runs' timings"
            + (" and the calibration" if calibrated else " here")
            + "; packs run in parallel)"
            + ("; add --calibrate for the tasks never run here" if math.isnan(total) and not calibrate else "")
        )
    return lines
