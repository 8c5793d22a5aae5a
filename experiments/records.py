"""Run records on disk: one JSON file per run, written atomically, locked while running.

Layout: `RESULTS/runs/<task>/<run_id>.json` (its lock: `experiments.run_lock`). A record is written to a temporary
file in the same folder, flushed, then renamed over its final name, so a reader (or a sweep killed at any moment)
sees either no record or a whole one.
"""

import base64
import datetime
import errno
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from experiments.atomic_files import UMASK
from experiments.record_schema import schema_error

# A record with one of these statuses is done; an `error` record is retried by the next sweep.
DONE_STATUSES = ("ok", "diverged")


def encode_array(array, dtype="float32"):
    """A NumPy array as JSON: dtype, shape and its little-endian bytes in base64 (compact, exact)."""
    array = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<"))
    return {
        "dtype": np.dtype(dtype).name,
        "shape": list(array.shape),
        "base64": base64.b64encode(array.tobytes()).decode("ascii"),
    }


def decode_array(encoded):
    """The array `encode_array` stored."""
    raw = base64.b64decode(encoded["base64"])
    return np.frombuffer(raw, dtype=np.dtype(encoded["dtype"]).newbyteorder("<")).reshape(encoded["shape"]).copy()


def record_path(results, config_run_id, task):
    return Path(results) / "runs" / task / f"{config_run_id}.json"


