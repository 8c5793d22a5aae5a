"""`sweep --dry-run`: the grid, what is done already, and a wall-time estimate; nothing written, nothing started.

The estimate comes from earlier runs of the same task on this machine (any results folder
under the results root): their training time per image and epoch, at their pack size, and
their evaluation and start-up time per pack. Tasks never run here get no estimate.
"""

import math
import platform
from pathlib import Path

import numpy as np

from experiments import config as cfg
from experiments import records
from experiments.sweep.claims import pack_chunks


def grid_status(configs, results, pack_size):
    """(done, to_do configs, packs to train) of the grid in `results`, reading only; packs as the sweep forms them."""
    done, to_do = [], []
    for config in configs:
        path = records.record_path(results, cfg.run_id(config), config["task"])
        (done if records.is_done(path) else to_do).append(config)
    waiting = {id(c) for c in to_do}
    packs = [p for chunk in pack_chunks(configs, pack_size) if (p := [c for c in chunk if id(c) in waiting])]
    return done, to_do, packs


def _earlier_runs(roots, task):
    """Finished runs of `task` measured on this machine, in the results folders `roots` and their profiles'."""
    here = platform.platform()
    found = []
    paths = {
        p
        for root in roots
        for pattern in (f"runs/{task}/*.json", f"*/runs/{task}/*.json")
        for p in Path(root).glob(pattern)
    }
    for path in sorted(paths):
        r = records.read(path)
        timing = (r or {}).get("timing") or {}
        if r and r["status"] == "ok" and (r.get("environment") or {}).get("platform") == here and timing.get("train_s"):
            found.append(r)
    return found


def pack_seconds(pack, earlier):
    """Estimated wall time of one pack from `earlier` runs of its task here, or NaN."""
    config = pack[0]
    if not earlier:
        return float("nan")
    per_image_epoch = []  # seconds per training image, epoch and branch
    overhead = []  # seconds per pack outside training: start-up, data, tracing, evaluation
    for r in earlier:
        t, images = r["timing"], r["data"]["train_examples"]
        per_image_epoch.append(t["train_s"] / (max(t["epochs_run"], 1) * images * t["pack_size"]))
        overhead.append(t["wall_s"] - t["train_s"])
    images = earlier[0]["data"]["train_examples"]
    if config["train_limit"]:
        images = min(images, config["train_limit"])
    return float(np.median(per_image_epoch) * images * config["epochs"] * len(pack) + np.median(overhead))


def describe(configs, results, pack_size, workers, roots):
    """The dry run's lines."""
    done, to_do, packs = grid_status(configs, results, pack_size)
    lines = [
        f"dry run: {len(configs)} runs in the grid; {len(done)} done already in {results}; "
        f"{len(to_do)} to run in {len(packs)} packs (up to {pack_size} runs each)."
    ]
    earlier = {task: _earlier_runs(roots, task) for task in {pack[0]["task"] for pack in packs}}  # read once per task
    by_task = {}
    for pack in packs:
        by_task.setdefault(pack[0]["task"], []).append(pack_seconds(pack, earlier[pack[0]["task"]]))
    total = 0.0
    for task, seconds in by_task.items():
        if any(math.isnan(s) for s in seconds):
            lines.append(f"  {task}: {len(seconds)} packs; no earlier run of {task} on this machine, so no estimate")
            total = float("nan")
        else:
            lines.append(f"  {task}: {len(seconds)} packs, about {sum(seconds) / 60:.1f} min of one core")
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
            "(from earlier runs' timings here; packs run in parallel)"
        )
    return lines
