"""A user's own task: their data (`.npz` or `.csv`) and, optionally, their model body, with the pairing's head.

Declared in a task file (`experiments.tasks.task_file`); its options are data options, so they enter every run's
config and run id, with the SHA-256 of the data file and of the body, and every record names them.

Data:
- `.npz` with `x_train, y_train, x_test, y_test` (numbers only: it is read with `allow_pickle=False`);
- `.csv` with a header: `target_column` is the target, every other column an input; the test rows are a
  `test_fraction` share drawn by `numpy.random.default_rng(split_seed)` (the record states both).

Inputs of dtype uint8 (images) are scaled by 1/255 here; others are used as they are.
Targets, by the task's kind: binary 0/1 labels (n,); class ids (n,) or one-hot rows (n, k), kept as ids;
multi-hot rows (n, k); real values (n,) or (n, 1).

Body (the model below the head):
- none: `Dense(32, relu)` for rows of numbers, the post's conv body for images (h, w, c);
- `PATH.keras`: a saved model whose last layer is the head to replace (its weights are kept);
- `module:function` or `file.py:function`: a function returning a Keras model without its head (called anew
  for every run).
"""

import importlib
import importlib.util
from pathlib import Path

import numpy as np

from experiments.data import Split

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def read_npz(path):
    """(x_train, y_train, x_test, y_test) from the `.npz` at `path`.

    Raises:
        ValueError: not an npz of those four numeric arrays (pickled objects are refused), in one line.
    """
    import zipfile

    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not an .npz file numpy can read (an .npz is a zip archive of .npy arrays).")
    try:
        with np.load(path, allow_pickle=False) as found:
            missing = [k for k in NPZ_KEYS if k not in found.files]
            if missing:
                raise ValueError(
                    f"{path} lacks {', '.join(missing)}; an .npz task file holds x_train, y_train, x_test and y_test."
                )
            arrays = [found[k] for k in NPZ_KEYS]
    except ValueError as error:
        if "allow_pickle" in str(error) or "Object arrays" in str(error):
            raise ValueError(
                f"{path} holds pickled objects, which are never loaded; save plain numeric arrays."
            ) from None
        raise
    except (OSError, EOFError) as error:
        raise ValueError(f"{path} is not an .npz file numpy can read ({str(error)[:200]}).") from None
    return tuple(arrays)


