"""Output and hidden-layer activations written by hand with `keras.ops`.

Every activation comes with its analytic derivative as code (the derivations of
reference text 003): `<name>_derivative(x)` is the elementwise derivative
d f(x) / d x, and `softmax_jacobian(x)` is the full Jacobian of the softmax,
because each softmax output depends on every input.

The functions are registered with Keras under the package prefix
`custom_objects`, so a model that uses them saves to `.keras` and loads back in
a fresh process after `import custom_objects`.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import keras
from keras import ops

from custom_objects import registry
from custom_objects.registry import register

_SQRT_2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_CUBIC = 0.044715


def two_sided(x, positive_branch, negative_branch):
    """Evaluate `positive_branch` for x >= 0 and `negative_branch` for x < 0.

    Each branch only ever sees inputs of its own sign (the other side is
    replaced by 0), so an `exp` that would overflow on the far side is never
    evaluated there, and automatic differentiation gets no NaN through the
    branch that `where` discards.
    """
    is_positive = x >= 0
    zero = ops.zeros_like(x)
    return ops.where(
        is_positive,
        positive_branch(ops.where(is_positive, x, zero)),
        negative_branch(ops.where(is_positive, zero, x)),
    )


@register
def linear(x):
    """Identity: `linear(x) = x`. The output of a regression head."""
    return ops.convert_to_tensor(x)


def linear_derivative(x):
    """`linear'(x) = 1`."""
    return ops.ones_like(x)


@register
def sigmoid(x):
    """Logistic sigmoid: `sigmoid(x) = 1 / (1 + exp(-x))`.

    Computed as `1 / (1 + exp(-x))` for x >= 0 and `exp(x) / (1 + exp(x))` for
    x < 0, so `exp` never overflows. Output in (0, 1): a Bernoulli probability.
    """
    return two_sided(
        ops.convert_to_tensor(x),
        lambda p: 1.0 / (1.0 + ops.exp(-p)),
        lambda n: ops.exp(n) / (1.0 + ops.exp(n)),
    )


def sigmoid_derivative(x):
    """`sigmoid'(x) = sigmoid(x) * (1 - sigmoid(x))`: at most 1/4, vanishing as |x| grows."""
    s = sigmoid(x)
    return s * (1.0 - s)


@register
def tanh(x):
    """Hyperbolic tangent: `tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))`.

    Computed as `-expm1(-2x) / (1 + exp(-2x))` for x >= 0 (and the mirror for
    x < 0): no overflow, and full relative precision near 0.
    """
    return two_sided(
        ops.convert_to_tensor(x),
        lambda p: -ops.expm1(-2.0 * p) / (1.0 + ops.exp(-2.0 * p)),
        lambda n: ops.expm1(2.0 * n) / (1.0 + ops.exp(2.0 * n)),
    )


def tanh_derivative(x):
    """`tanh'(x) = 1 - tanh(x)^2`."""
    return 1.0 - ops.square(tanh(x))


@register
def relu(x):
    """Rectified linear unit: `relu(x) = max(x, 0)`.

    Written as `where(x <= 0, 0, x)`: -inf gives 0 and NaN stays NaN, as in Keras's relu,
    and autodiff gives exactly `relu_derivative` (0 at x = 0). `x * (x > 0)` is about 13%
    cheaper for the op on TensorFlow (5.5 against 6.3 ms forward and backward on a
    32x32x32x56 batch, one core) but gives NaN for -inf; the correct form costs about 3%
    of a packed bird_plane training step.
    """
    x = ops.convert_to_tensor(x)
    return ops.where(x <= 0, ops.zeros_like(x), x)


def relu_derivative(x):
    """`relu'(x) = 1[x > 0]` (0 at x = 0, the usual convention)."""
    x = ops.convert_to_tensor(x)
    return ops.cast(x > 0, x.dtype)


@register
def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: `leaky_relu(x) = x if x > 0 else negative_slope * x`.

    Args:
        x: Input tensor.
        negative_slope: Slope for x <= 0 (Keras's default, 0.2).
    """
    x = ops.convert_to_tensor(x)
    return ops.where(x > 0, x, negative_slope * x)


def leaky_relu_derivative(x, negative_slope=0.2):
    """`leaky_relu'(x) = 1 if x > 0 else negative_slope`."""
    x = ops.convert_to_tensor(x)
    return ops.where(x > 0, ops.ones_like(x), negative_slope * ops.ones_like(x))


