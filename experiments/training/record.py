"""A run's record as data: what it starts as, and which runs can share one graph.

A record holds the config, per-epoch history (epoch 0 is before any training), final
test metrics, status (`ok`, `diverged` at the epoch the loss stopped being finite, or
`error` with the message), timings, library versions and the data's fingerprint.
"""

import json

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
