"""The activation x loss atlas: every cell of the matrix for each task, from the records of `--profile atlas`.

Per task, one cell per output activation x loss form (`experiments.composition.all_compositions`):
- refused: Keras itself refuses the combination (the reason is Keras's, in one line); not run;
- diverged: most finished seeds stopped with a loss that is not finite;
- learns: the mean test headline beats the best constant prediction by `LEARNS_MARGIN`;
- at chance: otherwise (including every regression cell that does no better than predicting the
  training mean);
- no finished seed: no record yet.
For every cell that does not learn, the record says why, measured: a constant output, a zero
gradient at the output (the probe's mean |dL/dz| on wrong images at epoch 0), a saturated
output, or outputs outside the loss's domain (`reasons`).
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from experiments.analysis.per_image import outputs_and_targets
from experiments.analysis.summaries import chance_level
from experiments.composition import LOSS_FORMS, OUTPUT_ACTIVATIONS, Composition, all_compositions
from experiments.pairings import documented_pairing, from_composition
from experiments.tasks import get_task
from experiments.training.metrics import HEADLINE, LOWER_IS_BETTER

LEARNS_MARGIN = 0.02  # accuracy or mean AP above chance; for MSE, 2% below the constant predictor's
CONSTANT = 1e-6  # a test output whose spread over images is below this is constant
SATURATED_SHARE = 0.5  # more than half the outputs within SATURATION of a bound of a bounded head
SATURATION = 1e-4
ZERO_GRADIENT = 1e-7
# Where each loss's inputs make sense when it is not told it gets logits: (low, high, words).
DOMAINS = {
    "bce": (0.0, 1.0, "probabilities in [0, 1]"),
    "binary_focal_crossentropy": (0.0, 1.0, "probabilities in [0, 1]"),
    "cce": (0.0, np.inf, "non-negative scores (renormalised to sum 1)"),
    "sparse_cce": (0.0, np.inf, "non-negative scores (renormalised to sum 1)"),
    "kl_divergence": (0.0, 1.0, "probabilities in [0, 1] (clipped there)"),
    "poisson": (0.0, np.inf, "positive rates"),
}
BOUNDS = {"sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0)}
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
    """One activation x loss form of a task, with what its runs measured."""

    activation: str
    loss_form: str
    pairing: str = ""  # the resolved pairing's name ("" for a refused cell)
    refused: str = ""
    seeds: int = 0
    diverged: int = 0
    headline: float = float("nan")
    keras_metric: str = ""
    keras_accuracy: float = float("nan")
    keras_loss_equal: str = ""
    warnings: list = field(default_factory=list)
    output_low: float = float("nan")
    output_high: float = float("nan")
    grad_wrong: float = float("nan")
    kind_of_cell: str = "no finished seed"
    reasons: list = field(default_factory=list)


def _reasons(pairing, runs, grad_wrong):
    """Measured reasons why the cell's runs did not learn."""
    found = []
    outputs = [np.asarray(o[0], dtype="float64") for o in map(outputs_and_targets, runs) if o is not None]
    if outputs and all(float(np.max(np.ptp(o.reshape(len(o), -1), axis=0))) < CONSTANT for o in outputs):
        found.append("constant output")
    if np.isfinite(grad_wrong) and grad_wrong < ZERO_GRADIENT:
        found.append("zero gradient at the output")
    if pairing.activation in BOUNDS and outputs:
        low, high = BOUNDS[pairing.activation]
        share = np.mean([np.mean((o - low < SATURATION) | (high - o < SATURATION)) for o in outputs])
        if share > SATURATED_SHARE:
            found.append(f"saturated output ({share:.0%} of outputs at a bound)")
    domain = DOMAINS.get(pairing.loss)
    if domain and not pairing.loss_kwargs.get("from_logits") and outputs:
        low, high, words = domain
        outside = np.mean([np.mean((o < low) | (o > high)) for o in outputs])
        if outside > 0:
            found.append(f"outputs outside the loss's domain ({outside:.0%} not {words})")
    return found or ["none of the four measured (the model learns too little in these epochs)"]


def _cell(task, kind, composition, records):
    if not isinstance(composition, Composition):
        return Cell(composition.activation, composition.loss_form, refused=composition.reason, kind_of_cell="refused")
    form = composition.name.partition("+")[2]
    pairing = from_composition(task, composition)
    runs = [r for r in records if r["task"] == task and r["pairing"] == pairing.name and r["status"] != "error"]
    cell = Cell(composition.activation, form, pairing=pairing.name)
    if not runs:
        return cell
    ok = [r for r in runs if r["status"] == "ok"]
    cell.seeds, cell.diverged = len(runs), len(runs) - len(ok)
    headline = HEADLINE[kind]
    if ok:
        cell.headline = float(np.mean([r["final"][headline] for r in ok]))
        keras_runs = [r["keras"] for r in ok if (r.get("keras") or {}).get("accuracy")]
        if keras_runs:
            cell.keras_metric = keras_runs[0]["accuracy"]["metric"]
            values = [k["accuracy"]["value"] for k in keras_runs if k["accuracy"]["value"] is not None]
            cell.keras_accuracy = float(np.mean(values)) if values else float("nan")
        equal = [r["keras"].get("equal") for r in runs if "equal" in (r.get("keras") or {})]
        cell.keras_loss_equal = "" if not equal else ("yes" if all(equal) else ("no" if not any(equal) else "some"))
        cell.warnings = sorted({w for r in runs for w in (r.get("keras") or {}).get("warnings", [])})
        outputs = [o[0] for o in map(outputs_and_targets, ok) if o is not None]
        if outputs:
            cell.output_low = float(min(np.min(o) for o in outputs))
            cell.output_high = float(max(np.max(o) for o in outputs))
        grads = [r["history"][0]["probe"]["grad_wrong"] for r in runs if (r["history"][0].get("probe") or {})]
        grads = [g for g in grads if g is not None]
        cell.grad_wrong = float(np.mean(grads)) if grads else float("nan")
    if cell.diverged > len(runs) / 2:
        cell.kind_of_cell = "diverged"
    elif _beats_chance(kind, headline, cell.headline, ok):
        cell.kind_of_cell = "learns"
    else:
        cell.kind_of_cell = "at chance"
    if cell.kind_of_cell != "learns":
        cell.reasons = _reasons(pairing, ok, cell.grad_wrong)
    return cell


def _constant_mse(record):
    """The test MSE of the best constant prediction known before testing: the training targets' mean."""
    from experiments.tasks import get_task as task_of

    split = task_of(record["task"]).load_data(**record["config"]["data"])
    return float(np.mean((np.asarray(split.y_test) - np.mean(split.y_train)) ** 2))


def _beats_chance(kind, headline, value, ok):
    if not ok or not np.isfinite(value):
        return False
    if headline in LOWER_IS_BETTER:
        return value < (1.0 - LEARNS_MARGIN) * _constant_mse(ok[0])
    return value > np.mean([chance_level(r) for r in ok]) + LEARNS_MARGIN


def task_cells(records, task):
    """Every cell of `task`'s matrix, in the order of OUTPUT_ACTIVATIONS x LOSS_FORMS."""
    kind = get_task(task).kind
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # means of empty cells are NaN on purpose
        return [_cell(task, kind, c, records) for c in all_compositions(task, kind)]


def cells_table(cells):
    """The cells as a DataFrame: one row per activation x loss form."""
    return pd.DataFrame([vars(c) for c in cells])


__all__ = ["LOSS_FORMS", "OUTPUT_ACTIVATIONS", "Cell", "cells_table", "plateau_epoch", "task_cells"]
