"""Hand-written activations against NumPy, the Keras built-ins, and autodiff."""

import math

import keras
import numpy as np
import pytest

import custom_objects
from custom_objects.activations import ACTIVATIONS, DERIVATIVES, KERAS_EQUIVALENTS
from tests.autodiff import gradient, jacobian_last_axis

RTOL = 1e-5
ATOL = 1e-6

_erf = np.vectorize(math.erf)


def _np_sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def _np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


NUMPY_REFERENCES = {
    "linear": lambda x: x,
    "sigmoid": _np_sigmoid,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "softmax": _np_softmax,
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))),
    "swish": lambda x: x * _np_sigmoid(x),
    "softplus": lambda x: np.logaddexp(0.0, x),
}

INPUTS = {
    "random": np.random.default_rng(0).normal(0, 3, size=(16, 10)),
    "near_zero": np.array([[-1e-3, -1e-6, 0.0, 1e-6, 1e-3, -1e-4, 1e-4, 2e-6, -2e-6, 5e-5]]),
    "large": np.array([[50.0, -50.0, 1e3, -1e3, 49.0, -49.5, 999.0, -999.0, 0.5, -0.5]]),
}


def _float32(x):
    return x.astype("float32")


def test_every_name_has_a_reference_derivative_and_keras_twin():
    assert set(ACTIVATIONS) == set(NUMPY_REFERENCES) == set(DERIVATIVES) == set(KERAS_EQUIVALENTS)


@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_numpy_and_keras(name, kind):
    x = INPUTS[kind]
    ours = keras.ops.convert_to_numpy(ACTIVATIONS[name](_float32(x)))
    builtin = keras.ops.convert_to_numpy(KERAS_EQUIVALENTS[name](_float32(x)))
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, NUMPY_REFERENCES[name](x), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours, builtin, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if n != "softmax"])
def test_derivative_matches_autodiff(name, kind):
    x = _float32(INPUTS[kind])
    analytic = keras.ops.convert_to_numpy(DERIVATIVES[name](x))
    automatic = gradient(ACTIVATIONS[name], x)
    assert np.all(np.isfinite(analytic))
    np.testing.assert_allclose(analytic, automatic, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", INPUTS)
def test_softmax_jacobian_matches_autodiff(kind):
    x = _float32(INPUTS[kind][:4])
    analytic = keras.ops.convert_to_numpy(custom_objects.activations.softmax_jacobian(x))
    automatic = jacobian_last_axis(custom_objects.activations.softmax, x)
    assert analytic.shape == x.shape + (x.shape[-1],)
    np.testing.assert_allclose(analytic, automatic, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", INPUTS)
def test_approximate_gelu_and_its_derivative(kind):
    x = _float32(INPUTS[kind])
    ours = keras.ops.convert_to_numpy(custom_objects.activations.gelu(x, approximate=True))
    builtin = keras.ops.convert_to_numpy(keras.activations.gelu(x, approximate=True))
    np.testing.assert_allclose(ours, builtin, rtol=RTOL, atol=ATOL)
    analytic = keras.ops.convert_to_numpy(custom_objects.activations.gelu_derivative(x, approximate=True))
    automatic = gradient(lambda v: custom_objects.activations.gelu(v, approximate=True), x)
    np.testing.assert_allclose(analytic, automatic, rtol=1e-4, atol=ATOL)


def test_known_values():
    x = np.array([[-2.0, 0.0, 2.0]], dtype="float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(custom_objects.activations.sigmoid(x)), [[0.11920292, 0.5, 0.88079708]], rtol=RTOL
    )
    np.testing.assert_allclose(keras.ops.convert_to_numpy(custom_objects.activations.sigmoid_derivative(x))[0, 1], 0.25)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(custom_objects.activations.softmax(x)).sum(), 1.0, rtol=RTOL)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(custom_objects.activations.leaky_relu(x, negative_slope=0.1)), [[-0.2, 0.0, 2.0]]
    )


def test_get_activation_by_name_and_unknown_name():
    assert custom_objects.get_activation("softmax") is custom_objects.activations.softmax
    with pytest.raises(ValueError, match="valid names: .*sigmoid"):
        custom_objects.get_activation("sigmod")


def test_relu_keeps_relus_semantics_at_infinity_and_nan():
    x = np.array([-np.inf, -1.0, -0.0, 0.0, 2.0, np.inf, np.nan], dtype="float32")
    ours = keras.ops.convert_to_numpy(custom_objects.activations.relu(x))
    builtin = keras.ops.convert_to_numpy(keras.activations.relu(x))
    np.testing.assert_array_equal(ours, [0.0, 0.0, 0.0, 0.0, 2.0, np.inf, np.nan])
    np.testing.assert_array_equal(ours, builtin)
    np.testing.assert_array_equal(
        gradient(custom_objects.activations.relu, np.array([-1.0, 0.0, 3.0], dtype="float32")), [0.0, 0.0, 1.0]
    )
