"""Hand-written losses against NumPy, the Keras built-ins, autodiff and hand-checked values."""

import keras
import numpy as np
import pytest

import custom_objects
from custom_objects.losses import KERAS_EQUIVALENTS, LOSS_DERIVATIVES, LOSS_FUNCTIONS, LOSSES
from custom_objects.registry import CATALOGUE as OBJECTS
from tests.autodiff import gradient

CATALOGUE = OBJECTS["losses"]

RTOL = 1e-5
ATOL = 1e-6
EPS = 1e-7
# The clip bound as float32 holds it: 1 - 1e-7 rounds to 1 - 1.19e-7, so a saturated
# probability costs -log(1.19e-7) = 15.94 in float32, not -log(1e-7) = 16.12.
ONE_MINUS_EPS = float(np.float32(1 - EPS))


def _np_sigmoid(z):
    return np.exp(-np.logaddexp(0, -z))


def _np_softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_bce(y, p, from_logits=False):
    if from_logits:
        return np.mean(np.logaddexp(0, p) - y * p, axis=-1)
    p = np.clip(p, EPS, ONE_MINUS_EPS)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p), axis=-1)


def _np_cce(y, p, from_logits=False):
    if from_logits:
        m = p.max(axis=-1, keepdims=True)
        log_p = p - m - np.log(np.exp(p - m).sum(axis=-1, keepdims=True))
        return -np.sum(y * log_p, axis=-1)
    q = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, ONE_MINUS_EPS)
    return -np.sum(y * np.log(q), axis=-1)


def _np_huber(y, p, delta=1.0):
    e = np.abs(p - y)
    return np.mean(np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2), axis=-1)


def _pm(y):
    """Keras's hinge targets: a batch of 0s and 1s becomes -1s and +1s; other targets stay."""
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


def _np_focal(y, p, gamma, alpha=None, logits=None):
    """Focal loss; with `logits`, p = sigmoid(logits) and the bce term is exact (Keras on TensorFlow)."""
    if logits is None:
        bce = -(y * np.log(np.clip(p, EPS, ONE_MINUS_EPS)) + (1 - y) * np.log(1 - np.clip(p, EPS, ONE_MINUS_EPS)))
    else:
        bce = np.logaddexp(0.0, logits) - y * logits
    p_t = y * p + (1 - y) * (1 - p)
    weight = 1.0 if alpha is None else y * alpha + (1 - y) * (1 - alpha)
    return np.mean(weight * (1 - p_t) ** gamma * bce, axis=-1)


def _one_hot(ids, n):
    return np.eye(n)[ids]


# name -> (kwargs, numpy reference taking (y_true, y_pred))
REFERENCES = {
    "mse": ({}, lambda y, p: np.mean((p - y) ** 2, axis=-1)),
    "mae": ({}, lambda y, p: np.mean(np.abs(p - y), axis=-1)),
    "huber": ({"delta": 1.5}, lambda y, p: _np_huber(y, p, 1.5)),
    "bce": ({}, _np_bce),
    "bce_logits": ({"from_logits": True}, lambda y, p: _np_bce(y, p, True)),
    "cce": ({}, _np_cce),
    "cce_logits": ({"from_logits": True}, lambda y, p: _np_cce(y, p, True)),
    "sparse_cce": ({}, lambda y, p: _np_cce(_one_hot(y, p.shape[-1]), p)),
    "sparse_cce_logits": ({"from_logits": True}, lambda y, p: _np_cce(_one_hot(y, p.shape[-1]), p, True)),
    "squared_hinge": ({}, lambda y, p: np.mean(np.maximum(1 - _pm(y) * p, 0) ** 2, axis=-1)),
    "hinge": ({}, lambda y, p: np.mean(np.maximum(1 - _pm(y) * p, 0), axis=-1)),
    "categorical_hinge": (
        {},
        lambda y, p: np.maximum(np.max((1 - y) * p, axis=-1) - np.sum(y * p, axis=-1) + 1, 0),
    ),
    "log_cosh": ({}, lambda y, p: np.mean(np.logaddexp(p - y, y - p) - np.log(2), axis=-1)),
    "kl_divergence": (
        {},
        lambda y, p: np.sum(np.clip(y, EPS, 1) * np.log(np.clip(y, EPS, 1) / np.clip(p, EPS, 1)), axis=-1),
    ),
    "poisson": ({}, lambda y, p: np.mean(p - y * np.log(p + EPS), axis=-1)),
    "binary_focal_crossentropy": ({"gamma": 2.0}, lambda y, p: _np_focal(y, p, 2.0)),
    "binary_focal_crossentropy_logits": (
        {"gamma": 1.5, "from_logits": True, "apply_class_balancing": True, "alpha": 0.3},
        lambda y, p: _np_focal(y, _np_sigmoid(p), 1.5, alpha=0.3, logits=p),
    ),
}

