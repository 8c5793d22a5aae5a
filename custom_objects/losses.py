"""Losses written by hand with `keras.ops`, each a pure function plus a `Loss` class.

A pure function returns the loss per sample (averaged over the last axis for
elementwise losses, summed over classes for the cross-entropies), as Keras's own
losses do. Its analytic derivative with respect to `y_pred`,
`<name>_derivative(y_true, y_pred, ...)`, has the shape of `y_pred`.

Numerical stability is explicit: probabilities are clipped to
`[epsilon, 1 - epsilon]` before a log; with `from_logits=True` the
cross-entropies use softplus and log-sum-exp forms that never overflow.

Shapes must match. `y_true` of shape `(batch,)` against `y_pred` of shape
`(batch, 1)` is accepted (the trailing unit axis is added), but shapes that would
only agree by broadcasting, such as `(batch,)` against `(batch, 10)`, raise a
`ValueError` rather than silently producing a `(batch, batch)` loss.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import keras
from keras import ops

from custom_objects.activations import sigmoid, softmax
from custom_objects.activations import softplus as _softplus
from custom_objects.registry import register


def _epsilon():
    return keras.config.epsilon()


def _as_float(y_pred):
    y_pred = ops.convert_to_tensor(y_pred)
    if "float" not in str(y_pred.dtype):
        y_pred = ops.cast(y_pred, keras.config.floatx())
    return y_pred


def _shape_error(y_true, y_pred, expected):
    return ValueError(
        f"y_true has shape {tuple(y_true.shape)} and y_pred has shape "
        f"{tuple(y_pred.shape)}; expected {expected}. "
        "Shapes are not broadcast: encode the targets to match the model output."
    )


def _compatible(a, b):
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def _align(y_true, y_pred):
    """Targets and predictions of the same shape and float dtype, or a clear error."""
    y_pred = _as_float(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), y_pred.dtype)
    true_rank, pred_rank = len(y_true.shape), len(y_pred.shape)
    if true_rank == pred_rank - 1 and y_pred.shape[-1] == 1:
        y_true = ops.expand_dims(y_true, -1)
    elif true_rank == pred_rank + 1 and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    if not _compatible(y_true.shape, y_pred.shape):
        raise _shape_error(y_true, y_pred, "the same shape")
    return y_true, y_pred


def _one_hot_targets(y_true, y_pred):
    """Integer class ids `(batch,)` or `(batch, 1)` as one-hot rows matching `y_pred`."""
    y_pred = _as_float(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    if not _compatible(y_true.shape, y_pred.shape[:-1]):
        raise _shape_error(y_true, y_pred, f"integer class ids of shape {tuple(y_pred.shape[:-1])}")
    return ops.one_hot(ops.cast(y_true, "int32"), y_pred.shape[-1], dtype=y_pred.dtype), y_pred


def _units(y_pred):
    return ops.cast(ops.shape(y_pred)[-1], y_pred.dtype)


def _logsumexp(x):
    m = ops.max(x, axis=-1, keepdims=True)
    return ops.squeeze(m, -1) + ops.log(ops.sum(ops.exp(x - m), axis=-1))


def _inside_clip(p):
    eps = _epsilon()
    return ops.cast((p > eps) & (p < 1.0 - eps), p.dtype)


# Regression losses


@register
def mean_squared_error(y_true, y_pred):
    """`mse = mean((y_pred - y_true)^2)`: the Gaussian negative log-likelihood, up to constants.

    Minimised by the conditional mean.
    """
    y_true, y_pred = _align(y_true, y_pred)
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


def mean_squared_error_derivative(y_true, y_pred):
    """`d mse / d y_pred = 2 (y_pred - y_true) / n`."""
    y_true, y_pred = _align(y_true, y_pred)
    return 2.0 * (y_pred - y_true) / _units(y_pred)


@register
def mean_absolute_error(y_true, y_pred):
    """`mae = mean(|y_pred - y_true|)`: the Laplace negative log-likelihood.

    Minimised by the conditional median.
    """
    y_true, y_pred = _align(y_true, y_pred)
    return ops.mean(ops.abs(y_pred - y_true), axis=-1)


def mean_absolute_error_derivative(y_true, y_pred):
    """`d mae / d y_pred = sign(y_pred - y_true) / n` (0 where they are equal)."""
    y_true, y_pred = _align(y_true, y_pred)
    return ops.sign(y_pred - y_true) / _units(y_pred)


@register
def huber(y_true, y_pred, delta=1.0):
    """Huber: `0.5 e^2` for `|e| <= delta`, `delta (|e| - 0.5 delta)` beyond; `e = y_pred - y_true`.

    Quadratic near zero like MSE, linear in the tails like MAE.
    """
    y_true, y_pred = _align(y_true, y_pred)
    abs_error = ops.abs(y_pred - y_true)
    quadratic = 0.5 * ops.square(abs_error)
    linear = delta * abs_error - 0.5 * delta**2
    return ops.mean(ops.where(abs_error <= delta, quadratic, linear), axis=-1)


def huber_derivative(y_true, y_pred, delta=1.0):
    """`d huber / d y_pred = e / n` for `|e| <= delta`, `delta sign(e) / n` beyond."""
    y_true, y_pred = _align(y_true, y_pred)
    error = y_pred - y_true
    grad = ops.where(ops.abs(error) <= delta, error, delta * ops.sign(error))
    return grad / _units(y_pred)


# Classification losses


@register
def binary_crossentropy(y_true, y_pred, from_logits=False):
    """`bce = -mean(y log p + (1 - y) log(1 - p))`: the Bernoulli negative log-likelihood.

    With `from_logits=True`, `y_pred` is the logit z and
    `bce = mean(softplus(z) - y z)`, exact for any z.
    """
    y_true, y_pred = _align(y_true, y_pred)
    if from_logits:
        return ops.mean(_softplus(y_pred) - y_true * y_pred, axis=-1)
    eps = _epsilon()
    p = ops.clip(y_pred, eps, 1.0 - eps)
    return -ops.mean(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p), axis=-1)


def binary_crossentropy_derivative(y_true, y_pred, from_logits=False):
    """`d bce / d p = ((1 - y) / (1 - p) - y / p) / n` (0 where p is clipped).

    With `from_logits=True`: `d bce / d z = (sigmoid(z) - y) / n`, bounded in [-1, 1].
    """
    y_true, y_pred = _align(y_true, y_pred)
    if from_logits:
        return (sigmoid(y_pred) - y_true) / _units(y_pred)
    inside = _inside_clip(y_pred)
    p = ops.clip(y_pred, _epsilon(), 1.0 - _epsilon())
    return inside * ((1.0 - y_true) / (1.0 - p) - y_true / p) / _units(y_pred)


@register
def categorical_crossentropy(y_true, y_pred, from_logits=False):
    """`cce = -sum_k y_k log p_k`: the multinoulli negative log-likelihood.

    Probabilities are first renormalised to sum to 1 (as Keras does). With
    `from_logits=True`: `cce = sum_k y_k (logsumexp(z) - z_k)`, which never
    saturates in the true class's logit.
    """
    y_true, y_pred = _align(y_true, y_pred)
    if from_logits:
        return _logsumexp(y_pred) * ops.sum(y_true, axis=-1) - ops.sum(y_true * y_pred, axis=-1)
    q = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
    q = ops.clip(q, _epsilon(), 1.0 - _epsilon())
    return -ops.sum(y_true * ops.log(q), axis=-1)


def categorical_crossentropy_derivative(y_true, y_pred, from_logits=False):
    """`d cce / d p_i = (sum_k y_k - y_i / q_i) / S`, `S = sum_k p_k`, `q = p / S`.

    Terms whose q is clipped drop out. With `from_logits=True`:
    `d cce / d z = softmax(z) sum_k y_k - y`, which for one-hot y is `p - y` in [-1, 1].
    """
    y_true, y_pred = _align(y_true, y_pred)
    if from_logits:
        return softmax(y_pred) * ops.sum(y_true, axis=-1, keepdims=True) - y_true
    total = ops.sum(y_pred, axis=-1, keepdims=True)
    q = y_pred / total
    inside = _inside_clip(q)
    q = ops.clip(q, _epsilon(), 1.0 - _epsilon())
    return (ops.sum(y_true * inside, axis=-1, keepdims=True) - inside * y_true / q) / total


@register
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Categorical cross-entropy with integer class ids as targets: `-log p_y`."""
    one_hot, y_pred = _one_hot_targets(y_true, y_pred)
    return categorical_crossentropy(one_hot, y_pred, from_logits=from_logits)


