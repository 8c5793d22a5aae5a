"""Margin losses (the hinge family): signed scores against targets in {-1, +1}, no probabilistic model."""

from keras import ops

from custom_objects.losses.common import (
    _align,
    _units,
)
from custom_objects.registry import register


def _hinge_targets(y_true):
    """Keras's `convert_binary_labels_to_hinge`: targets that are all 0 or 1 become -1 or +1; others stay.

    The test is over the whole batch, as Keras does it: a batch of {-1, +1} targets is left as it is.
    """
    is_binary = ops.all(ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0)))
    return ops.where(is_binary, 2.0 * y_true - 1.0, y_true)


@register
def hinge(y_true, y_pred):
    """`hinge = mean(max(1 - y * y_pred, 0))` with targets y in {-1, +1} (Cortes & Vapnik 1995).

    As Keras does (`keras.losses.hinge`), targets that are all 0 or 1 are first converted to {-1, +1}.
    """
    y_true, y_pred = _align(y_true, y_pred)
    return ops.mean(ops.maximum(1.0 - _hinge_targets(y_true) * y_pred, 0.0), axis=-1)


def hinge_derivative(y_true, y_pred):
    """`d hinge / d y_pred = -y 1[y y_pred < 1] / n` (0 on the margin, as autodiff of max takes it)."""
    y_true, y_pred = _align(y_true, y_pred)
    y = _hinge_targets(y_true)
    return -y * ops.cast(1.0 - y * y_pred > 0.0, y_pred.dtype) / _units(y_pred)


@register
def squared_hinge(y_true, y_pred):
    """`squared_hinge = mean(max(1 - y * y_pred, 0)^2)` with targets y in {-1, +1}.

    As Keras does, targets that are all 0 or 1 are first converted to {-1, +1}.
    """
    y_true, y_pred = _align(y_true, y_pred)
    return ops.mean(ops.square(ops.maximum(1.0 - _hinge_targets(y_true) * y_pred, 0.0)), axis=-1)


def squared_hinge_derivative(y_true, y_pred):
    """`d squared_hinge / d y_pred = -2 y max(1 - y y_pred, 0) / n`."""
    y_true, y_pred = _align(y_true, y_pred)
    y = _hinge_targets(y_true)
    margin = ops.maximum(1.0 - y * y_pred, 0.0)
    return -2.0 * y * margin / _units(y_pred)


@register
def categorical_hinge(y_true, y_pred):
    """`categorical_hinge = max(max_k (1 - y_k) p_k - sum_k y_k p_k + 1, 0)` on one-hot targets.

    Crammer & Singer's (2001) multi-class margin: the true class's output must beat the best
    other output by 1. As in Keras, the targets are not converted, and the "best other" is the
    largest of `(1 - y_k) p_k`, which is 0 for the true class (so with all other outputs below
    0 the margin is measured against 0).
    """
    y_true, y_pred = _align(y_true, y_pred)
    positive = ops.sum(y_true * y_pred, axis=-1)
    negative = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(negative - positive + 1.0, 0.0)


def categorical_hinge_derivative(y_true, y_pred):
    """`d / d p_i = 1[loss > 0] ((1 - y_i) 1[i = argmax_k (1 - y_k) p_k] - y_i)`."""
    y_true, y_pred = _align(y_true, y_pred)
    others = (1.0 - y_true) * y_pred
    active = ops.cast(ops.max(others, axis=-1) - ops.sum(y_true * y_pred, axis=-1) + 1.0 > 0.0, y_pred.dtype)
    best = ops.one_hot(ops.argmax(others, axis=-1), y_pred.shape[-1], dtype=y_pred.dtype)
    return ops.expand_dims(active, -1) * ((1.0 - y_true) * best - y_true)