SCALES = {"random": 2.0, "near_zero": 1e-4, "large_50": 50.0, "large_1e3": 1e3}


def _case(case, scale, seed=0):
    """(loss name, kwargs, y_true, y_pred) for one reference case at one input scale.

    Drawn from the loss's catalogue entry, so that a new loss needs no branch here: its `family` gives the
    targets (real values, {-1, +1} or {0, 1} for the hinge family, one-hot or a distribution, class ids), its
    `space` and `domain` the outputs (raw, or through a sigmoid, softmax or softplus into the domain).
    """
    rng = np.random.default_rng(seed)
    name = case.removesuffix("_logits")
    kwargs, _ = REFERENCES[case]
    entry = CATALOGUE[name]
    family, space, logits = entry["family"], entry["space"], bool(kwargs.get("from_logits"))
    shape = (8, 5)
    raw = rng.normal(size=shape)
    if scale >= 50:
        raw = np.sign(raw) * scale * rng.uniform(0.9, 1.0, size=shape)
    else:
        raw = raw * scale
    positive = entry.get("domain", [None])[0] == 0.0  # inputs in [0, ...): softplus maps the raw values there
    if family == "hinge":  # {0, 1} targets, which Keras converts, on odd seeds
        return name, kwargs, rng.choice([-1.0, 1.0] if seed % 2 == 0 else [0.0, 1.0], size=shape), raw
    if family == "elementwise" and space == "probabilities":
        return name, kwargs, rng.integers(0, 2, size=shape).astype(float), raw if logits else _np_sigmoid(raw)
    if family == "elementwise" and space == "rates":  # counts at positive rates
        return name, kwargs, rng.poisson(2.0, size=shape).astype(float), np.logaddexp(0.0, raw)
    if family == "elementwise":  # real values; non-negative ones where the domain starts at 0
        y = rng.normal(size=shape)
        return (name, kwargs, np.abs(y), np.logaddexp(0.0, raw)) if positive else (name, kwargs, y, raw)
    ids = rng.integers(0, shape[-1], size=shape[0])
    if family == "sparse":
        y = ids
    elif entry.get("distribution") and not entry.get("logits"):  # a distribution against a distribution (KL)
        y = _np_softmax(rng.normal(size=shape))
    else:
        y = _one_hot(ids, shape[-1])
    return name, kwargs, y, raw if logits or space == "margins" else _np_softmax(raw)


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def test_every_name_has_a_class_function_derivative_and_keras_twin():
    assert set(LOSSES) == set(LOSS_FUNCTIONS) == set(LOSS_DERIVATIVES) == set(KERAS_EQUIVALENTS)
    assert {c.removesuffix("_logits") for c in REFERENCES} == set(LOSSES)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("case", REFERENCES)
