"""The suite as functions, for a notebook: the same measurements as the commands, on your model and data.

    from experiments import api

    api.explain("sigmoid+bce(from_logits=true)")                  # what the suite knows: a list of dicts
    api.check(model)                                              # a compiled Keras model (or a .keras path)
    api.loss("bce", y, p)                                         # one loss on your tensors, every backend
    table = api.compare((x_train, y_train, x_test, y_test), pairings=["sigmoid+bce", "sigmoid+mse"], seeds=[0, 1])

`compare` writes your arrays, and a body given as a model, into its results folder (never where your own files
are), declares them as a task (`experiments.tasks.task_file`), sweeps the pairings over the seeds with
`python -m experiments sweep`, and returns one row per run as a `pandas.DataFrame`; `report(results)` then
renders its REPORT.md. Errors are `ValueError`s with the one line the commands print.
"""

import contextlib
import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd


def explain(pairing, task=None):
    """What the suite knows of `pairing` (`experiments.explain.explain_pages`): one dict per task."""
    from experiments.explain import explain_pages

    return explain_pages(pairing, task)


def check(model, targets=None, kind=None):
    """What `check` says of `model` (a compiled `keras.Model`, or the path of a saved `.keras`): a dict with the
    pairing, the verdict (`exit_code` 0: learns as matched, 1: misleads or fails) and why
    (`experiments.check_model.check`). `targets`: the labels (an array, or a .npy/.csv path), for the kind."""
    from experiments.check_model import check as check_saved

    with tempfile.TemporaryDirectory() as folder:
        if not isinstance(model, (str, Path)):
            path = Path(folder) / "model.keras"
            model.save(path)
            model = path
        if targets is not None and not isinstance(targets, (str, Path)):
            np.save(Path(folder) / "targets.npy", np.asarray(targets))
            targets = Path(folder) / "targets.npy"
        return check_saved(model, targets, kind)


def loss(name, targets, outputs, from_logits=False):
    """One loss on given targets and outputs (arrays or .npy/.csv paths): the hand-written value, Keras's on each
    installed backend, the gradients, and why (`experiments.loss_on_tensors.measure_all`)."""
    from experiments.loss_on_tensors import measure_all

    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for label, array in (("targets", targets), ("outputs", outputs)):
            if isinstance(array, (str, Path)):
                paths.append(array)
            else:
                paths.append(Path(folder) / f"{label}.npy")
                np.save(paths[-1], np.asarray(array))
        return measure_all(name, *paths, from_logits=from_logits)


def _declare(data, body, name, kind, folder):
    """The task file for `data` and `body` in `folder`, the arrays and a model body written there."""
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, (str, Path)):
        data_line = f'data = "{Path(data).resolve()}"'
    else:
        x_train, y_train, x_test, y_test = data
        np.savez(folder / f"{name}.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
        data_line = f'data = "{name}.npz"'
    lines = [f'name = "{name}"', data_line]
    if kind is not None:
        lines.append(f'kind = "{kind}"')
    if body is not None and not isinstance(body, str):
        import keras

        # Saved with a placeholder head, which every run replaces with its pairing's (`yours.body_model`).
        placeholder = keras.layers.Dense(1, name="placeholder_head")(body.outputs[0])
        keras.Model(body.inputs, placeholder).save(folder / f"{name}_body.keras")
        body = f"{name}_body.keras"
    if body is not None:
        lines.append(f'body = "{body}"')
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def compare(data, pairings=None, seeds=(0, 1), body=None, kind=None, name="yours", profile="smoke", results=None):
    """Train `pairings` (default: the matched one and the classic mistakes of the data's kind) on your data over
    `seeds`, and return one row per run: task, pairing, seed, status, and its final test metrics.

    Args:
        data: `(x_train, y_train, x_test, y_test)` arrays, or the path of an .npz or .csv (see `task_file`).
        body: None (a default body), a Keras model without its head, a `.keras` path or `"module:function"`.
        kind: binary, multiclass, multilabel or regression, where `y` alone cannot say.
        profile: the settings profile (`smoke`: 2 epochs on 128 examples; `full`: the post's 50 epochs).
        results: the results folder (default: a new temporary one; its path is in the frame's `attrs`).

    Raises:
        ValueError: bad data, body or pairing, with the command's one line.
    """
    from experiments.analysis.evidence.loading import latest_records
    from experiments.cli import main

    results = Path(results) if results is not None else Path(tempfile.mkdtemp(prefix=f"{name}_"))
    task_path = _declare(data, body, name, kind, results / "task")
    argv = ["sweep", "--tasks", str(task_path), "--profile", profile, "--results", str(results)]
    argv += ["--seeds", *map(str, seeds), "--workers", "1"]
    if pairings:
        argv += ["--pairings", *pairings]
    said = io.StringIO()
    with contextlib.redirect_stderr(said), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    if code != 0:
        raise ValueError(said.getvalue().strip().splitlines()[-1].removeprefix("error: "))
    rows = [
        {"task": r["task"], "pairing": r["pairing"], "seed": r["seed"], "status": r["status"], **(r.get("final") or {})}
        for r in latest_records(results)
    ]
    frame = pd.DataFrame(rows).sort_values(["pairing", "seed"], ignore_index=True)
    frame.attrs["results"] = str(results)
    return frame


def report(results):
    """Render REPORT.md, tables and figures for a results folder (`python -m experiments report`); its path."""
    from experiments.analysis.render.report import write_report

    write_report(results)
    return Path(results) / "REPORT.md"
