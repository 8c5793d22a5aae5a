"""A run's lock: `<run_id>.lock` beside its record, held with `flock` while a process runs it (`run`, `sweep`,
`rescore`), and removed when it lets go, so a finished folder holds no lock files."""

import fcntl
import os
from pathlib import Path


class RunLock:
    """A run's lock file `<run_id>.lock`, held through `flock`; `release` removes the file, so a finished run
    leaves none behind."""

    def __init__(self, path, fd):
        self.path, self.fd = path, fd

    def release(self):
        """Let go (once; again is a no-op)."""
        if self.fd is None:
            return
        # Removed while still held: a process that opens the name after this makes a new file, and one that
        # opened the old file before it finds, once it holds it, that it is no longer the name (`try_lock`).
        self.path.unlink(missing_ok=True)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None


def make_folder(folder):
    """Make `folder` (and its parents) where records go; raise a one-line ValueError where a file or a dangling
    link stands in its way (`mkdir` would say only "File exists" or "Not a directory")."""
    folder = Path(folder)
    for part in (folder, *folder.parents):
        if part.is_symlink() and not part.exists():
            raise ValueError(f"{part} is a dangling link where a folder goes; remove it, or name another --results.")
        if part.exists() and not part.is_dir():
            raise ValueError(f"{part} is a file where a folder goes; move it away, or name another --results.")
        if part.exists():
            break
    folder.mkdir(parents=True, exist_ok=True)


def try_lock(path):
    """The run's `RunLock` if no other process holds it, else None (never waits).

    The lock is `flock` on `<run_id>.lock`, checked to still be the file of that name once held: its holder
    removes it on release (`RunLock.release`), and a lock taken on a removed file would lock nothing.
    """
    lock_path = Path(path).with_suffix(".lock")
    make_folder(lock_path.parent)
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            current = os.stat(lock_path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:
            return RunLock(lock_path, fd)
        os.close(fd)  # released and removed between our open and our flock: take the name's new file
