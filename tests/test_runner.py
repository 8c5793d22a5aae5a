"""One run: its record, determinism, divergence, errors, and custom vs built-in objects."""

import json
import subprocess
import sys

import numpy as np
import pytest

from experiments import config as cfg
from experiments.training.runner import run


def _without_timing(record):
    record = json.loads(json.dumps(record))
    record.pop("timing")
    return record


def test_record_has_epoch_zero_history_and_final_metrics():
    config = cfg.resolve("sepal_width", "linear+mse", 0, "smoke", {"epochs": 3})
    record = run(config)
    assert record["status"] == "ok", record.get("error")
    assert [row["epoch"] for row in record["history"]] == [0, 1, 2, 3]
    assert record["final"] == record["history"][-1]["test"]
    assert set(record["final"]) == {"mse", "mae", "r2", "mean_residual", "median_residual"}
    assert record["run_id"] == cfg.run_id(config) and record["run_id"].startswith("sepal_width__linear+mse__s0__")
    assert record["data"]["train_examples"] == 120 and len(record["data"]["fingerprint"]) == 16
    assert {"keras", "tensorflow", "backend", "python", "onednn"} <= set(record["environment"])
    # oneDNN on: the suite's default for TensorFlow's kernels; on JAX (XLA's kernels) it does not apply.
    assert record["environment"]["onednn"] is (True if record["environment"]["backend"] == "tensorflow" else None)
    assert record["timing"]["images_per_s"] > 0 and record["schema_version"] == 1
    assert record["config"]["epochs"] == 3 and record["config"]["batch_size"] == 32


def test_epoch_zero_row_is_the_untrained_models_loss_on_the_training_set():
    import keras

    from experiments.tasks import get_task
    from experiments.training.pipeline import subsample

    config = cfg.resolve("sepal_width", "linear+mse", 0, "smoke", {"epochs": 1})
    record = run(config)
    task = get_task("sepal_width")
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    untrained = task.build_model(1, "linear")
    split = task.load_data()
    x, y = subsample(split.x_train, split.y_train, config["train_limit"])
    residual = untrained.predict(x, verbose=0).reshape(-1) - y.reshape(-1)
    first = record["history"][0]
    assert first["train_loss"] == pytest.approx(float(np.mean(residual**2)), rel=1e-5)
    assert first["train_metric"] == pytest.approx(float(np.mean(np.abs(residual))), rel=1e-5)


def test_two_runs_with_one_seed_give_identical_records(fake_archive):
    config = cfg.resolve("bird_plane", "sigmoid+bce", 1, "smoke")
    first, second = run(config), run(config)
    assert first["status"] == "ok", first.get("error")
    assert _without_timing(first) == _without_timing(second)
    other_seed = run(cfg.resolve("bird_plane", "sigmoid+bce", 2, "smoke"))
    assert other_seed["history"] != first["history"]


def test_non_finite_loss_stops_the_run_as_diverged():
    config = cfg.resolve("sepal_width", "linear+mse", 0, "smoke", {"learning_rate": 1e30, "epochs": 5})
    record = run(config)
    assert record["status"] == "diverged"
    assert record["diverged_at_epoch"] == 1
    assert record["final"] is None and len(record["history"]) == 1


def test_a_failing_run_is_recorded_as_error(tmp_path):
    config = cfg.resolve(
        "cifar10", "softmax+sparse_cce", 0, "smoke", data_options={"cifar10_archive": str(tmp_path / "missing.tar.gz")}
    )
    record = run(config)
    assert record["status"] == "error" and "does not exist" in record["error"]


@pytest.mark.parametrize(
    "task, pairing",
    [
        ("sepal_width", "linear+mse"),
        ("bird_plane", "sigmoid+bce"),
        ("cifar10", "linear+sparse_cce"),
        ("multilabel", "sigmoid+bce"),
    ],
)
def test_custom_objects_and_keras_builtins_give_the_same_loss_curve(fake_archive, task, pairing):
    curves = {}
    for objects in ("custom", "keras"):
        record = run(cfg.resolve(task, pairing, 0, "smoke", {"objects": objects, "epochs": 3}))
        assert record["status"] == "ok", record.get("error")
        curves[objects] = [row["train_loss"] for row in record["history"]]
    np.testing.assert_allclose(curves["custom"], curves["keras"], rtol=1e-4)


