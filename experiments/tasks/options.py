"""Every data option's valid values: one rule per option, asked through the task that takes it (`Task.check_options`).

A data option is a keyword of a task's `load_data` (or `build_model`, for how a model starts) that enters the
run's config and its run id. A bad value stops the command when the run is resolved, before any worker starts
or any record is written; the task modules do not check them again.
"""

import math

from experiments.data import cifar10


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value):
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) and math.isfinite(value)


# option -> (check, what is valid, in words)
RULES = {
    # iris has 150 rows: from 0.01 to 0.99 leaves at least two rows on each side of the split.
    "test_fraction": (lambda v: is_number(v) and 0.01 <= v <= 0.99, "a number from 0.01 to 0.99"),
    "split_seed": (lambda v: is_int(v) and v >= 0, "a non-negative integer"),
    "outlier_share": (lambda v: is_number(v) and 0 <= v <= 1, "a number in [0, 1]"),
    "outlier_shift": (is_number, "a finite number (cm)"),
    "outlier_seed": (lambda v: is_int(v) and v >= 0, "a non-negative integer"),
    "start_probability": (lambda v: is_number(v) and 0.5 < v < 1, "a number in (0.5, 1)"),
    "extra_conv_layers": (lambda v: is_int(v) and 0 <= v <= 64, "an integer from 0 to 64"),
    "mosaic_seed": (lambda v: is_int(v) and v >= 0, "a non-negative integer"),
    "mosaics_per_image": (lambda v: is_number(v) and 0 < v <= 16, "a number in (0, 16]"),
    "cifar10_archive": (lambda v: v is None or (isinstance(v, str) and v != ""), "a path"),
    "data_source": (lambda v: v is None or v in cifar10.SOURCES, "one of " + ", ".join(cifar10.SOURCES)),
    "cifar10_fingerprint": (lambda v: v is None or isinstance(v, str), "a fingerprint string"),
    # The training conditions (experiments.data.conditions): in a config only when set.
    "label_noise": (lambda v: is_number(v) and 0 <= v < 1, "a share in [0, 1) of training labels to change"),
    "positive_share": (lambda v: is_number(v) and 0 < v < 1, "a share in (0, 1) of positives (planes)"),
    "target_scale": (lambda v: v in ("minmax", "standard"), "minmax or standard"),
    # A user's task (`experiments.tasks.task_file`): set from its task file, checked there, recorded here.
    "data_file": (lambda v: isinstance(v, str) and v != "", "the path of an .npz or .csv file"),
    "data_sha256": (lambda v: isinstance(v, str) and len(v) == 64, "a SHA-256 in hex"),
    "target_column": (lambda v: v is None or isinstance(v, str), "a column name"),
    "target_kind": (lambda v: v in ("binary", "multiclass", "multilabel", "regression"), "a task kind"),
    "classes": (lambda v: v is None or (is_int(v) and v >= 2), "a number of classes, 2 or more"),
    "body": (lambda v: v is None or isinstance(v, str), "a .keras path or module:function"),
    "body_sha256": (lambda v: v is None or (isinstance(v, str) and len(v) == 64), "a SHA-256 in hex"),
    "input_shape": (lambda v: isinstance(v, list) and all(is_int(d) and d > 0 for d in v), "a list of sizes"),
}


def check_value(key, value, where="data option"):
    """Raise a ValueError "<where> <key> must be <valid>, got <value>." where `value` breaks `key`'s rule."""
    check, valid = RULES[key]
    if not check(value):
        raise ValueError(f"{where} {key} must be {valid}, got {value!r}.")