def read_csv(path, target_column, test_fraction, split_seed):
    """(x_train, y_train, x_test, y_test) from the `.csv` at `path`: `target_column` as y, the rest as x.

    Raises:
        ValueError: no such column, a column that is not numbers, too few rows for the split; one line.
    """
    import pandas as pd

    try:
        table = pd.read_csv(path)
    except (ValueError, OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not a CSV table pandas can read ({str(error).splitlines()[0][:200]}).") from None
    if target_column not in table.columns:
        raise ValueError(
            f"{path} has no column {target_column!r}; its columns: {', '.join(map(str, table.columns))[:400]}."
        )
    inputs = table.drop(columns=[target_column])
    words = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    if words:
        raise ValueError(
            f"{path}: column(s) {', '.join(map(repr, words[:5]))} hold text; every column must be numbers (encode "
            "class names as ids 0, 1, ... first)."
        )
    if inputs.shape[1] == 0:
        raise ValueError(f"{path} has no input column besides the target {target_column!r}.")
    n = len(table)
    n_test = int(round(n * test_fraction))
    if n_test < 1 or n - n_test < 2:
        raise ValueError(f"{path} has {n} rows: too few for a test share of {test_fraction}.")
    order = np.random.default_rng(split_seed).permutation(n)
    test, train = order[:n_test], order[n_test:]
    x, y = inputs.to_numpy(dtype="float32"), table[target_column].to_numpy(dtype="float64")
    return x[train], y[train], x[test], y[test]


def check_arrays(path, x_train, y_train, x_test, y_test):
    """Raise a one-line ValueError where the arrays cannot be a task: not numbers, NaN, mismatched shapes."""
    for name, array in zip(NPZ_KEYS, (x_train, y_train, x_test, y_test), strict=True):
        if array.dtype.kind not in "biuf":
            raise ValueError(f"{path}: {name} holds {array.dtype} values; it must hold numbers.")
        if len(array) == 0:
            raise ValueError(f"{path}: {name} is empty.")
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            raise ValueError(f"{path}: {name} holds NaN or infinite values; every value must be a number.")
        if array.dtype.kind in "iuf" and len(array) and np.abs(array).max() > np.finfo(np.float32).max:
            raise ValueError(f"{path}: {name} holds values beyond float32 (about 3.4e38), in which Keras trains.")
    for x, y, part in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if len(x) != len(y):
            raise ValueError(f"{path}: x_{part} has {len(x)} rows and y_{part} {len(y)}; give one target per input.")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(
            f"{path}: x_train's rows are {x_train.shape[1:]} and x_test's {x_test.shape[1:]}; they must match."
        )
    if y_train.shape[1:] != y_test.shape[1:]:
        raise ValueError(
            f"{path}: y_train's rows are {y_train.shape[1:]} and y_test's {y_test.shape[1:]}; they must match."
        )
    if x_train.ndim not in (2, 4):
        raise ValueError(
            f"{path}: x_train has shape {x_train.shape}; give rows of numbers (n, features) or images (n, h, w, c)."
        )


def raw_arrays(data_file, target_column=None, test_fraction=0.2, split_seed=0):
    """The four arrays of the data file, checked (`check_arrays`)."""
    path = Path(data_file)
    if path.suffix == ".npz":
        arrays = read_npz(path)
    elif path.suffix == ".csv":
        if not target_column:
            raise ValueError(f'{path} is a CSV table: name its target column (target_column = "...").')
        arrays = read_csv(path, target_column, test_fraction, split_seed)
    else:
        raise ValueError(f"{path}: the data must be an .npz (x_train, y_train, x_test, y_test) or a .csv table.")
    check_arrays(path, *arrays)
    return arrays


def kind_of(y, stated=None, units=None):
    """(kind, classes) the targets `y` encode: binary, multiclass (with its class count), multilabel (with its
    label count) or regression; `stated` (a task file's `kind`) decides where the values alone cannot. `units`:
    the head's, where a model is read (`check`): 0/1 labels on a head of more than 2 units are class ids.

    Raises:
        ValueError: the encoding is ambiguous and not stated, or does not fit the stated kind; one line.
    """
    flat = y.reshape(len(y), -1).astype("float64")
    whole = bool(np.all(flat == np.round(flat)))
    values = set(np.unique(flat).tolist()) if whole else set()
    if flat.shape[1] == 1:
        if stated == "regression" or not whole:
            if stated not in (None, "regression"):
                raise ValueError(f"the targets are not whole numbers: they cannot be {stated} labels.")
            return "regression", None
        if values <= {0, 1} and stated in (None, "binary") and (units or 1) <= 2:
            return "binary", None
        if min(values) < 0:
            raise ValueError('class ids must be 0 or more; say kind = "regression" if these are values.')
        if stated in (None, "multiclass"):
            return "multiclass", int(max(values)) + 1
        raise ValueError(f"the targets are one whole number per example: binary or multiclass, not {stated}.")
    if not values <= {0, 1}:
        if stated not in (None, "regression"):
            raise ValueError(f"the targets have {flat.shape[1]} columns of values that are not 0/1: not {stated}.")
        raise ValueError(
            f"the targets have {flat.shape[1]} columns of values; the suite's regression takes one target column."
        )
    one_per_row = bool(np.all(flat.sum(axis=1) == 1))
    if stated is None and one_per_row:
        raise ValueError(
            "the targets are 0/1 rows with exactly one 1 each: one-hot classes or multi-hot rows that happen to hold "
            'one label? Say which: kind = "multiclass" or "multilabel" in a task file, --kind for check.'
        )
    if stated == "multiclass" or (stated is None and one_per_row):
        if not one_per_row:
            raise ValueError('kind = "multiclass" needs one 1 per target row (one-hot); these rows have more.')
        return "multiclass", flat.shape[1]
    if stated in (None, "multilabel"):
        return "multilabel", flat.shape[1]
    raise ValueError(f"the targets are multi-hot rows: multilabel, not {stated}.")


def targets_as(kind, y):
    """Raw targets as the suite keeps them: 0/1 floats (n,), class ids (n,), multi-hot (n, k), values (n,)."""
    flat = y.reshape(len(y), -1)
    if kind == "multiclass":
        return (flat.argmax(axis=1) if flat.shape[1] > 1 else flat[:, 0]).astype("int64")
    if kind == "multilabel":
        return flat.astype("float32")
    return flat[:, 0].astype("float32")


def load_data(
    data_file,
    data_sha256=None,
    target_column=None,
    test_fraction=0.2,
    split_seed=0,
    target_kind=None,
    classes=None,
    body=None,
    body_sha256=None,
    input_shape=None,
):
    """The user's data as a `Split` (images scaled to [0, 1]); the options a task file declares."""
    x_train, y_train, x_test, y_test = raw_arrays(data_file, target_column, test_fraction, split_seed)
    kind, found = kind_of(
        np.concatenate([y_train.reshape(len(y_train), -1), y_test.reshape(len(y_test), -1)]), target_kind
    )
    if found != classes:
        raise ValueError(f"{data_file} now holds {found} classes, not the {classes} its task was declared with.")
    scale = 1 / 255 if x_train.dtype == np.uint8 else 1.0
    split = (
        f"test rows drawn by seed {split_seed} ({test_fraction:.0%})"
        if Path(data_file).suffix == ".csv"
        else "its own test split"
    )
    source = (
        f"{data_file} (sha256 {str(data_sha256)[:12]}): {len(x_train):,} train / {len(x_test):,} test, {kind} "
        f"targets, {split}"
    )
    return Split(
        (x_train * scale).astype("float32"),
        targets_as(kind, y_train),
        (x_test * scale).astype("float32"),
        targets_as(kind, y_test),
        source=source,
    )


def body_model(body):
    """The user's body as one Keras model (inputs -> features), built anew: a saved model less its last layer, or
    what the named function returns."""
    import keras

    if body.endswith(".keras"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            saved = keras.saving.load_model(body, compile=False, safe_mode=True)
        return keras.Model(saved.inputs, saved.layers[-2].output, name="body")
    return body_function(body)()


def body_function(body):
    """The function a `module:function` or `path/to/file.py:function` body names.

    Raises:
        ValueError: the module or file cannot be imported, or has no such function; one line.
    """
    where, _, function = body.rpartition(":")
    try:
        if where.endswith(".py"):
            spec = importlib.util.spec_from_file_location(Path(where).stem, where)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(where)
    except Exception as error:  # a user's module can raise anything on import: name it in one line
        raise ValueError(
            f"body {body!r}: {where} cannot be imported ({type(error).__name__}: {str(error)[:200]})."
        ) from None
    if not callable(getattr(module, function, None)):
        raise ValueError(f"body {body!r}: {where} has no function {function!r}.")
    return getattr(module, function)


def build_model(units, activation, name, body=None, input_shape=None, hidden_activation=None):
    """The body with a `Dense(units, activation)` head (the pairing's), as a `keras.Sequential` (the sweep trains a
    pack of pairings as branches of one graph, layer by layer, and reads the features below the head).

    Default bodies: the post's conv body for images, `Dense(32, relu)` for rows of numbers."""
    import keras

    from custom_objects import get_activation

    if body is None and len(input_shape) == 3:
        from experiments.tasks import convnet

        return convnet.build(name, tuple(input_shape), units, activation)
    below = [keras.layers.Dense(32, activation="relu")] if body is None else [body_model(body)]
    head = keras.layers.Dense(units, activation=get_activation(activation))
    return keras.Sequential([keras.Input(tuple(input_shape)), *below, head], name=name)
