"""Test metrics recomputed from the outputs a record stores, under the current decoding rules.

Every finished record holds its final model's raw outputs and the targets on every test image
(`test_outputs`, `test_targets`), so a change of decision rule (`experiments.training.decoding`)
needs no retraining: `rescore` recomputes `final`, `calibration` and `evaluation` from them and
rewrites the record atomically. The per-epoch test metrics of `history` cannot be recomputed (only
the final outputs are stored); a rescored record says so in `evaluation.history_decoding_version`.
"""

from pathlib import Path

from experiments import records
from experiments.tasks import get_task
from experiments.training import metrics


def rescored(record):
    """(the record with its final metrics recomputed, whether anything changed); unchanged without outputs."""
    if record.get("status") != "ok" or "test_outputs" not in record or "test_targets" not in record:
        return record, False
    kind = get_task(record["task"]).kind
    outputs = records.decode_array(record["test_outputs"])
    targets = records.decode_array(record["test_targets"])
    values, table, how = metrics.evaluate(kind, targets, outputs, record["pairing_spec"])
    previous = record.get("evaluation") or {}
    history_version = previous.get("history_decoding_version", previous.get("decoding_version", 1))
    evaluation = {"link": record["pairing_spec"]["link"], **metrics.evaluation_fields(how, history_version)}
    new = {**record, "final": values, "calibration": table, "evaluation": evaluation}
    # As it would be written (NaN as null, tuples as lists) against as it was read: plain JSON values.
    fields = ("final", "calibration", "evaluation")
    return new, any(records.jsonable(new.get(k)) != record.get(k) for k in fields)


def rescore_folder(results):
    """Rescore every valid record under `results/runs`; returns (rewritten, unchanged, without outputs, invalid),
    invalid being the `records.InvalidRecordError`s of the files left as they are.

    Raises:
        ValueError: `results` holds no `runs` folder.
    """
    runs = Path(results) / "runs"
    if not runs.is_dir():
        raise ValueError(f"{results} holds no runs/ folder; name a results folder that a sweep wrote.")
    rewritten = unchanged = without = 0
    invalid = []
    for path in sorted(runs.glob("*/*.json")):
        if path.parent.name.startswith("."):
            continue
        try:
            record = records.read(path)
        except records.InvalidRecordError as error:
            invalid.append(error)  # left where it is; the caller names it
            continue
        if record is None or "test_outputs" not in record:
            without += record is not None and record.get("status") == "ok"
            continue
        new, changed = rescored(record)
        if changed:
            records.write_atomic(path, new)
            rewritten += 1
        else:
            unchanged += 1
    return rewritten, unchanged, without, invalid
