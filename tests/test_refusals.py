"""The suite refuses exactly what Keras 3 refuses: each refusal shown with Keras's own loss raising on it.

Targets are what a user would pass for the task: class ids to a sparse loss, one-hot rows to a
categorical one, the labels as they are to the rest (multi-hot rows on the mosaics, widths on iris).
"""

import numpy as np
import pytest

from experiments.composition import compose

RNG = np.random.default_rng(0)
N = 8
IDS10 = RNG.integers(0, 10, N)
IDS2 = np.array([0, 1] * (N // 2))
TARGETS = {
    ("cifar10", "ids"): IDS10.astype("float32"),
    ("cifar10", "one_hot"): np.eye(10, dtype="float32")[IDS10],
    ("bird_plane", "ids"): IDS2.astype("float32"),
    ("bird_plane", "one_hot"): np.eye(2, dtype="float32")[IDS2],
    ("multilabel", "multi_hot"): (RNG.random((N, 10)) < 0.3).astype("float32"),
    ("sepal_width", "values"): RNG.uniform(2.0, 4.4, N).astype("float32"),
}
KINDS = {"cifar10": "multiclass", "bird_plane": "binary", "multilabel": "multilabel", "sepal_width": "regression"}

# (task, pairing, Keras loss, targets a user passes, output units)
REFUSED = [
    ("multilabel", "sigmoid+sparse_cce", "sparse_categorical_crossentropy", "multi_hot", 10),
    ("sepal_width", "linear+sparse_cce", "sparse_categorical_crossentropy", "values", 1),
    ("bird_plane", "sigmoid@1+sparse_cce", "sparse_categorical_crossentropy", "ids", 1),
    ("cifar10", "softmax@5+sparse_cce", "sparse_categorical_crossentropy", "ids", 5),
    ("cifar10", "softmax@3+cce", "categorical_crossentropy", "one_hot", 3),
    ("cifar10", "linear@3+mse", "mean_squared_error", "one_hot", 3),
    ("bird_plane", "softmax@3+bce", "binary_crossentropy", "ids", 3),
    ("bird_plane", "linear@3+mse", "mean_squared_error", "ids", 3),
    ("bird_plane", "softmax@3+cce", "categorical_crossentropy", "one_hot", 3),
    ("multilabel", "sigmoid@1+bce", "binary_crossentropy", "multi_hot", 1),
    ("multilabel", "softmax@3+cce", "categorical_crossentropy", "multi_hot", 3),
]
# What Keras trains, the suite trains (each composes; Keras's loss gives a number).
TRAINED = [
    ("cifar10", "sigmoid@1+bce", "binary_crossentropy", "ids", 1),  # BCE on labels 0-9: the public report
    ("cifar10", "linear@1+mse", "mean_squared_error", "ids", 1),
    ("cifar10", "softmax@12+sparse_cce", "sparse_categorical_crossentropy", "ids", 12),
    ("bird_plane", "softmax@3+sparse_cce", "sparse_categorical_crossentropy", "ids", 3),
    ("bird_plane", "softmax@1+bce", "binary_crossentropy", "ids", 1),
    ("sepal_width", "sigmoid+bce", "binary_crossentropy", "values", 1),
]


def _keras_loss(name, targets, units, outputs=None):
    """Keras's loss object (as `model.compile(loss=name)` builds it) on `targets` and outputs of `units`."""
    import keras

    classes = {
        "binary_crossentropy": keras.losses.BinaryCrossentropy,
        "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
        "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
        "mean_squared_error": keras.losses.MeanSquaredError,
    }
    outputs = RNG.uniform(0.05, 0.95, (N, units)).astype("float32") if outputs is None else outputs
    return float(classes[name]()(targets, outputs))


@pytest.mark.parametrize("task, pairing, loss, targets, units", REFUSED, ids=[f"{c[0]}:{c[1]}" for c in REFUSED])
def test_each_refusal_is_one_keras_makes(task, pairing, loss, targets, units):
    with pytest.raises(ValueError, match="refuse"):
        compose(task, KINDS[task], pairing)
    with pytest.raises(Exception):  # noqa: B017 - Keras raises ValueError or the backend's InvalidArgumentError
        _keras_loss(loss, TARGETS[(task, targets)], units)


@pytest.mark.parametrize("task, pairing, loss, targets, units", TRAINED, ids=[f"{c[0]}:{c[1]}" for c in TRAINED])
def test_what_keras_trains_the_suite_composes(task, pairing, loss, targets, units):
    composed = compose(task, KINDS[task], pairing)
    assert composed.units == units
    assert np.isfinite(_keras_loss(loss, TARGETS[(task, targets)], units))


def test_bce_on_the_ten_class_ids_goes_negative_as_users_report():
    # With every output near 1, each label y >= 2 gives -y log p - (1 - y) log(1 - p) < 0.
    near_one = np.full((N, 1), 0.99, dtype="float32")
    assert _keras_loss("binary_crossentropy", TARGETS[("cifar10", "ids")], 1, near_one) < 0
    assert compose("cifar10", "multiclass", "sigmoid@1+bce").target == "class_value"


def test_report_on_a_folder_that_does_not_exist_says_so_and_how_to_fill_it(tmp_path, capsys):
    from experiments.cli import main

    missing = tmp_path / "nowhere"
    assert main(["report", "--results", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"results folder {missing} does not exist" in err
    assert f"sweep --results {missing} --profile PROFILE (one of atlas, full, quick, smoke)" in err
    assert not missing.exists()  # nothing made


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_share_that_leaves_a_class_empty_is_refused_before_any_run(tmp_path, capsys, command):
    from experiments.cli import main

    results = tmp_path / "r"
    argv = {
        "run": ["run", "bird_plane", "--pairing", "sigmoid+bce", "--seed", "0"],
        "sweep": ["sweep", "--tasks", "bird_plane", "--pairings", "sigmoid+bce", "--seeds", "0"],
    }[command]
    code = main([*argv, "--profile", "smoke", "--results", str(results), "--data", "positive_share=1e-9"])
    err = capsys.readouterr().err
    assert code == 2 and "keeps 0 planes" in err and "use a share from" in err
    assert len(err.strip().splitlines()) == 1 and not results.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "--results", "results/full"],
        ["figures", "--results", "FOLDER"],
        ["rescore", "--results", "FOLDER"],
        ["plan", "--pilot", "results/full", "--results", "FOLDER"],
        ["summary", "bird_plane"],
        ["explain", "sigmoid+bce"],
        ["run", "sepal_width", "--pairing", "linear+mse", "--results", "FOLDER"],
    ],
)
def test_a_backend_that_is_not_installed_is_refused_by_every_command_in_one_line(tmp_path, capsys, monkeypatch, argv):
    import importlib.util

    from experiments.cli import main

    if importlib.util.find_spec("torch") is not None:
        pytest.skip("torch is installed here")
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    argv = [str(tmp_path / "out") if a == "FOLDER" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    trains = argv[0] in ("run", "explain")  # these train or build models: they name the backends they train on
    said = "the suite trains on tensorflow or jax" if trains else "torch is not installed here"
    assert f"KERAS_BACKEND=torch: {said}" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("make", ["runs is a file", "the task folder is a dangling link"])
def test_a_file_or_a_dangling_link_where_a_folder_goes_is_named(tmp_path, capsys, make):
    import os

    from experiments.cli import main

    if make == "runs is a file":
        (tmp_path / "runs").write_text("")
        said = f"{tmp_path / 'runs'} is a file where the records' folder goes"
    else:
        (tmp_path / "runs").mkdir()
        os.symlink(tmp_path / "gone", tmp_path / "runs" / "sepal_width")
        said = f"{tmp_path / 'runs' / 'sepal_width'} is a dangling link where a folder goes"
    argv = ["run", "sepal_width", "--pairing", "linear+mse", "--profile", "smoke", "--results", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert said in err and len(err.strip().splitlines()) == 1


def test_the_atlas_report_of_a_folder_without_records_is_refused_and_writes_nothing(tmp_path):
    import subprocess
    import sys

    folder = tmp_path / "empty"
    done = subprocess.run(
        [sys.executable, "-m", "experiments", "report", "--profile", "atlas", "--results", str(folder)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "holds no run records" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not folder.exists()
