"""The training-speed changes keep Keras's numbers: LeanAdam, one trace of the training step."""

import json

import keras
import numpy as np
import pytest

from experiments.tasks import get_task
from experiments.training.pipeline import predict_outputs
from experiments.training.speed.compiled_state import build_compiled_state
from experiments.training.speed.lean_adam import LeanAdam


def _data(n=70):
    rng = np.random.default_rng(0)
    return rng.random((n, 32, 32, 3), dtype=np.float32), (rng.random((n, 1)) > 0.5).astype("float32")


def _fitted_state(optimizer, **kwargs):
    x, y = _data()
    keras.utils.set_random_seed(3)
    model = get_task("bird_plane").build_model(1, "sigmoid")
    model.compile(optimizer=optimizer(learning_rate=1e-2, **kwargs), loss="binary_crossentropy")
    model.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0)
    optimizer = model.optimizer
    if isinstance(optimizer, LeanAdam):
        momentums, velocities = optimizer.moments()
    else:
        momentums, velocities = ([s.numpy() for s in slots] for slots in (optimizer._momentums, optimizer._velocities))
    return [w.numpy() for w in model.weights] + momentums + velocities + [optimizer.iterations.numpy()]


@pytest.mark.parametrize("kwargs", [{}, {"beta_1": 0.8, "epsilon": 1e-4}])
def test_lean_adam_equals_keras_adam_bit_for_bit(kwargs):
    keras_state, lean_state = _fitted_state(keras.optimizers.Adam, **kwargs), _fitted_state(LeanAdam, **kwargs)
    assert len(keras_state) == len(lean_state)
    for a, b in zip(keras_state, lean_state):
        np.testing.assert_array_equal(a, b)


def test_lean_adam_keeps_its_moments_flat_and_refuses_a_step_that_skips_a_variable():
    a, b = keras.Variable(np.ones((2, 3), "float32")), keras.Variable(np.zeros(4, "float32"))
    optimizer = LeanAdam(learning_rate=0.1)
    optimizer.build([a, b])
    assert [tuple(v.shape) for v in optimizer.variables if "flat" in v.name] == [(10,), (10,)]
    with pytest.raises(ValueError, match="updates them all at once.*keras.optimizers.Adam"):
        optimizer.apply_gradients([(np.ones((2, 3), "float32"), a)])


def test_the_run_time_check_compares_lean_adam_with_keras_adam(monkeypatch):
    from experiments.training.speed import lean_adam

    lean_adam.lean_adam_matches_keras.cache_clear()
    assert lean_adam.lean_adam_matches_keras()
    lean_adam.lean_adam_matches_keras.cache_clear()
    original = LeanAdam._step_scalars

    # A step one ulp bigger for every weight: the check must see it.
    def one_ulp_bigger(self, lr, dtype):
        alpha, *constants = original(self, lr, dtype)
        return (alpha * 1.0000001, *constants)

    monkeypatch.setattr(LeanAdam, "_step_scalars", one_ulp_bigger)
    try:
        assert not lean_adam.lean_adam_matches_keras()
        assert lean_adam.adam(0.001)[1] == "keras.optimizers.Adam"
    finally:
        lean_adam.lean_adam_matches_keras.cache_clear()


def test_lean_adam_falls_back_to_keras_for_amsgrad():
    np.testing.assert_array_equal(
        _fitted_state(keras.optimizers.Adam, amsgrad=True)[0], _fitted_state(LeanAdam, amsgrad=True)[0]
    )


def _packed_two_output_model():
    from experiments.pairings import get_pairing
    from experiments.training.branches import packed_model
    from experiments.training.fit_logs import train_accuracy

    task = get_task("bird_plane")
    heads = [task.build_model(1, "sigmoid", name="b0"), task.build_model(1, "sigmoid", name="b1")]
    model = packed_model(heads)
    pairing = get_pairing("bird_plane", "sigmoid+bce")
    model.compile(
        optimizer=LeanAdam(),
        loss=["binary_crossentropy", "mse"],
        metrics=[[train_accuracy("binary", pairing)], [train_accuracy("binary", pairing)]],
    )
    return model


def _count_traces(model, step):
    """Count the calls of `model.<step>`: Python runs it only while TensorFlow traces it."""
    traced, original = [], getattr(model, step)

    def counted(data):
        traced.append(1)
        return original(data)

    setattr(model, step, counted)
    return traced


