"""Keras's Adam, with its TensorFlow update step written once for all variables.

Keras's Adam (3.x, TensorFlow backend) runs its `update_step` once per variable through
TensorFlow's distribution machinery and Keras's op dispatch, and recomputes the step's
scalars (the learning rate's cast, the beta powers, alpha) for every variable. Tracing
that for a pack of 7 CNNs (56 variables) costs about 2.5 s per pack, which a short run
pays in full. `LeanAdam` builds the same TensorFlow ops, in the same order and with the
same constants, on each variable, but computes the scalars once and calls TensorFlow
directly, so its updates equal Keras's Adam bit for bit (tests/test_training_speedups.py checks
it on every Keras version the suite is installed with, and `adam` checks it again at run time,
falling back to Keras's Adam if they differ; the record names the one used). Everything around the update
step (gradient clipping, weight decay, EMA, the iteration counter) stays Keras's own.
"""

import functools

import keras
import numpy as np
import tensorflow as tf


class LeanAdam(keras.optimizers.Adam):
    """`keras.optimizers.Adam` with a cheaper-to-trace TensorFlow update step; same numbers."""

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        if self.amsgrad or tf.distribute.has_strategy():
            return super()._backend_update_step(grads, trainable_variables, learning_rate)
        scalars = {}
        for grad, variable in zip(grads, trainable_variables):
            variable = variable.value if isinstance(variable, keras.Variable) else variable
            dtype = variable.dtype
            if dtype not in scalars:
                scalars[dtype] = self._step_scalars(learning_rate, dtype)
            alpha, one_minus_beta_1, one_minus_beta_2, epsilon = scalars[dtype]
            index = self._get_variable_index(variable)
            m, v = self._momentums[index].value, self._velocities[index].value
            grad = tf.cast(grad, dtype)
            # Keras: m += (g - m) * (1 - beta_1); v += (g^2 - v) * (1 - beta_2);
            #        variable -= m * alpha / (sqrt(v) + epsilon)
            m.assign_add(tf.multiply(tf.subtract(grad, m), one_minus_beta_1))
            v.assign_add(tf.multiply(tf.subtract(tf.square(grad), v), one_minus_beta_2))
            variable.assign_sub(tf.divide(tf.multiply(m, alpha), tf.add(tf.sqrt(v), epsilon)))

    def _step_scalars(self, learning_rate, dtype):
        """alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) and the constants, as Keras computes them."""
        lr = tf.cast(learning_rate, dtype)
        local_step = tf.cast(self.iterations + 1, dtype)
        beta_1_power = tf.pow(tf.cast(self.beta_1, dtype), local_step)
        beta_2_power = tf.pow(tf.cast(self.beta_2, dtype), local_step)
        alpha = lr * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        # Python floats rounded to `dtype` once, as Keras's ops round them.
        return (
            alpha,
            tf.constant(1 - self.beta_1, dtype),
            tf.constant(1 - self.beta_2, dtype),
            tf.constant(self.epsilon, dtype),
        )


@functools.cache
def lean_adam_matches_keras():
    """Whether `LeanAdam` still updates exactly as this Keras's Adam does (checked once per process).

    `LeanAdam` overrides private Keras internals (`_backend_update_step`, `_momentums`,
    `_velocities`, `_get_variable_index`); a Keras release that changes them must not change
    the suite's numbers silently. Two steps on a small variable, compared bit for bit.
    """
    try:
        results = []
        for cls in (keras.optimizers.Adam, LeanAdam):
            variable = keras.Variable(np.array([0.5, -1.0, 2.0], dtype="float32"))
            optimizer = cls(learning_rate=0.01)
            for grad in ([0.1, -0.2, 0.3], [0.05, 0.4, -0.1]):
                optimizer.apply_gradients([(tf.constant(grad, dtype="float32"), variable)])
            results.append(keras.ops.convert_to_numpy(variable))
        return bool(np.array_equal(*results))
    except Exception:  # the internals it relies on are gone or renamed
        return False


def adam(learning_rate):
    """Adam for a run: `LeanAdam` where it equals Keras's Adam here, else Keras's own; and its name."""
    if lean_adam_matches_keras():
        return LeanAdam(learning_rate=learning_rate), "LeanAdam"
    return keras.optimizers.Adam(learning_rate=learning_rate), "keras.optimizers.Adam"