def jsonable(value):
    """NaN and infinities as null: JSON has no spelling for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def read_only(path):
    """Whether the file at `path` has no write bit in its mode (`chmod a-w`): its owner wants it kept as it is.

    A rename replaces a file whatever its mode, and root may write any file; the suite reads the mode itself.
    """
    try:
        return Path(path).stat().st_mode & 0o222 == 0
    except OSError:
        return False


def write_atomic(path, record):
    """Write `record` to `path` through a temporary file renamed into place.

    The file gets the permissions of an ordinary new file (0644 under the usual umask),
    not `mkstemp`'s 0600, so a results folder shared on a cluster stays readable.

    Raises:
        PermissionError: a file at `path` is read-only (`read_only`): it is never replaced.
    """
    path = Path(path)
    if read_only(path):
        raise PermissionError(
            errno.EACCES, "read-only (no write bit in its mode; chmod u+w to let it be replaced)", str(path)
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~UMASK)
        with os.fdopen(fd, "w") as f:
            json.dump(jsonable(record), f, indent=1, allow_nan=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_or_keep(path, record):
    """Write `record` to `path` (`write_atomic`); if that fails (a read-only or full folder, an immutable
    file), keep it in the system's temporary folder instead, so no training is lost. Returns where it is.

    Raises:
        OSError: neither place could be written.
    """
    try:
        write_atomic(path, record)
        return Path(path)
    except OSError:
        fd, kept = tempfile.mkstemp(prefix=f"{Path(path).stem}.", suffix=".json")
        os.close(fd)
        write_atomic(kept, record)
        return Path(kept)


def stale_temporary_files(path):
    """Temporary files a writer of the record at `path` left behind (killed inside `write_atomic`).

    Only the process that holds the run's lock writes its record, so while it holds the
    lock every such file is stale and can be removed.
    """
    path = Path(path)
    return sorted(path.parent.glob(f".{path.stem}.*.tmp"))


# Where `sweep` moves records that fail the schema (never deleted): RESULTS/runs/.invalid/<task>/.
INVALID_FOLDER = ".invalid"


class InvalidRecordError(ValueError):
    """A file where a record should be that does not parse or does not match the schema.

    Attributes:
        path: The file.
        reason: What is wrong with it, in one line.
    """

    def __init__(self, path, reason):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: invalid record ({reason}).")


# Metrics that are shares of images or of rankings: a value outside [0, 1] was not measured.
BOUNDED_METRICS = ("accuracy", "balanced_accuracy", "roc_auc", "macro_auc", "mean_ap", "ece")


def _check_outcome(record, path):
    """What the schema cannot say: a finished run's test metrics are finite, and its headline is there.

    JSON has no NaN (`write_atomic` writes null), so a NaN here was put there by hand or by another
    writer; a run whose headline metric is missing or not finite was not measured, whatever its status.
    """
    if record["status"] != "ok":
        return
    for key in ("test_outputs", "test_targets"):  # the evidence a report recomputes its numbers from
        if key in record:
            try:
                decode_array(record[key])
            except (KeyError, TypeError, ValueError) as error:  # binascii.Error is a ValueError
                reason = f"{key} cannot be decoded ({type(error).__name__}: {error})"[:300]
                raise InvalidRecordError(path, reason) from None
    epochs, rows = record["config"]["epochs"], len(record["history"])
    if rows != epochs + 1:  # a run that trained writes epoch 0 and every epoch after it
        raise InvalidRecordError(path, f"history has {rows} row(s) for {epochs} epochs and epoch 0: not a finished run")
    from experiments.tasks import get_task
    from experiments.training.metrics import HEADLINE

    for key, value in record["final"].items():
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidRecordError(path, f"final/{key} is {value}, not a finite number")
        if key in BOUNDED_METRICS and isinstance(value, (int, float)) and not 0.0 <= value <= 1.0:
            raise InvalidRecordError(path, f"final/{key} is {value}; a share, it lies in [0, 1]")
    try:
        headline = HEADLINE[get_task(record["task"]).kind]
    except ValueError:
        return  # an unknown task: the report names it
    if record["final"].get(headline) is None:
        raise InvalidRecordError(path, f"final/{headline} is missing: a finished {record['task']} run reports it")


def validate(record, path):
    """Raise `InvalidRecordError` unless `record` matches the schema and the place it is stored at.

    A record lives at `runs/<task>/<run_id>.json`: its `task` and `run_id` must say so, or it
    would be counted as another run's.
    """
    if not isinstance(record, dict):
        raise InvalidRecordError(path, f"expected a JSON object, found {type(record).__name__}")
    wrong = schema_error(record)
    if wrong:
        raise InvalidRecordError(path, wrong)
    _check_outcome(record, path)
    path = Path(path)
    if record["run_id"] != path.stem:
        raise InvalidRecordError(path, f"its run_id {record['run_id']!r} is not its file name {path.stem!r}")
    if record["task"] != path.parent.name:
        raise InvalidRecordError(path, f"its task {record['task']!r} is not its folder {path.parent.name!r}")
    for key in ("task", "pairing", "seed"):  # one run: the record, its config and its run id say the same
        if key in record["config"] and record["config"][key] != record[key]:
            raise InvalidRecordError(path, f"its {key} {record[key]!r} is not its config's {record['config'][key]!r}")
    if not record["run_id"].startswith(f"{record['task']}__{record['pairing']}__s{record['seed']}__"):
        raise InvalidRecordError(
            path, f"its task, pairing and seed are not those its run_id {record['run_id']!r} names"
        )
    return record


MOST_RECORD_BYTES = 64 * 2**20  # a record with its test outputs is at most a few MB


def read(path):
    """The record at `path`, checked against the schema; None if there is no file.

    Raises:
        InvalidRecordError: the file is unreadable, not JSON, or not a record of this run.
    """
    path = Path(path)
    if path.exists() and not path.is_file():  # a FIFO or a device would block the read forever; a folder fails it
        raise InvalidRecordError(path, "is not a regular file (a FIFO, a folder or a device); a record is a JSON file")
    if path.is_file() and path.stat().st_size > MOST_RECORD_BYTES:
        raise InvalidRecordError(
            path, f"is {path.stat().st_size:,} bytes, more than any record ({MOST_RECORD_BYTES:,})"
        )
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise InvalidRecordError(path, f"cannot be read: {error.strerror or error}") from None
    try:
        record = json.loads(text)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidRecordError(path, f"not JSON ({str(error)[:120]})") from None
    return validate(record, path)


def is_done(path):
    """True if a valid record with a finished status (`ok`, `diverged`) is at `path`.

    Raises:
        InvalidRecordError: as `read`.
    """
    record = read(path)
    return record is not None and record["status"] in DONE_STATUSES


def state(path):
    """("done" | "to do" | "invalid", why it is invalid or None): the record at `path`, for planning and claiming."""
    try:
        return ("done" if is_done(path) else "to do"), None
    except InvalidRecordError as error:
        return "invalid", error.reason


def set_aside(path, reason):
    """Move the invalid record at `path` aside (`move_aside`); the one line that says so."""
    return f"invalid record moved aside: {path} ({reason}) -> {move_aside(path)}"


def move_aside(path):
    """Move an invalid record to `runs/.invalid/<task>/` under a time-stamped name; return the new path."""
    path = Path(path)
    folder = path.parent.parent / INVALID_FOLDER / path.parent.name
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S%f")
    target = folder / f"{path.stem}.{stamp}.json"
    os.replace(path, target)
    return target


@dataclass
class Loaded:
    """What a results folder holds: its valid records and the files that are not (`InvalidRecordError`s)."""

    records: list
    invalid: list


def load_all(results):
    """Every record under `results/runs` (not `runs/.invalid`), in a stable order, and the invalid files."""
    valid, invalid = [], []
    for path in sorted(Path(results).glob("runs/*/*.json")):
        if path.parent.name.startswith("."):
            continue
        try:
            record = read(path)
        except InvalidRecordError as error:
            invalid.append(error)
            continue
        if record is not None:
            valid.append(record)
    return Loaded(valid, invalid)