@pytest.mark.parametrize("prebuild", [True, False])
def test_the_training_step_is_traced_once_when_the_compiled_state_is_built_first(prebuild):
    x, y = _data(64)
    model = _packed_two_output_model()
    if prebuild:
        build_compiled_state(model, x[:2], (y[:2], y[:2]))
    traced = _count_traces(model, "train_step")
    model.fit(x, (y, y), epochs=2, batch_size=32, verbose=0)
    # Without the eager build, Keras creates the loss trackers inside the first trace and
    # TensorFlow traces the step again without them.
    assert len(traced) == (1 if prebuild else 2)


def test_building_the_compiled_state_first_changes_no_logged_number():
    x, y = _data(64)
    logs = []
    for prebuild in (False, True):
        keras.utils.set_random_seed(0)
        model = _packed_two_output_model()
        if prebuild:
            build_compiled_state(model, x[:2], (y[:2], y[:2]))
        logs.append(model.fit(x, (y, y), epochs=2, batch_size=32, shuffle=False, verbose=0).history)
    assert logs[0] == logs[1]


def test_predict_outputs_equal_keras_predict_in_chunks_of_uint8_images():
    x, _ = _data(70)
    images = (x * 255).astype(np.uint8)
    model = _packed_two_output_model()
    outputs = predict_outputs(model, images, 1 / 255, chunk=32)
    expected = model.predict(images.astype(np.float32) * np.float32(1 / 255), batch_size=32, verbose=0)
    assert [o.shape for o in outputs] == [(70, 1), (70, 1)]
    for got, want in zip(outputs, expected):
        np.testing.assert_array_equal(got, want)


def test_keras_relu_matches_the_hand_written_relu_here_and_the_check_can_fail(monkeypatch):
    from experiments.training.speed import relu_kernel

    relu_kernel._elementwise_match.cache_clear()
    assert relu_kernel.keras_relu_matches()  # TensorFlow's Relu / ReluGrad, on finite inputs
    relu_kernel._elementwise_match.cache_clear()
    monkeypatch.setattr(keras.activations, "relu", lambda x: keras.ops.maximum(x, 0.0))  # gradient 1 at x = 0
    try:
        assert not relu_kernel.keras_relu_matches()
        model = get_task("bird_plane").build_model(1, "sigmoid")
        assert relu_kernel.use_keras_relu(model) == 0
    finally:  # the cached answer must not outlive the stand-in relu
        relu_kernel._elementwise_match.cache_clear()


def test_the_relu_kernel_goes_to_hidden_layers_only():
    from custom_objects import activations
    from experiments.training.speed.relu_kernel import use_keras_relu

    model = get_task("bird_plane").build_model(1, "sigmoid")
    assert [layer.activation for layer in model.layers if hasattr(layer, "activation")][:3] == [activations.relu] * 3
    assert use_keras_relu(model) == 3  # conv, conv, dense
    assert [layer.activation for layer in model.layers if hasattr(layer, "activation")] == [
        keras.activations.relu,
        keras.activations.relu,
        keras.activations.relu,
        activations.sigmoid,
    ]
    tanh_body = get_task("bird_plane_hidden").build_model(1, "sigmoid", hidden_activation="tanh")
    assert use_keras_relu(tanh_body) == 0


def test_a_pack_with_the_relu_kernel_keeps_every_number_of_the_hand_written_relu(fake_archive, monkeypatch):
    from experiments import config as cfg
    from experiments.data.cifar10 import preflight
    from experiments.training.runner import run_pack
    from experiments.training.speed import relu_kernel

    configs, _ = preflight([cfg.resolve("bird_plane", p, 0, "smoke") for p in ("sigmoid+bce", "linear+bce_probs")])
    fused = run_pack(configs)
    monkeypatch.setattr(relu_kernel, "keras_relu_matches", lambda: False)
    hand_written = run_pack(configs)
    for a, b in zip(fused, hand_written):
        assert a["status"] == b["status"] == "ok"
        assert a["environment"]["hidden_relu"].startswith("keras.activations.relu")
        assert b["environment"]["hidden_relu"] == "as built"
        for key in ("history", "final", "test_outputs", "calibration", "probe_points"):
            assert json.dumps(a[key]) == json.dumps(b[key]), key  # as written to disk; NaN for empty bins


