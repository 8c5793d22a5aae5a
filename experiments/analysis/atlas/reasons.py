"""Why an atlas cell does not learn: each reason measured on its runs, with how many seeds show it.

Diverged (the first non-finite epoch, and what the loss met there), constant output or a dead ReLU, a
head whose range cannot reach the targets, a head that cannot express one class, a saturated output,
zero gradient at the output, outputs outside the loss's domain, a training loss below 0; "learns
slowly" only when none applies (`atlas_cells` calls these).
"""

import numpy as np

from experiments.analysis.evidence.per_image import outputs_and_targets
from experiments.catalogue import RANGES as ACTIVATION_RANGES
from experiments.composition import LOSSES, OUTPUT_ACTIVATIONS, comparison_space
from experiments.training import decoding
from experiments.training.metrics import RANKING

CONSTANT = 1e-6  # a test output whose spread over images is below this is constant
SATURATED_SHARE = 0.5  # more than half the outputs within SATURATION of a bound of a bounded head
SATURATION = 1e-4
ZERO_GRADIENT = 1e-7
# The range of each output activation's outputs (custom_objects/catalogue.toml).
RANGES = {a: ACTIVATION_RANGES[a] for a in OUTPUT_ACTIVATIONS}
BOUNDS = {a: r for a, r in RANGES.items() if np.all(np.isfinite(r))}


def seeds_phrase(count, total):
    return f"{count} of {total} seed{'s' if total != 1 else ''}"


def _target_range(kind, pairing, targets):
    """The lowest and highest target code the loss trains toward."""
    if pairing.target == "plus_minus_one":
        return -1.0, 1.0
    if kind == "regression" or pairing.target == "class_value":
        return float(np.min(targets)), float(np.max(targets))
    return 0.0, 1.0


def reasons(kind, pairing, runs, ok):
    """Measured reasons why the cell's runs did not learn, each with how many seeds show it."""
    found, n = [], len(runs)
    diverged = [r for r in runs if r["status"] == "diverged"]
    if diverged:
        epochs = sorted(r.get("diverged_at_epoch") for r in diverged)
        found.append(
            f"diverged in {seeds_phrase(len(diverged), n)} (first non-finite loss at epoch {epochs[0]})"
            + _divergence_cause(pairing, diverged)
        )
    data = [(r, o) for r in ok if (o := outputs_and_targets(r)) is not None]
    outputs = [np.asarray(o[0], dtype="float64") for _, o in data]
    if outputs:
        flat = [o.reshape(len(o), -1) for o in outputs]
        constant = [float(np.max(np.ptp(o, axis=0))) < CONSTANT for o in flat]
        dead = [c and pairing.activation == "relu" and float(np.max(np.abs(o))) == 0.0 for c, o in zip(constant, flat)]
        if any(dead):
            found.append(f"dead ReLU: every output exactly 0 in {seeds_phrase(sum(dead), n)}")
        if sum(constant) > sum(dead):
            found.append(f"constant output in {seeds_phrase(sum(constant) - sum(dead), n)}")
        t_low, t_high = _target_range(kind, pairing, data[0][1][1])
        h_low, h_high = RANGES[pairing.activation]
        # a regression head is judged against the widths whatever its loss reads (the next reason says that)
        reads_values = kind == "regression" or comparison_space(pairing.loss, pairing.loss_kwargs) not in (
            "logits",
            "margins",
        )
        if reads_values and (t_low < h_low or t_high > h_high):
            found.append(
                f"the {pairing.activation} head's range [{h_low:g}, {h_high:g}] cannot reach the targets "
                f"[{t_low:g}, {t_high:g}] (every seed)"
            )
        if kind != "regression":
            one_class = [
                len(np.unique(decoding.decide(o, pairing, kind, targets=t), axis=0)) == 1 for _, (o, t) in data
            ]
            rule = decoding.decoding(pairing, kind)
            structural = rule.threshold is not None and (h_low >= rule.threshold or h_high < rule.threshold)
            if structural:
                found.append(
                    f"the head cannot express one class: {pairing.activation} outputs lie in [{h_low:g}, {h_high:g}], "
                    f"all on one side of its threshold {rule.threshold:g}"
                )
            elif any(one_class):
                found.append(f"one class said for every test image in {seeds_phrase(sum(one_class), n)}")
        if pairing.activation in BOUNDS:
            low, high = BOUNDS[pairing.activation]
            shares = [np.mean((o - low < SATURATION) | (high - o < SATURATION)) for o in outputs]
            saturated = sum(s > SATURATED_SHARE for s in shares)
            if saturated:
                found.append(f"saturated output (over half the outputs at a bound) in {seeds_phrase(saturated, n)}")
        domain = LOSSES[pairing.loss].domain
        if domain and not pairing.loss_kwargs.get("from_logits"):
            low, high, words = domain
            shares = [float(np.mean((o < low) | (o > high))) for o in outputs]
            outside = sum(s > 0 for s in shares)
            if outside:
                found.append(
                    f"outputs outside the loss's domain in {seeds_phrase(outside, n)} "
                    f"(up to {max(shares):.0%} not {words})"
                )
    if kind == "regression":
        space = comparison_space(pairing.loss, pairing.loss_kwargs)
        if space not in ("values", "rates"):
            found.append(
                f"{pairing.loss} reads the outputs as {space}, not as values to bring near the targets: its minimum "
                "is not at the widths"
            )
    found += loss_below_zero(pairing, ok, n)
    grads = [(r["history"][0].get("probe") or {}).get("grad_wrong") for r in runs]
    zero = sum(g is not None and g < ZERO_GRADIENT for g in grads)
    if zero:
        found.append(f"zero gradient at the output at epoch 0 in {seeds_phrase(zero, n)}")
    return found


