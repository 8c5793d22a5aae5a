"""Output gradients on a fixed probe set: the post's saturation argument, measured in training.

For every binary and multi-class run, at epoch 0 and after every epoch, on `PROBE_SIZE`
training images (drawn once from the data with `PROBE_SEED`: the same images for every
pairing and seed), the probe computes the output pre-activation z (the head's Dense layer
before its activation) and, with the run's own loss object and autodiff, dL/dz per image.

It records, per epoch, the mean |dL/dz| on the true class's pre-activation over the correctly
and the wrongly classified probe images, and the share of wrong images that are saturated on
the wrong side (probability of the true class below `SATURATED`). At epoch 0 and at the end
it keeps every probe image's (margin, |dL/dz|) for the figure, where the margin is z signed
towards the true class (one output unit) or z_true minus the largest other z (several).
"""

import keras
import numpy as np

from experiments.composition import encode_targets
from experiments.training import decoding
from experiments.training.pipeline import scaled_inputs

PROBE_SIZE = 512
PROBE_SEED = 0
SATURATED = 0.01  # a wrong image whose true class has less probability than this is saturated wrong
KINDS = ("binary", "multiclass")


def probe_rows(n_train):
    """The probe images' rows in the training set: the same for every pairing and seed."""
    rng = np.random.default_rng(PROBE_SEED)
    return np.sort(rng.choice(n_train, size=min(n_train, PROBE_SIZE), replace=False))


def gradient(fn, z):
    """d fn / d z at `z`, on the running Keras backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        z = tf.convert_to_tensor(z)
        with tf.GradientTape() as tape:
            tape.watch(z)
            value = fn(z)
        return np.asarray(tape.gradient(value, z))
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(fn)(keras.ops.convert_to_tensor(z)))
    if backend == "torch":
        import torch

        z = torch.tensor(z, requires_grad=True)
        fn(z).backward()
        return z.grad.numpy()
    raise NotImplementedError(f"No gradient for the {backend!r} backend.")


def output_gradients(z, activation, loss, y):
    """dL/dz per image: `loss` sums over the batch, so row i holds image i's own gradient."""
    return gradient(lambda t: loss(y, activation(t)), np.asarray(z, dtype="float32"))


def true_class(y, z, grad, probs, predicted, kind):
    """Per image: the margin towards the true class, |dL/dz| on its pre-activation, p(true) (None where the
    loss reads no probabilities, `decoding.probabilities`), and whether the decision rule's class is right."""
    y = np.ravel(y).astype(int)
    if kind == "binary" and z.shape[1] == 1:  # one unit: z is class 1's logit
        sign = np.where(y == 1, 1.0, -1.0)
        margin, g = sign * z[:, 0], np.abs(grad[:, 0])
    elif z.shape[1] == 1:  # one unit trained toward the class ids as numbers: minus the distance to the id
        margin, g = -np.abs(z[:, 0] - y), np.abs(grad[:, 0])
    else:  # several units (a 2-unit head as well): towards the true class against the best other
        margin, g = _multi(y, z, grad)
    if probs is None:
        p_true = None
    elif kind == "binary":
        p_true = np.where(y == 1, probs, 1.0 - probs)
    else:
        p_true = probs[np.arange(len(y)), y]
    correct = np.ravel(predicted).astype(int) == y
    return margin, g, p_true, correct


def _multi(ids, z, grad):
    rows = np.arange(len(ids))
    others = np.where(np.eye(z.shape[1], dtype=bool)[ids], -np.inf, z)
    return z[rows, ids] - others.max(axis=1), np.abs(grad[rows, ids])


def _mean(values):
    return float(np.mean(values)) if len(values) else None


class Probe:
    """The probe of one pack: its images, and each branch's head and loss summed over the batch."""

    def __init__(self, x_train, y_train, kind, scale):
        rows = probe_rows(len(x_train))
        self.kind, self.y = kind, y_train[rows]
        self.x = scaled_inputs(x_train[rows], scale)

    def measure(self, features_model, branches):
        """Per branch: the epoch's statistics, and every probe image's margin and |dL/dz| (arrays)."""
        features = features_model.predict_on_batch(self.x)
        features = features if isinstance(features, list) else [features]
        out = []
        for b, h in zip(branches, features):
            head = b.output_layer
            kernel, bias = (np.asarray(w) for w in head.get_weights())
            z = np.asarray(h, dtype="float32") @ kernel + bias
            y = encode_targets(self.y, b.pairing.target, b.pairing.units)
            loss = b.make_loss(reduction="sum", **b.pairing.loss_kwargs)
            grad = output_gradients(z, head.activation, loss, y)
            outputs = np.asarray(head.activation(keras.ops.convert_to_tensor(z)))
            probs = decoding.probabilities(outputs, b.pairing, self.kind)
            predicted = decoding.decide(outputs, b.pairing, self.kind)
            margin, g, p_true, correct = true_class(self.y, z, grad, probs, predicted, self.kind)
            wrong = ~correct
            stats = {
                "grad_correct": _mean(g[correct]),
                "grad_wrong": _mean(g[wrong]),
                "wrong_share": float(np.mean(wrong)),
                "saturated_wrong_share": None if p_true is None else _mean(p_true[wrong] < SATURATED),
                "grad_max": float(np.max(grad)),  # over every unit: the extremes of dL/dz
                "grad_min": float(np.min(grad)),
            }
            out.append((stats, {"margin": margin, "grad": g}))
        return out
