"""Which runs a sweep does: claimed through lock files, in packs, and released once written.

A run is owned through its lock file while it runs, so two sweeps on one results folder
never run the same run twice. Its record is written atomically by the driver before the
lock is released, so a sweep killed at any moment loses at most the runs in flight, and
the next sweep redoes exactly those. Done runs (`ok`, `diverged`) are skipped; `error`
runs are claimed again, and so are runs whose record fails the schema: the invalid file is
moved to `runs/.invalid/` (never deleted) and named in one line.
"""

from dataclasses import dataclass, field
from pathlib import Path

from experiments import config as cfg
from experiments import records, run_lock
from experiments.training.record import new_record, pack_key


@dataclass
class ClaimedPack:
    """Runs to train together in one graph, with their record paths and the locks this sweep holds."""

    configs: list = field(default_factory=list)
    paths: list = field(default_factory=list)
    locks: list = field(default_factory=list)
    attempts: int = 0


def _claim_one(config, results, tally, notify):
    """(path, lock) if this sweep should do the run, taking its lock; else None."""
    path = records.record_path(results, cfg.run_id(config), config["task"])
    if records.state(path)[0] == "done":
        tally.done_before += 1
        return None
    lock = run_lock.try_lock(path)
    if lock is None:
        tally.busy_elsewhere += 1
        return None
    for stale in records.stale_temporary_files(path):  # a sweep killed while it wrote this record
        stale.unlink(missing_ok=True)
    state, reason = records.state(path)  # again under the lock: another sweep may have finished it meanwhile
    if state == "done":
        lock.release()
        tally.done_before += 1
        return None
    if state == "invalid":
        tally.invalid += 1
        notify(records.set_aside(path, reason))
    return path, lock


def pack_chunks(configs, pack_size):
    """The grid's configs in packs of up to `pack_size`: runs that differ only in their pairing, in order."""
    groups = {}
    for config in configs:
        groups.setdefault(pack_key(config), []).append(config)
    return [group[i : i + pack_size] for group in groups.values() for i in range(0, len(group), pack_size)]


def move_invalid_aside(results, tasks, tally, notify):
    """Move every invalid file under `results/runs/<task>/` of `tasks` to `runs/.invalid/` (not only the
    grid's own records: a stray copy or a record of another seed would keep the report blocked)."""
    for task in sorted(tasks):
        for path in sorted((Path(results) / "runs" / task).glob("*.json")):
            try:
                records.read(path)
            except records.InvalidRecordError as error:
                try:
                    line = records.set_aside(path, error.reason)
                except FileNotFoundError:  # another sweep moved it first
                    continue
                tally.invalid += 1
                notify(line)


def claim(configs, results, tally, pack_size, notify=print):
    """Yield packs of up to `pack_size` runs this sweep should do, their locks taken.

    Invalid files in the grid's task folders are moved aside first (`move_invalid_aside`); the runs
    they stood for are then to do. `notify(line)` is told of each.
    """
    move_invalid_aside(results, {c["task"] for c in configs}, tally, notify)
    paths = {id(c): records.record_path(results, cfg.run_id(c), c["task"]) for c in configs}
    done = [c for c in configs if records.state(paths[id(c)])[0] == "done"]
    tally.done_before += len(done)
    done_ids = {id(c) for c in done}
    # Packs are formed from the runs still to do, so a grid that gained a pairing trains it in full packs.
    for chunk in pack_chunks([c for c in configs if id(c) not in done_ids], pack_size):
        pack = ClaimedPack()
        for config in chunk:
            claimed = _claim_one(config, results, tally, notify)
            if claimed:
                pack.configs.append(config)
                pack.paths.append(claimed[0])
                pack.locks.append(claimed[1])
        if pack.configs:
            yield pack


def finish(pack, recs, progress):
    """Write the pack's records, release its runs, and report each (a record that cannot be written where it
    belongs is kept in the system's temporary folder, and one line says where)."""
    for path, lock, record in zip(pack.paths, pack.locks, recs):
        try:
            kept = records.write_or_keep(path, record)
        finally:
            lock.release()
        if kept != path:
            progress.note(f"could not write {path}; its record was kept at {kept}: move it there to keep it.")
            progress.tally.kept_elsewhere.append(f"{kept} -> {path}")
        progress.finished(record)


def release(pack):
    for lock in pack.locks:
        lock.release()


def lost_record(config, message):
    """The record of a run whose worker never returned one."""
    return {**new_record(config), "error": message, "timing": {"wall_s": 0.0}}
