"""Gradients by automatic differentiation on whichever Keras backend is active."""

import keras
import numpy as np

from experiments.training.probe import gradient as gradient_of


def gradient(f, x):
    """The gradient of `sum(f(x))` with respect to `x`, as a NumPy array."""
    return gradient_of(lambda v: keras.ops.sum(f(v)), x)


def jacobian_last_axis(f, x):
    """`J[..., i, j] = d f(x)_i / d x_j` for a function mapping the last axis to itself."""
    n = x.shape[-1]
    rows = [gradient(lambda v, i=i: f(v)[..., i], x) for i in range(n)]
    return np.stack(rows, axis=-2)
