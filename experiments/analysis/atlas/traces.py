"""The atlas page's per-cell traces, as plain data for Plotly: learning curves (mean and per seed), the final test
outputs against the targets, and the mean |dL/dz| at the output per epoch (`atlas.page` draws the page)."""

import numpy as np

from experiments.analysis.evidence.per_image import outputs_and_targets

BINS = 30  # of the output histogram
DIGITS = 4  # decimals kept in the page's numbers: its size, not its precision, is what they cost
POINTS = 100  # at most this many epochs per curve (iris trains 2,000): every k-th, the last one kept


def _r(values):
    return [None if v is None or not np.isfinite(v) else round(float(v), DIGITS) for v in values]


def _epochs(n):
    """The epochs a curve of `n` epochs shows: all up to `POINTS`, else every k-th and the last."""
    step = max(1, -(-n // POINTS))
    shown = list(range(0, n, step))
    return shown if not n or shown[-1] == n - 1 else [*shown, n - 1]


def curves(runs, metric):
    """(traces) of the test metric per epoch: one thin line per seed, the mean over seeds thick."""
    traces = []
    n = min((len(r["history"]) for r in runs), default=0)
    shown = _epochs(n)
    for r in sorted(runs, key=lambda r: r["seed"]):
        values = [(r["history"][e].get("test") or {}).get(metric) for e in shown]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": shown,
                "y": _r([np.nan if v is None else v for v in values]),
                "name": f"seed {r['seed']}",
                "line": {"width": 1},
                "opacity": 0.5,
                "xaxis": "x",
                "yaxis": "y",
                "legendgroup": "curves",
            }
        )
    if traces:
        mean = np.nanmean(np.array([[np.nan if v is None else v for v in t["y"]] for t in traces]), axis=0)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": shown,
                "y": _r(mean),
                "name": f"mean of {len(runs)} seeds",
                "line": {"width": 3, "color": "black"},
                "xaxis": "x",
                "yaxis": "y",
                "legendgroup": "curves",
            }
        )
    return traces


def _groups(kind, outputs, targets):
    """(name, values) of the final test outputs split by what they were trained toward."""
    outputs = np.asarray(outputs, dtype="float64")
    if kind == "regression":
        return [("predictions", outputs.ravel()), ("targets", np.asarray(targets, dtype="float64").ravel())]
    if kind == "binary":
        first = outputs.reshape(len(outputs), -1)[:, -1]  # one unit, or the second (plane) unit of two
        labels = np.asarray(targets).reshape(len(outputs), -1)[:, -1]
        return [("birds (0)", first[labels == 0]), ("planes (1)", first[labels == 1])]
    if kind == "multiclass":
        flat = outputs.reshape(len(outputs), -1)
        if flat.shape[1] == 1:
            return [("outputs", flat.ravel())]
        ids = np.asarray(targets).reshape(len(outputs), -1)
        ids = ids.argmax(axis=1) if ids.shape[1] > 1 else ids.ravel().astype(int)
        true = np.zeros_like(flat, dtype=bool)
        true[np.arange(len(flat)), ids] = True
        return [("the true class's output", flat[true]), ("the other classes'", flat[~true])]
    labels = np.asarray(targets).reshape(outputs.shape) > 0  # multi-label: present or absent, per label
    return [("labels present", outputs[labels]), ("labels absent", outputs[~labels])]


def histogram(kind, runs):
    """Bar traces of the final test outputs (all seeds) against the targets, as shares per bin."""
    found = [f for f in map(outputs_and_targets, runs) if f is not None]
    if not found:
        return []
    groups = {}
    for outputs, targets in found:
        for name, values in _groups(kind, outputs, targets):
            groups.setdefault(name, []).append(values)
    joined = {name: np.concatenate(v) for name, v in groups.items()}
    finite = np.concatenate([v[np.isfinite(v)] for v in joined.values()])
    if not len(finite):
        return []
    low, high = float(np.min(finite)), float(np.max(finite))
    edges = np.linspace(low, high if high > low else low + 1.0, BINS + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    traces = []
    for name, values in joined.items():
        counts, _ = np.histogram(values[np.isfinite(values)], bins=edges)
        traces.append(
            {
                "type": "bar",
                "x": _r(centres),
                "y": _r(counts / max(counts.sum(), 1)),
                "name": name,
                "opacity": 0.6,
                "xaxis": "x2",
                "yaxis": "y2",
                "legendgroup": "outputs",
            }
        )
    return traces


def gradients(runs):
    """Mean |dL/dz| at the output on the probe's wrong and right images, per epoch, mean over seeds."""
    traces = []
    for key, name in (("grad_wrong", "|dL/dz|, wrong images"), ("grad_correct", "|dL/dz|, right images")):
        rows = [[(h.get("probe") or {}).get(key) for h in r["history"]] for r in runs]
        rows = [[np.nan if v is None else v for v in row] for row in rows if any(v is not None for v in row)]
        if not rows:
            continue
        shown = _epochs(min(map(len, rows)))
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": shown,
                "y": _r(np.nanmean(np.array([[row[e] for e in shown] for row in rows]), axis=0)),
                "name": name,
                "xaxis": "x3",
                "yaxis": "y3",
                "legendgroup": "gradients",
            }
        )
    return traces
