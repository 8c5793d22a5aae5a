"""Regression losses: distances between the outputs and the targets as they are (values, counts)."""

import math

from keras import ops

from custom_objects.activations import softplus as _softplus
from custom_objects.losses.common import (
    _align,
    _epsilon,
    _units,
)
from custom_objects.registry import register


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
    # |y_true - y_pred|, in Keras's order: autodiff then takes Keras's subgradient where they are equal
    # (on JAX, d|x|/dx at 0 is +1, so the order decides its sign: -1 here and in Keras).
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


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
