"""The output-gradient probe against hand-computed gradients, and the mechanism variants' set-up."""

import numpy as np
import pytest

import custom_objects
from experiments import config as cfg
from experiments.data.cifar10 import preflight
from experiments.records import decode_array
from experiments.tasks import get_task
from experiments.tasks.sepal_width_outliers import corrupt
from experiments.training import probe


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("z, y", [(-3.0, 1.0), (2.5, 0.0), (0.3, 1.0)])
def test_probe_gradient_of_one_image_is_the_analytic_one(z, y):
    sigmoid = custom_objects.get_activation("sigmoid")
    s = _sigmoid(z)
    mse = custom_objects.losses.LOSSES["mse"](reduction="sum")
    bce = custom_objects.losses.LOSSES["bce"](reduction="sum")
    zs, ys = np.array([[z]], "float32"), np.array([[y]], "float32")
    # MSE (p - y)^2: 2 (p - y) p (1 - p); BCE: p - y (the sigmoid's derivative cancels).
    assert probe.output_gradients(zs, sigmoid, mse, ys)[0, 0] == pytest.approx(2 * (s - y) * s * (1 - s), rel=1e-5)
    assert probe.output_gradients(zs, sigmoid, bce, ys)[0, 0] == pytest.approx(s - y, rel=1e-5, abs=1e-6)


def test_per_image_gradients_do_not_mix_images():
    sigmoid = custom_objects.get_activation("sigmoid")
    mse = custom_objects.losses.LOSSES["mse"](reduction="sum")
    z = np.array([[-4.0], [0.0], [4.0]], "float32")
    y = np.array([[1.0], [0.0], [0.0]], "float32")
    s = _sigmoid(z)
    np.testing.assert_allclose(probe.output_gradients(z, sigmoid, mse, y), 2 * (s - y) * s * (1 - s), rtol=1e-5)


def test_softmax_cross_entropy_gradient_is_p_minus_y():
    softmax = custom_objects.get_activation("softmax")
    loss = custom_objects.losses.LOSSES["sparse_cce"](reduction="sum")
    z = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]], "float32")
    ids = np.array([2, 0])
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    grad = probe.output_gradients(z, softmax, loss, ids)
    np.testing.assert_allclose(grad, p - np.eye(3)[ids], atol=1e-6)
    margin, g, p_true, correct = probe.true_class(ids, z, grad, p, p.argmax(axis=1), "multiclass")
    np.testing.assert_allclose(margin, [0.5 - 2.0, 0.0 - 3.0])
    np.testing.assert_allclose(g, 1 - p[[0, 1], ids], atol=1e-6)
    assert not correct.any()


def test_margin_is_signed_towards_the_true_class():
    z = np.array([[3.0], [3.0], [-2.0]])
    y = np.array([1, 0, 0])
    probs = _sigmoid(z[:, 0])
    margin, _, p_true, correct = probe.true_class(y, z, np.zeros_like(z), probs, (z[:, 0] >= 0).astype(int), "binary")
    np.testing.assert_allclose(margin, [3.0, -3.0, 2.0])
    np.testing.assert_allclose(p_true, [probs[0], 1 - probs[1], 1 - probs[2]])
    assert correct.tolist() == [True, False, True]


def test_probe_images_are_fixed_by_the_data_alone():
    assert np.array_equal(probe.probe_rows(5000), probe.probe_rows(5000))
    assert len(probe.probe_rows(5000)) == probe.PROBE_SIZE and len(probe.probe_rows(100)) == 100


def test_outliers_move_the_stated_share_of_training_targets_and_leave_the_test_rows_clean():
    task = get_task("sepal_width_outliers")
    clean, dirty = get_task("sepal_width").load_data(), task.load_data()
    moved = np.flatnonzero(dirty.y_train[:, 0] != clean.y_train[:, 0])
    assert len(moved) == round(0.1 * len(clean.y_train))
    np.testing.assert_allclose(dirty.y_train[moved] - clean.y_train[moved], 3.0, rtol=1e-6)
    assert np.array_equal(dirty.x_test, clean.x_test) and np.array_equal(dirty.y_test, clean.y_test)
    again, rows = corrupt(clean.y_train, 0.1, 3.0, 0)
    assert np.array_equal(rows, moved) and np.array_equal(again, dirty.y_train)
    assert not np.array_equal(corrupt(clean.y_train, 0.1, 3.0, 1)[1], moved)  # another seed, other rows


