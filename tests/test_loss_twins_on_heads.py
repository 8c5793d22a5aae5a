"""Every hand-written loss against its Keras twin on any output a head can give, values and gradients.

`test_losses.py` checks each loss on the outputs its matched head produces. A mismatched pairing feeds a
loss what its head gives instead: zeros, values above 1, negative values, rows that are all zero. Here
every loss form of the catalogue (`experiments.composition.LOSS_FORMS`) meets the outputs of every
output activation's range (`custom_objects/catalogue.toml`, `[activations.*].range`) and the edge rows,
on the running backend. Where the two differ on purpose, the catalogue's `keras_differs` says where and
why, and this test checks that the difference is exactly there and nowhere else.
"""

import keras
import numpy as np
import pytest

import custom_objects
from custom_objects.losses import KERAS_EQUIVALENTS
from experiments.catalogue import LOSSES, OUTPUT_ACTIVATIONS
from experiments.composition import LOSS_FORMS, parse
from tests.autodiff import gradient

RTOL = 1e-4
ATOL = 1e-5
UNITS = 4


def _head_outputs(activation, rng):
    """(8, UNITS) outputs of `activation` on pre-activations that reach its saturated ends, plus its edge rows."""
    z = np.concatenate([rng.normal(size=(4, UNITS)) * 3.0, rng.choice([-40.0, 40.0], size=(2, UNITS))])
    out = keras.ops.convert_to_numpy(custom_objects.get_activation(activation)(z.astype("float32")))
    edges = {
        "relu": [np.zeros(UNITS), [0.0, 2.5, 0.0, 1.5]],  # an all-zero row (a dead unit), values above 1
        "linear": [np.zeros(UNITS), [-1.5, 2.0, 0.0, -0.25]],  # zero, negative, above 1
    }.get(activation, [out[0], out[1]])
    return np.concatenate([out, np.asarray(edges, dtype=float)]).astype("float32")


def _targets(loss, rng, n):
    family = LOSSES[loss].family
    ids = rng.integers(0, UNITS, size=n)
    if family == "sparse":
        return ids.astype("float32")
    if family == "categorical":
        return np.eye(UNITS, dtype="float32")[ids]
    if family == "hinge":
        return rng.choice([0.0, 1.0], size=(n, UNITS)).astype("float32")  # as users pass them; Keras converts
    if LOSSES[loss].space in ("values", "rates"):
        return rng.poisson(1.0, size=(n, UNITS)).astype("float32")
    return rng.integers(0, 2, size=(n, UNITS)).astype("float32")


def _documented_difference(loss, kwargs, activation):
    """The catalogue's reason the twins differ for `loss` on `activation`'s outputs on this backend, or None."""
    for rule in LOSSES[loss].keras_differs:
        if keras.backend.backend() in rule["backends"] and activation in rule["heads"]:
            if kwargs.get("from_logits", False) == rule.get("from_logits", False):
                return rule["why"]
    return None


CASES = [(form, activation) for form in LOSS_FORMS for activation in OUTPUT_ACTIVATIONS]


@pytest.mark.parametrize(("form", "activation"), CASES, ids=[f"{a}+{f}" for f, a in CASES])
def test_hand_written_loss_equals_its_keras_twin_on_the_head(form, activation):
    _, _, loss, kwargs = parse(f"{activation}+{form}")
    rng = np.random.default_rng(0)
    outputs = _head_outputs(activation, rng)
    y = _targets(loss, rng, len(outputs))
    hand_fn = custom_objects.get_loss(loss, **kwargs)
    twin_fn = KERAS_EQUIVALENTS[loss](**kwargs)
    hand = float(keras.ops.convert_to_numpy(hand_fn(y, outputs)))
    twin = float(keras.ops.convert_to_numpy(twin_fn(y, outputs)))
    hand_grad = gradient(lambda p: hand_fn(y, p), outputs)
    twin_grad = gradient(lambda p: twin_fn(y, p), outputs)
    agree = np.allclose(hand, twin, rtol=RTOL, atol=ATOL, equal_nan=True) and np.allclose(
        hand_grad, twin_grad, rtol=RTOL, atol=ATOL * max(1.0, float(np.nanmax(np.abs(twin_grad)))), equal_nan=True
    )
    why = _documented_difference(loss, kwargs, activation)
    if why is None:
        assert agree, f"{activation}+{form} on {keras.backend.backend()}: hand-written {hand:.6g}, Keras {twin:.6g}"
    else:
        assert not agree, f"{activation}+{form}: the catalogue says the twins differ ({why}), but they agree"


def test_sparse_cce_on_outputs_above_1_as_each_backend_computes_it():
    """Outputs [2, 1, 0.5], class 0: normalise, then clip: log(3.5 / 2) = 0.5596 (the hand-written loss, and
    Keras on JAX and PyTorch); TensorFlow's Keras clips to [eps, 1 - eps] first: log(2.5) = 0.9163."""
    y, p = np.array([0.0], "float32"), np.array([[2.0, 1.0, 0.5]], "float32")
    hand = float(keras.ops.convert_to_numpy(custom_objects.get_loss("sparse_cce")(y, p)))
    twin = float(keras.ops.convert_to_numpy(KERAS_EQUIVALENTS["sparse_cce"]()(y, p)))
    assert hand == pytest.approx(np.log(3.5 / 2.0), rel=1e-6)
    expected = np.log(2.5) if keras.backend.backend() == "tensorflow" else np.log(3.5 / 2.0)
    assert twin == pytest.approx(expected, rel=1e-5)
