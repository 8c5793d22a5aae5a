"""Gradients by automatic differentiation on whichever Keras backend is active."""

import keras
import numpy as np


def gradient(f, x):
    """The gradient of `sum(f(x))` with respect to `x`, as a NumPy array."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = tf.reduce_sum(f(x))
        return tape.gradient(total, x).numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        return np.asarray(jax.grad(lambda v: jnp.sum(f(v)))(jnp.asarray(x)))
    raise NotImplementedError(f"No autodiff helper for the {backend!r} backend.")


def jacobian_last_axis(f, x):
    """`J[..., i, j] = d f(x)_i / d x_j` for a function mapping the last axis to itself."""
    n = x.shape[-1]
    rows = [gradient(lambda v, i=i: f(v)[..., i], x) for i in range(n)]
    return np.stack(rows, axis=-2)