def sparse_categorical_crossentropy_derivative(y_true, y_pred, from_logits=False):
    """The categorical cross-entropy derivative with the one-hot of `y_true`."""
    one_hot, y_pred = _one_hot_targets(y_true, y_pred)
    return categorical_crossentropy_derivative(one_hot, y_pred, from_logits=from_logits)


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


@register
def log_cosh(y_true, y_pred):
    """`log_cosh = mean(log(cosh(y_pred - y_true)))`: about `e^2 / 2` near 0 and `|e| - log 2` far away.

    Computed as Keras does, `e + softplus(-2 e) - log 2`, which never overflows.
    """
    y_true, y_pred = _align(y_true, y_pred)
    error = y_pred - y_true
    return ops.mean(error + _softplus(-2.0 * error) - math.log(2.0), axis=-1)


def log_cosh_derivative(y_true, y_pred):
    """`d log_cosh / d y_pred = tanh(y_pred - y_true) / n`, bounded in [-1/n, 1/n] like MAE's."""
    y_true, y_pred = _align(y_true, y_pred)
    return ops.tanh(y_pred - y_true) / _units(y_pred)


@register
def kl_divergence(y_true, y_pred):
    """`kl = sum_k y_k log(y_k / p_k)`, Kullback-Leibler divergence of p from the target distribution y.

    As Keras does, both are clipped to [epsilon, 1] first, and neither is renormalised: the
    targets should already sum to 1 (on one-hot targets it is categorical cross-entropy).
    """
    y_true, y_pred = _align(y_true, y_pred)
    eps = _epsilon()
    y = ops.clip(y_true, eps, 1.0)
    p = ops.clip(y_pred, eps, 1.0)
    return ops.sum(y * ops.log(y / p), axis=-1)


