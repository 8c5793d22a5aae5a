"""CIFAR-10 archives: the official `cifar-10-python.tar.gz` layout (or its extracted folder) read safely, and the
subset embedded in the package. A batch pickle may name only NumPy's array reconstruction and `_codecs.encode`;
anything else is refused (`CifarDataError`), so an archive can never run code."""

import functools
import io
import pickle
import tarfile
import zlib
from importlib import resources
from pathlib import Path

import numpy as np

from experiments.data import Split

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
EMBEDDED_ARCHIVE = "cifar-10-python-subset.tar.gz"


# Everything a CIFAR-10 batch pickle may name: NumPy's array reconstruction under
# its NumPy 1 and NumPy 2 module paths, and `_codecs.encode`, with which Python 3
# spells bytes in protocol 2 (a str -> bytes conversion, nothing more). Nothing else
# is importable from a batch.
_ALLOWED_GLOBALS = {
    ("_codecs", "encode"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class CifarDataError(RuntimeError):
    """CIFAR-10 could not be found or read; the message says what to do."""


class _Refused(pickle.UnpicklingError):
    pass


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise _Refused(
            f"refused to load the global {module}.{name}: a CIFAR-10 batch only holds "
            "NumPy arrays, lists, strings and numbers"
        )


def _decode_batch(raw, where):
    """Images (N, 32, 32, 3) uint8 and labels (N,) int64 from one pickled batch."""
    try:
        batch = _BatchUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except _Refused as error:
        raise CifarDataError(f"{where}: not a valid CIFAR-10 batch ({error}).") from None
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        KeyError,
        OverflowError,  # a length field larger than the platform allows
        MemoryError,  # a length field larger than the memory
        RecursionError,
    ) as error:
        raise CifarDataError(
            f"{where}: corrupt or truncated CIFAR-10 batch ({type(error).__name__}: {error})."
        ) from None
    if not isinstance(batch, dict):
        raise CifarDataError(f"{where}: expected a dict with 'data' and 'labels', got {type(batch).__name__}.")
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise CifarDataError(f"{where}: missing 'data' or 'labels' (keys: {sorted(batch)}).")
    data, labels = np.asarray(batch["data"]), np.asarray(batch["labels"], dtype="int64")
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise CifarDataError(f"{where}: 'data' must be uint8 of shape (N, 3072), got {data.dtype} {data.shape}.")
    if labels.shape != (len(data),):
        raise CifarDataError(f"{where}: {len(data)} images but {labels.size} labels.")
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise CifarDataError(f"{where}: labels must be class ids 0-9, found {labels.min()}..{labels.max()}.")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


# The first bytes of the compressions tarfile reads; an uncompressed tar has "ustar" at offset 257.
_TAR_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz"}
_OTHER_MAGIC = {b"PK\x03\x04": "a zip archive", b"PK\x05\x06": "an empty zip archive", b"7z\xbc\xaf": "a 7-Zip archive"}


def _check_tar_magic(path):
    """Raise a one-line `CifarDataError` if the file at `path` is plainly not a tar archive (.tar.gz, say)."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError as error:
        raise CifarDataError(f"{path}: cannot be read ({error.strerror or error}).") from None
    if not head:
        raise CifarDataError(f"{path}: the file is empty (0 bytes), not a tar.gz; point to cifar-10-python.tar.gz.")
    if any(head.startswith(m) for m in _TAR_MAGIC) or head[257:262] == b"ustar":
        return
    kind = next((name for magic, name in _OTHER_MAGIC.items() if head.startswith(magic)), "not a tar archive")
    raise CifarDataError(
        f"{path}: {kind}, not a tar.gz; CIFAR-10's python version is cifar-10-python.tar.gz (or its extracted folder)."
    )


def _read_members(path):
    """The raw bytes of every batch in a `.tar.gz` archive or a batches folder."""
    names = TRAIN_BATCHES + (TEST_BATCH,)
    if path.is_dir():
        folder = path if (path / TEST_BATCH).exists() else path / FOLDER
        missing = [n for n in names if not (folder / n).is_file()]
        if missing:
            raise CifarDataError(f"{path}: no CIFAR-10 batches folder here (missing {', '.join(missing)} in {folder}).")
        return {n: (folder / n).read_bytes() for n in names}
    if path.exists() and not path.is_file():  # a FIFO, a socket or a device: reading it could wait forever
        raise CifarDataError(
            f"{path}: not a regular file; name cifar-10-python.tar.gz or its extracted cifar-10-batches-py folder."
        )
    _check_tar_magic(path)
    try:
        with tarfile.open(path, "r:*") as archive:
            members = {Path(m.name).name: m for m in archive.getmembers() if m.isfile()}
            missing = [n for n in names if n not in members]
            if missing:
                raise CifarDataError(f"{path}: not a CIFAR-10 python archive (missing {', '.join(missing)}).")
            return {n: archive.extractfile(members[n]).read() for n in names}
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise CifarDataError(
            f"{path}: cannot read the archive, it is corrupt or truncated ({type(error).__name__}: {error}). "
            "Download cifar-10-python.tar.gz again or point CIFAR10_ARCHIVE at a good copy."
        ) from None


@functools.lru_cache(maxsize=4)
def read_archive(path):
    """CIFAR-10 from an official archive or batches folder at `path`."""
    path = Path(path).expanduser()
    if not path.exists():
        raise CifarDataError(f"CIFAR-10 archive {path} does not exist.")
    raw = _read_members(path)
    train = [_decode_batch(raw[n], f"{path}:{n}") for n in TRAIN_BATCHES]
    x_test, y_test = _decode_batch(raw[TEST_BATCH], f"{path}:{TEST_BATCH}")
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    source = f"CIFAR-10 archive {path.name} ({len(x_train):,} train, {len(x_test):,} test images)"
    return Split(x_train, y_train, x_test, y_test, source=source)


def embedded_archive():
    """The path of the CIFAR-10 subset shipped in the package."""
    return Path(str(resources.files("experiments.data").joinpath(EMBEDDED_ARCHIVE)))


@functools.lru_cache(maxsize=1)
def read_embedded():
    """The embedded subset of real CIFAR-10 images, labelled as such in its `source`."""
    split = read_archive(str(embedded_archive()))
    source = (
        f"embedded CIFAR-10 subset ({len(split.x_train):,} train, "
        f"{len(split.x_test):,} test real CIFAR-10 images; not full CIFAR-10)"
    )
    return Split(split.x_train, split.y_train, split.x_test, split.y_test, source=source)
