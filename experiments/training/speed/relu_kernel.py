"""TensorFlow's own ReLU kernel in the hidden layers, where it equals the hand-written relu.

The hand-written `custom_objects.activations.relu` is `where(x <= 0, 0, x)`: a Select op, whose
gradient is more Selects. TensorFlow's `Relu` and `ReluGrad` (oneDNN kernels here) do the same
work in one pass each. On a packed bird_plane step of 7 branches (batch 32, one core) the
difference is about a quarter of the step: 17.8 ms against 13.5 ms for the forward pass, the
losses and the gradients. It is the ops themselves, not a graph rewrite: turning Grappler's
remapper off leaves the gap as it is. The two agree bit for bit on every finite input (both
give 0 at x = 0, for -0.0 and for denormals, which TensorFlow flushes to zero; both pass the
gradient only where x > 0). They differ only where x is NaN: the hand-written relu passes the
incoming gradient there, TensorFlow's gives 0. A NaN pre-activation means a NaN loss, so the
run is marked diverged at that epoch either way, and its record is the same.

So on TensorFlow a pack's hidden layers use `keras.activations.relu` when
`keras_relu_matches()` (checked once per process, on this TensorFlow) says so; the output
head always keeps its hand-written activation, and the record's `environment.hidden_relu`
says which ran. The hand-written relu stays the suite's definition: it is what
`custom_objects` registers, saves and tests against its analytic derivative.

The element-wise check is not enough on every machine. On one virtual machine of the study
(platform string `fc-v1098`, same CPU model and flags as the others) packs whose hidden layers ran
TensorFlow's Relu trained exactly as elsewhere (the same training loss at every epoch, to five
decimals) but their compiled predict gave other test outputs (see
results/confirmatory/superseded/README.md); the cause could not be found there. So after training
every such pack's final test outputs are checked against its hand-written twin (the same weights,
the hand-written relu, its own predict): `outputs_agree`. Where they disagree the pack raises
`HiddenReluMismatch`; `runner.run_pack` then turns the swap off for the process (`disable`) and
trains the pack again with the hand-written relu, and the record says why.
"""

import functools

import keras
import numpy as np

from custom_objects.activations import relu as hand_written_relu
from experiments.training.activation_swaps import swap_activations

# Finite inputs only: at NaN the two differ by design (see above).
_CHECK_INPUTS = np.array(
    [-np.inf, -3.0, -1e-38, -1e-45, -0.0, 0.0, 1e-45, 1e-38, 1.2e-38, 2.5, 3.4e38, np.inf], dtype="float32"
)


def _value_and_gradient(fn):
    import tensorflow as tf

    x = tf.constant(_CHECK_INPUTS)
    upstream = tf.constant(np.arange(1, len(_CHECK_INPUTS) + 1, dtype="float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return y.numpy(), tape.gradient(y, x, output_gradients=upstream).numpy()


# Outputs of the pack and of its hand-written twin may differ by float rounding only (the pack fuses
# its first convolution); a wrong evaluation differs by far more (0.97 on the machine above).
OUTPUT_TOLERANCE = 1e-4

_disabled = []  # why the swap was turned off in this process, if it was


class HiddenReluMismatch(RuntimeError):
    """A pack's compiled predict with TensorFlow's Relu disagreed with the hand-written model."""


def disable(reason):
    """Use the hand-written relu in hidden layers for the rest of this process; `reason` goes in records."""
    _disabled.append(reason)


def disabled_reason():
    """Why the swap is off in this process (a sentence for `environment.hidden_relu`), or None."""
    return _disabled[-1] if _disabled else None


def outputs_agree(swapped, hand_written):
    """(agree, max |difference|) of two output arrays of one shape; agree within `OUTPUT_TOLERANCE`,
    relative to 1 + |output| (so logits of any size are compared fairly)."""
    a, b = np.asarray(swapped, dtype="float64"), np.asarray(hand_written, dtype="float64")
    if a.shape != b.shape:
        raise ValueError(f"outputs of shape {a.shape} against a twin's of shape {b.shape}")
    both_nan = np.isnan(a) & np.isnan(b)
    gap = np.where(both_nan, 0.0, np.abs(a - b))
    gap = np.where(np.isnan(gap), np.inf, gap)
    worst = float(np.max(gap)) if gap.size else 0.0
    within = both_nan | (gap <= OUTPUT_TOLERANCE * (1.0 + np.abs(np.nan_to_num(b))))
    return bool(np.all(within)), worst


@functools.cache
def _elementwise_match():
    if keras.backend.backend() != "tensorflow":
        return False
    try:
        ours, theirs = _value_and_gradient(hand_written_relu), _value_and_gradient(keras.activations.relu)
    except Exception:
        return False
    return all(np.array_equal(a.view(np.uint32), b.view(np.uint32)) for a, b in zip(ours, theirs))


def keras_relu_matches():
    """Whether Keras's relu gives the hand-written relu's values and gradients, bit for bit, here,
    and the swap has not been turned off in this process (`disable`)."""
    return not _disabled and _elementwise_match()


def use_keras_relu(model):
    """Swap the hand-written relu of `model`'s hidden layers for Keras's; the number swapped.

    Does nothing unless `keras_relu_matches()`. Call it before the model's layers are fused
    or traced (`packed_model` reads the first convolution's activation when it is built).
    """
    if not keras_relu_matches():
        return 0
    return swap_activations(model.layers[:-1], {hand_written_relu: keras.activations.relu})


def check_hidden_relu(pack):
    """Each branch of `pack` (`experiments.training.pack.Pack`) that ran TensorFlow's Relu: its final test outputs
    against its hand-written twin.

    The twin is the branch's model built again as the task defines it (the hand-written relu in
    every layer), holding the branch's trained weights, evaluated by its own compiled predict.
    Raises `HiddenReluMismatch` where they disagree (see this module's docstring)."""
    for b in pack.branches:
        if not b.relu_swapped or b.diverged_at is not None:
            continue
        twin = pack.task.build_model(
            b.pairing.units,
            b.pairing.activation,
            name=f"{b.name}_twin",
            options=pack.config["data"],
            hidden_activation=b.pairing.hidden_activation,
        )
        twin.set_weights(b.model.get_weights())
        (want,) = pack._test_outputs(twin)
        agree, gap = outputs_agree(b.head_outputs, want)
        if not agree:
            raise HiddenReluMismatch(
                f"{b.record['run_id']}: with TensorFlow's Relu in its hidden layers the compiled predict gave test "
                f"outputs up to {gap:.3g} away from its hand-written twin's (tolerance "
                f"{OUTPUT_TOLERANCE:g})"
            )
        b.record.setdefault("evaluation", {})["hand_written_twin_max_abs_diff"] = gap