def test_loss_matches_numpy_and_keras(case, scale):
    name, kwargs, y_true, y_pred = _case(case, SCALES[scale])
    ours = _numpy(LOSS_FUNCTIONS[name](y_true.astype("float32"), y_pred.astype("float32"), **kwargs))
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, REFERENCES[case][1](y_true, y_pred), rtol=RTOL, atol=ATOL)

    if case == "binary_focal_crossentropy_logits" and keras.backend.backend() != "tensorflow" and "large" in scale:
        return  # Keras on JAX clips sigmoid(z) before the log; the hand-written loss follows TensorFlow's Keras
    reduced = _numpy(custom_objects.get_loss(name, **kwargs)(y_true.astype("float32"), y_pred.astype("float32")))
    builtin = _numpy(KERAS_EQUIVALENTS[name](**kwargs)(y_true.astype("float32"), y_pred.astype("float32")))
    np.testing.assert_allclose(reduced, builtin, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("case", REFERENCES)
def test_derivative_matches_autodiff(case, scale):
    name, kwargs, y_true, y_pred = _case(case, SCALES[scale], seed=1)
    y_true, y_pred = y_true.astype("float32"), y_pred.astype("float32")
    analytic = _numpy(LOSS_DERIVATIVES[name](y_true, y_pred, **kwargs))
    automatic = gradient(lambda p: LOSS_FUNCTIONS[name](y_true, p, **kwargs), y_pred)
    assert analytic.shape == y_pred.shape
    assert np.all(np.isfinite(analytic))
    if name == "kl_divergence":  # at a clip bound (p exactly 1) TensorFlow and JAX differentiate clip differently
        at_bound = y_pred >= 1.0
        analytic, automatic = np.where(at_bound, 0.0, analytic), np.where(at_bound, 0.0, automatic)
    np.testing.assert_allclose(analytic, automatic, rtol=1e-4, atol=ATOL)


HAND_CHECKED = [
    ("mse", {}, [[1.0, 2.0]], [[1.0, 4.0]], 2.0),
    ("mae", {}, [[1.0, 2.0]], [[1.0, 4.0]], 1.0),
    ("huber", {"delta": 1.0}, [[1.0, 2.0]], [[1.0, 4.0]], 0.75),
    ("bce", {}, [[1.0, 0.0]], [[0.5, 0.5]], np.log(2.0)),
    ("bce", {"from_logits": True}, [[1.0]], [[0.0]], np.log(2.0)),
    ("cce", {}, [[0.0, 1.0, 0.0]], [[0.2, 0.5, 0.3]], -np.log(0.5)),
    ("sparse_cce", {}, [1], [[0.2, 0.5, 0.3]], -np.log(0.5)),
    ("squared_hinge", {}, [[1.0, -1.0]], [[0.5, 0.5]], 1.25),
    ("squared_hinge", {}, [[1.0, 0.0]], [[0.5, 0.5]], 1.25),  # {0, 1} targets converted, as Keras does
    ("hinge", {}, [[1.0, 0.0]], [[0.5, 0.5]], 1.0),
    ("categorical_hinge", {}, [[0.0, 1.0, 0.0]], [[0.2, 0.5, 0.3]], 0.8),
    ("log_cosh", {}, [[0.0]], [[1.0]], np.log(np.cosh(1.0))),
    ("kl_divergence", {}, [[0.5, 0.5]], [[0.25, 0.75]], 0.5 * np.log(2.0) + 0.5 * np.log(2.0 / 3.0)),
    ("poisson", {}, [[2.0]], [[1.0]], 1.0),
    ("binary_focal_crossentropy", {"gamma": 2.0}, [[1.0]], [[0.5]], 0.25 * np.log(2.0)),
]


@pytest.mark.parametrize("name, kwargs, y_true, y_pred, expected", HAND_CHECKED)
def test_known_value(name, kwargs, y_true, y_pred, expected):
    loss = custom_objects.get_loss(name, **kwargs)
    np.testing.assert_allclose(_numpy(loss(np.array(y_true), np.array(y_pred, dtype="float32"))), expected, rtol=RTOL)


PERFECT = [
    ("mse", [[0.3, -2.0]], [[0.3, -2.0]]),
    ("mae", [[0.3, -2.0]], [[0.3, -2.0]]),
    ("huber", [[0.3, -2.0]], [[0.3, -2.0]]),
    ("bce", [[1.0, 0.0]], [[1.0, 0.0]]),
    ("cce", [[0.0, 1.0]], [[0.0, 1.0]]),
    ("sparse_cce", [1], [[0.0, 1.0]]),
    ("squared_hinge", [[1.0, -1.0]], [[2.0, -3.0]]),
    ("hinge", [[1.0, 0.0]], [[2.0, -3.0]]),
    ("categorical_hinge", [[0.0, 1.0]], [[-1.0, 1.0]]),  # true output beats max(others, 0) by 1
    ("log_cosh", [[0.3, -2.0]], [[0.3, -2.0]]),
    ("kl_divergence", [[0.2, 0.8]], [[0.2, 0.8]]),
    ("binary_focal_crossentropy", [[1.0, 0.0]], [[1.0, 0.0]]),
]


@pytest.mark.parametrize("name, y_true, y_pred", PERFECT)
def test_perfect_prediction_costs_nothing(name, y_true, y_pred):
    value = _numpy(custom_objects.get_loss(name)(np.array(y_true), np.array(y_pred, dtype="float32")))
    np.testing.assert_allclose(value, 0.0, atol=1e-6)


def test_logits_equal_probabilities_of_those_logits():
    rng = np.random.default_rng(3)
    z = rng.normal(0, 3, size=(6, 4)).astype("float32")
    y_multi = rng.integers(0, 2, size=(6, 4)).astype("float32")
    ids = rng.integers(0, 4, size=6)
    probs_sigmoid = custom_objects.activations.sigmoid(z)
    probs_softmax = custom_objects.activations.softmax(z)
    pairs = [
        ("bce", y_multi, probs_sigmoid),
        ("cce", np.eye(4, dtype="float32")[ids], probs_softmax),
        ("sparse_cce", ids, probs_softmax),
    ]
    for name, y, probs in pairs:
        on_logits = _numpy(custom_objects.get_loss(name, from_logits=True)(y, z))
        on_probs = _numpy(custom_objects.get_loss(name)(y, probs))
        # float32 probabilities near 1 keep about 7 digits of 1 - p, hence 1e-4.
        np.testing.assert_allclose(on_logits, on_probs, rtol=1e-4, err_msg=name)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("mse", {}),
        ("mae", {}),
        ("huber", {"delta": 0.5}),
        ("bce", {"from_logits": True}),
        ("cce", {"from_logits": True}),
        ("sparse_cce", {"from_logits": False}),
        ("squared_hinge", {}),
        ("hinge", {}),
        ("log_cosh", {}),
        ("binary_focal_crossentropy", {"gamma": 3.0, "from_logits": True}),
    ],
)
def test_config_round_trip(name, kwargs):
    loss = custom_objects.get_loss(name, reduction="sum", **kwargs)
    config = loss.get_config()
    for key, value in kwargs.items():
        assert config[key] == value
    restored = type(loss).from_config(config)
    assert restored.get_config() == config
    via_keras = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(via_keras) is type(loss) and via_keras.get_config() == config


