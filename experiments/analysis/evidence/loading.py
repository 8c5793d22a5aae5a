"""Reading a results folder for analysis: the latest valid record of each run, and what was left out.

Every analysis module reads records through `latest_records`, so a folder with an invalid record is
refused (or, under `--allow-missing`, rendered without the affected pairings) in one place.
"""

import contextlib
import datetime
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from experiments import atomic_files, records
from experiments.tasks import task_file
from experiments.terminal import listed


@dataclass
class Inventory:
    """What a report was rendered from: records read, left out (and why), and invalid files."""

    read: int = 0
    older: int = 0  # older records of the same task, pairing and seed
    excluded: int = 0  # records of a (task, pairing) with an invalid record, under --allow-missing
    invalid: list = field(default_factory=list)  # records.InvalidRecordError, one per file
    # one line per run whose used (newest) record has other settings than an older record it replaced
    other_settings: list = field(default_factory=list)
    unchecked: int = 0  # finished records without stored test outputs: their numbers as written (`check_evidence`)

    def line(self):
        used = self.read - self.older - self.excluded
        text = f"Records: {self.read} read, {used} used, {self.older + self.excluded} skipped"
        if self.older or self.excluded:
            parts = [f"{self.older} older duplicate(s) of a run"] if self.older else []
            parts += [f"{self.excluded} of pairings with an invalid record"] if self.excluded else []
            text += f" ({', '.join(parts)})"
        if self.other_settings:
            shown = "; ".join(self.other_settings[:5]) + ("; ..." if len(self.other_settings) > 5 else "")
            text += (
                f"; **{len(self.other_settings)} run(s) use a newer record with other settings than the older one "
                f"it replaced** ({shown})"
            )
        text += f", {len(self.invalid)} invalid"
        if self.unchecked:
            text += (
                f", **{self.unchecked} without stored test outputs**, whose numbers are shown as they were written: "
                "nothing can check them"
            )
        if self.invalid:
            text += " (" + "; ".join(f"`{e.path.parent.name}/{e.path.name}`: {e.reason}" for e in self.invalid) + ")"
            text += ". The claims and comparisons of pairings with an invalid record are **not measured**"
        return text + "."


def _pairing_of(path):
    """The pairing a record's file name names (`<task>__<pairing>__s<seed>__<hash>.json`), or None."""
    parts = Path(path).stem.split("__")
    return parts[1] if len(parts) == 4 else None


def seed_in_name(path):
    """The seed a record's file name names (`<task>__<pairing>__s<seed>__<hash>.json`), or None."""
    parts = Path(path).stem.split("__")
    return int(parts[2][1:]) if len(parts) == 4 and parts[2][1:].isdigit() else None


# A record is at most a few MB (its test outputs); an invalid file larger than this is not read for its fields.
MOST_BYTES_READ = 64 * 2**20


def _fields_of(path):
    """The JSON object in the invalid record `path`, or {}: only a regular file, only up to `MOST_BYTES_READ`
    (a FIFO would block, a link to /dev/zero would fill the memory)."""
    path = Path(path)
    try:
        if not path.is_file() or path.stat().st_size > MOST_BYTES_READ:
            return {}
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _seed_of(path):
    """The seed an invalid record holds, where its JSON still reads; else the one its file name names
    (`seed_in_name`); else None. A renamed file keeps its own seed."""
    held = _fields_of(path).get("seed")
    if isinstance(held, int) and not isinstance(held, bool) and held >= 0:
        return held
    return seed_in_name(path)


def _profile_of(path):
    """The profile an invalid record names, where it is readable JSON that names one; else None."""
    found = _fields_of(path).get("profile")
    return found if isinstance(found, str) else None


def repair_command(results, loaded):
    """What repairs the folder: the sweep that moves `loaded`'s invalid files aside and retrains those runs
    (with their seeds); for files in a folder that is no task's, moving that folder out of runs/; for a record
    of one task in another task's folder, moving it back."""
    from experiments.config import profile_names
    from experiments.tasks import TASKS

    known = set(profile_names())
    named = {_profile_of(e.path) for e in loaded.invalid} & known
    profiles = sorted({r["profile"] for r in loaded.records} or named) or [
        f"PROFILE (one of {', '.join(sorted(known))})"
    ]
    # A whole record in another task's folder (moved by hand) is put back, not retrained: a sweep of the folder
    # it is in would train that folder's task, another model.
    misplaced = {
        e.path: held
        for e in loaded.invalid
        if (held := _fields_of(e.path).get("task")) in TASKS and held != e.path.parent.name
    }
    folders = {e.path.parent.name for e in loaded.invalid if e.path not in misplaced}
    tasks, strays = sorted(folders & set(TASKS)), sorted(folders - set(TASKS))
    seeds = sorted({s for e in loaded.invalid if (s := _seed_of(e.path)) is not None})
    parts = []
    if tasks:
        seed_args = f" --seeds {' '.join(map(str, seeds))}" if seeds else ""
        parts.append(
            f"python -m experiments sweep --results {results} --profile {profiles[0]} --tasks {' '.join(tasks)}"
            + seed_args
            + f" (a sweep moves invalid files to runs/{records.INVALID_FOLDER}/ and retrains the runs they stood for)"
        )
    parts += [f"move {Path(results) / 'runs' / s} out of runs/ (no task has that name)" for s in strays]
    parts += [
        f"move {path} back to {Path(results) / 'runs' / task}/ (its task's folder)" for path, task in misplaced.items()
    ]
    return "; ".join(parts)


