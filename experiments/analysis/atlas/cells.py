"""The activation x loss atlas: every cell of the matrix for each task, from the records of `--profile atlas`.

Per task, one cell per output activation x loss form (`experiments.composition.all_compositions`),
judged on a score that hangs on no threshold (ROC AUC, macro one-vs-rest AUC, mean AP; for
regression the test MSE against the training-mean predictor):
- refused: Keras itself refuses the combination (the reason is Keras's, in one line); not run;
- diverged: most finished seeds stopped with a loss that is not finite;
- learns: the threshold-free score beats chance by `LEARNS_MARGIN`, and so does the accuracy of
  the pairing's decision rule (`experiments.training.decoding`);
- ranks, misread: the score beats chance but the decision rule's accuracy does not: the model
  orders the images, yet its own reading of the outputs says the wrong class;
- at chance: the threshold-free score does not beat chance;
- no finished seed: no record yet.
Every cell that does not learn names its measured reasons, each with the number of seeds that
show it (`reasons`): diverged (the first non-finite epoch), constant output or a dead ReLU, a head
whose range cannot reach the targets, a head that cannot express one class, zero gradient at the
output, outputs outside the loss's domain. "Learns slowly" is given only when none applies.
"""

import functools
import json
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from experiments.analysis.atlas.reasons import learns_slowly, loss_below_zero, reasons
from experiments.analysis.evidence.per_image import outputs_and_targets
from experiments.analysis.evidence.summaries import chance_level
from experiments.composition import (
    LOSS_FORMS,
    OUTPUT_ACTIVATIONS,
    Composition,
    all_compositions,
)
from experiments.pairings import documented_pairing, from_composition
from experiments.tasks import get_task
from experiments.training import decoding
from experiments.training.metrics import HEADLINE, RANKING

CLASSES = (  # every cell is one of these
    "learns",
    "ranks, misread",
    "at chance",
    "diverged",
    "refused",
    "no finished seed",
)
LEARNS_MARGIN = 0.02  # a score above chance; for MSE, 2% below the training-mean predictor's
PLATEAU_TOLERANCE = {"mse": ("relative", 0.05), "accuracy": ("absolute", 0.01), "mean_ap": ("absolute", 0.01)}


def plateau_epoch(records, task):
    """The first epoch at which the mean test headline of `task`'s post pairing comes within the tolerance
    (`PLATEAU_TOLERANCE`) of its final value, the mean of its last 5 epochs; None without records."""
    post = documented_pairing(task).name
    headline = HEADLINE[get_task(task).kind]
    curves = [
        [row["test"][headline] for row in r["history"]]
        for r in records
        if r["task"] == task and r["pairing"] == post and r["status"] == "ok"
    ]
    if not curves:
        return None
    mean = np.mean(np.array([c[: min(map(len, curves))] for c in curves]), axis=0)
    final = float(np.mean(mean[-5:]))
    how, tolerance = PLATEAU_TOLERANCE[headline]
    allowed = tolerance * abs(final) if how == "relative" else tolerance
    return int(next(epoch for epoch, value in enumerate(mean) if abs(value - final) <= allowed))


@dataclass
class Cell:
    """One activation x loss form of a task, with what its runs measured.

    headline: the mean test headline (accuracy of the decision rule, mean AP or MSE); ranking: the mean
    threshold-free score (`RANKING`; for regression the MSE as well); chance: that score's chance level
    (for regression the training-mean predictor's MSE); mse_ratio: regression's test MSE over that of
    least squares on the training rows.
    """

    activation: str
    loss_form: str
    pairing: str = ""  # the resolved pairing's name ("" for a refused cell)
    refused: str = ""
    seeds: int = 0
    diverged: int = 0
    headline: float = float("nan")
    ranking: float = float("nan")
    chance: float = float("nan")
    mse_ratio: float = float("nan")
    decision: str = ""
    keras_metric: str = ""
    keras_accuracy: float = float("nan")
    keras_loss_equal: str = ""
    keras_note: str = ""
    warnings: list = field(default_factory=list)
    output_low: float = float("nan")
    output_high: float = float("nan")
    grad_wrong: float = float("nan")
    kind_of_cell: str = "no finished seed"
    reasons: list = field(default_factory=list)


def _regression_baselines(record):
    """(test MSE of the training targets' mean, test MSE of the least-squares line fitted on the training rows):
    the best constant known before testing, and the optimum of a linear model's MSE. Loaded once per data."""
    return _baselines(record["task"], json.dumps(record["config"]["data"], sort_keys=True))


@functools.lru_cache(maxsize=8)
def _baselines(task, data_options):
    split = get_task(task).load_data(**json.loads(data_options))
    x, y = split.x_train.reshape(-1).astype("float64"), split.y_train.reshape(-1).astype("float64")
    if split.target_transform is not None:  # training targets scaled (`--data target_scale`): back to the test's cm
        scale, shift = split.target_transform
        y = y * scale + shift
    slope, intercept = np.polyfit(x, y, 1)
    xt, yt = split.x_test.reshape(-1).astype("float64"), split.y_test.reshape(-1).astype("float64")
    constant = float(np.mean((yt - np.mean(y)) ** 2))
    return constant, float(np.mean((slope * xt + intercept - yt) ** 2))