def kl_divergence_derivative(y_true, y_pred):
    """`d kl / d p_k = -y_k / p_k` with both clipped, 0 where p is clipped (a p of exactly 1 is inside)."""
    y_true, y_pred = _align(y_true, y_pred)
    eps = _epsilon()
    inside = ops.cast((y_pred > eps) & (y_pred <= 1.0), y_pred.dtype)
    return -inside * ops.clip(y_true, eps, 1.0) / ops.clip(y_pred, eps, 1.0)


@register
def poisson(y_true, y_pred):
    """`poisson = mean(y_pred - y_true log(y_pred + epsilon))`: the Poisson negative log-likelihood of
    counts `y_true` at rates `y_pred`, up to terms free of the rate. Keras's form (epsilon inside the log).

    Rates must be positive (a softplus or exp head); a negative output makes the log undefined (NaN).
    """
    y_true, y_pred = _align(y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + _epsilon()), axis=-1)


def poisson_derivative(y_true, y_pred):
    """`d poisson / d y_pred = (1 - y_true / (y_pred + epsilon)) / n`."""
    y_true, y_pred = _align(y_true, y_pred)
    return (1.0 - y_true / (y_pred + _epsilon())) / _units(y_pred)


def _focal_terms(y_true, y_pred, from_logits):
    """(p, bce per unit, 1 - p_t) of binary focal cross-entropy; see `binary_focal_crossentropy`."""
    if from_logits:  # Keras on TensorFlow: the bce of sigmoid(z) is taken from the logits z behind it
        return sigmoid(y_pred), _softplus(y_pred) - y_true * y_pred, _focal_distance(y_true, sigmoid(y_pred))
    eps = _epsilon()
    clipped = ops.clip(y_pred, eps, 1.0 - eps)
    bce = -(y_true * ops.log(clipped) + (1.0 - y_true) * ops.log(1.0 - clipped))
    return y_pred, bce, _focal_distance(y_true, y_pred)


