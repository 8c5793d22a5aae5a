"""What the commands share: the results folder, KEY=VALUE options and settings, and the common flags."""

import json
import os
import tempfile
from pathlib import Path

RESULTS_ROOT = "results"


def results_folder(args):
    """`--results`, or `results/<profile>`: each profile's runs, tables and report apart.

    Under a training condition (`--data label_noise=0.4`, say: `experiments.data.conditions`), the default is
    `results/<profile>_<condition>_<value>` (results/atlas_label_noise_0.4), so that the clean matrix and the
    one under the condition never share a folder.

    Raises:
        ValueError: `--results` given but empty (it would silently mean `results/<profile>`).
    """
    if args.results is not None:
        if not args.results.strip():
            raise ValueError("--results is empty; name a folder, or leave the flag out for results/<profile>.")
        return args.results
    return default_results(args.profile, getattr(args, "data", None))


def default_results(profile, data_pairs=()):
    """results/<profile>, with `_<condition>_<value>` for each training condition among `data_pairs`
    (`--data KEY=VALUE` strings). scripts/run_all.sh asks it for the folder its report reads."""
    from experiments.data.conditions import CONDITIONS

    given = key_values(data_pairs, "--data")
    suffix = "".join(f"_{k}_{given[k]}" for k in CONDITIONS if given.get(k) not in (None, 0))  # 0 noise: clean
    return os.path.join(RESULTS_ROOT, profile + suffix)


def check_data_used(data, tasks, args):
    """Raise a ValueError if a `--data` option is taken by none of `tasks` (it would be ignored silently)."""
    from experiments.tasks import get_task

    given = set(key_values(args.data, "--data"))
    taken = {k for t in tasks for k in get_task(t).accepted_options}
    unused = sorted(given - taken)
    if unused:
        valid = sorted(taken - {"cifar10_fingerprint", "cifar10_archive", "data_source"})
        raise ValueError(
            f"--data {', '.join(unused)}: not an option of {', '.join(sorted(tasks))}; "
            f"valid: {', '.join(valid) or 'none'}."
        )


def key_values(pairs, flag):
    """KEY=VALUE strings as a dict; VALUE parsed as JSON where it can be (10, 0.5, null)."""
    out = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"{flag} expects KEY=VALUE, got {pair!r}.")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def settings_from(args):
    from experiments.tasks import TASKS

    overrides = key_values(args.set, "--set")
    for key in ("epochs", "batch_size", "train_limit", "test_limit"):
        if getattr(args, key, None) is not None:
            overrides[key] = getattr(args, key)
    data = key_values(args.data, "--data")
    for flag, key in (("--cifar10-archive", "cifar10_archive"), ("--data-source", "data_source")):
        value = getattr(args, key, None)
        if value is not None and not value.strip():
            raise ValueError(f"{flag} is empty; name a file (or leave the flag out for the embedded subset).")
        if value:
            data[key] = value
    valid = {k for t in TASKS.values() for k in t.accepted_options}
    unknown = sorted(set(data) - valid)
    if unknown:
        raise ValueError(f"Unknown data option(s) {', '.join(unknown)}; valid: {', '.join(sorted(valid))}.")
    return overrides, data


def add_profile_and_results(p):
    from experiments.config import profile_names

    p.add_argument(
        "--profile",
        default="full",
        help=f"settings profile ({', '.join(profile_names())}); default full, the post's",
    )
    p.add_argument("--results", default=None, help="results folder (default: results/<profile>)")


def add_data_source(p):
    from experiments.data.cifar10 import SOURCES

    p.add_argument(
        "--cifar10-archive",
        dest="cifar10_archive",
        default=None,
        help="cifar-10-python.tar.gz or its cifar-10-batches-py folder (default: $CIFAR10_ARCHIVE)",
    )
    p.add_argument(
        "--data-source",
        dest="data_source",
        choices=SOURCES,
        default=None,
        help=(
            "force one CIFAR-10 source (default: the archive if named, else "
            "the Keras cache if it holds CIFAR-10, else the embedded subset)"
        ),
    )


