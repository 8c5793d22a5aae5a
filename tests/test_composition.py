"""Pairings composed from their parts: the grammar, the defaults, Keras's refusals, aliases and the atlas grid."""

from pathlib import Path

import numpy as np
import pytest

from experiments import config as cfg
from experiments import records
from experiments.cli import main
from experiments.composition import LOSS_FORMS, LOSSES, OUTPUT_ACTIVATIONS, Composition, all_compositions
from experiments.pairings import PAIRINGS, get_pairing

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "task, expression, name, units, target, link, kwargs",
    [
        ("bird_plane", "softmax+bce", "softmax@1+bce", 1, "binary", "identity", {}),  # alias of a named mistake
        ("bird_plane", "softmax@1+bce", "softmax@1+bce", 1, "binary", "identity", {}),
        ("bird_plane", "sigmoid+bce(from_logits=true)", "sigmoid+bce(from_logits=true)", 1, "binary", "identity", {"from_logits": True}),
        ("bird_plane", "sigmoid + bce ( from_logits = True )", "sigmoid+bce(from_logits=true)", 1, "binary", "identity", {"from_logits": True}),
        ("bird_plane", "linear+bce(from_logits=true)", "linear+bce", 1, "binary", "sigmoid", {"from_logits": True}),
        ("bird_plane", "linear+bce(from_logits=false)", "linear+bce_probs", 1, "binary", "clip", {}),
        ("bird_plane", "relu+bce", "relu+bce", 1, "binary", "clip", {}),
        ("bird_plane", "tanh+hinge", "tanh+hinge", 1, "plus_minus_one", "tanh", {}),
        ("bird_plane", "tanh+squared_hinge", "tanh+squared_hinge", 1, "plus_minus_one", "tanh", {}),
        ("bird_plane", "softmax+sparse_cce", "softmax+sparse_cce", 2, "integer", "identity", {}),
        ("bird_plane", "sigmoid+cce", "sigmoid+cce", 2, "one_hot", "identity", {}),
        ("bird_plane", "sigmoid@1+cce", "sigmoid@1+cce", 1, "binary", "identity", {}),
        ("cifar10", "softmax+bce", "softmax+bce", 10, "one_hot", "identity", {}),
        ("cifar10", "sigmoid+cce", "sigmoid+cce", 10, "one_hot", "identity", {}),
        ("cifar10", "softmax+sparse_cce(from_logits=true)", "softmax+sparse_cce_logits", 10, "integer", "identity", {"from_logits": True}),
        ("cifar10", "linear+cce(from_logits=true)", "linear+cce(from_logits=true)", 10, "one_hot", "softmax", {"from_logits": True}),
        ("multilabel", "softmax+cce", "softmax+cce", 10, "normalized_multi_hot", "identity", {}),
        ("multilabel", "softmax+kl_divergence", "softmax+kl_divergence", 10, "normalized_multi_hot", "identity", {}),
        ("multilabel", "relu+binary_focal_crossentropy(gamma=3)", "relu+binary_focal_crossentropy(gamma=3.0)", 10, "multi_hot", "clip", {"gamma": 3.0}),
        ("sepal_width", "softplus+poisson", "softplus+poisson", 1, "value", "identity", {}),
        ("sepal_width", "linear+huber(delta=0.5)", "linear+huber(delta=0.5)", 1, "value", "identity", {"delta": 0.5}),
        ("sepal_width", "linear+huber(delta=1)", "linear+huber", 1, "value", "identity", {}),  # the default: the named one
    ],
)  # fmt: skip
def test_a_composition_resolves_to_its_head_targets_and_link(task, expression, name, units, target, link, kwargs):
    pairing = get_pairing(task, expression)
    assert (pairing.name, pairing.units, pairing.target, pairing.link, pairing.loss_kwargs) == (
        name,
        units,
        target,
        link,
        kwargs,
    )


