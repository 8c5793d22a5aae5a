"""`python -m experiments loss LOSS --targets Y --outputs P [--from-logits]`: one loss on given tensors, no training.

For "why is my loss negative, NaN, or not what my formula gives": the hand-written loss (`custom_objects`), Keras's
own loss on every installed backend (TensorFlow, JAX, PyTorch; each in a process of its own, since Keras picks
its backend once per process), and the gradient each sends back to the outputs, against the hand-written
derivative's formula (`custom_objects.losses.LOSS_DERIVATIVES`). Where a value is negative or not finite, or the
outputs look like logits passed as probabilities (or the reverse), it says why, from the loss's domain in the
catalogue (`custom_objects/catalogue.toml`).

Shapes: outputs (n,) or (n, units); targets (n,) or (n, units), class ids (n,) for the sparse losses. Units of the
gradient: d L_i / d p, the per-example loss's derivative (the mean loss's gradient is this divided by n).
"""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from experiments.catalogue import LOSSES

BACKEND_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
SHOWN_ROWS = 5


def read_numbers(path, option):
    """The numeric array in `path` (`.npy`, loaded without pickles, or `.csv` of numbers without a header).

    Raises:
        ValueError: not a regular file, another suffix, not numbers, empty, or NaN or infinities in it; one line.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{option} {path} is not a regular file; name a .npy or a .csv of numbers.")
    if path.suffix not in (".npy", ".csv"):
        raise ValueError(f"{option} {path}: name a .npy or a .csv file of numbers, not {path.suffix or 'no suffix'}.")
    try:
        array = np.load(path, allow_pickle=False) if path.suffix == ".npy" else np.loadtxt(path, delimiter=",", ndmin=1)
    except (ValueError, OSError, EOFError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise ValueError(f"{option} {path} holds no plain numeric array ({first}).") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{option} {path} holds {array.dtype} values; it must hold numbers.")
    if array.size == 0:
        raise ValueError(f"{option} {path} is empty; it must hold at least one number.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{option} {path} holds NaN or infinite values; every value must be a number.")
    if array.dtype.kind == "f" and np.abs(array).max() > np.finfo(np.float32).max:
        raise ValueError(
            f"{option} {path} holds values up to {np.abs(array).max():.3g}, beyond float32 (about 3.4e38), in which "
            "Keras computes losses; scale them down."
        )
    return array


def parse_loss(expression, from_logits=False):
    """(loss name, arguments) of `expression` in the pairing grammar's loss part, e.g. `bce(from_logits=true)`.

    Raises:
        ValueError: unknown loss or argument, or `from_logits` where the loss has none; one line.
    """
    from experiments.composition import parse

    _, _, name, kwargs = parse(f"linear+{expression}")
    if from_logits:
        if "from_logits" not in LOSSES[name].kwargs:
            raise ValueError(f"--from-logits: {name} takes no logits (it has no from_logits argument).")
        kwargs = {**kwargs, "from_logits": True}
    return name, kwargs


def align(name, y, p):
    """(targets, outputs) as the loss takes them: outputs (n, units) float32; targets (n,) class ids for a sparse
    loss, else the outputs' shape.

    Raises:
        ValueError: the shapes do not line up, or a class id is outside the units; one line with what would.
    """
    p = np.asarray(p, dtype="float32")
    p = p.reshape(-1, 1) if p.ndim == 1 else p
    if p.ndim != 2:
        raise ValueError(f"--outputs has shape {p.shape}; give one row of outputs per example: (n,) or (n, units).")
    n, units = p.shape
    if len(y) != n:
        raise ValueError(f"--targets has {len(y)} rows and --outputs {n}; give one target row per output row.")
    if LOSSES[name].family == "sparse":
        y = np.asarray(y).reshape(n, -1)
        if y.shape[1] != 1 or not np.all(y == np.round(y)) or y.min() < 0 or y.max() >= units:
            raise ValueError(
                f"{name} takes one class id per example, integers 0 to {units - 1} for {units} outputs; the targets "
                f"have shape {np.asarray(y).shape} and values {y.min():g} to {y.max():g}."
            )
        return y.reshape(n).astype("int32"), p
    y = np.asarray(y, dtype="float32")
    if y.size != p.size:
        raise ValueError(
            f"--targets has shape {y.shape} and --outputs {p.shape}; {name} takes one target per output (class ids "
            "go with sparse_cce)."
        )
    return y.reshape(p.shape), p


def measure(name, kwargs, y, p):
    """The loss and its gradients on this process's backend: {"backend", "hand_written", "keras",
    "hand_written_gradient", "keras_gradient", "formula_gradient"} (gradients as d L_i / d p, shape of `p`)."""
    import keras

    import custom_objects
    from custom_objects.losses import KERAS_EQUIVALENTS, LOSS_DERIVATIVES
    from experiments.training.probe import gradient

    hand_fn, twin_fn = custom_objects.get_loss(name, **kwargs), KERAS_EQUIVALENTS[name](**kwargs)
    n = len(p)

    def value(fn):
        return float(keras.ops.convert_to_numpy(fn(y, p)))

    def grad(fn):
        return n * np.asarray(gradient(lambda v: fn(y, v), p), dtype="float64")

    formula = LOSS_DERIVATIVES[name](y, p, **kwargs)
    return {
        "backend": keras.backend.backend(),
        "hand_written": value(hand_fn),
        "keras": value(twin_fn),
        "hand_written_gradient": grad(hand_fn),
        "keras_gradient": grad(twin_fn),
        "formula_gradient": np.asarray(keras.ops.convert_to_numpy(formula), dtype="float64").reshape(p.shape),
    }


def _in_child(backend, name, kwargs, y, p):
    """`measure` on `backend`, in a process of its own (Keras picks its backend once per process)."""
    with tempfile.TemporaryDirectory() as folder:
        given, got = Path(folder) / "given.npz", Path(folder) / "got.npz"
        np.savez(given, y=y, p=p, spec=np.array(json.dumps([name, kwargs])))
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        done = subprocess.run(
            [sys.executable, "-m", "experiments.loss_on_tensors", str(given), str(got)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
            return {"backend": backend, "error": last}
        with np.load(got, allow_pickle=False) as found:
            return {
                k: (found[k].item() if found[k].ndim == 0 and k != "backend" else found[k]) for k in found.files
            } | {"backend": str(found["backend"])}


def measure_all(expression, targets_path, outputs_path, from_logits=False):
    """Everything `loss` prints: the inputs' shapes, each installed backend's `measure`, and why lines.

    Raises:
        ValueError: bad input (`read_numbers`, `parse_loss`, `align`); one line.
    """
    import keras

    name, kwargs = parse_loss(expression, from_logits)
    y, p = align(name, read_numbers(targets_path, "--targets"), read_numbers(outputs_path, "--outputs"))
    here = keras.backend.backend()
    found = [measure(name, kwargs, y, p)]
    for backend, module in BACKEND_MODULES.items():
        if backend != here and importlib.util.find_spec(module) is not None:
            found.append(_in_child(backend, name, kwargs, y, p))
    return {
        "loss": name,
        "arguments": kwargs,
        "targets": str(targets_path),
        "outputs": str(outputs_path),
        "shape": list(p.shape),
        "formula": LOSSES[name].formula,
        "backends": found,
        "why": why_lines(name, kwargs, y, p, found),
    }


def why_lines(name, kwargs, y, p, found):
    """What explains the values: outputs outside the loss's domain, logits read as probabilities (or the reverse),
    a negative or non-finite value, and a difference between the hand-written loss and Keras's."""
    traits = LOSSES[name]
    logits = kwargs.get("from_logits", False)
    lines = []
    if traits.domain and not logits:
        low, high, words = traits.domain
        outside = int(np.sum((p < low) | (p > high)))
        if outside:
            lines.append(
                f"{outside} of {p.size} outputs lie outside {name}'s domain ({words}); both losses clip them into it"
                + (
                    ": these look like logits. If they are, pass --from-logits (Keras: from_logits=True)."
                    if traits.logits
                    else "."
                )
            )
    if logits and traits.logits and p.min() >= 0 and p.max() <= 1:
        sums_to_one = p.shape[1] > 1 and np.allclose(p.sum(axis=1), 1, atol=1e-3)
        if traits.logits == "sigmoid" or sums_to_one:
            lines.append(
                f"the outputs all lie in [0, 1]{' and each row sums to 1' if sums_to_one else ''}: they look like "
                f"probabilities, and from_logits=True applies a {traits.logits} to them again ({traits.logits} twice)."
            )
    if traits.family in ("elementwise",) and traits.space == "probabilities" and (y.min() < 0 or y.max() > 1):
        lines.append(f"targets outside [0, 1] (from {y.min():g} to {y.max():g}): {name} has no lower bound on them.")
    if traits.family == "categorical" and not logits and p.shape[1] > 1 and np.any(p.sum(axis=1) <= 0):
        rows = int(np.sum(p.sum(axis=1) <= 0))
        lines.append(
            f"{rows} output row(s) sum to 0 or less, and {name} divides each output by its row's sum (0/0 gives NaN; "
            "keras-team/keras#17102)."
        )
    negative, not_finite = [], []
    for m in found:
        if "error" in m:
            lines.append(f"{m['backend']}: could not compute it ({m['error']}).")
            continue
        for who in ("hand_written", "keras"):
            place = f"{who.replace('_', '-')} on {m['backend']}"
            if not np.isfinite(m[who]):
                not_finite.append(place)
            elif m[who] < -1e-7:
                negative.append(f"{place} {m[who]:.6g}")
        if np.isfinite(m["hand_written"]) and not np.isclose(m["hand_written"], m["keras"], rtol=1e-4, atol=1e-6):
            rule = next((r for r in traits.keras_differs if _rule_applies(r, m["backend"], logits)), None)
            because = f": {rule['why']}" if rule else ""
            lines.append(
                f"on {m['backend']}, Keras's {m['keras']:.6g} differs from the hand-written {m['hand_written']:.6g}"
                f"{because}."
            )
    if negative:
        lines.append(
            f"the loss is below 0 ({'; '.join(negative)}): every loss of the catalogue is at least 0 on the targets "
            "and outputs it is defined for, so these are not."
        )
    if not_finite:
        lines.append(f"the loss is not finite ({'; '.join(not_finite)}).")
    return lines


