"""Fisher's iris table (150 rows, as R's `iris`), shipped in the package: no network needed."""

import csv
from importlib import resources

import numpy as np

from experiments.data import Split

COLUMNS = ("Sepal.Length", "Sepal.Width", "Petal.Length", "Petal.Width")


def load_table():
    """The 150 rows as a dict of float arrays keyed by R's column names, plus `Species`."""
    with resources.files("experiments.data").joinpath("iris.csv").open() as f:
        rows = list(csv.DictReader(f))
    table = {name: np.array([float(r[name]) for r in rows], dtype="float32") for name in COLUMNS}
    table["Species"] = np.array([r["Species"] for r in rows])
    return table


def sepal_split(test_fraction=0.2, split_seed=0):
    """x = Sepal.Length, y = Sepal.Width, with a fixed seeded train/test split.

    The split seed is separate from the training seed, so every training seed
    sees the same held-out rows.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}.")
    table = load_table()
    x, y = table["Sepal.Length"][:, None], table["Sepal.Width"][:, None]
    order = np.random.default_rng(split_seed).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return Split(
        x[train],
        y[train],
        x[test],
        y[test],
        source=f"iris (package table, {len(train)}/{len(test)} split, split_seed={split_seed})",
    )
