"""Your own data and body as a task (`experiments.tasks.task_file`): a real data set that is none of the suite's
tasks end to end through `sweep` and `report`, each body and target kind, and each refusal in one line."""

import json

import keras
import numpy as np
import pandas as pd
import pytest

from experiments import records
from experiments.cli import main
from experiments.tasks import TASKS, yours

IRIS = "experiments/data/iris.csv"


@pytest.fixture(autouse=True)
def _forget_declared_tasks():
    """Each test declares its tasks afresh (the registry is per process)."""
    yield
    from experiments import pairings

    for name in [n for n, t in TASKS.items() if t.task_file]:
        TASKS.pop(name)
        pairings.PAIRINGS.pop(name, None)


@pytest.fixture(scope="module")
def cat_dog(tmp_path_factory):
    """Cats (0) against dogs (1), cut from the embedded CIFAR-10 subset: a task the suite does not have."""
    from experiments.data import cifar10

    folder = tmp_path_factory.mktemp("cat_dog")
    full = cifar10.load(None, "embedded")

    def pick(x, y):
        keep = (y == 3) | (y == 5)
        return x[keep], (y[keep] == 5).astype("uint8")

    (xt, yt), (xs, ys) = pick(full.x_train, full.y_train), pick(full.x_test, full.y_test)
    np.savez(folder / "cat_dog.npz", x_train=xt, y_train=yt, x_test=xs, y_test=ys)
    (folder / "cat_dog.toml").write_text('name = "cat_dog"\ndata = "cat_dog.npz"\n')
    return folder


def _iris(folder, target="Species", body=None, extra=""):
    table = pd.read_csv(IRIS)
    table["Species"] = table["Species"].astype("category").cat.codes
    table.to_csv(folder / "iris.csv", index=False)
    body_line = f'body = "{body}"\n' if body else ""
    (folder / "iris.toml").write_text(
        f'name = "iris_{target.lower().replace(".", "_")}"\ndata = "iris.csv"\ntarget_column = "{target}"\n'
        + body_line
        + extra
    )
    return folder / "iris.toml"


def test_your_npz_end_to_end_through_sweep_and_report(cat_dog, tmp_path, capsys):
    results = tmp_path / "results"
    before = (cat_dog / "cat_dog.npz").read_bytes()
    argv = ["sweep", "--tasks", str(cat_dog / "cat_dog.toml"), "--profile", "smoke", "--results", str(results)]
    assert main([*argv, "--pairings", "sigmoid+bce", "sigmoid+mse", "--seeds", "0", "1", "--workers", "1"]) == 0
    recs = records.load_all(results).records
    assert len(recs) == 4 and all(r["status"] == "ok" and r["task"] == "cat_dog" for r in recs)
    data = recs[0]["config"]["data"]
    assert data["data_file"] == str(cat_dog / "cat_dog.npz") and data["target_kind"] == "binary"
    assert "cat_dog.npz (sha256" in recs[0]["data"]["source"]
    TASKS.pop("cat_dog")  # the report rebuilds the task from its records, without the task file
    assert main(["report", "--results", str(results)]) == 0
    report = (results / "REPORT.md").read_text()
    assert "## Your tasks" in report and str(cat_dog / "cat_dog.npz") in report and data["data_sha256"][:12] in report
    assert "### cat_dog (against `sigmoid+bce`)" in report and "footnote_accuracy" not in report
    assert (results / "tables" / "cat_dog.csv").is_file()
    assert (cat_dog / "cat_dog.npz").read_bytes() == before  # the user's file is never written
    assert main(["report", "--compare", str(results), str(results)]) == 0  # compare works on your tasks too
    capsys.readouterr()
    assert main(["plan", "--pilot", str(results), "--results", str(tmp_path / "plan")]) == 2
    assert "holds only your own tasks" in capsys.readouterr().err


