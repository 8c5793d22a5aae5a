"""A task from the user's own files, declared in a small TOML file and then named like any task:

    # cat_dog.toml
    name = "cat_dog"                  # the task's name in records, tables and reports
    data = "cat_dog.npz"              # .npz (x_train, y_train, x_test, y_test) or .csv
    # kind = "binary"                 # binary, multiclass, multilabel or regression; else read from the targets
    # target_column = "Species"       # a .csv's target column (the other columns are the inputs)
    # test_fraction = 0.2             # a .csv's test share, drawn with split_seed
    # split_seed = 0
    # body = "my_models.py:body"      # or "my_model.keras", or "package.module:function"; else a small default
    # epochs = 20                     # training settings: epochs, batch_size, optimizer, learning_rate

    python -m experiments sweep --tasks cat_dog.toml --profile smoke --results results/cat_dog
    python -m experiments report --results results/cat_dog

Paths are read relative to the task file's folder. The data file's and the body's SHA-256 enter every run's
config (so its run id), and the records hold the whole declaration: `report`, `rescore` and `plan` rebuild the
task from the records (`register_from_records`), without the task file. The suite never writes to the user's files.
Everything is checked when the file is read; a problem is one line naming what is wrong and what would be right.
"""

import hashlib
import re
import tomllib
from pathlib import Path

from experiments.tasks import TASK_OF_KIND, TASKS, Task, yours
from experiments.tasks import options as option_rules

SETTINGS = ("epochs", "batch_size", "optimizer", "learning_rate", "class_weight")
KEYS = ("name", "data", "kind", "target_column", "test_fraction", "split_seed", "body", *SETTINGS)
NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _regular(path, what):
    if not path.is_file():
        state = "does not exist" if not path.exists() else "is not a regular file"
        raise ValueError(f"{what} {path} {state}.")
    return path


def _body(body, folder):
    """(body as the options hold it, its SHA-256): a .keras path or a .py path made absolute, or a module."""
    if body is None:
        return None, None
    if not isinstance(body, str) or not body:
        raise ValueError(f"body must be a path to a .keras model or 'module:function', got {body!r}.")
    if body.endswith(".keras"):
        path = _regular((folder / body).resolve(), "body")
        return str(path), sha256_of(path)
    where, colon, function = body.rpartition(":")
    if not colon or not where or not function.isidentifier():
        raise ValueError(f"body {body!r}: name a .keras file, 'file.py:function' or 'package.module:function'.")
    if where.endswith(".py"):
        path = _regular((folder / where).resolve(), "body module")
        return f"{path}:{function}", sha256_of(path)
    import importlib.util

    spec = importlib.util.find_spec(where) if not where.startswith(".") else None
    if spec is None or spec.origin is None:
        raise ValueError(f"body {body!r}: no module {where!r} can be found; name its file instead ('{where}.py:...').")
    return body, sha256_of(spec.origin)


def read(path):
    """The task declared in the TOML file at `path`: {"name", "kind", "classes", "options", "settings"}.

    Raises:
        ValueError: not a readable TOML task file, an unknown key, a bad value, data that cannot be a task, or a
            body that does not build; one line.
    """
    from experiments import config as cfg

    path = _regular(Path(path), "task file")
    try:
        raw = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"task file {path} is not TOML ({str(error).splitlines()[0][:200]}).") from None
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise ValueError(f"task file {path}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(KEYS)}.")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise ValueError(f"task file {path}: name must be lower case letters, digits and _, got {name!r}.")
    if name in TASKS and not TASKS[name].task_file:
        raise ValueError(f"task file {path}: {name!r} is one of the suite's own tasks; choose another name.")
    if not isinstance(raw.get("data"), str):
        raise ValueError(f"task file {path}: data must name an .npz or .csv file, got {raw.get('data')!r}.")
    folder = path.resolve().parent
    data = _regular((folder / raw["data"]).resolve(), "data file")
    stated = raw.get("kind")
    if stated is not None and stated not in TASK_OF_KIND:
        raise ValueError(f"task file {path}: kind must be one of {', '.join(TASK_OF_KIND)}, got {stated!r}.")
    split = {"test_fraction": raw.get("test_fraction", 0.2), "split_seed": raw.get("split_seed", 0)}
    for key, value in split.items():
        option_rules.check_value(key, value, where=f"task file {path}:")
    x_train, y_train, x_test, y_test = yours.raw_arrays(data, raw.get("target_column"), **split)
    import numpy as np

    y = np.concatenate([y_train.reshape(len(y_train), -1), y_test.reshape(len(y_test), -1)])
    kind, classes = yours.kind_of(y, stated)
    body, body_sha = _body(raw.get("body"), folder)
    options = {
        "data_file": str(data),
        "data_sha256": sha256_of(data),
        "target_column": raw.get("target_column"),
        **(split if data.suffix == ".csv" else {}),
        "target_kind": kind,
        "classes": classes,
        "body": body,
        "body_sha256": body_sha,
        "input_shape": list(x_train.shape[1:]),
    }
    settings = {k: raw[k] for k in SETTINGS if k in raw}
    cfg.check_settings(settings, f"task file {path}")
    definition = {"name": name, "kind": kind, "classes": classes, "options": options, "settings": settings}
    if body is not None:
        _check_builds(definition)
    return definition