@pytest.mark.parametrize(
    "task, expression, message",
    [
        (
            "multilabel",
            "sigmoid+sparse_cce",
            "'sigmoid+sparse_cce' on multilabel: sparse_cce takes one class id per example, but multilabel's targets "
            "are multi-hot rows (1-4 classes per mosaic): Keras refuses it; use bce or cce.",
        ),
        (
            "sepal_width",
            "linear+sparse_cce",
            "'linear+sparse_cce' on sepal_width: sparse_cce takes one class id per example, but sepal_width's "
            "targets are values (widths in cm): Keras refuses it; use mse, mae, huber or log_cosh.",
        ),
        ("cifar10", "softmax@3+cce", "'softmax@3+cce' on cifar10: cifar10's targets are class ids 0-9: they fill @10, not @3: Keras refuses"),
        (
            "bird_plane",
            "sigmoid@1+sparse_cce",
            "'sigmoid@1+sparse_cce' on bird_plane: sparse_cce on bird_plane's labels 0 or 1 needs at least @2 (one unit per "
            "class), not @1: a class id beyond the last unit is refused by Keras.",
        ),
        ("bird_plane", "softmax@3+bce", "bird_plane's targets fill 1 unit (a label) or 2 (one-hot rows), not @3: Keras refuses"),
        ("bird_plane", "softmax@0+bce", "'softmax@0+bce': @UNITS must be at least 1."),
        (
            "bird_plane",
            "foo+bce",
            "Unknown output activation 'foo' in 'foo+bce'; valid: linear, relu, sigmoid, softmax, softplus, tanh.",
        ),
        ("bird_plane", "sigmoid+foo", "Unknown loss 'foo' in 'sigmoid+foo'; valid: bce, binary_focal_crossentropy,"),
        (
            "bird_plane",
            "sigmoid+bce(from_logit=true)",
            "bce in 'sigmoid+bce(from_logit=true)' takes no argument 'from_logit=true'; its arguments: from_logits, label_smoothing.",
        ),
        ("bird_plane", "sigmoid+mse(delta=1)", "mse in 'sigmoid+mse(delta=1)' takes no argument 'delta=1'; its arguments: none."),
        (
            "bird_plane",
            "sigmoid+bce(from_logits=maybe)",
            "sigmoid+bce(from_logits=maybe): from_logits=maybe is not a value; use true, false or a number.",
        ),
        ("bird_plane", "sigmoid+huber(delta=true)", "huber in 'sigmoid+huber(delta=true)': delta must be a number, got true."),
        ("bird_plane", "sigmoid+bce)", "Cannot read pairing 'sigmoid+bce)'; expected ACTIVATION[@UNITS]+LOSS[(key=value, ...)]"),
        ("bird_plane", "lin ear+m se", "Cannot read pairing 'lin ear+m se'; expected"),
        ("bird_plane", "linear@99999+mse", "Cannot read pairing 'linear@99999+mse'; expected"),
        ("sepal_width", "linear+huber(delta)", "huber in 'linear+huber(delta)': delta needs a value, e.g. delta=1.0."),
        ("sepal_width", "linear+huber(delta=1e400)", "linear+huber(delta=1e400): delta=1e400 is not a value; use true, false or a finite number."),
        ("sepal_width", "linear+huber(delta=0.5,delta=2)", "huber in 'linear+huber(delta=0.5,delta=2)': delta is given twice."),
        ("sepal_width", "linear+huber(delta=0.5,)", "huber in 'linear+huber(delta=0.5,)' takes no argument ''; its arguments: delta."),
        ("bird_plane", "sigmoid", "Unknown pairing for bird_plane 'sigmoid'; name one of sigmoid+bce, sigmoid+mse,"),
    ],
)  # fmt: skip
def test_a_bad_composition_is_refused_with_one_line(task, expression, message):
    with pytest.raises(ValueError) as caught:
        get_pairing(task, expression)
    assert str(caught.value).startswith(message) or message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_composition_on_a_hidden_activation_task_is_its_post_arm():
    assert get_pairing("bird_plane_hidden", "sigmoid+bce").name == "relu_body"
    assert get_pairing("cifar10_hidden", "softmax+sparse_cce").name == "relu_body"
    assert get_pairing("bird_plane_hidden", "sigmoid+mse").hidden_activation is None  # the task's own ReLU body


def test_a_refused_composition_stops_run_and_sweep_before_anything_is_written(tmp_path, capsys):
    argv = ["run", "multilabel", "--pairing", "sigmoid+sparse_cce", "--profile", "smoke", "--results", str(tmp_path)]
    assert main(argv) == 2
    assert "error: 'sigmoid+sparse_cce' on multilabel: sparse_cce takes one class id" in capsys.readouterr().err
    sweep = ["sweep", "--tasks", "cifar10", "--pairings", "softmax@3+cce", "--profile", "smoke"]
    assert main([*sweep, "--results", str(tmp_path)]) == 2
    assert "they fill @10, not @3:" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("folder", ["results/full", "results/quick"])
def test_every_committed_record_keeps_its_run_id_and_its_pairing_name(folder):
    loaded = records.load_all(ROOT / folder)
    assert loaded.records and not loaded.invalid
    for record in loaded.records:
        assert cfg.run_id(record["config"]) == record["run_id"], record["run_id"]
        assert get_pairing(record["task"], record["pairing"]).name == record["pairing"]


def test_each_named_pairing_composes_from_its_own_expression_to_itself():
    for task, named in PAIRINGS.items():
        for name, pairing in named.items():
            if pairing.hidden_activation is None:
                expression = name.removesuffix("_logits") + ("(from_logits=true)" if name.endswith("_logits") else "")
                assert get_pairing(task, expression).name in named, (task, name)


def test_a_grid_of_several_tasks_keeps_each_tasks_own_names():
    from experiments.sweep import plan

    # A name of one task of the grid (and not of the other) is that task's only, as before compositions;
    # a composition named by neither is composed for both.
    grid = ["softmax+bce", "sigmoid+cce", "sigmoid+mse", "relu+poisson"]
    configs = plan("smoke", ["bird_plane", "cifar10"], grid, [0])
    assert {(c["task"], c["pairing"]) for c in configs} == {
        ("bird_plane", "sigmoid+mse"),
        ("bird_plane", "relu+poisson"),
        ("cifar10", "softmax+bce"),
        ("cifar10", "sigmoid+cce"),
        ("cifar10", "relu+poisson"),
    }
    (config,) = plan("smoke", ["bird_plane"], ["softmax+bce", "softmax@1+bce"], [0])
    assert config["pairing"] == "softmax@1+bce"


