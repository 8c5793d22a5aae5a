"""Per-example weights from a class weighting, as Keras's `fit(class_weight=...)` applies it.

Keras multiplies each training example's loss by its class's weight (and weights the metrics it logs the same
way); its `fit` takes `class_weight` only for a model with one output, so the suite, which trains a pack of
pairings as the outputs of one graph, passes the same weights as each output's `sample_weight` instead.
"balanced" is scikit-learn's rule (King & Zeng 2001): w_c = n / (k n_c) for n training examples of k classes,
n_c of class c, so the weights average 1 over the training set.
"""

import numpy as np


def class_ids(kind, y):
    """The class id of each raw training target `y` (n,): binary labels 0/1 or class ids."""
    return np.asarray(y).reshape(len(y)).astype(np.int64) if kind in ("binary", "multiclass") else None


def resolve(setting, kind, y, classes):
    """{class id: weight} for `setting` ("balanced" or {class id as text: weight}) on the training targets `y`.

    Raises:
        ValueError: a class of the training set has no weight, or the weights name a class the task does not have.
    """
    ids = class_ids(kind, y)
    counts = np.bincount(ids, minlength=classes)
    if setting == "balanced":
        present = counts > 0
        return {c: float(len(ids) / (present.sum() * counts[c])) for c in range(classes) if present[c]}
    weights = {int(k): float(v) for k, v in setting.items()}
    beyond = sorted(c for c in weights if c >= classes)
    if beyond:
        raise ValueError(f"class_weight names class(es) {beyond}, but the task has classes 0 to {classes - 1}.")
    missing = [c for c in range(classes) if counts[c] and c not in weights]
    if missing:
        raise ValueError(f"class_weight gives no weight to class(es) {missing} of the training set; give each one.")
    return weights


def sample_weights(weights, kind, y):
    """Each training example's weight (n,) float32: its class's."""
    ids = class_ids(kind, y)
    table = np.zeros(ids.max() + 1, dtype=np.float32)
    for c, w in weights.items():
        if c < len(table):
            table[c] = w
    return table[ids]


def for_task(setting, task, y_train):
    """({class id: weight}, each training example's weight (n,)) for `setting` on `task`'s training targets."""
    classes = task.classes or (2 if task.kind == "binary" else 10)
    weights = resolve(setting, task.kind, y_train, classes)
    return weights, sample_weights(weights, task.kind, y_train)