def _keras_note(cell, kind):
    """Where Keras's printed accuracy and the decision rule's differ by more than 0.05: which decodes as trained."""
    if kind == "regression" or not np.isfinite(cell.keras_accuracy) or not np.isfinite(cell.headline):
        return ""
    if abs(cell.keras_accuracy - cell.headline) <= 0.05:
        return ""
    metric = cell.keras_metric
    if metric == "BinaryAccuracy":
        why = "BinaryAccuracy thresholds every output at 0.5"
    elif metric == "CategoricalAccuracy" and kind == "multilabel":
        why = (
            "CategoricalAccuracy asks whether the top output is the argmax of the target row, which on a multi-hot "
            "row is its lowest-numbered object: not whether it is one of the image's objects, nor every label"
        )
    elif metric in ("CategoricalAccuracy", "SparseCategoricalAccuracy"):
        why = f"{metric} takes the argmax of the raw outputs"
    else:
        why = f"{metric} reads the outputs its own way"
    return f"{why}; the suite's rule ({cell.decision}) follows the targets the loss trained toward"


def _cell(task, kind, composition, records):
    if not isinstance(composition, Composition):
        return Cell(composition.activation, composition.loss_form, refused=composition.reason, kind_of_cell="refused")
    form = composition.name.partition("+")[2]
    pairing = from_composition(task, composition)
    runs = [r for r in records if r["task"] == task and r["pairing"] == pairing.name and r["status"] != "error"]
    cell = Cell(composition.activation, form, pairing=pairing.name)
    if kind != "regression":
        cell.decision = decoding.decoding(pairing, kind).decision
    if not runs:
        return cell
    ok = [r for r in runs if r["status"] == "ok"]
    cell.seeds, cell.diverged = len(runs), len(runs) - len(ok)
    headline = HEADLINE[kind]
    if ok:
        cell.headline = float(np.mean([r["final"][headline] for r in ok]))
        if kind == "regression":
            cell.ranking = cell.headline
            cell.chance, least_squares = _regression_baselines(ok[0])
            cell.mse_ratio = cell.headline / least_squares
        else:
            values = [r["final"].get(RANKING[kind]) for r in ok]
            values = [v for v in values if v is not None]
            cell.ranking = float(np.mean(values)) if values else float("nan")
            cell.chance = 0.5 if kind != "multilabel" else float(np.mean([chance_level(r) for r in ok]))
        keras_runs = [r["keras"] for r in ok if (r.get("keras") or {}).get("accuracy")]
        if keras_runs:
            cell.keras_metric = keras_runs[0]["accuracy"]["metric"]
            values = [k["accuracy"]["value"] for k in keras_runs if k["accuracy"]["value"] is not None]
            cell.keras_accuracy = float(np.mean(values)) if values else float("nan")
        equal = [r["keras"].get("equal") for r in runs if "equal" in (r.get("keras") or {})]
        cell.keras_loss_equal = "" if not equal else ("yes" if all(equal) else ("no" if not any(equal) else "some"))
        nan = sum("loss" in (r.get("keras") or {}) and r["keras"]["loss"] is None for r in runs)
        if nan:  # not a disagreement: Keras's loss was NaN (or infinite) on the untrained outputs
            cell.keras_loss_equal = f"Keras's loss NaN in {nan} of {len(runs)} seeds"
        cell.warnings = sorted({w for r in runs for w in (r.get("keras") or {}).get("warnings", [])})
        outputs = [o[0] for o in map(outputs_and_targets, ok) if o is not None]
        if outputs:
            cell.output_low = float(min(np.min(o) for o in outputs))
            cell.output_high = float(max(np.max(o) for o in outputs))
        grads = [r["history"][0]["probe"]["grad_wrong"] for r in runs if (r["history"][0].get("probe") or {})]
        grads = [g for g in grads if g is not None]
        cell.grad_wrong = float(np.mean(grads)) if grads else float("nan")
        cell.keras_note = _keras_note(cell, kind)
    cell.kind_of_cell = _class(kind, cell, ok, runs)
    if cell.kind_of_cell != "learns":
        cell.reasons = reasons(kind, pairing, runs, ok) or [learns_slowly(kind, ok)]
    else:  # a cell that learns names no reason, but a loss that ran below 0 is a warning all the same
        cell.reasons = loss_below_zero(pairing, ok, len(runs))
    return cell


def _beats(value, chance, lower_is_better):
    if not np.isfinite(value) or not np.isfinite(chance):
        return False
    return value < (1.0 - LEARNS_MARGIN) * chance if lower_is_better else value > chance + LEARNS_MARGIN


def _class(kind, cell, ok, runs):
    if cell.diverged > len(runs) / 2 or not ok:
        return "diverged"
    if kind == "regression":
        return "learns" if _beats(cell.ranking, cell.chance, True) else "at chance"
    if not _beats(cell.ranking, cell.chance, False):
        return "at chance"
    if kind == "multilabel":  # mean AP is the headline, threshold-free itself
        return "learns"
    decision_chance = float(np.mean([chance_level(r) for r in ok]))
    return "learns" if _beats(cell.headline, decision_chance, False) else "ranks, misread"


def task_cells(records, task):
    """Every cell of `task`'s matrix, in the order of OUTPUT_ACTIVATIONS x LOSS_FORMS."""
    kind = get_task(task).kind
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # means of empty cells are NaN on purpose
        return [_cell(task, kind, c, records) for c in all_compositions(task, kind, get_task(task).classes)]


def cells_table(cells):
    """The cells as a DataFrame: one row per activation x loss form."""
    return pd.DataFrame([vars(c) for c in cells])


__all__ = ["LOSS_FORMS", "OUTPUT_ACTIVATIONS", "Cell", "cells_table", "plateau_epoch", "task_cells"]