def test_a_changed_data_file_is_another_run(cat_dog, tmp_path):
    from experiments import config as cfg
    from experiments.tasks import task_file

    name = task_file.register_file(cat_dog / "cat_dog.toml")
    first = cfg.run_id(cfg.resolve(name, "sigmoid+bce", 0, "smoke"))
    copy = tmp_path / "copy"
    copy.mkdir()
    with np.load(cat_dog / "cat_dog.npz") as found:
        arrays = dict(found)
    arrays["y_train"] = 1 - arrays["y_train"]  # the labels swapped: other data
    np.savez(copy / "cat_dog.npz", **arrays)
    (copy / "cat_dog.toml").write_text('name = "cat_dog_swapped"\ndata = "cat_dog.npz"\n')
    other = cfg.run_id(cfg.resolve(task_file.register_file(copy / "cat_dog.toml"), "sigmoid+bce", 0, "smoke"))
    assert first.split("__")[-1] != other.split("__")[-1]


def test_a_csv_with_a_body_from_a_python_file(tmp_path, capsys):
    body = "keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation='relu')])"
    (tmp_path / "bodies.py").write_text(f"import keras\n\n\ndef small():\n    return {body}\n")
    toml = _iris(tmp_path, body="bodies.py:small")
    results = tmp_path / "r"
    argv = ["run", str(toml), "--pairing", "softmax+sparse_cce", "--profile", "smoke", "--results", str(results)]
    assert main(argv) == 0
    (record,) = records.load_all(results).records
    data = record["config"]["data"]
    assert data["target_kind"] == "multiclass" and data["classes"] == 3 and data["body"].endswith("bodies.py:small")
    assert record["pairing_spec"]["units"] == 3 and "test rows drawn by seed 0 (20%)" in record["data"]["source"]


def test_a_saved_keras_model_as_the_body(tmp_path):
    from experiments.tasks import task_file

    saved = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
    saved.save(tmp_path / "mine.keras")
    toml = _iris(tmp_path, target="Sepal.Width", body="mine.keras")
    toml.write_text(toml.read_text().replace("iris_sepal_width", "iris_width"))
    name = task_file.register_file(toml)
    model = TASKS[name].build_model()
    assert TASKS[name].kind == "regression" and model.layers[-2].name == "body"
    assert [layer.units for layer in model.layers[-2].layers if hasattr(layer, "units")] == [8]  # its head replaced


@pytest.mark.parametrize(
    "y, stated, kind",
    [
        (np.array([0, 1, 1, 0]), None, ("binary", None)),
        (np.array([0, 2, 1, 4]), None, ("multiclass", 5)),
        (np.eye(3)[[0, 2, 1]], "multiclass", ("multiclass", 3)),
        (np.array([[1, 0, 1], [0, 1, 1]]), None, ("multilabel", 3)),
        (np.array([2.5, 3.1]), None, ("regression", None)),
        (np.array([0, 1, 1, 0]), "regression", ("regression", None)),
    ],
)
def test_the_kind_follows_from_the_targets(y, stated, kind):
    assert yours.kind_of(y, stated) == kind


