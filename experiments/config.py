"""Settings: the post's defaults, profiles that override them, and the resolved run config.

Data flows one way: profile -> config -> run -> record. A profile (a JSON file in
`experiments/profiles/`) overrides only what differs from `DEFAULTS`, and says why in
its `notes`. Unknown keys, in a profile or on the command line, fail loudly.
"""

import hashlib
import json
import math
import os
from importlib import resources

from experiments.data.conditions import CONDITIONS
from experiments.pairings import get_pairing
from experiments.tasks import get_task
from experiments.tasks.options import is_number

# The post's training settings: Keras's defaults for fit (batch 32) and Adam (lr 1e-3), 50 epochs.
DEFAULTS = {
    "epochs": 50,
    "batch_size": 32,
    "learning_rate": 0.001,
    "train_limit": None,
    "test_limit": None,
    "seeds": [0, 1, 2],
    # "custom": the hand-written objects of custom_objects; "keras": Keras's built-ins.
    "objects": "custom",
    # "adam" (the post's); "sgd": plain stochastic gradient descent, no momentum, the textbooks' setting.
    "optimizer": "adam",
    # Record the output gradients on 512 fixed training images after every epoch (binary and
    # multi-class tasks; `experiments.training.probe`). It reads the model and changes nothing in
    # training, so it does not enter the run id; off, a run is faster and its record has no probe.
    "probe": True,
}
# The Keras backends a run on Keras's own objects can name (`KERAS_BACKEND`). A run on the hand-written
# objects computes the same functions on any backend; a run on Keras's own does not (on TensorFlow its
# cross-entropies read the logits behind a sigmoid or softmax head: `experiments.training.keras_view`),
# so its config, and with it its run id, holds the backend it trained on.
BACKENDS = ("tensorflow", "jax", "torch")


def keras_backend_name():
    """The backend Keras will load in this process: `KERAS_BACKEND`, else ~/.keras/keras.json's, else tensorflow.

    Read without importing Keras (the sweep's driver resolves configs before any worker starts).

    Raises:
        ValueError: the name is not one of `BACKENDS`.
    """
    name = os.environ.get("KERAS_BACKEND")
    if not name:
        path = os.path.join(os.environ.get("KERAS_HOME", os.path.expanduser("~/.keras")), "keras.json")
        try:
            with open(path) as f:
                name = json.load(f).get("backend")
        except (OSError, ValueError, AttributeError):
            name = None
    name = name or "tensorflow"
    if name not in BACKENDS:
        raise ValueError(f"KERAS_BACKEND={name!r} is not a backend the suite runs on; use {', '.join(BACKENDS)}.")
    return name


# `sweep --tensorboard DIR` reaches the workers (local processes, Ray's) through this variable, not the
# config: where scalars are written changes no number and no run id (`experiments.training.live_view`).
TENSORBOARD_ENV = "WTA_TENSORBOARD_DIR"
PROFILE_ONLY_KEYS = {"description", "notes", "tasks", "grid_tasks"}
# Keys of a profile's task entry that choose its grid rather than a setting (see experiments.sweep.grid).
TASK_GRID_KEYS = {"pairings"}
# Where the data is read from does not change a run, so it does not enter the run id;
# the data's fingerprint (`cifar10_fingerprint`, set when the sweep is planned) does.
UNHASHED_DATA_OPTIONS = {"cifar10_archive", "data_source"}
# Settings that only decide what is measured, not what is trained, are left out of the run id too.
UNHASHED_SETTINGS = {"probe"}
# Runs of one task and seed that a sweep trains as the branches of one graph (`experiments.training.branches`).
DEFAULT_PACK_SIZE = 8
# Settings a config holds only where they are set (so every earlier run keeps its run id).
OPTIONAL_SETTINGS = {
    # Keras's `fit(class_weight=...)`: each training example's loss weighted by its class's weight, "balanced"
    # (n / (k n_c), scikit-learn's rule) or {class id: weight}; `experiments.data.class_weights`.
    "class_weight": None,
}


def _positive_int(key, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{key} must be a positive integer, got {value!r}.")


def _check_class_weight(value):
    if value is None or value == "balanced":
        return
    ok = (
        isinstance(value, dict)
        and value
        and all(str(k).isdigit() for k in value)
        and all(is_number(v) and v >= 0 for v in value.values())
    )
    if not ok:
        raise ValueError(
            'class_weight must be "balanced" or {class id: weight}, weights finite and 0 or more, e.g. '
            f'--set \'class_weight={{"0": 1, "1": 3}}\', got {value!r}.'
        )


def _check_value(key, value):
    if key == "class_weight":
        return _check_class_weight(value)
    if key in ("epochs", "batch_size"):
        _positive_int(key, value)
    elif key in ("train_limit", "test_limit"):
        if value is not None:
            _positive_int(key, value)
    elif key == "learning_rate":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
            raise ValueError(f"learning_rate must be a positive number, got {value!r}.")
    elif key == "probe":
        if not isinstance(value, bool):
            raise ValueError(f"probe must be true or false, got {value!r}.")
    elif key == "optimizer":
        if value not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {value!r}.")
    elif key == "objects":
        if value not in ("custom", "keras"):
            raise ValueError(f"objects must be 'custom' or 'keras', got {value!r}.")
    elif key == "seeds":
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**32 for s in value)
        ):
            raise ValueError(f"seeds must be a non-empty list of integers from 0 to 2**32 - 1, got {value!r}.")