def _focal_distance(y_true, p):
    """`1 - p_t`, `p_t = y p + (1 - y)(1 - p)`: how far the prediction is from the target."""
    return 1.0 - (y_true * p + (1.0 - y_true) * (1.0 - p))


@register
def binary_focal_crossentropy(y_true, y_pred, gamma=2.0, from_logits=False, apply_class_balancing=False, alpha=0.25):
    """Focal loss (Lin et al. 2017, "Focal loss for dense object detection"): `mean((1 - p_t)^gamma bce)`.

    `p_t = y p + (1 - y)(1 - p)`, and `bce` is binary cross-entropy on p clipped to [epsilon, 1 - epsilon].
    With `apply_class_balancing`, each term is weighted by `alpha` (y = 1) or `1 - alpha` (y = 0).
    With `from_logits=True`, `p = sigmoid(z)` and `bce = softplus(z) - y z`, exact for any z: this is
    what `keras.losses.binary_focal_crossentropy` computes on TensorFlow, whose sigmoid hands its logits
    to the cross-entropy (`_keras_logits`); Keras on JAX clips `sigmoid(z)` instead, so beyond a logit
    of about +-16 the two backends' Keras differ and this function follows TensorFlow's.
    """
    y_true, y_pred = _align(y_true, y_pred)
    _, bce, distance = _focal_terms(y_true, y_pred, from_logits)
    focal = ops.power(distance, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=-1)


def binary_focal_crossentropy_derivative(
    y_true, y_pred, gamma=2.0, from_logits=False, apply_class_balancing=False, alpha=0.25
):
    """`d / d p = [gamma (1 - p_t)^(gamma - 1) (1 - 2y) bce + (1 - p_t)^gamma d bce / d p] / n`.

    `d bce / d p = (1 - y) / (1 - p) - y / p` inside the clip, 0 outside. With `from_logits=True`
    the derivative is with respect to z: `d p / d z = p (1 - p)` for the focal factor, and
    `d bce / d z = p - y`.
    """
    y_true, y_pred = _align(y_true, y_pred)
    p, bce, distance = _focal_terms(y_true, y_pred, from_logits)
    d_factor = gamma * ops.power(distance, gamma - 1.0) * (1.0 - 2.0 * y_true)
    if from_logits:
        grad = d_factor * p * (1.0 - p) * bce + ops.power(distance, gamma) * (p - y_true)
    else:
        eps = _epsilon()
        clipped = ops.clip(p, eps, 1.0 - eps)
        d_bce = _inside_clip(p) * ((1.0 - y_true) / (1.0 - clipped) - y_true / clipped)
        grad = d_factor * bce + ops.power(distance, gamma) * d_bce
    if apply_class_balancing:
        grad = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * grad
    return grad / _units(y_pred)


class _FunctionLoss(keras.losses.Loss):
    """A `Loss` that applies the pure function `fn` with stored keyword arguments."""

    fn = None
    default_name = None

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None, **fn_kwargs):
        super().__init__(name=name or self.default_name, reduction=reduction, dtype=dtype)
        self.fn_kwargs = fn_kwargs

    def call(self, y_true, y_pred):
        return type(self).fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self.fn_kwargs}


@register
class MeanSquaredError(_FunctionLoss):
    fn = staticmethod(mean_squared_error)
    default_name = "mean_squared_error"


@register
class MeanAbsoluteError(_FunctionLoss):
    fn = staticmethod(mean_absolute_error)
    default_name = "mean_absolute_error"


@register
class Huber(_FunctionLoss):
    fn = staticmethod(huber)
    default_name = "huber_loss"

    def __init__(self, delta=1.0, **kwargs):
        super().__init__(delta=delta, **kwargs)


@register
class BinaryCrossentropy(_FunctionLoss):
    fn = staticmethod(binary_crossentropy)
    default_name = "binary_crossentropy"

    def __init__(self, from_logits=False, **kwargs):
        super().__init__(from_logits=from_logits, **kwargs)


@register
class CategoricalCrossentropy(_FunctionLoss):
    fn = staticmethod(categorical_crossentropy)
    default_name = "categorical_crossentropy"

    def __init__(self, from_logits=False, **kwargs):
        super().__init__(from_logits=from_logits, **kwargs)