def test_unknown_loss_name_lists_valid_names():
    with pytest.raises(ValueError, match="valid names: .*bce.*sparse_cce"):
        custom_objects.get_loss("binary_crossentropy")


@pytest.mark.parametrize(
    "name, y_true_shape, y_pred_shape",
    [
        ("mse", (4,), (4, 10)),
        ("bce", (4, 3), (4, 10)),
        ("cce", (4, 10, 1), (4, 10, 2)),
        ("sparse_cce", (4, 3), (4, 10)),
        ("sparse_cce", (5,), (4, 10)),
    ],
)
def test_mismatched_shapes_fail_clearly(name, y_true_shape, y_pred_shape):
    loss = custom_objects.get_loss(name)
    with pytest.raises(ValueError, match=r"y_true has shape .* y_pred has shape"):
        loss(np.zeros(y_true_shape, dtype="float32"), np.full(y_pred_shape, 0.5, dtype="float32"))


def test_column_targets_against_a_single_output_unit_are_accepted():
    y_true = np.array([0.0, 1.0, 1.0])
    y_pred = np.array([[0.2], [0.7], [0.9]], dtype="float32")
    np.testing.assert_allclose(
        _numpy(custom_objects.get_loss("bce")(y_true, y_pred)),
        _numpy(custom_objects.get_loss("bce")(y_true[:, None], y_pred)),
    )


