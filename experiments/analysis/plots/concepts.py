"""`python -m experiments figures`: the post's and the reference texts' figures.

Drawn from the analytic derivatives in `custom_objects` (not from finite differences
or hand-typed curves), and, for the outputs-per-image figure, from trained cifar10 runs.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

import custom_objects  # noqa: E402

# The post's "winner takes all" bars, read off its figure (to about +-0.03).
from experiments.analysis.claims.claim import RAW_OUTPUTS  # noqa: E402
from experiments.analysis.plots.files import provenance, save  # noqa: E402

LOGITS = np.linspace(-10.0, 10.0, 401).astype("float32")


def _np(x):
    return np.asarray(ops.convert_to_numpy(x), dtype="float64")


def sigmoid_saturation():
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(LOGITS, _np(custom_objects.activations.sigmoid(LOGITS)), label="sigmoid(x)")
    ax.plot(LOGITS, _np(custom_objects.activations.sigmoid_derivative(LOGITS)), label="sigmoid'(x) = s(1 - s)")
    ax.axvspan(-10, -5, color="grey", alpha=0.15)
    ax.axvspan(5, 10, color="grey", alpha=0.15, label="saturated: slope < 0.007")
    ax.set_xlabel("x (the logit)")
    ax.set_ylabel("value")
    ax.legend()
    ax.set_title("The sigmoid squashes R into (0, 1) and saturates")
    return fig


def activations_and_derivatives():
    names = list(custom_objects.ACTIVATIONS)
    fig, axes = plt.subplots(2, 4, figsize=(14, 6.5))
    x = np.linspace(-5, 5, 401).astype("float32")
    for ax, name in zip(axes.ravel(), names):
        if name == "softmax":
            # Softmax of (x, 0): its first component and the diagonal of its Jacobian.
            pair = np.stack([x, np.zeros_like(x)], axis=1)
            value = _np(custom_objects.activations.softmax(pair))[:, 0]
            slope = _np(custom_objects.activations.softmax_jacobian(pair))[:, 0, 0]
            ax.set_title("softmax of (x, 0), component 1")
        else:
            value = _np(custom_objects.get_activation(name)(x))
            slope = _np(custom_objects.get_activation_derivative(name)(x))
            ax.set_title(name)
        ax.plot(x, value, label="f(x)")
        ax.plot(x, slope, "--", label="f'(x) (analytic)")
        ax.axhline(0, color="k", lw=0.5)
        ax.axvline(0, color="k", lw=0.5)
        ax.set_xlabel("x (input to the activation)")
        ax.set_ylabel("f(x) and f'(x)")
    axes[0, 0].legend()
    return fig


def winner_takes_all():
    probs = _np(custom_objects.activations.softmax(RAW_OUTPUTS.astype("float32")))
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    classes = np.arange(1, 11)
    axes[0].bar(classes, RAW_OUTPUTS)
    axes[0].set_title("10 raw outputs (the post's values)")
    axes[0].set_ylabel("raw output (logit)")
    axes[1].bar(classes, probs, color="C1")
    axes[1].set_title(f"their softmax: the top two take {probs.max() + np.sort(probs)[-2]:.0%}")
    axes[1].set_ylabel("softmax probability")
    for ax in axes:
        ax.set_xticks(classes)
        ax.set_xlabel("output unit")
    return fig


def saturation_argument():
    """Loss and gradient wrt the logit for a positive example: sigmoid+bce vs sigmoid+mse; softmax+ce."""
    z = LOGITS[:, None]
    y = np.ones_like(z)
    p = custom_objects.activations.sigmoid(z)
    slope = custom_objects.activations.sigmoid_derivative(z)
    bce = _np(custom_objects.losses.binary_crossentropy(y, z, from_logits=True))
    mse = _np(custom_objects.losses.mean_squared_error(y, p))
    grad_bce = _np(custom_objects.losses.binary_crossentropy_derivative(y, z, from_logits=True)).ravel()
    grad_mse = _np(custom_objects.losses.mean_squared_error_derivative(y, p) * slope).ravel()

    # Softmax + cross-entropy over 3 classes, true class 0, its logit swept, the others at 0.
    three = np.concatenate([z, np.zeros_like(z), np.zeros_like(z)], axis=1).astype("float32")
    one_hot = np.tile(np.array([[1.0, 0.0, 0.0]], dtype="float32"), (len(z), 1))
    grad_ce = _np(custom_objects.losses.categorical_crossentropy_derivative(one_hot, three, from_logits=True))

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    axes[0].plot(LOGITS, bce, label="sigmoid + BCE: -log s(z)")
    axes[0].plot(LOGITS, mse, label="sigmoid + MSE: (1 - s(z))^2")
    axes[0].set_title("loss for a positive example (y = 1)")
    axes[0].set_ylabel("loss")
    axes[1].plot(LOGITS, grad_bce, label="BCE: s(z) - 1")
    axes[1].plot(LOGITS, grad_mse, label="MSE: 2 (s(z) - 1) s(z)(1 - s(z))")
    axes[1].axvspan(-10, -4, color="red", alpha=0.1, label="confidently wrong")
    axes[1].set_title("gradient wrt the logit: MSE's vanishes where it is wrong")
    axes[1].set_ylabel("d loss / d z")
    # p_1 = p_2 (the other two logits are both 0): one line, drawn dashed over the other and named as such.
    for k, label in enumerate(["true class: p_0 - 1", "other class: p_1", "other class: p_2 (same as p_1)"]):
        axes[2].plot(LOGITS, grad_ce[:, k], "--" if k == 2 else "-", label=label)
    axes[2].set_ylim(-1.1, 1.1)
    axes[2].set_title("softmax + CE: gradient p - y, bounded in [-1, 1]")
    axes[2].set_ylabel("d loss / d z_k")
    for ax in axes:
        ax.set_xlabel("logit z (of the true class)")
        ax.legend(fontsize=8)
        ax.axhline(0, color="k", lw=0.5)
    return fig


def output_sums(recs):
    """Sum of the 10 outputs per test image: softmax vs one-vs-rest sigmoid cifar10 models."""
    chosen = {
        p: [
            s
            for r in recs
            if r["task"] == "cifar10" and r["pairing"] == p and r["status"] == "ok"
            for s in r.get("output_sums", [])
        ]
        for p in ("softmax+sparse_cce", "sigmoid+bce")
    }
    if not all(chosen.values()):
        return None
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(0, max(2.0, max(max(v) for v in chosen.values())), 60)
    for pairing, sums in chosen.items():
        ax.hist(sums, bins=bins, alpha=0.6, label=f"{pairing}: mean {np.mean(sums):.3f}")
    ax.set_xlabel("sum of the 10 outputs for one test image")
    ax.set_ylabel("images (all seeds)")
    ax.set_title("Softmax outputs sum to 1; one-vs-rest sigmoids do not")
    ax.legend()
    return fig


def write_figures(results):
    from experiments.analysis.evidence.loading import latest_records

    folder = Path(results) / "figures"
    written = []
    for name, make in (
        ("sigmoid_saturation", sigmoid_saturation),
        ("activations", activations_and_derivatives),
        ("winner_takes_all", winner_takes_all),
        ("saturation_argument", saturation_argument),
    ):
        written += save(make(), folder, name)
    recs = latest_records(results) if (Path(results) / "runs").exists() else []
    fig = output_sums(recs)
    if fig is None:
        print("figures: no ok cifar10 softmax+sparse_cce and sigmoid+bce records yet; skipped output_sums.")
    else:
        written += save(fig, folder, "output_sums_cifar10", provenance([r for r in recs if r["task"] == "cifar10"]))
    return written