@register
class SparseCategoricalCrossentropy(_FunctionLoss):
    fn = staticmethod(sparse_categorical_crossentropy)
    default_name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits=False, **kwargs):
        super().__init__(from_logits=from_logits, **kwargs)


@register
class SquaredHinge(_FunctionLoss):
    fn = staticmethod(squared_hinge)
    default_name = "squared_hinge"


@register
class Hinge(_FunctionLoss):
    fn = staticmethod(hinge)
    default_name = "hinge"


@register
class CategoricalHinge(_FunctionLoss):
    fn = staticmethod(categorical_hinge)
    default_name = "categorical_hinge"


@register
class LogCosh(_FunctionLoss):
    fn = staticmethod(log_cosh)
    default_name = "log_cosh"


@register
class KLDivergence(_FunctionLoss):
    fn = staticmethod(kl_divergence)
    default_name = "kl_divergence"


@register
class Poisson(_FunctionLoss):
    fn = staticmethod(poisson)
    default_name = "poisson"


@register
class BinaryFocalCrossentropy(_FunctionLoss):
    fn = staticmethod(binary_focal_crossentropy)
    default_name = "binary_focal_crossentropy"

    def __init__(self, gamma=2.0, from_logits=False, apply_class_balancing=False, alpha=0.25, **kwargs):
        super().__init__(
            gamma=gamma, from_logits=from_logits, apply_class_balancing=apply_class_balancing, alpha=alpha, **kwargs
        )


@dataclass(frozen=True)
class LossEntry:
    """One loss: the function, its derivative wrt `y_pred`, its `Loss` class and the Keras built-in it must equal."""

    fn: Callable
    derivative: Callable
    cls: type
    keras_twin: type


# One entry per loss: a new loss is one line here (and its tests).
REGISTRY = {
    "mse": LossEntry(
        mean_squared_error, mean_squared_error_derivative, MeanSquaredError, keras.losses.MeanSquaredError
    ),
    "mae": LossEntry(
        mean_absolute_error, mean_absolute_error_derivative, MeanAbsoluteError, keras.losses.MeanAbsoluteError
    ),
    "huber": LossEntry(huber, huber_derivative, Huber, keras.losses.Huber),
    "bce": LossEntry(
        binary_crossentropy, binary_crossentropy_derivative, BinaryCrossentropy, keras.losses.BinaryCrossentropy
    ),
    "cce": LossEntry(
        categorical_crossentropy,
        categorical_crossentropy_derivative,
        CategoricalCrossentropy,
        keras.losses.CategoricalCrossentropy,
    ),
    "sparse_cce": LossEntry(
        sparse_categorical_crossentropy,
        sparse_categorical_crossentropy_derivative,
        SparseCategoricalCrossentropy,
        keras.losses.SparseCategoricalCrossentropy,
    ),
    "squared_hinge": LossEntry(squared_hinge, squared_hinge_derivative, SquaredHinge, keras.losses.SquaredHinge),
    "hinge": LossEntry(hinge, hinge_derivative, Hinge, keras.losses.Hinge),
    "categorical_hinge": LossEntry(
        categorical_hinge, categorical_hinge_derivative, CategoricalHinge, keras.losses.CategoricalHinge
    ),
    "log_cosh": LossEntry(log_cosh, log_cosh_derivative, LogCosh, keras.losses.LogCosh),
    "kl_divergence": LossEntry(kl_divergence, kl_divergence_derivative, KLDivergence, keras.losses.KLDivergence),
    "poisson": LossEntry(poisson, poisson_derivative, Poisson, keras.losses.Poisson),
    "binary_focal_crossentropy": LossEntry(
        binary_focal_crossentropy,
        binary_focal_crossentropy_derivative,
        BinaryFocalCrossentropy,
        keras.losses.BinaryFocalCrossentropy,
    ),
}
LOSSES = {name: e.cls for name, e in REGISTRY.items()}
LOSS_FUNCTIONS = {name: e.fn for name, e in REGISTRY.items()}
LOSS_DERIVATIVES = {name: e.derivative for name, e in REGISTRY.items()}
KERAS_EQUIVALENTS = {name: e.keras_twin for name, e in REGISTRY.items()}