SMOOTHED = [
    ("bce", {"label_smoothing": 0.1}),
    ("bce_logits", {"from_logits": True, "label_smoothing": 0.1}),
    ("cce", {"label_smoothing": 0.2}),
    ("cce_logits", {"from_logits": True, "label_smoothing": 0.2}),
    ("binary_focal_crossentropy", {"label_smoothing": 0.1, "apply_class_balancing": True}),
    ("binary_focal_crossentropy_logits", {"from_logits": True, "label_smoothing": 0.3}),
]


@pytest.mark.parametrize("case, kwargs", SMOOTHED)
@pytest.mark.parametrize("scale", ["random", "large_50"])
def test_label_smoothing_matches_keras_and_autodiff(case, kwargs, scale):
    """Keras's `label_smoothing` (bce, cce and the focal loss; sparse cce has none in Keras 3)."""
    name, _, y_true, y_pred = _case(case, SCALES[scale])
    y_true, y_pred = y_true.astype("float32"), y_pred.astype("float32")
    reduced = _numpy(custom_objects.get_loss(name, **kwargs)(y_true, y_pred))
    builtin = _numpy(KERAS_EQUIVALENTS[name](**kwargs)(y_true, y_pred))
    # Keras on JAX clips sigmoid(z) before the log; the hand-written loss follows TensorFlow's Keras.
    jax_clips = case == "binary_focal_crossentropy_logits" and keras.backend.backend() != "tensorflow"
    if not (jax_clips and "large" in scale):
        np.testing.assert_allclose(reduced, builtin, rtol=RTOL, atol=ATOL)
    plain = _numpy(
        custom_objects.get_loss(name, **{k: v for k, v in kwargs.items() if k != "label_smoothing"})(y_true, y_pred)
    )
    assert not np.isclose(reduced, plain)  # the smoothing is applied, not ignored
    analytic = _numpy(LOSS_DERIVATIVES[name](y_true, y_pred, **kwargs))
    automatic = gradient(lambda p: LOSS_FUNCTIONS[name](y_true, p, **kwargs), y_pred)
    np.testing.assert_allclose(analytic, automatic, rtol=1e-4, atol=ATOL)


def test_every_loss_class_is_named_in_the_source_where_grep_finds_it():
    """`grep "class Huber" custom_objects` finds the line that names each generated class, and the list is whole."""
    import re
    from pathlib import Path

    import custom_objects.losses as losses

    source = (Path(losses.__file__)).read_text()
    named = dict(re.findall(r'^(\w+) = LOSSES\["(\w+)"\]  # class \1\(FunctionLoss\)$', source, re.M))
    assert named == {e.cls.__name__: name for name, e in losses.REGISTRY.items()}
    assert all(getattr(losses, cls) is losses.LOSSES[name] for cls, name in named.items())
    for e in losses.REGISTRY.values():  # each function and derivative imported by name, and exported
        assert getattr(losses, e.fn.__name__) is e.fn and getattr(losses, e.derivative.__name__) is e.derivative
        assert {e.cls.__name__, e.fn.__name__, e.derivative.__name__} <= set(losses.__all__)
