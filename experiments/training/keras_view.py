"""What Keras itself would have told the user of a pairing: its "accuracy", its built-in loss's warnings,
and whether the built-in loss starts where the hand-written one does.

A user who writes `model.compile(loss=..., metrics=["accuracy"])` never sees the suite's own
accuracy: Keras resolves "accuracy" from the shapes of the targets and outputs to a binary
(threshold 0.5), sparse-categorical or categorical accuracy (`keras.src.trainers.compile_utils.
get_metric`), which can disagree with the suite's (a 0.5 threshold applied to logits, or to tanh
outputs against {-1, +1} targets). And Keras's built-in cross-entropies on TensorFlow do not read a
sigmoid or softmax head's outputs: they take the logits behind them (`_keras_logits`), warning when
the loss was told `from_logits=True` as well. Both are measured here, per run, into the record's
`keras` field.
"""

import warnings

import keras
import numpy as np
from keras.src.trainers.compile_utils import get_metric

import custom_objects
from experiments.training.activation_swaps import keras_twins, swap_activations

# Fixed training images on which the built-in and hand-written losses are compared at epoch 0.
LOSS_IMAGES = 512
# The losses agree when they differ by at most this, relative to their size (float32 sums over 512 images).
RELATIVE_TOLERANCE = 1e-4


def resolved_accuracy(y_true, y_pred):
    """The metric Keras 3 builds for `metrics=["accuracy"]` with these targets and outputs."""
    return get_metric("accuracy", keras.ops.convert_to_tensor(y_true), keras.ops.convert_to_tensor(y_pred))


def keras_accuracy(y_true, outputs):
    """{"metric": its class name, "value": its value on (`y_true`, `outputs`)}: Keras's "accuracy"."""
    metric = resolved_accuracy(y_true, outputs)
    metric.update_state(y_true, outputs)
    value = float(keras.ops.convert_to_numpy(metric.result()))
    return {"metric": type(metric).__name__, "value": value if np.isfinite(value) else None}


def _short(message):
    text = " ".join(str(message).split())
    return text if len(text) <= 240 else text[:237] + "..."


def builtin_loss_at_start(model, output_layer, pairing, x, y):
    """Keras's built-in loss on `model` (the branch, untrained) against the hand-written one, on (`x`, `y`).

    The head's activation is swapped for Keras's own for the built-in's pass (as a user's model has
    it) and back. Returns {"loss", "hand_written_loss", "equal", "warnings"}.
    """
    hand_loss_fn = custom_objects.get_loss(pairing.loss, **pairing.loss_kwargs)
    builtin_fn = custom_objects.losses.KERAS_EQUIVALENTS[pairing.loss](**pairing.loss_kwargs)
    hand = float(keras.ops.convert_to_numpy(hand_loss_fn(y, model(x, training=False))))
    ours = output_layer.activation
    swap_activations([output_layer], keras_twins())
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            builtin = float(keras.ops.convert_to_numpy(builtin_fn(y, model(x, training=False))))
    finally:
        output_layer.activation = ours
    messages = sorted({_short(w.message) for w in caught})
    both_finite = np.isfinite(hand) and np.isfinite(builtin)
    equal = bool(both_finite and abs(builtin - hand) <= RELATIVE_TOLERANCE * max(1.0, abs(hand)))
    return {
        "loss": builtin if np.isfinite(builtin) else None,
        "hand_written_loss": hand if np.isfinite(hand) else None,
        "equal": equal,
        "warnings": messages,
    }