def _rule_applies(rule, backend, logits):
    return backend in rule["backends"] and rule.get("from_logits", False) == logits


def report_text(found):
    """`measure_all`'s result as text: a table of values and gradient differences, the first gradients, why."""
    args = ",".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in found["arguments"].items())
    rows = [
        f"{found['loss']}{f'({args})' if args else ''} on {found['shape'][0]} examples, outputs {tuple(found['shape'])}"
        f" ({found['outputs']}), targets {found['targets']}",
        f"formula: {found['formula']}",
        "",
        "| computed by | backend | mean loss | largest gap, gradient against the formula |",
        "|---|---|---:|---:|",
    ]
    for m in found["backends"]:
        if "error" in m:
            rows.append(f"| — | {m['backend']} | not computed | {m['error']} |")
            continue
        for who, grad in (("hand-written", "hand_written_gradient"), ("Keras", "keras_gradient")):
            gap = float(np.max(np.abs(m[grad] - m["formula_gradient"])))
            value = m["hand_written" if who == "hand-written" else "keras"]
            rows.append(f"| {who} | {m['backend']} | {value:.6g} | {gap:.3g} |")
    first = found["backends"][0]
    shown = np.array2string(first["formula_gradient"][:SHOWN_ROWS], precision=4, suppress_small=True)
    rows += [
        "",
        f"gradient at the outputs, d L_i / d p per example (the formula; the mean loss's is this / n), first "
        f"{min(SHOWN_ROWS, found['shape'][0])} rows:",
        *("  " + line for line in shown.splitlines()),
    ]
    if found["why"]:
        rows += ["", "why:", *(f"- {line}" for line in found["why"])]
    return "\n".join(rows)


def _child(argv):
    given, got = argv
    with np.load(given, allow_pickle=False) as inputs:
        name, kwargs = json.loads(str(inputs["spec"]))
        m = measure(name, kwargs, inputs["y"], inputs["p"])
    np.savez(got, **{k: np.asarray(v) for k, v in m.items()})


if __name__ == "__main__":
    _child(sys.argv[1:])