@register
def softmax(x, axis=-1):
    """Softmax: `softmax(x)_i = exp(x_i) / sum_j exp(x_j)` along `axis`.

    The maximum is subtracted first (`softmax(x) = softmax(x - max(x))`), so
    `exp` never overflows. Outputs are positive and sum to 1: "winner takes all".

    Args:
        x: Input tensor.
        axis: Axis along which the softmax normalises.
    """
    x = ops.convert_to_tensor(x)
    e = ops.exp(x - ops.max(x, axis=axis, keepdims=True))
    return e / ops.sum(e, axis=axis, keepdims=True)


def softmax_jacobian(x):
    """`d softmax(x)_i / d x_j = s_i (delta_ij - s_j)` over the last axis.

    Returns a tensor of shape `x.shape + (n,)` where n = `x.shape[-1]`.
    """
    s = softmax(x, axis=-1)
    n = s.shape[-1]
    return ops.expand_dims(s, -1) * (ops.eye(n, dtype=s.dtype) - ops.expand_dims(s, -2))


def _standard_normal_cdf(x):
    return 0.5 * (1.0 + ops.erf(x / _SQRT_2))


@register
def gelu(x, approximate=False):
    """Gaussian error linear unit: `gelu(x) = x * Phi(x)`, Phi the standard normal CDF.

    With `approximate=True`:
    `gelu(x) = 0.5 x (1 + tanh(u)) = x sigmoid(2u)`, `u = sqrt(2/pi) (x + 0.044715 x^3)`;
    the sigmoid form keeps its precision in the left tail, where `1 + tanh(u)` cancels.

    Reference: Hendrycks and Gimpel, 2016, https://arxiv.org/abs/1606.08415
    """
    x = ops.convert_to_tensor(x)
    if approximate:
        return x * sigmoid(2.0 * _SQRT_2_OVER_PI * (x + _GELU_CUBIC * x**3))
    return x * _standard_normal_cdf(x)


def gelu_derivative(x, approximate=False):
    """`gelu'(x) = Phi(x) + x phi(x)`, phi the standard normal density.

    With `approximate=True`, with `s = sigmoid(2u)`:
    `s + 2 x s (1 - s) sqrt(2/pi) (1 + 3 * 0.044715 x^2)`.
    """
    x = ops.convert_to_tensor(x)
    if approximate:
        s = sigmoid(2.0 * _SQRT_2_OVER_PI * (x + _GELU_CUBIC * x**3))
        du_dx = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_CUBIC * ops.square(x))
        return s + 2.0 * x * s * (1.0 - s) * du_dx
    density = _INV_SQRT_2PI * ops.exp(-0.5 * ops.square(x))
    return _standard_normal_cdf(x) + x * density


@register
def swish(x):
    """Swish (SiLU): `swish(x) = x * sigmoid(x)`.

    Reference: Ramachandran et al., 2017, https://arxiv.org/abs/1710.05941
    """
    x = ops.convert_to_tensor(x)
    return x * sigmoid(x)


def swish_derivative(x):
    """`swish'(x) = s + x s (1 - s)`, with s = sigmoid(x)."""
    s = sigmoid(x)
    return s + x * s * (1.0 - s)


@register
def softplus(x):
    """Softplus: `softplus(x) = log(1 + exp(x))`, a smooth ReLU with outputs in (0, inf).

    Computed as `x + log1p(exp(-x))` for x >= 0 and `log1p(exp(x))` below, so it never overflows.
    The output activation of a Poisson rate (Keras: `keras.activations.softplus`).
    """
    x = ops.convert_to_tensor(x)
    return two_sided(x, lambda p: p + ops.log1p(ops.exp(-p)), lambda n: ops.log1p(ops.exp(n)))


def softplus_derivative(x):
    """`softplus'(x) = sigmoid(x)`: in (0, 1), never exactly 0, unlike ReLU's."""
    return sigmoid(x)


@dataclass(frozen=True)
class ActivationEntry:
    """One activation: the function, its analytic derivative, and the Keras built-in it must equal."""

    fn: Callable
    derivative: Callable  # elementwise; softmax, whose outputs each depend on all inputs, has its Jacobian
    keras_twin: Callable


# One entry per activation in custom_objects/catalogue.toml: a new activation is its entry there, its
# function and derivative here, and its tests.
CATALOGUE = registry.CATALOGUE["activations"]
REGISTRY = {
    name: ActivationEntry(
        globals()[entry["function"]],
        globals()[entry.get("derivative", f"{entry['function']}_derivative")],
        getattr(keras.activations, entry["keras"]),
    )
    for name, entry in CATALOGUE.items()
}
ACTIVATIONS = {name: e.fn for name, e in REGISTRY.items()}
DERIVATIVES = {name: e.derivative for name, e in REGISTRY.items()}
KERAS_EQUIVALENTS = {name: e.keras_twin for name, e in REGISTRY.items()}
