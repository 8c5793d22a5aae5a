"""Hidden activations, as measured by the layer probe: gradients through the body, and units that stay off.

Reference 004: sigmoid and tanh "saturate for large |z| [...] which can contribute to vanishing
gradients in very deep sigmoid/tanh networks", ReLU units can die, Leaky ReLU reduces that, and
GELU and Swish are smooth alternatives. The records of the tasks with `Task.layer_probe` hold,
at epoch 0, 1 and the last, each layer's kernel-gradient norm and each hidden layer's share of
never-active units (`experiments.training.layer_probe`).
"""

import numpy as np

from experiments.analysis.claims.mechanisms import finished
from experiments.analysis.wording import fmt
from experiments.pairings import task_pairings

HIDDEN_TASKS = ("bird_plane_hidden", "bird_plane_deep", "cifar10_hidden")


def layer_probe(record, epoch=None):
    """The record's layer probe at `epoch` ("0", "1"; None: the last measured), or None."""
    probe = record.get("layer_probe")
    if not probe:
        return None
    epochs = probe["epochs"]
    key = max(epochs, key=int) if epoch is None else str(epoch)
    return epochs.get(key)


def gradient_ratio(record, epoch="0"):
    """log10 of the first layer's kernel-gradient norm over the output layer's; NaN without a probe.

    0: the first layer gets as strong a gradient as the output layer; -3: a thousandth of it.
    """
    measured = layer_probe(record, epoch)
    if measured is None:
        return float("nan")
    norms = measured["grad_norm"]
    if not norms[-1] > 0:
        return float("nan")
    return float(np.log10(max(norms[0], 1e-30) / norms[-1]))


def never_active_share(record, epoch=None):
    """The share of never-active units, averaged over the hidden layers (default: at the end); NaN without a probe."""
    measured = layer_probe(record, epoch)
    return float("nan") if measured is None else float(np.mean(measured["never_active"]))


def layer_norms(runs, epoch):
    """Per layer, the geometric mean over runs of the kernel-gradient norm at `epoch`, and the labels."""
    measured = [(r["layer_probe"]["layers"], m) for r in runs if (m := layer_probe(r, epoch)) is not None]
    if not measured:
        return None, None
    norms = np.array([m["grad_norm"] for _, m in measured], dtype=float)
    return measured[0][0], 10 ** np.mean(np.log10(np.maximum(norms, 1e-30)), axis=0)


def describe_hidden_layers(claim, records):
    parts = []
    for pairing in task_pairings(claim.task):
        runs = [r for r in finished(records, claim.task, pairing) if r.get("layer_probe")]
        if not runs:
            parts.append(f"`{pairing}`: not measured (no finished run with the layer probe)")
            continue
        ratio = {e: np.mean([gradient_ratio(r, e) for r in runs]) for e in ("0", "1")}
        off = np.mean([never_active_share(r) for r in runs])
        off_text = "dead (never positive, so no gradient)" if pairing == "relu_body" else "never active"
        parts.append(
            f"`{pairing}` ({len(runs)} seeds): final accuracy {fmt(np.mean([r['final']['accuracy'] for r in runs]))}; "
            f"first-to-output gradient ratio 10^{fmt(ratio['0'], 2)} at epoch 0 and 10^{fmt(ratio['1'], 2)} after "
            f"epoch 1; {fmt(100 * off, 1)}% of hidden units {off_text} at the end"
        )
    return (
        f"On {claim.task}: " + "; ".join(parts) + ". Ratio: the first convolution's kernel-gradient norm over the "
        "output layer's (log10, mean over seeds); units: channels of a convolution, units of the dense layer, "
        f"averaged over the hidden layers, on the 512 probe images (figures/layer_gradients_{claim.task})."
    )