def check_settings(settings, where):
    """Raise a ValueError naming any unknown key (and the valid ones) or bad value."""
    unknown = sorted(set(settings) - set(DEFAULTS) - set(OPTIONAL_SETTINGS))
    if unknown:
        raise ValueError(
            f"Unknown setting(s) {', '.join(map(repr, unknown))} in "
            f"{where}; valid settings: {', '.join(sorted({*DEFAULTS, *OPTIONAL_SETTINGS}))}."
        )
    for key, value in settings.items():
        _check_value(key, value)


def profile_names():
    return sorted(
        p.name[: -len(".json")] for p in resources.files("experiments.profiles").iterdir() if p.name.endswith(".json")
    )


def load_profile(name):
    """The profile `name` as {"description", "settings", "tasks"}, validated."""
    names = profile_names()
    if name not in names:
        raise ValueError(f"Unknown profile {name!r}; valid profiles: {', '.join(names)}.")
    raw = json.loads(resources.files("experiments.profiles").joinpath(f"{name}.json").read_text())
    settings = {k: v for k, v in raw.items() if k not in PROFILE_ONLY_KEYS}
    check_settings(settings, f"profile {name!r}")
    tasks = raw.get("tasks", {})
    for task, overrides in tasks.items():
        get_task(task)
        check_settings(
            {k: v for k, v in overrides.items() if k not in TASK_GRID_KEYS}, f"profile {name!r}, task {task!r}"
        )
    for task in raw.get("grid_tasks", []):
        get_task(task)
    return {
        "name": name,
        "description": raw.get("description", ""),
        "settings": settings,
        "tasks": tasks,
        "grid_tasks": raw.get("grid_tasks"),
    }


def check_data_options(task, options):
    """Raise a ValueError naming an unknown data option of `task` (and the valid ones) or a bad value
    (`Task.check_options`, the rules of `experiments.tasks.options`)."""
    get_task(task).check_options(options)


def resolve(task, pairing, seed, profile="full", overrides=None, data_options=None):
    """The fully resolved config of one run: defaults <- profile <- task overrides <- command line.

    `pairing` is a named pairing or one composed from its parts (`experiments.composition`); the
    config holds its name as `get_pairing` resolves it (a composition that equals a named pairing
    takes the named one's name, and so its run id) and what it resolved to (`pairing_spec`), which
    the run and its id read instead of parsing the name again.
    """
    resolved = get_pairing(task, pairing)
    prof = load_profile(profile)
    overrides = dict(overrides or {})
    check_settings(overrides, "the command line")
    task_defaults = get_task(task).settings
    task_profile = {k: v for k, v in prof["tasks"].get(task, {}).items() if k not in TASK_GRID_KEYS}
    settings = {**DEFAULTS, **task_defaults, **prof["settings"], **task_profile, **overrides}
    data_options = {k: v for k, v in (data_options or {}).items() if k in get_task(task).accepted_options}
    fixed = {k: v for k, v in get_task(task).data_options.items() if k in CONDITIONS}  # a conditions task's
    changed = sorted(k for k in fixed if k in data_options and data_options[k] != fixed[k])
    if changed:
        raise ValueError(
            f"task {task!r} fixes {', '.join(f'{k}={fixed[k]}' for k in changed)}; for another value train "
            f"{get_task(task).base!r} with --data {changed[0]}={data_options[changed[0]]}."
        )
    if data_options.get("label_noise") == 0:  # no noise is the clean data, and the clean data's run id
        data_options.pop("label_noise")
    data = {**get_task(task).data_options, **data_options}
    check_data_options(task, data)
    settings.pop("seeds")
    _check_value("seeds", [seed])
    if settings.get("class_weight") is None:
        settings.pop("class_weight", None)
    elif get_task(task).kind not in ("binary", "multiclass"):
        raise ValueError(
            f"class_weight weights each example by its one class: binary and multiclass tasks only; {task} is "
            f"{get_task(task).kind}."
        )
    if settings["objects"] == "keras":
        settings["backend"] = keras_backend_name()
    return {
        "task": task,
        "pairing": resolved.name,
        "pairing_spec": resolved.spec(),
        "seed": int(seed),
        "profile": profile,
        **settings,
        "data": data,
    }


def config_hash(config):
    """Short hash of everything that can change the run's outcome: the config and the pairing's definition."""
    spec = config.get("pairing_spec")
    if spec is None:  # a config written before it held its resolved pairing (the older committed records)
        spec = get_pairing(config["task"], config["pairing"]).spec()
    hashed = {
        **{k: v for k, v in config.items() if k not in UNHASHED_SETTINGS},
        "data": {k: v for k, v in config["data"].items() if k not in UNHASHED_DATA_OPTIONS},
        "pairing_spec": spec,
    }
    return hashlib.sha256(json.dumps(hashed, sort_keys=True).encode()).hexdigest()[:8]


def run_id(config):
    return f"{config['task']}__{config['pairing']}__s{config['seed']}__{config_hash(config)}"