def loss_below_zero(pairing, ok, n):
    """[the reason] where the final training loss is below 0 in some seeds, else []: every loss of the catalogue is
    at least 0 where its inputs are in its domain, so a negative one was fed what it is not defined for. Shown even
    for a cell that learns (its score can beat chance while its loss runs away)."""
    below = sum(r["history"][-1].get("train_loss") is not None and r["history"][-1]["train_loss"] < 0 for r in ok)
    if not below:
        return []
    return [
        f"training loss below 0 at the end in {seeds_phrase(below, n)}: {pairing.loss} is at least 0 only on "
        "the targets and outputs it is defined for; fed others, it has no minimum, and the outputs run away"
    ]


def _divergence_cause(pairing, diverged):
    """What the loss was fed at epoch 0, as the diverged seeds' records measured it (`untrained_outputs`): the
    share of test outputs outside its domain ("" where the loss has no domain, reads logits, or none is outside;
    a clause naming the repair where the records predate the measurement)."""
    domain = LOSSES[pairing.loss].domain
    low, high = RANGES[pairing.activation]
    traits = LOSSES[pairing.loss]
    summing = traits.renormalises and not pairing.loss_kwargs.get("from_logits") and pairing.units > 1
    outside_domain = domain and not pairing.loss_kwargs.get("from_logits") and (low < domain[0] or high > domain[1])
    if not (summing or outside_domain):
        return ""
    measured = [r["untrained_outputs"] for r in diverged if r.get("untrained_outputs")]
    if len(measured) < len(diverged):
        return (
            " (what the loss was first fed is not in these records; `python -m experiments rescore --untrained` "
            "adds it)"
        )
    if summing:  # categorical cross-entropy scores o_k / sum_j o_j: a row that sums to 0 is 0 / 0
        zero = [m["row_sum_at_most_0"] for m in measured]
        if max(zero) > 0:
            return (
                f": at epoch 0, {min(zero):.0%} to {max(zero):.0%} of the test images' outputs of the untrained "
                f"{pairing.activation} head sum to 0 or less, and the loss divides by that sum"
            )
    if not outside_domain:
        return ""
    # Outside [0, 1]: below 0 or above 1; outside [0, inf): below 0; a `positive` loss's: at most 0 (log 0).
    below = "at_most_0" if traits.positive else "below_0"
    shares = [m[below] + (m["above_1"] if domain[1] <= 1.0 else 0.0) for m in measured]
    words = "a log" if traits.takes_log else "it"
    return (
        f": at epoch 0, {min(shares):.0%} to {max(shares):.0%} of the test outputs of the untrained "
        f"{pairing.activation} head lie outside the loss's domain ({domain[2]}) and are fed to {words}"
    )


def learns_slowly(kind, ok):
    """The words for a cell none of whose measured reasons applies: the score at the last epoch."""
    metric = RANKING.get(kind, "mse")
    last = [r["history"][-1]["test"].get(metric) for r in ok if r.get("history")]
    last = [v for v in last if v is not None]
    epoch = ok[0]["history"][-1]["epoch"] if ok and ok[0].get("history") else "?"
    value = f" ({metric} {np.mean(last):.3f} at epoch {epoch})" if last else ""
    return f"none of the measured conditions: learns slowly{value}"
