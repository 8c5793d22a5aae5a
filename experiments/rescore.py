"""Test metrics recomputed from the outputs a record stores, under the current decoding rules.

Every finished record holds its final model's raw outputs and the targets on every test image
(`test_outputs`, `test_targets`), so a change of decision rule (`experiments.training.decoding`)
needs no retraining: `rescore` recomputes `final`, `calibration` and `evaluation` from them and
rewrites the record atomically. The per-epoch test metrics of `history` cannot be recomputed (only
the final outputs are stored); a rescored record says so in `evaluation.history_decoding_version`.
"""

import math
from pathlib import Path
from typing import NamedTuple

from experiments import records, run_lock
from experiments.tasks import get_task, task_file
from experiments.training import decoding, metrics

TRAINING_MEASURED = ("hand_written_twin_max_abs_diff",)


class Rescored(NamedTuple):
    """What `rescore_folder` did: counts, the invalid files (`records.InvalidRecordError`s, left where they
    are) and the records it left because a run held them or wrote them meanwhile (paths)."""

    rewritten: int
    unchanged: int
    without: int
    invalid: list
    busy: list
    untrained: int = 0  # diverged records given `untrained_outputs` (`rescore --untrained`)
    read_only: tuple = ()  # records whose mode says to keep them (`records.read_only`): left as they are


def rescored(record):
    """(the record with its final metrics recomputed, whether anything changed); unchanged without outputs."""
    if record.get("status") != "ok" or "test_outputs" not in record or "test_targets" not in record:
        return record, False
    kind = get_task(record["task"]).kind
    outputs = records.decode_array(record["test_outputs"])
    targets = records.decode_array(record["test_targets"])
    values, table, how = metrics.evaluate(kind, targets, outputs, decoding.spec_read(record))
    previous = record.get("evaluation") or {}
    history_version = previous.get("history_decoding_version", previous.get("decoding_version", 1))
    evaluation = {"link": decoding.spec_read(record)["link"], **metrics.evaluation_fields(how, history_version)}
    # What training measured, not the decoding: kept as it is (the hidden-Relu check, `speed/relu_kernel.py`).
    evaluation.update({k: previous[k] for k in TRAINING_MEASURED if k in previous})
    new = {**record, "final": values, "calibration": table, "evaluation": evaluation}
    # As it would be written (NaN as null, tuples as lists) against as it was read: plain JSON values. A record
    # that does not name its history's rules has them at its own decoding version: the same record.
    was = {**record, "evaluation": {"history_decoding_version": history_version, **previous}}
    fields = ("final", "calibration", "evaluation")
    return new, not all(same_value(records.jsonable(new.get(k)), was.get(k), key=k) for k in fields)


# How closely a metric recomputed from the stored outputs on another CPU matches the record. numpy's
# vectorised exp, log and sums differ in the last bit between CPU features (AVX2 against AVX-512): most
# metrics then agree to 1e-12. Where a metric's value hangs on exact ties or bin edges (the ranks of
# saturated outputs for an AUC, a confidence that sits on an ECE bin's edge) such a bit moves images
# between ranks or bins; measured between the AVX-512 machine that wrote the committed records and an
# AVX2 one, the largest gaps were 4.4e-4 (macro AUC) and 2.0e-3 (ECE), in degenerate atlas cells.
TIE_SENSITIVE = {"roc_auc": 1e-3, "macro_auc": 1e-3, "mean_ap": 1e-3, "ece": 5e-3}


def same_value(a, b, rel=1e-12, key=None):
    """Plain JSON values equal: floats to `rel`, or to `TIE_SENSITIVE[key]` for the metrics that hang on ties.

    A difference this small is the CPU's, not a change of decoding rule, so `rescore` keeps the record."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k], rel, k) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y, rel, key) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=rel, abs_tol=TIE_SENSITIVE.get(key, 1e-15))
    return a == b


def with_untrained_outputs(record):
    """The record with `untrained_outputs` (the shares of its epoch-0 test outputs the atlas judges a loss's domain
    by) measured on its untrained model, rebuilt from its config and seed; as it is where it has them already.

    Records written before runs stored them lack them; the atlas reads them and never builds a model itself.

    Raises:
        ValueError: the record was trained on another Keras backend than this process runs.
    """
    if "untrained_outputs" in record or "config" not in record:
        return record
    from experiments.training.record import untrained_output_shares
    from experiments.training.runner import untrained_test_outputs

    return {**record, "untrained_outputs": untrained_output_shares(untrained_test_outputs(record["config"]))}


def rescore_folder(results, untrained=False):
    """Rescore every valid record under `results/runs`; returns a `Rescored` tally. With `untrained`, a diverged
    record without `untrained_outputs` also gets them (`with_untrained_outputs`: builds its untrained model).

    A record is rewritten only under its run's lock (`run_lock.try_lock`, the one `run` and `sweep` take) and
    only if it is still the record that was read; one that a run holds, or that changed meanwhile, is left
    as it is and counted in `busy`.

    Raises:
        ValueError: `results` holds no `runs` folder.
    """
    runs = Path(results) / "runs"
    if not runs.is_dir():
        raise ValueError(f"{results} holds no runs/ folder; name a results folder that a sweep wrote.")
    rewritten = unchanged = without = measured = 0
    invalid, busy, kept = [], [], []
    for path in sorted(runs.glob("*/*.json")):
        if path.parent.name.startswith("."):
            continue
        try:
            record = records.read(path)
        except records.InvalidRecordError as error:
            invalid.append(error)  # left where it is; the caller names it
            continue
        task_file.register_from_records([record] if record else [])  # a user's task, from what its record declares
        if record is None:
            continue
        if "test_outputs" not in record:
            without += record.get("status") == "ok"
        new, changed = rescored(record)
        if untrained and new.get("status") == "diverged" and "untrained_outputs" not in new:
            try:  # what the atlas explains a divergence by, from the record's own config
                new, changed = with_untrained_outputs(new), True
            except (ValueError, KeyError, TypeError, OSError) as error:  # a config no run could build
                reason = f"its untrained model cannot be built ({type(error).__name__}: {error})"[:300]
                invalid.append(records.InvalidRecordError(path, reason))
                continue
            measured += 1
        if not changed:
            unchanged += 1
            continue
        if records.read_only(path):
            kept.append(path)
            continue
        # Rewritten under the run's lock, from the record as it is then: a `run --force` that wrote a new record
        # since our read is never overwritten with the old one.
        lock = run_lock.try_lock(path)
        if lock is None:
            busy.append(path)
            continue
        try:
            again = records.read(path)
            if again == record:
                records.write_atomic(path, new)
                rewritten += 1
            else:
                busy.append(path)
        finally:
            lock.release()
    return Rescored(rewritten, unchanged, without, invalid, busy, measured, kept)
