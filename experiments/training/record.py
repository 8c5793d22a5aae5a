"""A run's record as data: what it starts as, and which runs can share one graph.

A record holds the config, per-epoch history (epoch 0 is before any training), final
test metrics, status (`ok`, `diverged` at the epoch the loss stopped being finite, or
`error` with the message), timings, library versions and the data's fingerprint.
"""

import json

import numpy as np

from experiments.record_schema import SCHEMA_VERSION


def new_record(config):
    """A record with no results yet: status `error` until training says otherwise."""
    from experiments.config import run_id

    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id(config),
        "task": config["task"],
        "pairing": config["pairing"],
        "seed": config["seed"],
        "profile": config["profile"],
        "config": config,
        "history": [],
        "final": None,
        "status": "error",
    }


def pack_key(config):
    """Runs with equal keys can share one graph: everything but the pairing (and what it resolved to) is equal."""
    return json.dumps({k: v for k, v in config.items() if k not in ("pairing", "pairing_spec")}, sort_keys=True)


def finish_record(b, kind, y_test):
    """Fill branch `b`'s record (`experiments.training.pack.Branch`) at the end of training: its status, final
    metrics, calibration, how its outputs were read, and its final raw test outputs and targets (any test
    metric can be recomputed from the record, per image: the report's bootstrap, `rescore`). Keras loads here,
    not with the module: the sweep's driver reads this module and never imports Keras."""
    from experiments.composition import encode_targets
    from experiments.records import encode_array
    from experiments.training import keras_view, metrics

    values, table, how, outputs = b.last
    record = b.record
    twin_gap = record.get("evaluation", {}).get("hand_written_twin_max_abs_diff")
    link = b.pairing.link if b.read_spec is None else b.read_spec["link"]
    record["evaluation"] = {"link": link, **metrics.evaluation_fields(how)}
    if twin_gap is not None:  # the check of `relu_kernel.check_hidden_relu`, passed
        record["evaluation"]["hand_written_twin_max_abs_diff"] = twin_gap
    if b.diverged_at is not None:
        record.update(status="diverged", diverged_at_epoch=b.diverged_at, final=None)
        return
    record.update(status="ok", final=values, calibration=table)
    record["test_outputs"] = encode_array(outputs)
    record["test_targets"] = encode_array(y_test)
    if b.probe_points:  # every probe image's (margin, |dL/dz|) at epoch 0 and at the end
        record["probe_points"] = {
            when: {k: encode_array(v) for k, v in points.items()} for when, points in b.probe_points.items()
        }
    if kind == "multiclass":
        record["output_sums"] = np.round(np.sum(b.head_outputs, axis=1), 6).tolist()
    encoded = encode_targets(y_test, b.pairing.target, b.pairing.units)
    # Keras's "accuracy" as a user's model.evaluate prints it: on the head's outputs.
    record.setdefault("keras", {})["accuracy"] = keras_view.keras_accuracy(encoded, b.head_outputs)


def untrained_output_shares(outputs):
    """The shares of test outputs a loss's domain is judged by, at epoch 0 (`record["untrained_outputs"]`):
    below 0, at most 0, above 1, and of the rows (images) whose outputs sum to at most 0; with the image count.
    `outputs`: (images, units) in the targets' units."""
    values = np.asarray(outputs, dtype="float64").reshape(len(outputs), -1)
    return {
        "images": int(len(values)),
        "below_0": float(np.mean(values < 0.0)),
        "at_most_0": float(np.mean(values <= 0.0)),
        "above_1": float(np.mean(values > 1.0)),
        "row_sum_at_most_0": float(np.mean(values.sum(axis=1) <= 0.0)),
    }
