"""sepal_width_outliers: the iris regression with a share of its training targets corrupted.

The post's model and split; `outlier_share` of the training rows (10% by default, drawn with
`outlier_seed`) get `outlier_shift` cm (+3) added to their Sepal.Width. The test rows stay clean,
so a loss pulled by the outliers (MSE) predicts them worse than a robust one (MAE, Huber).
"""

import numpy as np

from experiments.data import Split, iris
from experiments.tasks import sepal_width

build_model = sepal_width.build_model


def corrupt(y, share, shift, seed):
    """`y` with round(share * len(y)) entries, drawn with `seed`, moved by `shift`; and their indices."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(y), size=round(share * len(y)), replace=False))
    y = np.array(y, dtype="float32", copy=True)
    y[rows] += np.float32(shift)
    return y, rows


def load_data(test_fraction=0.2, split_seed=0, outlier_share=0.1, outlier_shift=3.0, outlier_seed=0):
    clean = iris.sepal_split(test_fraction=test_fraction, split_seed=split_seed)
    y_train, rows = corrupt(clean.y_train, outlier_share, outlier_shift, outlier_seed)
    source = (
        f"{clean.source}; {len(rows)} of {len(y_train)} training targets + {outlier_shift:g} cm "
        f"(seed {outlier_seed}); test rows clean"
    )
    return Split(clean.x_train, y_train, clean.x_test, clean.y_test, source=source)