def add_settings(p):
    add_profile_and_results(p)
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", dest="batch_size", type=int)
    p.add_argument("--train-limit", dest="train_limit", type=int, help="at most this many training examples")
    p.add_argument("--test-limit", dest="test_limit", type=int, help="at most this many test examples")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override any setting (repeatable)")
    p.add_argument("--data", action="append", metavar="KEY=VALUE", help="data option, e.g. mosaic_seed=1 (repeatable)")
    add_data_source(p)
    p.add_argument("--verbose", action="store_true", help="show Keras's per-epoch output")


# The Keras backends the suite trains on (its packs and pipeline are tested on these two), and their modules.
TRAINING_BACKENDS = {"tensorflow": "tensorflow", "jax": "jax"}


def check_backend(backend=None):
    """Raise a one-line ValueError unless `backend` (default: $KERAS_BACKEND, else tensorflow) can train here.

    Checked before any worker starts: a backend Keras cannot load would otherwise fail in every worker."""
    import importlib.util

    from experiments.config import BACKENDS, keras_backend_name

    if backend is None:
        name = os.environ.get("KERAS_BACKEND")
        backend = keras_backend_name() if name is None or name in BACKENDS else name  # keras.json too
    if backend not in TRAINING_BACKENDS:
        raise ValueError(
            f"KERAS_BACKEND={backend}: the suite trains on {' or '.join(TRAINING_BACKENDS)}; "
            "set KERAS_BACKEND=tensorflow (the default) or jax."
        )
    if importlib.util.find_spec(TRAINING_BACKENDS[backend]) is None:
        raise ValueError(f"KERAS_BACKEND={backend}: {TRAINING_BACKENDS[backend]} is not installed here; install it "
                         "(scripts/setup.sh installs both) or set KERAS_BACKEND to the other.")  # fmt: skip


def check_backend_importable():
    """Raise a one-line ValueError where Keras could not import at all: $KERAS_BACKEND (or keras.json) names a
    backend whose library is not installed (Keras imports it first, whatever the command). Commands that only
    read records (`report`, `figures`, `rescore`, `plan`) work on any backend that imports."""
    import importlib.util

    from experiments.config import keras_backend_name

    backend = os.environ.get("KERAS_BACKEND") or keras_backend_name()
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch", "numpy": "numpy"}.get(backend, backend)
    if importlib.util.find_spec(module) is None:
        raise ValueError(
            f"KERAS_BACKEND={backend}: {module} is not installed here, and Keras imports its backend before anything "
            "else; set KERAS_BACKEND=tensorflow (the default) or jax."
        )


def check_writable(results, what="results folder", option="--results"):
    """Raise a one-line ValueError unless `results` is a folder this process can write to, or can be made one.

    Called before anything trains, so a bad `--results` costs no training time. Nothing is left
    behind: a folder that does not exist yet is not created here (its nearest existing parent is tried).
    `what` and `option` name the folder in the message (another option's folder: "folder", "--tensorboard").
    """
    results = Path(results)
    if results.exists() and not results.is_dir():
        raise ValueError(f"{what} {results} is a file, not a folder; name a folder with {option}.")
    existing = next(p for p in (results, *results.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise ValueError(f"{what} {results} cannot be made: {existing} is a file; name another with {option}.")
    runs = results / "runs"
    if option == "--results" and (runs.is_symlink() or runs.exists()) and not runs.is_dir():
        raise ValueError(
            f"{runs} is {'a dangling link' if not runs.exists() else 'a file'} where the records' folder goes; move it "
            f"away, or name another folder with {option}."
        )
    try:
        for folder in (existing, existing / "runs"):
            if folder.is_dir():
                os.rmdir(tempfile.mkdtemp(dir=folder, prefix=".write-check-"))
    except OSError as error:
        raise ValueError(
            f"{what} {results} is not writable ({error.strerror or error}); name a writable folder with {option}."
        ) from None
