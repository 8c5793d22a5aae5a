"""Data on its way into and out of a model: subsets, the tf.data pipeline, chunked predictions."""

import numpy as np


def subsample(x, y, limit):
    """At most `limit` examples, the same ones for every seed and pairing."""
    if limit is None or limit >= len(x):
        return x, y
    keep = np.sort(np.random.default_rng(0).permutation(len(x))[:limit])
    return x[keep], y[keep]


def input_pipeline(x, y, batch_size, scale, shuffle_seed=None, sample_weight=None):
    """Batches of (float32 inputs * scale, targets[, weights]); uint8 images are cast per batch.

    `sample_weight` (n,): each example's weight, given to every output (`targets` a tuple: one per output)."""
    import tensorflow as tf

    if sample_weight is None:
        ds = tf.data.Dataset.from_tensor_slices((x, y))
    else:
        weights = tuple(sample_weight for _ in y) if isinstance(y, tuple) else sample_weight
        ds = tf.data.Dataset.from_tensor_slices((x, y, weights))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(x), seed=shuffle_seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if scale != 1.0 or x.dtype != np.float32:
        ds = ds.map(lambda a, *rest: (tf.cast(a, tf.float32) * scale, *rest))
    return ds.prefetch(tf.data.AUTOTUNE)


def scaled_inputs(x, scale):
    """`x` as the model sees it in training: float32 times the task's input scale."""
    return np.asarray(x, dtype=np.float32) * np.float32(scale)


def predict_outputs(model, x, scale, chunk=256):
    """The model's outputs on `x` (scaled as in training), one array per output.

    Chunks are converted to float32 one at a time, so a uint8 image set is never held
    as float32 in full, and each goes through the compiled predict function directly,
    without `predict`'s per-call set-up (it runs once per epoch).
    """
    parts = []
    for start in range(0, len(x), chunk):
        out = model.predict_on_batch(scaled_inputs(x[start : start + chunk], scale))
        parts.append(out if isinstance(out, list) else [out])
    return [np.concatenate(per_output) for per_output in zip(*parts)]
