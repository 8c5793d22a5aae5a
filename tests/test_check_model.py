"""`check MODEL.keras` on saved compiled models: the eight mistakes and the matched pairings, against the committed
evidence; and `loss` on given tensors. Bad input gets one line and exit 2."""

import keras
import numpy as np
import pytest

from experiments.analysis.evidence import keras_worlds
from experiments.check_model import check
from experiments.cli import main
from experiments.explain import keras_object_cells
from experiments.pairings import get_pairing

BINARY, MULTI = "binary", "multiclass"
# (what the user built: units, activation, Keras loss, the kind), the pairing the suite names it, and the task.
MISTAKE_MODELS = {
    "softmax_twice": (10, "softmax", keras.losses.SparseCategoricalCrossentropy(from_logits=True), MULTI),
    "logits_as_probabilities": (1, None, "binary_crossentropy", BINARY),
    "sigmoid_twice": (1, "sigmoid", keras.losses.BinaryCrossentropy(from_logits=True), BINARY),
    "one_unit_softmax": (1, "softmax", "binary_crossentropy", BINARY),
    "relu_head": (1, "relu", keras.losses.BinaryCrossentropy(), BINARY),
    "hinge_on_01": (1, "tanh", "hinge", BINARY),
    "bce_on_softmax": (10, "softmax", "binary_crossentropy", MULTI),
    "cce_on_sigmoids": (10, "sigmoid", keras.losses.CategoricalCrossentropy(), MULTI),
}
MATCHED_MODELS = {
    "sigmoid+bce": (1, "sigmoid", "binary_crossentropy", None, "bird_plane"),
    "softmax+sparse_cce": (10, "softmax", "sparse_categorical_crossentropy", None, "cifar10"),
    "linear+mse": (1, None, "mse", None, "sepal_width"),
    "multilabel sigmoid+bce": (10, "sigmoid", keras.losses.BinaryCrossentropy(), "multilabel", "multilabel"),
}


def _saved(folder, name, units, activation, loss, metrics=("accuracy",)):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation=activation)])
    model.compile(optimizer="adam", loss=loss, metrics=list(metrics))
    path = folder / f"{name}.keras"
    model.save(path)
    return path


@pytest.mark.parametrize("mistake", list(MISTAKE_MODELS))
def test_check_names_each_mistake_and_judges_it_by_the_committed_evidence(tmp_path, mistake):
    units, activation, loss, kind = MISTAKE_MODELS[mistake]
    found = check(_saved(tmp_path, mistake, units, activation, loss), kind=kind)
    m = next(m for m in keras_worlds.MISTAKES if m.id == mistake)
    assert found["task"] == m.task and found["pairing"] == get_pairing(m.task, m.pairing).name
    here = [
        c
        for c in keras_object_cells(get_pairing(m.task, m.pairing), m.task)
        if c["backend"] == found["explain"]["keras_now"]["backend"]
    ]
    if here and here[0]["word"] == "bites":
        assert found["exit_code"] == 1 and "it bites" in found["why"]
    elif here and here[0]["word"] in ("undone", "harmless"):
        assert found["exit_code"] == 0 and here[0]["word"] in found["why"]
    else:
        assert found["exit_code"] in (0, 1) and found["why"]


def test_the_backend_decides_softmax_twice_as_keras_objects_measured_it(tmp_path, capsys):
    path = _saved(tmp_path, "twice", *MISTAKE_MODELS["softmax_twice"][:3])
    code = main(["check", str(path)])
    out = capsys.readouterr().out
    assert "pairing: softmax+sparse_cce_logits" in out and "use instead: softmax+sparse_cce" in out
    assert code == (0 if keras.backend.backend() == "tensorflow" else 1)  # TF's Keras undoes it; JAX's does not


@pytest.mark.parametrize("name", list(MATCHED_MODELS))
def test_check_passes_the_matched_pairings(tmp_path, name):
    units, activation, loss, kind, task = MATCHED_MODELS[name]
    found = check(_saved(tmp_path, name.replace(" ", "_"), units, activation, loss), kind=kind)
    assert found["task"] == task and found["exit_code"] == 0 and found["why"] == "it is the task's matched pairing"


def test_check_reads_the_kind_from_the_targets_and_refuses_ambiguous_ones(tmp_path, capsys):
    path = _saved(tmp_path, "ten_sigmoids", 10, "sigmoid", "binary_crossentropy")
    multi_hot = tmp_path / "multi_hot.npy"
    np.save(multi_hot, (np.random.default_rng(0).random((20, 10)) < 0.3).astype("float32"))
    assert check(path, targets=multi_hot)["kind"] == "multilabel"
    one_hot = tmp_path / "one_hot.npy"
    np.save(one_hot, np.eye(10, dtype="float32")[np.arange(20) % 10])
    assert main(["check", str(path), "--targets", str(one_hot)]) == 2
    assert "--kind for check" in capsys.readouterr().err


def _junk(tmp_path, what):
    if what == "missing":
        return tmp_path / "nope.keras"
    if what == "text":
        (tmp_path / "t.keras").write_text("not a model")
        return tmp_path / "t.keras"
    if what == "uncompiled":
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
        model.save(tmp_path / "u.keras")
        return tmp_path / "u.keras"
    if what == "conv head":
        model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3)])
        model.compile(loss="mse")
        model.save(tmp_path / "c.keras")
        return tmp_path / "c.keras"
    if what == "unknown loss":
        return _saved(tmp_path, "cos", 1, "sigmoid", "cosine_similarity")