def test_a_whole_epoch_per_call_and_the_flat_adam_keep_every_number_of_a_pack(tmp_path, monkeypatch):
    """Against Keras's defaults: one batch per call and Keras's own Adam, on 4 batches an epoch (the last partial)."""
    from experiments import config as cfg
    from experiments.data.cifar10 import preflight
    from experiments.training import pack
    from experiments.training.runner import run_pack
    from tests.fake_cifar import write_archive

    # The shared fake_archive fixture holds 24 bird/plane images: one batch. This one holds 100.
    write_archive(tmp_path / "cifar-10-python.tar.gz", per_class_train=50, per_class_test=6)
    monkeypatch.setenv("CIFAR10_ARCHIVE", str(tmp_path / "cifar-10-python.tar.gz"))

    pairings = ("sigmoid+bce", "softmax+sparse_cce", "linear+bce_probs")
    configs, _ = preflight([cfg.resolve("bird_plane", p, 0, "smoke") for p in pairings])
    fast = run_pack(configs)
    monkeypatch.setattr(pack, "steps_per_execution", lambda examples, batch_size: 1)
    monkeypatch.setattr(pack, "adam", lambda lr: (keras.optimizers.Adam(learning_rate=lr), "keras.optimizers.Adam"))
    plain = run_pack(configs)
    for a, b in zip(fast, plain):
        assert a["status"] == b["status"] == "ok"
        assert a["environment"]["adam"] == "LeanAdam" and b["environment"]["adam"] == "keras.optimizers.Adam"
        assert a["data"]["train_examples"] == 100 and a["environment"]["steps_per_execution"] == 4
        assert b["environment"]["steps_per_execution"] == 1
        for key in ("history", "final", "test_outputs", "calibration", "probe_points"):
            assert json.dumps(a[key]) == json.dumps(b[key]), key  # as written to disk; NaN for empty bins


@pytest.mark.parametrize("steps", [1, 3])
def test_the_training_step_is_traced_once_with_several_steps_per_call(steps):
    x, y = _data(64)
    model = _packed_two_output_model()
    model.compile(optimizer=LeanAdam(), loss=["binary_crossentropy", "mse"], steps_per_execution=steps)
    build_compiled_state(model, x[:2], (y[:2], y[:2]))
    traced = _count_traces(model, "train_step")
    model.fit(x, (y, y), epochs=2, batch_size=32, verbose=0)
    assert len(traced) == 1


def test_outputs_agree_within_the_tolerance_relative_to_the_output():
    from experiments.training.speed.relu_kernel import OUTPUT_TOLERANCE, outputs_agree

    a = np.array([[0.5], [100.0], [np.nan]])
    assert outputs_agree(a, a) == (True, 0.0)
    assert outputs_agree(a + [[OUTPUT_TOLERANCE / 2], [OUTPUT_TOLERANCE * 50], [0.0]], a)[0]
    agree, gap = outputs_agree(a + [[0.97], [0.0], [0.0]], a)  # the wrong evaluation seen on one machine
    assert not agree and gap == pytest.approx(0.97)
    assert not outputs_agree(np.array([[np.nan]]), np.array([[0.5]]))[0]
    with pytest.raises(ValueError, match="shape"):
        outputs_agree(np.zeros((3, 1)), np.zeros((3, 2)))


def test_a_pack_whose_compiled_predict_disagrees_with_its_twin_is_trained_again_with_the_hand_written_relu(
    fake_archive, monkeypatch
):
    from experiments import config as cfg
    from experiments.data.cifar10 import preflight
    from experiments.training.runner import run_pack
    from experiments.training.speed import relu_kernel

    configs, _ = preflight([cfg.resolve("bird_plane", p, 0, "smoke") for p in ("sigmoid+bce", "linear+bce_probs")])
    checked = run_pack(configs)
    for record in checked:  # the check ran and passed: the gap is float rounding at most
        assert record["environment"]["hidden_relu"].startswith("keras.activations.relu")
        assert 0 <= record["evaluation"]["hand_written_twin_max_abs_diff"] <= relu_kernel.OUTPUT_TOLERANCE

    calls = []
    agree = relu_kernel.outputs_agree

    def first_call_disagrees(a, b):  # as the compiled predict did on the machine of superseded/README.md
        calls.append(1)
        return (False, 0.97) if len(calls) == 1 else agree(a, b)

    monkeypatch.setattr(relu_kernel, "outputs_agree", first_call_disagrees)
    monkeypatch.setattr(relu_kernel, "_disabled", [])
    retrained = run_pack(configs)
    assert relu_kernel.disabled_reason() and "0.97" in relu_kernel.disabled_reason()
    for a, b in zip(retrained, checked):
        assert a["status"] == "ok", a.get("error")
        assert a["environment"]["hidden_relu"].startswith("as built: TensorFlow's Relu was turned off")
        assert "hand_written_twin_max_abs_diff" not in a["evaluation"]
        assert json.dumps(a["test_outputs"]) == json.dumps(b["test_outputs"])  # the hand-written relu's own