@pytest.mark.slow
def test_profiles_and_overrides_reject_unknown_keys():
    with pytest.raises(ValueError, match=r"Unknown setting\(s\) 'epoch'.*valid settings: .*epochs"):
        cfg.resolve("sepal_width", "linear+mse", 0, "smoke", {"epoch": 3})
    with pytest.raises(ValueError, match="Unknown profile 'fast'; valid profiles: atlas, full, quick, smoke"):
        cfg.load_profile("fast")
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        cfg.resolve("sepal_width", "linear+mse", 0, "smoke", {"batch_size": 0})
    with pytest.raises(ValueError, match="Unknown pairing for sepal_width 'softmax'; name one of"):
        cfg.resolve("sepal_width", "softmax", 0, "smoke")
    with pytest.raises(ValueError, match="'linear\\+sparse_cce' on sepal_width: sparse_cce takes one class id"):
        cfg.resolve("sepal_width", "linear+sparse_cce", 0, "smoke")
    result = subprocess.run(
        [sys.executable, "-m", "experiments", "run", "sepal_width", "--pairing", "linear+mse", "--set", "epoch=3"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "Unknown setting(s) 'epoch'" in result.stderr


@pytest.mark.slow
def test_cli_run_writes_one_record(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "experiments",
            "run",
            "sepal_width",
            "--pairing",
            "linear+mae",
            "--profile",
            "smoke",
            "--results",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    written = list(tmp_path.glob("runs/sepal_width/*.json"))
    assert len(written) == 1 and json.loads(written[0].read_text())["status"] == "ok"


@pytest.mark.slow
def test_packed_runs_hold_the_same_numbers_as_runs_trained_alone(fake_archive):
    from experiments.training.runner import run_pack

    pairings = ["sigmoid+bce", "sigmoid+mse", "softmax+sparse_cce", "linear+bce_probs"]
    configs = [cfg.resolve("bird_plane", p, 3, "smoke", {"epochs": 3}) for p in pairings]
    packed = run_pack(configs)
    for config, together in zip(configs, packed):
        alone = run(config)
        assert together["status"] == alone["status"] == "ok"
        assert together["run_id"] == alone["run_id"]
        assert len(together["packed_with"]) == 3 and "packed_with" not in alone
        for a, b in zip(together["history"], alone["history"]):
            np.testing.assert_allclose(a["train_loss"], b["train_loss"], rtol=1e-5)
            for metric, value in a["test"].items():
                np.testing.assert_allclose(
                    value, b["test"][metric], rtol=1e-5, atol=1e-7, err_msg=f"{config['pairing']} {metric}"
                )


def test_a_diverging_branch_does_not_disturb_its_pack_mates():
    from experiments.training.runner import run_pack

    # Adam steps of 1e12 push the outputs to about 1e26: their square overflows float32, their absolute value does not.
    configs = [
        cfg.resolve("sepal_width", p, 0, "smoke", {"learning_rate": 1e12, "epochs": 3})
        for p in ("linear+mse", "linear+mae")
    ]
    diverged, survivor = run_pack(configs)
    assert diverged["status"] == "diverged" and diverged["diverged_at_epoch"] == 1
    alone = run(configs[1])
    assert survivor["status"] == alone["status"] == "ok"
    assert [r["train_loss"] for r in survivor["history"]] == pytest.approx(
        [r["train_loss"] for r in alone["history"]], rel=1e-5
    )


def test_a_pack_must_share_everything_but_the_pairing():
    from experiments.training.runner import run_pack

    with pytest.raises(ValueError, match="differ only in their pairing"):
        run_pack(
            [cfg.resolve("sepal_width", "linear+mse", 0, "smoke"), cfg.resolve("sepal_width", "linear+mae", 1, "smoke")]
        )


def _assert_same_numbers(together, alone, label):
    assert together["status"] == alone["status"] == "ok", (together.get("error"), alone.get("error"))
    assert together["run_id"] == alone["run_id"]
    assert len(together["history"]) == len(alone["history"])
    for a, b in zip(together["history"], alone["history"]):
        np.testing.assert_allclose(a["train_loss"], b["train_loss"], rtol=1e-5, err_msg=label)
        for metric, value in a["test"].items():
            if value is None:  # a metric the pairing's loss does not define (log loss of a margin loss, say)
                assert b["test"][metric] is None, f"{label} {metric}"
                continue
            np.testing.assert_allclose(value, b["test"][metric], rtol=1e-5, atol=1e-6, err_msg=f"{label} {metric}")


@pytest.mark.slow
@pytest.mark.parametrize(
    "task, pairings",
    [
        ("cifar10", ["softmax+sparse_cce", "sigmoid+bce", "softmax+sparse_cce_logits"]),
        ("multilabel", ["sigmoid+bce", "softmax+cce", "linear+bce"]),
    ],
)
def test_cifar10_and_multilabel_packs_hold_the_numbers_of_their_runs_alone(fake_archive, task, pairings):
    from experiments.training.runner import run_pack

    configs = [cfg.resolve(task, p, 1, "smoke", {"epochs": 2}) for p in pairings]
    for config, together in zip(configs, run_pack(configs)):
        _assert_same_numbers(together, run(config), f"{task} {config['pairing']}")


@pytest.mark.slow
def test_sweep_chunks_a_group_larger_than_the_pack_size_and_pack_size_one_trains_alone(fake_archive, tmp_path):
    from experiments import records
    from experiments.pairings import PAIRINGS
    from experiments.sweep import plan, sweep

    seven = list(PAIRINGS["bird_plane"])[:7]
    configs = plan("smoke", tasks=["bird_plane"], pairings=seven, seeds=[0], overrides={"epochs": 2})
    assert len(configs) == 7
    sweep(configs, str(tmp_path / "packs_of_3"), workers=2, pack_size=3)
    sweep(configs, str(tmp_path / "alone"), workers=2, pack_size=1)
    packed = {r["run_id"]: r for r in records.load_all(tmp_path / "packs_of_3").records}
    alone = {r["run_id"]: r for r in records.load_all(tmp_path / "alone").records}
    assert packed.keys() == alone.keys() and len(packed) == 7
    assert sorted(r["timing"]["pack_size"] for r in packed.values()) == [1, 3, 3, 3, 3, 3, 3]
    assert all(r["timing"]["pack_size"] == 1 and "packed_with" not in r for r in alone.values())
    for run_id in packed:
        mates = packed[run_id].get("packed_with", [])
        assert len(mates) == packed[run_id]["timing"]["pack_size"] - 1 and all(
            packed[m]["timing"]["pack_size"] == len(mates) + 1 for m in mates
        )
        _assert_same_numbers(packed[run_id], alone[run_id], run_id)


@pytest.mark.slow
def test_a_cnn_run_is_identical_in_two_separate_processes(fake_archive, tmp_path):
    command = [
        sys.executable,
        "-m",
        "experiments",
        "run",
        "bird_plane",
        "--pairing",
        "sigmoid+mse",
        "--seed",
        "4",
        "--profile",
        "smoke",
    ]
    written = []
    for name in ("first", "second"):
        done = subprocess.run(
            [*command, "--results", str(tmp_path / name)], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        (path,) = (tmp_path / name).glob("runs/bird_plane/*.json")
        written.append(_without_timing(json.loads(path.read_text())))
    assert written[0]["status"] == "ok"
    assert written[0] == written[1]


# One changed value per training setting and data option that can change a run's outcome.
CHANGED_SETTINGS = {
    "epochs": 7,
    "batch_size": 16,
    "learning_rate": 0.01,
    "train_limit": 100,
    "test_limit": 50,
    "objects": "keras",
    "optimizer": "sgd",
}


def test_run_id_changes_with_every_training_setting_and_not_with_places_on_disk(tmp_path):
    base = cfg.resolve("bird_plane", "sigmoid+bce", 0, "quick")
    assert set(CHANGED_SETTINGS) == set(cfg.DEFAULTS) - {"seeds"} - cfg.UNHASHED_SETTINGS, "a new setting needs a value"
    # What is measured, not what is trained: the gradient probe leaves the run id (and the run) as it is.
    assert cfg.run_id(cfg.resolve("bird_plane", "sigmoid+bce", 0, "quick", {"probe": False})) == cfg.run_id(base)
    ids = {cfg.run_id(base)}
    for key, value in CHANGED_SETTINGS.items():
        ids.add(cfg.run_id(cfg.resolve("bird_plane", "sigmoid+bce", 0, "quick", {key: value})))
    ids.add(cfg.run_id(cfg.resolve("bird_plane", "sigmoid+mse", 0, "quick")))
    ids.add(cfg.run_id(cfg.resolve("bird_plane", "sigmoid+bce", 1, "quick")))
    ids.add(
        cfg.run_id(
            cfg.resolve(
                "bird_plane", "sigmoid+bce", 0, "smoke", {"epochs": base["epochs"], "train_limit": base["train_limit"]}
            )
        )
    )
    ids.add(cfg.run_id({**base, "data": {**base["data"], "cifar10_fingerprint": "0123456789abcdef"}}))
    multilabel = cfg.resolve("multilabel", "sigmoid+bce", 0, "quick")
    ids.add(cfg.run_id(multilabel))
    ids.add(cfg.run_id(cfg.resolve("multilabel", "sigmoid+bce", 0, "quick", data_options={"mosaic_seed": 1})))
    assert len(ids) == len(CHANGED_SETTINGS) + 7, "every change above gives another run id"

    # Where the data is read from is not part of the run: its fingerprint is.
    for options in (
        {"cifar10_archive": str(tmp_path / "a.tar.gz")},
        {"cifar10_archive": "/elsewhere/b"},
        {"data_source": "embedded"},
    ):
        assert cfg.run_id(cfg.resolve("bird_plane", "sigmoid+bce", 0, "quick", data_options=options)) == cfg.run_id(
            base
        )


def test_run_id_changes_with_the_pairings_definition(monkeypatch):
    import dataclasses

    from experiments import pairings

    config = cfg.resolve("bird_plane", "sigmoid+mse", 0, "quick")
    before = cfg.run_id(config)
    changed = dataclasses.replace(pairings.PAIRINGS["bird_plane"]["sigmoid+mse"], loss="mae")
    monkeypatch.setitem(pairings.PAIRINGS["bird_plane"], "sigmoid+mse", changed)
    # A config holds what its pairing resolved to: the same config keeps its id, resolving again gives another.
    assert cfg.run_id(config) == before
    assert cfg.run_id(cfg.resolve("bird_plane", "sigmoid+mse", 0, "quick")) != before


def test_the_record_holds_the_final_outputs_and_targets_of_every_test_image(fake_archive):
    from experiments.records import decode_array
    from experiments.tasks import get_task
    from experiments.training import metrics

    record = run(cfg.resolve("bird_plane", "sigmoid+bce", 0, "smoke"))
    outputs, targets = decode_array(record["test_outputs"]), decode_array(record["test_targets"])
    assert outputs.shape == (record["data"]["test_examples"], 1) and outputs.dtype == np.float32
    split = get_task("bird_plane").load_data()
    np.testing.assert_array_equal(targets, split.y_test)
    values, _, _ = metrics.evaluate("binary", targets, outputs, record["pairing_spec"])
    assert values == record["final"]  # the stored outputs give the recorded metrics exactly
