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

`read` says which of the two the built-in loss computed: "outputs" (the head's outputs, as the pairing
is written) or "logits_behind_head" (the pre-activation z of the sigmoid or softmax head, with the
loss's own sigmoid or softmax: the pairing `linear+LOSS(from_logits=true)`, whatever `from_logits` the
user wrote). It is measured, not assumed: on the untrained branch, the built-in loss is compared with the
hand-written loss of each reading. On TensorFlow a Keras sigmoid or softmax head takes the second
(`_get_logits` in keras/src/backend/tensorflow/nn.py); on JAX and PyTorch the first.
"""

import warnings

import keras
import numpy as np
from keras.src.trainers.compile_utils import get_metric

import custom_objects
from experiments.catalogue import LOSSES
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


def _close(a, b):
    return bool(np.isfinite(a) and np.isfinite(b) and abs(a - b) <= RELATIVE_TOLERANCE * max(1.0, abs(b)))


def _value(loss_fn, y, outputs):
    return float(keras.ops.convert_to_numpy(loss_fn(y, outputs)))


def _finite_or_none(value):
    return value if np.isfinite(value) else None


def not_finite(builtin_fn, y, outputs):
    """Where Keras's built-in loss is not finite on untrained outputs: {"images", "of", "why"}, or None.

    `images` counts the images whose own loss is NaN or infinite; `why` names the cause where it is one the
    suite knows: a row of outputs that sums to 0 (a ReLU head with every unit at 0), which a loss that
    renormalises each row divides by (keras-team/keras#17102), or outputs outside the loss's domain."""
    per_image = np.asarray(keras.ops.convert_to_numpy(builtin_fn(y, outputs))).reshape(len(outputs), -1)
    bad = ~np.all(np.isfinite(per_image), axis=1)
    if not bad.any():
        return None
    out = np.asarray(keras.ops.convert_to_numpy(outputs), dtype="float64").reshape(len(outputs), -1)
    zero_rows = int(np.sum(bad & (np.abs(out.sum(axis=1)) == 0)))
    negative = int(np.sum(bad & np.any(out < 0, axis=1)))
    if zero_rows:
        why = (
            f"{zero_rows} of them have outputs that sum to 0 (every unit at 0), and the loss divides each output by "
            "its row's sum: 0/0 (keras-team/keras#17102)"
        )
    elif negative:
        why = f"{negative} of them have negative outputs, where the loss takes a logarithm"
    else:
        why = "outputs where the loss is not defined"
    return {"images": int(bad.sum()), "of": int(len(out)), "why": why}


def logits_behind_head(model, output_layer, x):
    """The head's pre-activation z on `x`: `model` run once with its last layer's activation set to linear."""
    ours = output_layer.activation
    output_layer.activation = keras.activations.linear
    try:
        return model(x, training=False)
    finally:
        output_layer.activation = ours


def can_read_behind(pairing):
    """Whether Keras's built-in loss of `pairing` could read the logits behind its head (a sigmoid or softmax
    head into a loss that has a `from_logits` form): the only pairings `read` is measured for."""
    return pairing.activation in ("sigmoid", "softmax") and "from_logits" in LOSSES[pairing.loss].kwargs


def read_as_logits_spec(pairing):
    """The pairing the built-in loss computes when it reads the logits behind the head: the outputs are the
    head's z (a linear head) and the loss applies its own sigmoid or softmax (`from_logits=True`)."""
    kwargs = {**pairing.loss_kwargs, "from_logits": True}
    name = f"{pairing.name}, read from the logits behind its {pairing.activation} head"
    return {
        **pairing.spec(),
        "name": name,
        "activation": "linear",
        "loss_kwargs": kwargs,
        "link": LOSSES[pairing.loss].logits,
    }


def builtin_loss_at_start(model, output_layer, pairing, x, y):
    """Keras's built-in loss on `model` (the branch, untrained) against the hand-written one, on (`x`, `y`).

    The head's activation is swapped for Keras's own for the built-in's pass (as a user's model has
    it) and back. Returns {"loss", "hand_written_loss", "equal", "warnings", "read"}, and, where the
    built-in could read the logits behind the head (`can_read_behind`), "logits_loss": the hand-written
    loss of that reading (`read_as_logits_spec`). `read` is "logits_behind_head" where the built-in equals
    that reading and not the pairing as written, else "outputs".
    """
    hand_loss_fn = custom_objects.get_loss(pairing.loss, **pairing.loss_kwargs)
    builtin_fn = custom_objects.losses.KERAS_EQUIVALENTS[pairing.loss](**pairing.loss_kwargs)
    hand = _value(hand_loss_fn, y, model(x, training=False))
    ours = output_layer.activation
    swap_activations([output_layer], keras_twins())
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outputs = model(x, training=False)
            builtin = _value(builtin_fn, y, outputs)
            nan = None
            if not np.isfinite(builtin):
                per_image = custom_objects.losses.KERAS_EQUIVALENTS[pairing.loss](
                    reduction="none", **pairing.loss_kwargs
                )
                nan = not_finite(per_image, y, outputs)
    finally:
        output_layer.activation = ours
    messages = sorted({_short(w.message) for w in caught})
    view = {
        "loss": _finite_or_none(builtin),
        "hand_written_loss": _finite_or_none(hand),
        "equal": _close(builtin, hand),
        "warnings": messages,
        "read": "outputs",
    }
    if nan is not None:
        view["not_finite"] = nan
    if can_read_behind(pairing):
        from_logits = custom_objects.get_loss(pairing.loss, **{**pairing.loss_kwargs, "from_logits": True})
        behind = _value(from_logits, y, logits_behind_head(model, output_layer, x))
        view["logits_loss"] = _finite_or_none(behind)
        if _close(builtin, behind) and not view["equal"]:
            view["read"] = "logits_behind_head"
    return view


def read_as_record(spec, pairing, view, images):
    """The record's `read_as` for a branch decoded from the logits behind its head: the spec, and why."""
    return {
        "spec": spec,
        "outputs": "logits",
        "why": (
            f"Keras's {keras.backend.backend()} backend computed this loss from the logits behind the "
            f"{pairing.activation} head (measured on {images} untrained training images: "
            f"{view['loss']:.6g}, the hand-written reading of the logits {view['logits_loss']:.6g}, "
            f"the pairing as written {view['hand_written_loss']:.6g}), so the test outputs stored and "
            "decoded are those logits z, read with the loss's own link"
        ),
    }


def logits_behind_heads(branches, features_model, x_test, scale):
    """Each branch's test-image logits z (its last layer before the activation), or None where it is decoded
    from its outputs: computed from the features its last layer receives (`features_model`), in float64."""
    from experiments.training.pipeline import predict_outputs

    if not any(b.read_spec for b in branches):
        return [None] * len(branches)
    features = predict_outputs(features_model, x_test, scale)
    found = []
    for b, f in zip(branches, features):
        if b.read_spec is None:
            found.append(None)
            continue
        kernel = keras.ops.convert_to_numpy(b.output_layer.kernel).astype("float64")
        bias = keras.ops.convert_to_numpy(b.output_layer.bias).astype("float64")
        found.append(np.asarray(f, dtype="float64").reshape(len(f), -1) @ kernel + bias)
    return found
