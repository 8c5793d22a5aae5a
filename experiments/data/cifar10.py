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

import os
import socket
from pathlib import Path

import numpy as np

from experiments.data import Split
from experiments.data.cifar10_archive import FOLDER, CifarDataError, read_archive, read_embedded

ENV_VAR = "CIFAR10_ARCHIVE"
DOWNLOAD_HOST = ("storage.googleapis.com", 443)
SOURCES = ("archive", "keras-cache", "embedded", "tfds")


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