def _check_builds(definition):
    """Build the body, then the model with the matched head, once: a body that does not build, or takes inputs of
    another shape than the data's, stops here in one line."""
    body, expected = definition["options"]["body"], tuple(definition["options"]["input_shape"])
    try:
        taken = tuple(yours.body_model(body).input_shape[1:])
        if taken != expected:
            raise ValueError(f"the body {body} takes inputs of shape {taken}, but the data's are {expected}.")
        task_of(definition).build_model()
    except ValueError as error:
        if str(error).startswith(("the body", "body ")):
            raise
        raise ValueError(f"the body {body} does not build: {_first_line(error)}") from None
    except Exception as error:  # a user's body can fail in any way Keras can
        raise ValueError(f"the body {body} does not build: {type(error).__name__}: {_first_line(error)}") from None


def _first_line(error):
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]


def task_of(definition):
    """The `Task` a definition (`read`'s, or rebuilt from a record's config) declares."""
    options, kind = definition["options"], definition["kind"]
    what = {"binary": "labels 0/1", "multiclass": f"{definition['classes']} classes", "regression": "values"}.get(
        kind, f"{definition['classes']} labels per example"
    )
    return Task(
        name=definition["name"],
        title=f"{definition['name']} (your data)",
        module="yours",
        kind=kind,
        data=f"your data: {Path(options['data_file']).name} ({what}); body: {options['body'] or 'the default'}",
        params=0,
        input_scale=1.0,
        data_options=options,
        model_options=("body", "input_shape"),
        settings=definition.get("settings", {}),
        post_pairing=TASKS[TASK_OF_KIND[kind]].post_pairing,  # the matched pairing of its kind
        classes=definition["classes"],
        task_file=definition.get("task_file", "records"),
    )


def register(definition):
    """Add the declared task to the registry (`TASKS`) with the named pairings of the built-in task of its kind
    (`TASK_OF_KIND`), composed for its own classes; returns its name. Registering it again is a no-op."""
    from experiments import pairings

    task = task_of(definition)
    known = TASKS.get(task.name)
    if known is not None and not known.task_file:
        raise ValueError(f"{task.name!r} is one of the suite's own tasks; a task file must choose another name.")
    if known is not None and known.data_options == task.data_options:
        return task.name
    if known is not None:
        raise ValueError(
            f"two declarations of the task {task.name!r} differ (data {known.data_options['data_sha256'][:12]} "
            f"against {task.data_options['data_sha256'][:12]}, or another body or split): give each its own name."
        )
    TASKS[task.name] = task
    pairings.PAIRINGS[task.name] = pairings.named_like(task.name, TASK_OF_KIND[task.kind])
    return task.name


def register_file(path):
    """`read` and `register` the task file at `path`; returns the task's name."""
    definition = read(path)
    return register({**definition, "task_file": str(path)})


def register_from_records(recs):
    """Register every user task the records (or configs) name that this process does not know yet."""
    for r in recs:
        config = r.get("config", r)
        if config.get("task") not in TASKS and "data_sha256" in config.get("data", {}):
            data = config["data"]
            register(
                {
                    "name": config["task"],
                    "kind": data["target_kind"],
                    "classes": data["classes"],
                    "options": {k: data.get(k) for k in _OPTION_KEYS if k in data},
                }
            )


_OPTION_KEYS = (
    "data_file",
    "data_sha256",
    "target_column",
    "test_fraction",
    "split_seed",
    "target_kind",
    "classes",
    "body",
    "body_sha256",
    "input_shape",
)


def check_folder(results, names):
    """Raise a one-line ValueError where `results` already holds records of a user's task in `names` that were
    declared otherwise (other data, body, split or kind): one task name, one declaration, in a results folder."""
    import json

    for name in names:
        task = TASKS.get(name)
        if task is None or not task.task_file:
            continue
        for path in sorted((Path(results) / "runs" / name).glob("*.json"))[:50]:
            try:
                if not path.is_file() or path.stat().st_size > 64 << 20:
                    continue
                data = json.loads(path.read_text()).get("config", {}).get("data", {})
            except (OSError, ValueError, AttributeError):
                continue  # an unreadable file: the sweep's own checks name it
            theirs = {k: data.get(k) for k in _OPTION_KEYS if k in data}
            if theirs and theirs != {k: v for k, v in task.data_options.items() if k in theirs}:
                raise ValueError(
                    f"{results} holds records of a task {name!r} declared with other data or body ({path.name}, data "
                    f"sha256 {str(theirs.get('data_sha256'))[:12]}); give this task file another name, or use another "
                    "--results."
                )
