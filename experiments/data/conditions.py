"""The conditions users train under, applied to a task's training split: symmetric label noise and imbalance.

Each is a data option (`experiments.config.DATA_OPTION_RULES`) that a task takes only where it means
something (`Task.conditions`), and that enters a run's config, and so its run id, only when it is set:
runs without it keep their ids. The test split is never changed, so test metrics stay comparable.

- `label_noise=eta`: symmetric noise (Ghosh, Kumar & Sastry 2017, "Robust loss functions under label
  noise"): each training label is, with probability eta, replaced by one of the other classes drawn
  uniformly (for two classes: flipped). Multi-label rows have each label flipped with probability eta.
- `positive_share=s`: bird_plane's training set subsampled to a share s of planes (class 1), keeping as
  many images as it can: the rarer side is kept whole.

Both are seeded (`CONDITION_SEED`), and the split's `source` says what was done, with the counts.
"""

import numpy as np

from experiments.data import Split

CONDITIONS = ("label_noise", "positive_share")
CONDITION_SEED = 0  # the noise and the subsample are the same for every training seed: a property of the data


def symmetric_label_noise(y, eta, kind, rng):
    """(noisy labels, how many changed) for `kind` "binary" (0/1 floats), "multiclass" (ids 0-9) or "multilabel"."""
    y = np.asarray(y)
    if kind == "multilabel":
        flip = rng.random(y.shape) < eta
        return np.where(flip, 1 - y, y).astype(y.dtype), int(flip.sum())
    classes = 2 if kind == "binary" else 10
    flip = rng.random(len(y)) < eta
    other = (y.astype(int) + rng.integers(1, classes, size=len(y))) % classes  # uniform over the other classes
    return np.where(flip, other, y).astype(y.dtype), int(flip.sum())


def positive_subsample(x, y, share, rng):
    """(x, y) with a share `share` of positives (y == 1), the rarer side kept whole, order preserved."""
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    want_pos = int(round(share / (1 - share) * len(negatives)))
    if want_pos <= len(positives):
        positives = np.sort(rng.choice(positives, size=want_pos, replace=False))
    else:
        negatives = np.sort(rng.choice(negatives, size=int(round((1 - share) / share * len(positives))), replace=False))
    keep = np.sort(np.concatenate([negatives, positives]))
    return x[keep], y[keep]


def apply(split, kind, options):
    """`split` under the conditions in `options` (names from `CONDITIONS`); the test split unchanged."""
    rng = np.random.default_rng(CONDITION_SEED)
    x, y, notes = split.x_train, split.y_train, []
    if options.get("positive_share") is not None:
        before = len(y)
        x, y = positive_subsample(x, y, options["positive_share"], rng)
        notes.append(
            f"positive_share={options['positive_share']}: {int((y == 1).sum()):,} planes and {int((y == 0).sum()):,} "
            f"birds kept of {before:,} training images (seed {CONDITION_SEED})"
        )
    if options.get("label_noise"):
        y, changed = symmetric_label_noise(y, options["label_noise"], kind, rng)
        total = y.size if kind == "multilabel" else len(y)
        what = "training labels (per label)" if kind == "multilabel" else "training labels"
        notes.append(
            f"label_noise={options['label_noise']}: {changed:,} of {total:,} {what} changed, symmetric "
            f"(seed {CONDITION_SEED}); test labels clean"
        )
    if not notes:
        return split
    return Split(x, y, split.x_test, split.y_test, source=f"{split.source}; {'; '.join(notes)}")