def test_the_atlas_grid_counts_every_cell_and_runs_the_ones_keras_accepts(capsys):
    from experiments.sweep import plan

    sizes = {}
    for task, kind in (
        ("sepal_width", "regression"),
        ("bird_plane", "binary"),
        ("cifar10", "multiclass"),
        ("multilabel", "multilabel"),
    ):
        cells = all_compositions(task, kind)
        assert len(cells) == len(OUTPUT_ACTIVATIONS) * len(LOSS_FORMS)
        sizes[task] = sum(isinstance(c, Composition) for c in cells)
    # The sparse losses' forms (sparse_cce and its from_logits form) are refused, with every activation, on iris
    # widths and on multi-hot mosaics; everything else composes.
    sparse = sum(LOSSES[form.partition("(")[0]].family == "sparse" for form in LOSS_FORMS)
    cells = len(OUTPUT_ACTIVATIONS) * len(LOSS_FORMS)
    refused = len(OUTPUT_ACTIVATIONS) * sparse
    assert sizes == {
        "sepal_width": cells - refused,
        "bird_plane": cells,
        "cifar10": cells,
        "multilabel": cells - refused,
    }
    configs = plan("atlas")
    total = 3 * sum(sizes.values())  # the atlas profile's 3 seeds
    assert len(configs) == total and len({cfg.run_id(c) for c in configs}) == total
    assert {c["task"] for c in configs} == set(sizes)
    assert main(["sweep", "--profile", "atlas", "--dry-run", "--results", "/nonexistent/atlas"]) == 0
    assert f"dry run: {total} runs in the grid; 0 done already" in capsys.readouterr().out


def test_the_atlas_epochs_are_the_plateau_measured_in_the_full_study():
    from experiments.analysis.atlas.cells import plateau_epoch

    full = records.load_all(ROOT / "results/full").records
    profile = cfg.load_profile("atlas")
    for task in profile["grid_tasks"]:
        if task == "sepal_width":  # iris trains as long as the full study's fitted lines do (sepal_width_fitted)
            fitted = cfg.load_profile("full")["tasks"]["sepal_width_fitted"]["epochs"]
            assert profile["tasks"][task]["epochs"] == fitted
            continue
        assert profile["tasks"][task]["epochs"] == plateau_epoch(full, task), task


def test_keras_resolves_accuracy_as_model_compile_builds_it():
    import keras

    from experiments.training.keras_view import resolved_accuracy

    cases = [
        (np.array([[0.0], [1.0]]), 1, "BinaryAccuracy"),
        (np.array([0, 1]), 2, "SparseCategoricalAccuracy"),
        (np.eye(10)[[3, 4]], 10, "CategoricalAccuracy"),
        (np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]), 3, "CategoricalAccuracy"),  # multi-hot: categorical
    ]
    for y, units, expected in cases:
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation="sigmoid")])
        model.compile(loss="mse" if units != 2 else "sparse_categorical_crossentropy", metrics=["accuracy"])
        x = np.zeros((len(y), 4), dtype="float32")
        model.evaluate(x, y, verbose=0)
        built = [m for m in model.metrics if m.name == "compile_metrics"][0]
        (metric,) = [m for m in built.metrics if m.name == "accuracy"]
        assert type(metric).__name__ == expected == type(resolved_accuracy(y, model.predict(x, verbose=0))).__name__


@pytest.mark.parametrize(
    "task, expression",
    [
        ("sepal_width", "softplus+poisson"),
        ("bird_plane", "softmax@1+bce"),
        ("bird_plane", "sigmoid+categorical_hinge"),  # two units, one-hot rows
        ("cifar10", "sigmoid+cce"),
        ("multilabel", "softmax+kl_divergence"),
    ],
)
def test_one_composed_run_per_task_kind_writes_an_ok_record_with_what_keras_would_show(
    fake_archive, tmp_path, capsys, task, expression
):
    argv = ["run", task, "--pairing", expression, "--profile", "smoke", "--epochs", "1", "--results", str(tmp_path)]
    assert main(argv) == 0
    (path,) = tmp_path.glob(f"runs/{task}/*.json")
    record = records.read(path)
    assert record["status"] == "ok" and record["pairing"] == get_pairing(task, expression).name
    assert record["keras"]["accuracy"]["metric"] in (
        "BinaryAccuracy",
        "CategoricalAccuracy",
        "SparseCategoricalAccuracy",
    )
    assert isinstance(record["keras"]["equal"], bool) and isinstance(record["keras"]["warnings"], list)
    if expression == "softmax@1+bce":  # Keras warns of the one-unit softmax, and its loss reads the logits behind it
        assert any("softmax over axis -1 of a tensor of shape" in w for w in record["keras"]["warnings"])
        assert record["keras"]["equal"] is False