def test_variant_options_enter_the_run_id():
    base = cfg.resolve("bird_plane_saturated", "sigmoid+mse", 0, "smoke")
    other = cfg.resolve("bird_plane_saturated", "sigmoid+mse", 0, "smoke", data_options={"start_probability": 0.9})
    assert cfg.run_id(base) != cfg.run_id(other)
    base = cfg.resolve("sepal_width_outliers", "linear+mae", 0, "smoke")
    other = cfg.resolve("sepal_width_outliers", "linear+mae", 0, "smoke", data_options={"outlier_share": 0.2})
    assert cfg.run_id(base) != cfg.run_id(other)


@pytest.mark.parametrize("start", [0.98, 0.9])
def test_a_saturated_start_puts_every_image_at_the_stated_probability(start):
    from tests.fake_cifar import make_split

    (x, _), _ = make_split(per_class_train=4)
    task = get_task("bird_plane_saturated")
    model = task.build_model(1, "sigmoid", options={"start_probability": start})
    p = np.asarray(model(x.astype("float32") / 255))
    # The bias sets the start; the kernel's small term w.h moves each image by a little.
    assert abs(np.median(p) - start) < 0.03 and p.min() > start - 0.05


def test_a_saturated_start_rejects_what_it_cannot_saturate():
    task = get_task("bird_plane_saturated")
    with pytest.raises(ValueError, match=r"data option start_probability must be a number in \(0.5, 1\)"):
        task.build_model(1, "sigmoid", options={"start_probability": 0.3})
    with pytest.raises(ValueError, match="one-unit head"):
        task.build_model(2, "softmax")


def test_a_saturated_run_records_the_probe_from_epoch_0(fake_archive):
    from experiments.training.runner import run

    config = cfg.resolve("bird_plane_saturated", "sigmoid+mse", 0, "smoke")
    (config,), _ = preflight([config])
    record = run(config)
    assert record["status"] == "ok"
    rows = [row["probe"] for row in record["history"]]
    assert len(rows) == config["epochs"] + 1
    first = rows[0]
    # At the start every image has p(airplane) ~ 0.98: every bird is wrong with |dL/dz| = 2 p^2 (1 - p) ~ 0.038.
    margin, grad = (decode_array(record["probe_points"]["epoch_0"][k]) for k in ("margin", "grad"))
    wrong = margin < 0
    assert first["wrong_share"] == pytest.approx(wrong.mean())
    assert first["grad_wrong"] == pytest.approx(grad[wrong].mean(), rel=1e-5)
    s = _sigmoid(-margin[wrong])
    np.testing.assert_allclose(grad[wrong], 2 * s**2 * (1 - s), rtol=1e-4)
    assert 0.03 < first["grad_wrong"] < 0.045


def test_a_task_can_change_the_training_settings_and_a_profile_or_the_command_line_still_wins():
    sgd = cfg.resolve("bird_plane_saturated_sgd", "sigmoid+mse", 0, "full")
    adam = cfg.resolve("bird_plane_saturated", "sigmoid+mse", 0, "full")
    assert (sgd["optimizer"], sgd["learning_rate"]) == ("sgd", 0.01)
    assert (adam["optimizer"], adam["learning_rate"]) == ("adam", 0.001)
    overridden = cfg.resolve("bird_plane_saturated_sgd", "sigmoid+mse", 0, "full", {"learning_rate": 0.1})
    assert overridden["learning_rate"] == 0.1 and cfg.run_id(overridden) != cfg.run_id(sgd)
    with pytest.raises(ValueError, match="optimizer must be 'adam' or 'sgd', got 'rmsprop'"):
        cfg.resolve("bird_plane", "sigmoid+mse", 0, "smoke", {"optimizer": "rmsprop"})


def test_an_sgd_run_is_trained_by_plain_sgd(fake_archive):
    from experiments.training.runner import run

    (config,), _ = preflight([cfg.resolve("bird_plane_saturated_sgd", "sigmoid+bce", 0, "smoke")])
    record = run(config)
    assert record["status"] == "ok" and record["environment"]["adam"] == "keras.optimizers.SGD"


def test_the_probe_can_be_turned_off_and_training_is_the_same(fake_archive):
    from experiments.training.runner import run

    (config,), _ = preflight([cfg.resolve("bird_plane_saturated", "sigmoid+mse", 0, "smoke")])
    probed, plain = run(config), run({**config, "probe": False})
    assert plain["run_id"] == probed["run_id"] and "probe_points" not in plain
    assert all("probe" not in row for row in plain["history"])
    strip = [{k: v for k, v in row.items() if k != "probe"} for row in probed["history"]]
    assert plain["history"] == strip and plain["final"] == probed["final"]
