"""The conditions users train under, applied to a task's training split: label noise, imbalance, scaled targets.

Each is a data option (`experiments.tasks.options.RULES`) that a task takes only where it means
something (`Task.conditions`), and that enters a run's config, and so its run id, only when it is set:
runs without it keep their ids. The test split is never changed, so test metrics stay comparable.

- `label_noise=eta`: symmetric noise (Ghosh, Kumar & Sastry 2017, "Robust loss functions under label
  noise"): each training label is, with probability eta, replaced by one of the other classes drawn
  uniformly (for two classes: flipped). Multi-label rows have each label flipped with probability eta.
- `positive_share=s`: bird_plane's training set subsampled to a share s of planes (class 1), keeping as
  many images as it can: the rarer side is kept whole.

- `target_scale=minmax|standard`: a regression task's training targets mapped to [0, 1] (min-max) or to
  mean 0 and sd 1, fitted on the training rows only (scikit-learn's MinMaxScaler and StandardScaler, the
  population sd); the test targets stay in their own units, and every prediction is mapped back
  (`Split.target_transform`) before any metric, so test MSE stays in cm². A sigmoid head can then reach
  every training target, which on widths of 2-4.4 cm it cannot (keras-team/keras#108).

The first two are seeded (`CONDITION_SEED`); the split's `source` says what was done, with the counts.
"""

import numpy as np

from experiments.data import Split

CONDITIONS = ("label_noise", "positive_share", "target_scale")
TARGET_SCALES = ("minmax", "standard")
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


def positive_counts(y, share):
    """(positives, negatives) that `positive_subsample` keeps of the 0/1 targets `y` (n,): the rarer side whole.

    Raises:
        ValueError: the share leaves a class with no image; the message gives the shares that do not.
    """
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    want_pos = int(round(share / (1 - share) * n_neg))
    kept = (want_pos, n_neg) if want_pos <= n_pos else (n_pos, int(round((1 - share) / share * n_pos)))
    if 0 in kept:
        low, high = 0.5 / (n_neg + 0.5), 1 - 0.5 / (n_pos + 0.5)  # a rounded count of at least 1 on each side
        raise ValueError(
            f"positive_share={share} keeps {kept[0]} planes and {kept[1]} birds of {len(y):,} training "
            f"images: each class needs at least one; use a share from {low:.4g} to {high:.4g}."
        )
    return kept


def positive_subsample(x, y, share, rng):
    """(x, y) with a share `share` of positives (y == 1), the rarer side kept whole, order preserved."""
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    n_pos, n_neg = positive_counts(y, share)
    if int(round(share / (1 - share) * len(negatives))) <= len(positives):  # the negatives are kept whole
        positives = np.sort(rng.choice(positives, size=n_pos, replace=False))
    else:
        negatives = np.sort(rng.choice(negatives, size=n_neg, replace=False))
    keep = np.sort(np.concatenate([negatives, positives]))
    return x[keep], y[keep]


def target_scaling(y_train, how):
    """(scale, shift) fitted on `y_train` (n,) so that (y - shift) / scale is min-max or standard scaled."""
    y = np.asarray(y_train, dtype="float64")
    if how == "minmax":
        shift, scale = float(y.min()), float(y.max() - y.min())
    else:
        shift, scale = float(y.mean()), float(y.std())
    if not scale > 0:
        raise ValueError(f"target_scale={how}: the training targets are constant ({shift}); nothing to scale.")
    return scale, shift


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
    transform = None
    if options.get("target_scale") is not None:
        how = options["target_scale"]
        scale, shift = transform = target_scaling(y, how)
        y = ((np.asarray(y, dtype="float64") - shift) / scale).astype(np.asarray(split.y_train).dtype)
        notes.append(
            f"target_scale={how}: training targets as (y - {shift:.4g}) / {scale:.4g}, fitted on the {len(y):,} "
            "training rows; predictions mapped back before every metric (test metrics in the targets' units)"
        )
    if not notes:
        return split
    source = f"{split.source}; {'; '.join(notes)}"
    return Split(x, y, split.x_test, split.y_test, source=source, target_transform=transform)
