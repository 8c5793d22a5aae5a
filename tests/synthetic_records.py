"""Run records with known effects, made in the test: no training, every number chosen."""

import zlib

import numpy as np

from experiments.pairings import documented_pairing, get_pairing
from experiments.record_schema import SCHEMA_VERSION
from experiments.tasks import get_task
from experiments.training.metrics import METRICS


def _spec(task, pairing):
    """The pairing's spec as a run records it; a placeholder one-unit spec for a name no task knows."""
    try:
        return get_pairing(task, pairing).spec()
    except ValueError:
        return {
            "activation": "linear",
            "units": 1,
            "loss": "mse",
            "loss_kwargs": {},
            "target": "value",
            "link": "identity",
        }


def record(task, pairing, seed, curve, status="ok", finished_at="2026-01-01T00:00:00", images=None, **final_metrics):
    """A record whose headline metric follows `curve` (epoch 0, 1, ...); other metrics as given, else 0.1."""
    kind = get_task(task).kind
    headline = METRICS[kind][0]
    history = []
    for epoch, value in enumerate(curve):
        test = {m: final_metrics.get(m, 0.1) for m in METRICS[kind]}
        test[headline] = float(value)
        history.append({"epoch": epoch, "train_loss": 1.0 / (epoch + 1), "train_metric": float(value), "test": test})
    config = {"task": task, "pairing": pairing, "seed": seed, "profile": "quick", "epochs": len(curve) - 1}
    rec = {
        "schema_version": SCHEMA_VERSION,
        "task": task,
        "pairing": pairing,
        "seed": seed,
        "run_id": f"{task}__{pairing}__s{seed}__{zlib.crc32(repr(config).encode()):08x}",
        "profile": "quick",
        "status": status,
        "config": {**config, "batch_size": 32, "data": {}},
        "pairing_spec": {**_spec(task, pairing), "documented": pairing == documented_pairing(task).name},
        "history": history if status == "ok" else history[:1],
        "final": history[-1]["test"] if status == "ok" else None,
        "timing": {"wall_s": 1.0, "pack_size": 1, "finished_at": finished_at},
        "data": {"source": "synthetic records", "fingerprint": "0" * 16, "train_examples": 1000, "test_examples": 200},
        "environment": {"platform": "synthetic"},
    }
    if status == "error":
        rec["error"] = "RuntimeError: synthetic"
    if images is not None:  # per-image outputs and targets: (probabilities of class 1, labels)
        from experiments.records import encode_array

        outputs, targets = images
        rec["test_outputs"] = encode_array(np.asarray(outputs).reshape(-1, 1))
        rec["test_targets"] = encode_array(targets)
        if status == "ok":  # every final metric as its outputs give it (`check_evidence` recomputes them)
            from experiments.rescore import rescored

            rec["final"] = rescored(rec)[0]["final"]
            rec["history"][-1]["test"] = dict(rec["final"])
    return rec


def bird_plane_images(effects, seeds=10, images=200, noise=0.01, rng_seed=0):
    """bird_plane records with per-image outputs: each image right with probability 0.80 + seed noise + effect."""
    rng = np.random.default_rng(rng_seed)
    post = documented_pairing("bird_plane").name
    labels = (np.arange(images) % 2).astype("float32")
    recs = []
    for seed in range(seeds):
        base = 0.80 + rng.normal(0, noise)
        for pairing, effect in {post: 0.0, **effects}.items():
            right = rng.random(images) < base + effect
            outputs = np.where(right == (labels == 1), 0.9, 0.1)
            accuracy = float(right.mean())
            recs.append(record("bird_plane", pairing, seed, np.linspace(0.5, accuracy, 11), images=(outputs, labels)))
    return recs


def bird_plane(effects, seeds=10, noise=0.01, epochs=10, rng_seed=0, **final_metrics):
    """bird_plane records: the post's pairing reaches 0.80 (+ seed noise); `effects` maps a
    pairing to its true difference in final accuracy. Curves rise linearly from 0.5."""
    rng = np.random.default_rng(rng_seed)
    post = documented_pairing("bird_plane").name
    recs = []
    for seed in range(seeds):
        base = 0.80 + rng.normal(0, noise)
        for pairing, effect in {post: 0.0, **effects}.items():
            final = base + effect + rng.normal(0, noise / 2)
            recs.append(
                record(
                    "bird_plane", pairing, seed, np.linspace(0.5, final, epochs + 1), **final_metrics.get(pairing, {})
                )
            )
    return recs
