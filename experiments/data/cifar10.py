"""CIFAR-10 from a local archive, the Keras cache, the embedded subset, or tensorflow-datasets.

Sources (`SOURCES`); with none forced, the first that has the data wins, in this order:
1. `archive`: a local archive named by the `archive` argument (the `--cifar10-archive`
   option) or the `CIFAR10_ARCHIVE` environment variable: the official
   `cifar-10-python.tar.gz`, or its extracted `cifar-10-batches-py` folder (or a folder
   that holds one);
2. `keras-cache`: the Keras cache (`$KERAS_HOME/datasets` or `~/.keras/datasets`) where
   `keras.datasets.cifar10` has already downloaded it;
3. `embedded`: the subset of real CIFAR-10 images shipped in this package (5,085 train,
   1,017 test; see `experiments/data/README.md`), so the suite runs offline on a fresh
   machine. Results computed from it say so: it is not full CIFAR-10.
`tfds` (a download of the full data set, about 160 MB, through tensorflow-datasets) is
used only when asked for, since training on all of it takes hours on a CPU.

Batches are unpickled by a restricted unpickler that accepts only what a CIFAR-10
batch holds (NumPy arrays, lists, strings, numbers): a tampered pickle that names
any other global, such as `os.system`, is refused before anything runs. The reader
counts images per batch instead of assuming 10,000, so subsets work.

Images are returned as uint8 `(N, 32, 32, 3)`, labels as int64 class ids.
"""

import functools
import io
import os
import pickle
import socket
import tarfile
import zlib
from importlib import resources
from pathlib import Path

import numpy as np

from experiments.data import Split

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
ENV_VAR = "CIFAR10_ARCHIVE"
DOWNLOAD_HOST = ("storage.googleapis.com", 443)
EMBEDDED_ARCHIVE = "cifar-10-python-subset.tar.gz"
SOURCES = ("archive", "keras-cache", "embedded", "tfds")

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


def keras_cache_folder():
    """Where `keras.datasets.cifar10` leaves the extracted batches."""
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return home / "datasets" / FOLDER


def network_available(host=DOWNLOAD_HOST, timeout=3.0):
    """Whether the download host answers within `timeout` seconds (never hangs)."""
    try:
        with socket.create_connection(host, timeout=timeout):
            return True
    except OSError:
        return False


def download_with_tfds(data_dir=None):
    """CIFAR-10 through tensorflow-datasets (downloads once into its data folder)."""
    import tensorflow_datasets as tfds

    (x_train, y_train), (x_test, y_test) = tfds.as_numpy(
        tfds.load("cifar10", split=["train", "test"], batch_size=-1, as_supervised=True, data_dir=data_dir)
    )
    return Split(
        np.asarray(x_train, dtype="uint8"),
        np.asarray(y_train, dtype="int64"),
        np.asarray(x_test, dtype="uint8"),
        np.asarray(y_test, dtype="int64"),
        source=f"CIFAR-10 via tensorflow-datasets ({len(x_train)} train, {len(x_test)} test images)",
    )


def _options_text(cached):
    return (
        f"--cifar10-archive PATH or {ENV_VAR}=PATH (cifar-10-python.tar.gz or its extracted {FOLDER} folder); "
        f"--data-source keras-cache (the Keras cache at {cached}); --data-source embedded (the subset "
        "shipped with the suite); --data-source tfds (downloads full CIFAR-10, about 160 MB, needs the network)"
    )


# Splits handed to this process by the sweep's driver (a Ray worker gets them through the
# object store), by fingerprint: a run planned on that data reads no file.
_PROVIDED = {}


def provide(split):
    """Serve `split` to every later `load` asking for its fingerprint, without reading a file."""
    _PROVIDED[split.fingerprint()] = split


def load(archive=None, source=None, fingerprint=None):
    """CIFAR-10 from `source` (one of `SOURCES`), or from the first source that has it.

    With `fingerprint` (what `preflight` found when the run was planned), the data must
    still be the same; a split handed over with `provide` is used as it is. Raises
    `CifarDataError` naming the options when the asked-for source cannot give it.
    """
    if fingerprint in _PROVIDED:
        return _PROVIDED[fingerprint]
    split = _load(archive, source)
    if fingerprint is not None and split.fingerprint() != fingerprint:
        raise CifarDataError(
            f"{split.source} has fingerprint {split.fingerprint()}, but the run was planned on CIFAR-10 data with "
            f"fingerprint {fingerprint}: the data changed since the sweep was planned. Plan the sweep again."
        )
    return split


def _load(archive, source):
    archive = archive or os.environ.get(ENV_VAR)
    cached = keras_cache_folder()
    if source is None:
        if archive:
            source = "archive"
        elif cached.is_dir():
            source = "keras-cache"
        else:
            source = "embedded"
    if source == "archive":
        if not archive:
            raise CifarDataError(f"--data-source archive needs an archive; use {_options_text(cached)}.")
        return read_archive(str(Path(archive).expanduser().resolve()))
    if source == "keras-cache":
        if not cached.is_dir():
            raise CifarDataError(
                f"The Keras cache holds no CIFAR-10 ({cached} does not exist); use {_options_text(cached)}."
            )
        return read_archive(str(cached))
    if source == "embedded":
        return read_embedded()
    if source == "tfds":
        if not network_available():
            raise CifarDataError(
                "--data-source tfds needs the network to download CIFAR-10, "
                f"and it does not answer; use {_options_text(cached)}."
            )
        return download_with_tfds()
    raise CifarDataError(f"Unknown CIFAR-10 data source {source!r}; valid: {', '.join(SOURCES)}.")


# The data options of a task that reads CIFAR-10, with their defaults: where to read it
# from (`archive`, `source`: see `load`), and the fingerprint the sweep found when it
# planned the run (`preflight`), which the run checks, so a run cannot silently train on
# other data than its record's run id stands for.
DATA_OPTIONS = {"cifar10_archive": None, "data_source": None, "cifar10_fingerprint": None}


def load_options(options):
    """`load`'s arguments from a task's data options (see `DATA_OPTIONS`)."""
    return {
        "archive": options.get("cifar10_archive"),
        "source": options.get("data_source"),
        "fingerprint": options.get("cifar10_fingerprint"),
    }


def preflight(configs):
    """Find CIFAR-10 for every run of `configs` that needs it, before anything is trained.

    Returns the configs with the data's fingerprint in their data options (it enters
    their run ids, so runs on other data are other runs) and the sources found, one
    line each. Raises `CifarDataError`, naming the options, if a source has no data.
    """
    found, out = {}, []
    for config in configs:
        data = config["data"]
        if "cifar10_archive" not in data:
            out.append(config)
            continue
        key = (data["cifar10_archive"] or os.environ.get(ENV_VAR), data["data_source"])
        if key not in found:
            found[key] = load(*key)
        out.append({**config, "data": {**data, "cifar10_fingerprint": found[key].fingerprint()}})
    return out, sorted({split.source for split in found.values()})