REPORT_STOPS = "no report rendered"


def latest_records(results, allow_missing=False, inventory=None, stops=REPORT_STOPS):
    """Every valid record under `results`, one per (task, pairing, seed): the most recently finished.

    Records of the same run under another config (another profile, say) would otherwise be
    averaged together; the older ones are left out. An invalid record (`records.InvalidRecordError`)
    stops the report: a citable report is never rendered over a folder that lost runs silently.
    With `allow_missing`, every record of a (task, pairing) with an invalid record is left out
    instead, so the claims that need it say "not measured". `inventory` (an `Inventory`) is
    filled with the counts; `stops` names what an invalid record stops, for its message.

    Raises:
        ValueError: invalid records, without `allow_missing`; the message lists them and the repair.
    """
    loaded = records.load_all(results)
    task_file.register_from_records(loaded.records)  # a user's tasks, rebuilt from what their records declare
    inventory = inventory if inventory is not None else Inventory()
    inventory.read, inventory.invalid = len(loaded.records), loaded.invalid
    if loaded.invalid and not allow_missing:
        named = listed(map(str, loaded.invalid))
        allow = f"python -m experiments report --results {results} --allow-missing"
        without = (
            f"; or render without them: `{allow}` (their claims are marked not measured)"
            if stops == REPORT_STOPS
            else ""
        )
        raise ValueError(
            f"{len(loaded.invalid)} invalid record(s) under {Path(results) / 'runs'}; {stops}:\n{named}\n"
            f"Repair: {repair_command(results, loaded)}{without}."
        )
    broken = {(e.path.parent.name, _pairing_of(e.path)) for e in loaded.invalid}
    broken_tasks = {task for task, pairing in broken if pairing is None}
    chosen = {}
    for r in loaded.records:
        if (r["task"], r["pairing"]) in broken or r["task"] in broken_tasks:
            inventory.excluded += 1
            continue
        # One run per task, pairing, seed and the objects it trained with: a Keras-objects run on each backend
        # (`config.backend`) is a run of its own, not an older record of the hand-written one.
        key = (
            r["task"],
            r["pairing"],
            r["seed"],
            r["config"].get("backend") if r["config"].get("objects") == "keras" else None,
        )
        stamp = (r.get("timing") or {}).get("finished_at") or ""
        if key in chosen:  # the newer stays (on a tie, the one read last), and says if its settings differ;
            # a failed run never replaces a finished one (a later run that failed must not hide a result)
            (_, older), (stamp, r) = sorted(
                [chosen[key], (stamp, r)], key=lambda pair: (pair[1]["status"] != "error", pair[0])
            )
            differs = _settings_difference(older["config"], r["config"])
            if differs:
                inventory.other_settings.append(f"{key[0]}/{key[1]}/s{key[2]}: {differs}")
        chosen[key] = (stamp, r)
    inventory.older = inventory.read - inventory.excluded - len(chosen)
    if inventory.older:
        warnings.warn(
            f"{inventory.older} older record(s) of the same task, pairing and seed left out.",
            stacklevel=2,
        )
    return [r for _, r in chosen.values()]


def _settings_difference(old, new):
    """The settings in which two configs of one run differ, in words ("" when none does)."""
    keys = sorted((set(old) | set(new)) - {"seed", "pairing_spec"})  # one run id: one pairing, resolved alike
    parts = [f"{k} {new.get(k)!r} (was {old.get(k)!r})" for k in keys if old.get(k) != new.get(k)]
    return ", ".join(parts)


def check_results_folder(folder):
    """Raise a ValueError unless `folder` is a results folder with at least one run record."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"results folder {folder} does not exist (or is not a folder); name one with runs/ in it.")
    if not any(p for p in folder.glob("runs/*/*.json") if not p.parent.name.startswith(".")):
        raise ValueError(f"results folder {folder} holds no run records (runs/<task>/*.json); sweep into it first.")


# Present while a report is being rendered into a folder: if it stays (the render was interrupted), the
# folder's tables, figures and REPORT.md may come from two renders, and the file says so.
INCOMPLETE = "RENDER_INCOMPLETE.txt"


@contextlib.contextmanager
def rendering(folder):
    """Render into `folder` all at once: every file the block writes (`atomic_files.replaced`) waits beside its final
    name, and all are moved into place only once the block ends without an exception (`atomic_files.staged`).

    On an exception (Ctrl-C, SIGTERM, a full disk) the new files are removed and the previous render is whole,
    as it was. Only an interruption during the final moves (milliseconds) can leave files of two renders; the
    marker `INCOMPLETE` stays then and says so.

    Raises:
        ValueError: the folder cannot be written (read-only), in one line.
    """
    marker = Path(folder) / INCOMPLETE
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(
            f"A report was being rendered here from {stamp} and did not finish moving its files into place: the "
            "tables, figures and reports of this folder may come from two renders (each file is whole). Run "
            "`python -m experiments report` on it again.\n"
        )
    except OSError as error:
        marker.unlink(missing_ok=True)  # a full disk leaves an empty marker behind: not a render's
        raise ValueError(f"cannot write the report into {folder}: {error.strerror or error}.") from None
    moving = False
    try:
        with atomic_files.staged(folder):
            yield
            moving = True  # the block ended: `staged` moves the files into place as it leaves
    except BaseException as error:
        if not moving or isinstance(error, atomic_files.NothingReplaced):  # the previous render is whole
            marker.unlink(missing_ok=True)
        raise
    marker.unlink(missing_ok=True)