@pytest.mark.parametrize(
    "what, said",
    [
        ("missing", "does not exist"),
        ("text", "is not a Keras model file"),
        ("uncompiled", "saved without a loss"),
        ("conv head", "the last layer is Conv2D"),
        ("unknown loss", "is not one the suite measures"),
    ],
)
def test_check_refuses_bad_input_in_one_line(tmp_path, capsys, what, said):
    assert main(["check", str(_junk(tmp_path, what))]) == 2
    err = capsys.readouterr().err.strip()
    assert said in err and len(err.splitlines()) == 1


def test_loss_on_tensors_explains_logits_passed_as_probabilities(tmp_path, capsys):
    y, z = tmp_path / "y.npy", tmp_path / "z.npy"
    np.save(y, np.array([0, 1, 1, 0], dtype="float32"))
    np.save(z, np.array([-2.0, 3.0, 0.5, -0.3], dtype="float32"))
    assert main(["loss", "bce", "--targets", str(y), "--outputs", str(z)]) == 0
    out = capsys.readouterr().out
    assert "3 of 4 outputs lie outside bce's domain" in out and "pass --from-logits" in out
    assert f"| Keras | {keras.backend.backend()} |" in out
    assert main(["loss", "bce", "--targets", str(y), "--outputs", str(z), "--from-logits", "--json"]) == 0
    import json

    found = json.loads(capsys.readouterr().out)
    here = found["backends"][0]
    expected = np.mean(
        np.logaddexp(0, [-2.0, 3.0, 0.5, -0.3]) - np.array([0, 1, 1, 0]) * np.array([-2.0, 3.0, 0.5, -0.3])
    )
    assert here["keras"] == pytest.approx(expected, rel=1e-5) and here["hand_written"] == pytest.approx(
        expected, rel=1e-5
    )
    assert np.allclose(here["keras_gradient"], here["formula_gradient"], atol=1e-5)


def test_loss_says_why_a_loss_is_negative(tmp_path, capsys):
    y, p = tmp_path / "y.csv", tmp_path / "p.csv"
    y.write_text("2.5\n-1\n")
    p.write_text("0.9\n0.2\n")
    assert main(["loss", "bce", "--targets", str(y), "--outputs", str(p)]) == 0
    out = capsys.readouterr().out
    assert "targets outside [0, 1]" in out and "the loss is below 0" in out


@pytest.mark.parametrize(
    "argv_tail, said",
    [
        (["--outputs", "NAN"], "holds NaN or infinite values"),
        (["--outputs", "SHORT"], "--targets has 4 rows and --outputs 3"),
        (["--outputs", "PICKLE"], "holds no plain numeric array"),
        (["--outputs", "Y", "--from-logits"], None),
    ],
)
def test_loss_refuses_bad_tensors_in_one_line(tmp_path, capsys, argv_tail, said):
    y = tmp_path / "y.npy"
    np.save(y, np.array([0, 1, 1, 0], dtype="float32"))
    np.save(tmp_path / "nan.npy", np.array([0.1, np.nan, 0.2, 0.3]))
    np.save(tmp_path / "short.npy", np.array([0.1, 0.2, 0.3]))
    np.save(tmp_path / "pickle.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    files = {"NAN": "nan.npy", "SHORT": "short.npy", "PICKLE": "pickle.npy", "Y": "y.npy"}
    tail = [str(tmp_path / files[a]) if a in files else a for a in argv_tail]
    loss = "mse" if said is None else "bce"  # mse takes no logits
    code = main(["loss", loss, "--targets", str(y), *tail])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert (said or "--from-logits: mse takes no logits") in err


def test_a_pairing_without_evidence_of_its_own_is_judged_by_its_defaults(tmp_path):
    path = _saved(tmp_path, "smoothed", 1, "softmax", keras.losses.BinaryCrossentropy(label_smoothing=1e-9))
    found = check(path)
    assert found["pairing"] == "softmax+bce(label_smoothing=1e-09)"
    assert "judged by softmax@1+bce" in found["why"]
    plain = check(_saved(tmp_path, "plain", 1, "softmax", "binary_crossentropy"))
    assert found["exit_code"] == plain["exit_code"]


@pytest.mark.parametrize(
    "values, said", [(np.array([], dtype="float32"), "is empty"), (np.array([1e308, 0.5, 0.2, 0.1]), "beyond float32")]
)
def test_loss_refuses_empty_or_overflowing_tensors(tmp_path, capsys, values, said):
    y = tmp_path / "y.npy"
    np.save(y, np.array([0, 1, 1, 0], dtype="float32"))
    np.save(tmp_path / "p.npy", values)
    assert main(["loss", "bce", "--targets", str(y), "--outputs", str(tmp_path / "p.npy")]) == 2
    err = capsys.readouterr().err.strip()
    assert said in err and len(err.splitlines()) == 1


def test_a_label_smoothing_of_one_fails_whatever_the_head(tmp_path):
    found = check(_saved(tmp_path, "flat", 1, "sigmoid", keras.losses.BinaryCrossentropy(label_smoothing=1.0)))
    assert found["exit_code"] == 1 and "makes every target the same" in found["why"]
