"""The report believes evidence, not summaries: each finished record checked against what it stores.

A finished record must hold one history row per epoch (epoch 0 included), and every final test metric its
stored test outputs give (`rescore`); the last history row must be its final evaluation. Otherwise the report
would print numbers no model produced (a hand-edited `final`, a stub that passes the schema).
"""

from experiments import records
from experiments.tasks import get_task
from experiments.terminal import listed
from experiments.training.metrics import HEADLINE

EVIDENCE_TOLERANCE = 1e-6  # relative: far below any number a report shows (3 decimals), far above float32's noise


def _outputs_contradict(r, rescored, same_value):
    """The first final metric, or the calibration table (the reliability figure's bins), that the record's stored
    test outputs do not give, in words; else ""."""
    again = rescored(r)[0]
    found = records.jsonable(again["final"])
    for key in sorted(set(found) | set(r["final"])):
        stored, given = r["final"].get(key), found.get(key)
        # To float32's precision: the outputs are stored as float32 (logits read behind a head were computed in
        # float64), so a metric recomputed from them agrees to about 1e-7, not to the last bit.
        if not same_value(given, stored, rel=EVIDENCE_TOLERANCE, key=key):
            return f"final {key} {stored} stored, but its test outputs give {given}"
    table = records.jsonable(again.get("calibration"))
    if "calibration" in r and not same_value(table, r["calibration"], rel=EVIDENCE_TOLERANCE, key="calibration"):
        return "its calibration table (the reliability figure's bins) is not the one its test outputs give"
    return ""


def _history_drift(r):
    """Where the last history row of a finished record contradicts its `final` (both computed by the same decoding
    rules: a rescored record's history keeps the rules it was trained with), the first metric that does, in
    words; else "". Earlier rows cannot be checked: only the final outputs are stored."""
    from experiments.rescore import same_value

    evaluation = r.get("evaluation") or {}
    version = evaluation.get("decoding_version")
    last = r["history"][-1].get("test") or {}
    headline = HEADLINE[get_task(r["task"]).kind]
    if r["final"].get(headline) is not None and last.get(headline) is None:  # the curves are drawn from it
        return f"its last history row has no {headline}, though its final has one"
    # Without stored outputs nothing could have rescored `final`: it must be the last row, whatever the versions say.
    if "test_outputs" in r and evaluation.get("history_decoding_version", version) != version:
        return ""  # the history keeps the rules it was trained with (`rescore`); they cannot be run again
    for key, value in r["final"].items():
        if value is not None and last.get(key) is None and "test_outputs" not in r:
            return f"its last history row has no {key}, though its final (with no outputs to rescore) has one"
        if value is not None and last.get(key) is not None:
            if not same_value(last[key], value, rel=EVIDENCE_TOLERANCE, key=key):
                return f"its last history row's {key} {last[key]} is not its final {value}"
    return ""


def check_evidence(recs, inventory=None, folder=None):
    """Raise a ValueError naming every finished record whose summary its own evidence contradicts, by its file
    under `folder` (by its run id without one): one line for one record, a bounded list for more.

    A finished record must hold one history row per epoch (epoch 0 included), and, where it stores its test
    outputs, every final test metric its outputs give under the current decoding rules (`rescore`);
    otherwise the report would print numbers no model produced (a hand-edited `final`, a stub that passes
    the schema)."""
    from experiments.rescore import rescored, same_value

    wrong = []
    for r in recs:
        if r.get("status") != "ok":
            continue
        if inventory is not None and "test_outputs" not in r:
            inventory.unchecked += 1
        epochs, rows = r["config"]["epochs"], len(r["history"])
        name = records.record_path(folder, r["run_id"], r["task"]) if folder is not None else r["run_id"]
        if rows != epochs + 1:
            wrong.append(f"{name}: {rows} history row(s) for {epochs} epochs (and epoch 0)")
            continue
        contradiction = _outputs_contradict(r, rescored, same_value) if "test_outputs" in r else ""
        # the last epoch's row is the final evaluation: an edited curve shows there
        contradiction = contradiction or _history_drift(r)
        if contradiction:
            wrong.append(f"{name}: {contradiction}")
    if not wrong:
        return
    where = folder if folder is not None else "FOLDER"
    repair = (
        f"repair: `python -m experiments rescore --results {where}` if the decoding rules changed since it was "
        "written, else move it out of runs/ and run the sweep again"
    )
    if len(wrong) == 1:
        raise ValueError(
            f"a record whose numbers its own evidence contradicts, no report rendered: {wrong[0]}; {repair}."
        )
    raise ValueError(
        f"{len(wrong)} records whose numbers their own evidence contradicts; no report rendered:\n"
        f"{listed(wrong)}\n{repair.capitalize()}."
    )
