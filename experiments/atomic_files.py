"""Files written whole or not at all: each through a temporary file renamed into place, and a render's files all
moved into place together once every one of them is written (`staged`).

A reader, or a process stopped at any moment (Ctrl-C, SIGTERM, a full disk), never sees half a file, and an
interrupted render leaves the previous one as it was, byte for byte.
"""

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _process_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once: os.umask can only be read by setting it, which is not safe beside other threads.
UMASK = _process_umask()


# The render in progress (`staged`): its folder, and the (temporary, final) paths of the files it wrote there.
_STAGE = {"root": None, "files": {}}


def _stage(final, tmp):
    """Let the temporary file `tmp` wait to replace `final` when the render ends; written twice in one render, the
    later one stays and the earlier temporary file goes."""
    earlier = _STAGE["files"].pop(final, None)
    if earlier is not None:
        earlier.unlink(missing_ok=True)
    _STAGE["files"][final] = tmp


@contextmanager
def replaced(path):
    """Yield a temporary path beside `path` (same suffix, so writers that go by it choose the same format); when
    the block ends, it replaces `path` in one rename. On any exception, Ctrl-C or SIGTERM included, or a full
    disk, the temporary file is removed and `path` is left as it was: a finished render is never half-overwritten.

    Inside `staged(folder)`, a file under `folder` is not renamed into place when its block ends but when the
    whole render does, with all the others.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f"{path.suffix}.part{path.suffix}")
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~UMASK)
        yield Path(tmp)
        root = _STAGE["root"]
        if root is not None and path.absolute().is_relative_to(root):
            _stage(path.absolute(), Path(tmp))
        else:
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class NothingReplaced(ValueError):
    """A render stopped before it moved any file into place: the previous one is whole."""


class PartlyReplaced(ValueError):
    """A render's final moves stopped part way (a file that cannot be replaced): the folder holds two renders."""


@contextmanager
def staged(folder):
    """Within the block, every file written under `folder` through `replaced` waits beside its final name; when
    the block ends without an exception, each is moved into place with `os.replace`. On an exception (Ctrl-C,
    SIGTERM, a full disk) they are removed and every file of the previous render is left as it was, byte for
    byte.

    Raises:
        Whatever the block raises, after the clean-up.
    """
    _STAGE.update(root=Path(folder).absolute(), files={})
    try:
        yield
        blocked = [final for final in _STAGE["files"] if final.is_dir() and not final.is_symlink()]
        if blocked:  # found before any move: a move onto a folder would fail after others had replaced files
            raise NothingReplaced(
                f"{blocked[0]} is a folder where the render writes a file ({len(blocked)} such); move it away and "
                "render again: no earlier file was replaced."
            )
        moves = list(_STAGE["files"].items())
        for done, (final, tmp) in enumerate(moves):
            try:
                os.replace(tmp, final)
            except OSError as error:
                if not done:
                    raise
                raise PartlyReplaced(
                    f"{done} of the new render's {len(moves)} files were moved into place before {final} could not "
                    f"be ({error.strerror or error}): the folder holds files of two renders, as its "
                    "RENDER_INCOMPLETE.txt says; render again once it can be written."
                ) from None
    except BaseException:
        discard_staged()
        raise
    finally:
        _STAGE.update(root=None, files={})


def staged_files():
    """The render in progress's waiting files, {final path: temporary path} (a forked writer hands them back)."""
    return dict(_STAGE["files"])


def adopt_staged(files):
    """Add `files` ({final: temporary}, another process's `staged_files`) to the render in progress: moved into
    place with its own files, or removed with them. (Outside a render a forked writer's `replaced` put each file
    in place itself, so there is nothing to adopt.)"""
    for final, tmp in files.items():
        _stage(final, tmp)


def forget_staged():
    """Forget, without removing, the render in progress's waiting files (a forked writer starts with none)."""
    _STAGE["files"] = {}


def discard_staged():
    """Remove the render in progress's waiting files (a render, or a forked writer, that failed)."""
    for tmp in _STAGE["files"].values():
        tmp.unlink(missing_ok=True)
    _STAGE["files"] = {}


def staged_glob(folder, pattern):
    """The files matching `pattern` in `folder` as the render in progress (`staged`) will leave it: those there
    and those it has written but not yet moved into place; sorted."""
    folder = Path(folder).absolute()
    pending = {final for final in _STAGE["files"] if final.parent == folder and final.match(pattern)}
    return sorted({p.absolute() for p in folder.glob(pattern)} | pending)


def write_text_atomic(path, text, encoding="utf-8"):
    """Write `text` to `path` through `replaced`; returns `path`."""
    with replaced(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)
