"""Cross-entropies and their kin: negative log-likelihoods of the targets under the outputs read as
probabilities (clipped to [epsilon, 1 - epsilon] before a log), or as logits with `from_logits=True`
(softplus and log-sum-exp forms that never overflow)."""

from keras import ops

from custom_objects.activations import sigmoid, softmax
from custom_objects.activations import softplus as _softplus
from custom_objects.losses.common import (
    _align,
    _epsilon,
    _inside_clip,
    _logsumexp,
    _one_hot_targets,
    _units,
)
from custom_objects.registry import register


def _smooth_binary(y_true, label_smoothing):
    """Keras's label smoothing of binary targets: `y (1 - s) + s / 2`, so 1 becomes 1 - s/2 and 0 becomes s/2."""
    return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing if label_smoothing else y_true


def _smooth_categorical(y_true, label_smoothing):
    """Keras's label smoothing of one-hot rows: `y (1 - s) + s / K` over the K classes (Szegedy et al. 2016)."""
    if not label_smoothing:
        return y_true
    classes = ops.cast(ops.shape(y_true)[-1], y_true.dtype)
    return y_true * (1.0 - label_smoothing) + label_smoothing / classes


@register
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """`bce = -mean(y log p + (1 - y) log(1 - p))`: the Bernoulli negative log-likelihood.

    With `from_logits=True`, `y_pred` is the logit z and
    `bce = mean(softplus(z) - y z)`, exact for any z.
    """
    y_true, y_pred = _align(y_true, y_pred)
    y_true = _smooth_binary(y_true, label_smoothing)
    if from_logits:
        return ops.mean(_softplus(y_pred) - y_true * y_pred, axis=-1)
    eps = _epsilon()
    p = ops.clip(y_pred, eps, 1.0 - eps)
    return -ops.mean(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p), axis=-1)


def binary_crossentropy_derivative(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """`d bce / d p = ((1 - y) / (1 - p) - y / p) / n` (0 where p is clipped).

    With `from_logits=True`: `d bce / d z = (sigmoid(z) - y) / n`, bounded in [-1, 1].
    """
    y_true, y_pred = _align(y_true, y_pred)
    y_true = _smooth_binary(y_true, label_smoothing)
    if from_logits:
        return (sigmoid(y_pred) - y_true) / _units(y_pred)
    inside = _inside_clip(y_pred)
    p = ops.clip(y_pred, _epsilon(), 1.0 - _epsilon())
    return inside * ((1.0 - y_true) / (1.0 - p) - y_true / p) / _units(y_pred)


@register
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """`cce = -sum_k y_k log p_k`: the multinoulli negative log-likelihood.

    Probabilities are first renormalised to sum to 1 (as Keras does). With
    `from_logits=True`: `cce = sum_k y_k (logsumexp(z) - z_k)`, which never
    saturates in the true class's logit.
    """
    y_true, y_pred = _align(y_true, y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing)
    if from_logits:
        return _logsumexp(y_pred) * ops.sum(y_true, axis=-1) - ops.sum(y_true * y_pred, axis=-1)
    q = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
    q = ops.clip(q, _epsilon(), 1.0 - _epsilon())
    return -ops.sum(y_true * ops.log(q), axis=-1)


def categorical_crossentropy_derivative(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """`d cce / d p_i = (sum_k y_k - y_i / q_i) / S`, `S = sum_k p_k`, `q = p / S`.

    Terms whose q is clipped drop out. With `from_logits=True`:
    `d cce / d z = softmax(z) sum_k y_k - y`, which for one-hot y is `p - y` in [-1, 1].
    """
    y_true, y_pred = _align(y_true, y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing)
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
def binary_focal_crossentropy(
    y_true, y_pred, gamma=2.0, from_logits=False, apply_class_balancing=False, alpha=0.25, label_smoothing=0.0
):
    """Focal loss (Lin et al. 2017, "Focal loss for dense object detection"): `mean((1 - p_t)^gamma bce)`.

    `p_t = y p + (1 - y)(1 - p)`, and `bce` is binary cross-entropy on p clipped to [epsilon, 1 - epsilon].
    With `apply_class_balancing`, each term is weighted by `alpha` (y = 1) or `1 - alpha` (y = 0).
    With `from_logits=True`, `p = sigmoid(z)` and `bce = softplus(z) - y z`, exact for any z: this is
    what `keras.losses.binary_focal_crossentropy` computes on TensorFlow, whose sigmoid hands its logits
    to the cross-entropy (`_keras_logits`); Keras on JAX clips `sigmoid(z)` instead, so beyond a logit
    of about +-16 the two backends' Keras differ and this function follows TensorFlow's.
    """
    y_true, y_pred = _align(y_true, y_pred)
    y_true = _smooth_binary(y_true, label_smoothing)
    _, bce, distance = _focal_terms(y_true, y_pred, from_logits)
    focal = ops.power(distance, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=-1)


def binary_focal_crossentropy_derivative(
    y_true, y_pred, gamma=2.0, from_logits=False, apply_class_balancing=False, alpha=0.25, label_smoothing=0.0
):
    """`d / d p = [gamma (1 - p_t)^(gamma - 1) (1 - 2y) bce + (1 - p_t)^gamma d bce / d p] / n`.

    `d bce / d p = (1 - y) / (1 - p) - y / p` inside the clip, 0 outside. With `from_logits=True`
    the derivative is with respect to z: `d p / d z = p (1 - p)` for the focal factor, and
    `d bce / d z = p - y`.
    """
    y_true, y_pred = _align(y_true, y_pred)
    y_true = _smooth_binary(y_true, label_smoothing)
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