def _bad(folder, case):
    x, y = np.random.default_rng(0).random((20, 4)).astype("float32"), np.arange(20) % 2
    toml = 'name = "bad"\ndata = "d.npz"\n'
    if case == "pickle":
        np.savez(folder / "d.npz", x_train=np.array([{"a": 1}] * 20, dtype=object), y_train=y, x_test=x, y_test=y)
    elif case == "nan":
        x[3, 1] = np.nan
        np.savez(folder / "d.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    elif case == "overflow":
        big = x.astype("float64")
        big[0, 0] = 1e308
        np.savez(folder / "d.npz", x_train=big, y_train=y, x_test=x, y_test=y)
    elif case == "shapes":
        np.savez(folder / "d.npz", x_train=x, y_train=y[:10], x_test=x, y_test=y)
    elif case == "labels":
        np.savez(folder / "d.npz", x_train=x, y_train=y - 3, x_test=x, y_test=y)
    elif case == "one-hot or multi-hot":
        np.savez(folder / "d.npz", x_train=x, y_train=np.eye(2)[y], x_test=x, y_test=np.eye(2)[y])
    elif case == "not an npz":
        (folder / "d.npz").write_text("x_train,y_train\n1,2\n")
    elif case in ("body fails", "unknown key", "built-in name", "no column"):
        np.savez(folder / "d.npz", x_train=x, y_train=y, x_test=x, y_test=y)
        if case == "body fails":
            (folder / "b.py").write_text("def body():\n    raise RuntimeError('no GPU here')\n")
            toml += 'body = "b.py:body"\n'
        if case == "unknown key":
            toml += "epochz = 3\n"
        if case == "built-in name":
            toml = toml.replace('"bad"', '"bird_plane"')
        if case == "no column":
            _iris(folder)
            return (folder / "iris.toml").write_text((folder / "iris.toml").read_text().replace("Species", "Colour"))
    (folder / "bad.toml").write_text(toml)


@pytest.mark.parametrize(
    "case, said",
    [
        ("pickle", "holds pickled objects"),
        ("nan", "x_train holds NaN or infinite values"),
        ("overflow", "x_train holds values beyond float32"),
        ("shapes", "x_train has 20 rows and y_train 10"),
        ("labels", "class ids must be 0 or more"),
        ("one-hot or multi-hot", 'kind = "multiclass" or "multilabel" in a task file'),
        ("not an npz", "is not an .npz file numpy can read"),
        ("body fails", "RuntimeError: no GPU here"),
        ("unknown key", "unknown key(s) epochz"),
        ("built-in name", "is one of the suite's own tasks"),
        ("no column", "has no column 'Colour'"),
    ],
)
def test_bad_data_or_body_is_refused_in_one_line_and_nothing_is_written(tmp_path, capsys, case, said):
    _bad(tmp_path, case)
    toml = tmp_path / ("iris.toml" if case == "no column" else "bad.toml")
    before = sorted(p.name for p in tmp_path.iterdir())
    results = tmp_path / "r"
    code = main(["run", str(toml), "--pairing", "sigmoid+bce", "--profile", "smoke", "--results", str(results)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and said in err and len(err.splitlines()) == 1, err
    assert not results.exists() and sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_declared_task_stays_out_of_the_default_grid(cat_dog):
    from experiments.sweep.grid import plan
    from experiments.tasks import task_file

    task_file.register_file(cat_dog / "cat_dog.toml")
    assert "cat_dog" not in {c["task"] for c in plan("smoke", pairings=None, seeds=[0])}
    assert json.dumps(TASKS["cat_dog"].data_options)  # what the records hold is plain JSON


def test_a_second_declaration_of_a_name_cannot_sweep_into_the_folder_of_the_first(tmp_path, capsys):
    results = tmp_path / "r"
    for folder, seed in (("a", 0), ("b", 1)):
        (tmp_path / folder).mkdir()
        rng = np.random.default_rng(seed)
        x = rng.random((40, 4)).astype("float32")
        y = (x[:, 0] > 0.5).astype("float32")
        np.savez(tmp_path / folder / "d.npz", x_train=x, y_train=y, x_test=x, y_test=y)
        (tmp_path / folder / "t.toml").write_text('name = "same"\ndata = "d.npz"\n')
    argv = ["--profile", "smoke", "--results", str(results), "--pairings", "sigmoid+bce"]
    assert main(["sweep", "--tasks", str(tmp_path / "a" / "t.toml"), *argv]) == 0
    capsys.readouterr()
    TASKS.pop("same")
    assert main(["sweep", "--tasks", str(tmp_path / "b" / "t.toml"), *argv]) == 2
    assert "holds records of a task 'same' declared with other data" in capsys.readouterr().err
    assert len(list((results / "runs" / "same").glob("*.json"))) == 1 and not (results / "runs" / ".invalid").exists()
