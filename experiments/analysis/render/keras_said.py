"""What Keras itself would have told the user of a pairing, from its records (`training.keras_view`)."""

import numpy as np

from experiments.analysis.wording import fmt
from experiments.tasks import get_task
from experiments.training.metrics import HEADLINE


def keras_clause(records, task, pairing):
    """One sentence: Keras's resolved "accuracy" beside the suite's, and its built-in loss at epoch 0; "" if
    the records predate the measurement."""
    runs = [r for r in records if r["task"] == task and r["pairing"] == pairing and r.get("keras")]
    finished = [r for r in runs if r["status"] == "ok" and r["keras"].get("accuracy")]
    if not runs:
        return ""
    parts = []
    if finished:
        metric = finished[0]["keras"]["accuracy"]["metric"]
        theirs = [r["keras"]["accuracy"]["value"] for r in finished if r["keras"]["accuracy"]["value"] is not None]
        headline = HEADLINE[get_task(task).kind]
        ours = [r["final"][headline] for r in finished]
        parts.append(
            f'`metrics=["accuracy"]` would have shown {metric} {fmt(float(np.mean(theirs)) if theirs else None)} '
            f"(the suite's {headline}: {fmt(float(np.mean(ours)))}; means over {len(finished)} seeds)"
        )
    equal = [r["keras"].get("equal") for r in runs]
    builtin = [r["keras"].get("loss") for r in runs if r["keras"].get("loss") is not None]
    hand = [r["keras"].get("hand_written_loss") for r in runs if r["keras"].get("hand_written_loss") is not None]
    if builtin and hand:
        verdict = "equal to" if all(equal) else ("not equal to" if not any(equal) else "in some seeds equal to")
        parts.append(
            f"Keras's built-in loss at epoch 0 is {fmt(float(np.mean(builtin)))}, {verdict} the hand-written "
            f"{fmt(float(np.mean(hand)))}"
        )
    nan = [r for r in runs if r["keras"].get("loss") is None]
    if nan:
        detail = next((r["keras"]["not_finite"] for r in nan if r["keras"].get("not_finite")), None)
        where = (
            f" (seed {nan[0]['seed']}: on {detail['images']} of its {detail['of']} images; {detail['why']})"
            if detail
            else ""
        )
        parts.append(f"Keras's built-in loss at epoch 0 is NaN or infinite in {len(nan)} of {len(runs)} seeds{where}")
    said = sorted({w for r in runs for w in r["keras"].get("warnings", [])})
    parts.append("Keras warned: " + " / ".join(f'"{w}"' for w in said) if said else "Keras warned of nothing")
    return "What Keras would have told its user: " + "; ".join(parts) + "."
