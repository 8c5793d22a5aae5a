"""Keras's Adam, with its TensorFlow update step written once for all variables.

Keras's Adam (3.x, TensorFlow backend) runs its `update_step` once per variable through
TensorFlow's distribution machinery and Keras's op dispatch, and recomputes the step's
scalars (the learning rate's cast, the beta powers, alpha) for every variable: for a pack of
7 CNNs (56 variables), seconds of tracing per pack and, even with the scalars computed once,
about 900 small ops per training step (TensorFlow's profiler, 2026-11-23). `LeanAdam` keeps
the first and second moments of all variables in two flat vectors and runs Keras's update
once on them: the same TensorFlow ops, in the same order and with the same constants, on the
gradients concatenated; the step is then split back to the variables. Adam's update is
elementwise, so each weight goes through exactly the arithmetic it goes through in Keras's
Adam, and the results are equal bit for bit (tests/test_training_speedups.py checks it on
every Keras version the suite is installed with, and `adam` checks it again at run time,
falling back to Keras's Adam if they differ; the record names the one used). A pack of 7
runs 84 optimizer ops per step instead of 907. Everything around the update step (gradient clipping,
weight decay, EMA, the iteration counter) stays Keras's own. AMSGrad uses Keras's own update;
a step that updates only some of the variables, mixed dtypes and a distribution strategy are
refused with an error naming Keras's Adam (the suite's packs have none of them).
"""

import functools

import keras
import numpy as np
import tensorflow as tf


class LeanAdam(keras.optimizers.Adam):
    """`keras.optimizers.Adam` with one update for all variables on TensorFlow; same numbers."""

    def build(self, var_list):
        if self.built:
            return
        if self.amsgrad:  # Keras's own update and per-variable state
            return super().build(var_list)
        # The base optimizer's state (iterations, ...), then the moments as two flat vectors
        # in place of Adam's per-variable ones.
        keras.optimizers.Optimizer.build(self, var_list)
        self._flat_shapes = [tuple(v.shape) for v in var_list]
        self._flat_sizes = [int(np.prod(shape)) for shape in self._flat_shapes]
        self._flat_keys = [self._var_key(v) for v in var_list]
        total = sum(self._flat_sizes)
        self._flat_momentum = self.add_variable((total,), name="flat_momentum")
        self._flat_velocity = self.add_variable((total,), name="flat_velocity")

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        if self.amsgrad:
            return super()._backend_update_step(grads, trainable_variables, learning_rate)
        self._check_flat_step(trainable_variables)
        variables = [v.value if isinstance(v, keras.Variable) else v for v in trainable_variables]
        dtype = variables[0].dtype
        alpha, one_minus_beta_1, one_minus_beta_2, epsilon = self._step_scalars(learning_rate, dtype)
        grad = tf.concat([tf.reshape(tf.cast(g, dtype), [-1]) for g in grads], axis=0)
        m, v = self._flat_momentum.value, self._flat_velocity.value
        # Keras: m += (g - m) * (1 - beta_1); v += (g^2 - v) * (1 - beta_2);
        #        variable -= m * alpha / (sqrt(v) + epsilon)
        m.assign_add(tf.multiply(tf.subtract(grad, m), one_minus_beta_1))
        v.assign_add(tf.multiply(tf.subtract(tf.square(grad), v), one_minus_beta_2))
        step = tf.divide(tf.multiply(m, alpha), tf.add(tf.sqrt(v), epsilon))
        for variable, part, shape in zip(variables, tf.split(step, self._flat_sizes), self._flat_shapes):
            variable.assign_sub(tf.reshape(part, shape))

    def _check_flat_step(self, trainable_variables):
        """Refuse what the flat update cannot do (checked while tracing, not per step).

        The flat moments hold every built variable, in order, in one dtype, on one replica:
        a step must update them all, and no distribution strategy may split them.
        """
        if tf.distribute.has_strategy():
            raise NotImplementedError("LeanAdam does not run under a tf.distribute strategy; use keras.optimizers.Adam")
        if [self._var_key(v) for v in trainable_variables] != self._flat_keys:
            raise ValueError(
                f"LeanAdam was built on {len(self._flat_keys)} variables and updates them all at once, but this "
                f"step updates {len(trainable_variables)} (a variable without a gradient is left out by Keras); "
                "use keras.optimizers.Adam for such a model."
            )
        if len({v.dtype for v in trainable_variables}) != 1:
            raise ValueError("LeanAdam updates variables of one dtype; use keras.optimizers.Adam for mixed dtypes.")

    def moments(self):
        """Each variable's first and second moments, shaped as Keras's Adam holds them."""
        if self.amsgrad:
            return [m.numpy() for m in self._momentums], [v.numpy() for v in self._velocities]
        cuts = np.cumsum(self._flat_sizes)[:-1]
        return tuple(
            [np.reshape(part, shape) for part, shape in zip(np.split(flat.numpy(), cuts), self._flat_shapes)]
            for flat in (self._flat_momentum, self._flat_velocity)
        )

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

    `LeanAdam` overrides private Keras internals (`_backend_update_step`, `_var_key`); a Keras
    release that changes them must not change the suite's numbers silently. Three steps on
    three variables of different shapes, with gradients from 1e-8 to 10, compared bit for bit.
    """
    try:
        rng = np.random.default_rng(0)
        shapes = [(3, 3, 1, 2), (2,), (4, 1)]
        start = [rng.normal(size=s).astype("float32") for s in shapes]
        grads = [
            [(rng.normal(size=s) * 10.0 ** rng.integers(-8, 2, size=s)).astype("float32") for s in shapes]
            for _ in range(3)
        ]
        results = []
        for cls in (keras.optimizers.Adam, LeanAdam):
            variables = [keras.Variable(w) for w in start]
            optimizer = cls(learning_rate=0.01)
            for step in grads:
                optimizer.apply_gradients([(tf.constant(g), v) for g, v in zip(step, variables)])
            results.append([keras.ops.convert_to_numpy(v) for v in variables])
        return all(np.array_equal(a, b) for a, b in zip(*results))
    except Exception:  # the internals it relies on are gone or renamed
        return False


def adam(learning_rate):
    """Adam for a run: `LeanAdam` where it equals Keras's Adam here, else Keras's own; and its name."""
    if lean_adam_matches_keras():
        return LeanAdam(learning_rate=learning_rate), "LeanAdam"
    return keras.optimizers.Adam(learning_rate=learning_rate), "keras.optimizers.Adam"
