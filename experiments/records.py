"""Run records on disk: one JSON file per run, written atomically, locked while running.

Layout: `RESULTS/runs/<task>/<run_id>.json`, with `<run_id>.lock` beside it while a
process owns the run. A record is written to a temporary file in the same folder,
flushed to disk, then renamed over its final name, so a reader (or a sweep killed at
any moment) sees either no record or a whole one.
"""

import base64
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

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


def _jsonable(value):
    """NaN and infinities as null: JSON has no spelling for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _process_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once: os.umask can only be read by setting it, which is not safe beside other threads.
_UMASK = _process_umask()


def write_atomic(path, record):
    """Write `record` to `path` through a temporary file renamed into place.

    The file gets the permissions of an ordinary new file (0644 under the usual umask),
    not `mkstemp`'s 0600, so a results folder shared on a cluster stays readable.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "w") as f:
            json.dump(_jsonable(record), f, indent=1, allow_nan=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def stale_temporary_files(path):
    """Temporary files a writer of the record at `path` left behind (killed inside `write_atomic`).

    Only the process that holds the run's lock writes its record, so while it holds the
    lock every such file is stale and can be removed.
    """
    path = Path(path)
    return sorted(path.parent.glob(f".{path.stem}.*.tmp"))


def read(path):
    """The record at `path`, or None if there is none or it is not a whole record."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and "status" in record else None


def is_done(path):
    record = read(path)
    return record is not None and record["status"] in DONE_STATUSES


def try_lock(path):
    """The run's lock if no other process holds it, else None (never waits)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(Path(path).with_suffix(".lock")))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return None
    return lock


def load_all(results):
    """Every whole record under `results/runs`, in a stable order."""
    return [r for p in sorted(Path(results).glob("runs/*/*.json")) if (r := read(p)) is not None]
