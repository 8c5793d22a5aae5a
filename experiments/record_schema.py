"""What a run record's `schema_version` means: its shape, as a JSON Schema (draft 2020-12).

One place defines the record; `experiments.records` checks every record it reads against it
with `schema_error`, so a record that lost a field, changed type or was cut short
is named as invalid instead of being counted as done or silently left out of a report.

Version 1 (the records of `results/full` and `results/quick`):
- identity: `run_id`, `task`, `pairing`, `seed`, `profile`, and the resolved `config`;
- outcome: `status` (`ok`, `diverged` or `error`), `history` (epoch 0 is before training),
  `final` (test metrics; an object for `ok`, null otherwise), `error` (the message, for `error`);
- provenance: `timing` (with `wall_s`), and, for a run that trained, `environment` and `data`.
Fields added later by analyses (`probe_points`, `layer_probe`, `test_outputs`, ...) are allowed
and not constrained here: the reader of each checks its own; `untrained_outputs` (shares the atlas prints)
is constrained: each share in [0, 1].
"""

import functools

SCHEMA_VERSION = 1

_NUMBER_OR_NULL = {"type": ["number", "null"]}
_NON_NEGATIVE_INT = {"type": "integer", "minimum": 0}
_SHARE = {"type": "number", "minimum": 0, "maximum": 1}
# What the loss was first fed (`training.record.untrained_output_shares`): the atlas prints these as percentages.
_UNTRAINED_OUTPUTS = {
    "type": "object",
    "required": ["images", "below_0", "at_most_0", "above_1", "row_sum_at_most_0"],
    "properties": {
        "images": {"type": "integer", "minimum": 1},
        "below_0": _SHARE,
        "at_most_0": _SHARE,
        "above_1": _SHARE,
        "row_sum_at_most_0": _SHARE,
    },
}

RECORD_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "winner-takes-all run record",
    "type": "object",
    "required": ["schema_version", "run_id", "task", "pairing", "seed", "profile", "config", "status", "history"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "untrained_outputs": _UNTRAINED_OUTPUTS,
        "run_id": {"type": "string", "pattern": r"^[^/\\]+__[^/\\]+__s[0-9]+__[0-9a-f]{8}$"},
        "task": {"type": "string", "minLength": 1},
        "pairing": {"type": "string", "minLength": 1},
        "seed": _NON_NEGATIVE_INT,
        "profile": {"type": "string", "minLength": 1},
        "config": {
            "type": "object",
            "required": ["task", "pairing", "seed", "profile", "epochs", "batch_size", "data"],
            "properties": {
                "epochs": {"type": "integer", "minimum": 1},
                "batch_size": {"type": "integer", "minimum": 1},
                "seed": _NON_NEGATIVE_INT,
                "data": {"type": "object"},
            },
        },
        "status": {"enum": ["ok", "diverged", "error"]},
        "history": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["epoch", "train_loss"],
                "properties": {"epoch": _NON_NEGATIVE_INT, "train_loss": _NUMBER_OR_NULL},
            },
        },
        "final": {"type": ["object", "null"], "additionalProperties": _NUMBER_OR_NULL},
        "error": {"type": "string"},
        "timing": {"type": "object", "required": ["wall_s"], "properties": {"wall_s": {"type": "number"}}},
        "environment": {"type": "object"},
        "data": {"type": "object"},
    },
    "allOf": [
        {  # a finished run trained: its history, test metrics and provenance are there
            "if": {"properties": {"status": {"const": "ok"}}},
            "then": {
                "required": ["final", "timing", "environment", "data", "pairing_spec"],
                "properties": {
                    "final": {"type": "object", "minProperties": 1},
                    # every epoch's test metrics: the learning curves and the report read them
                    "history": {
                        "minItems": 1,
                        "items": {"required": ["test"], "properties": {"test": {"type": "object"}}},
                    },
                    "timing": {"required": ["wall_s", "finished_at"]},
                    "environment": {"type": "object", "minProperties": 1},
                    "data": {"type": "object", "required": ["source", "fingerprint"]},
                    "pairing_spec": {"type": "object", "required": ["activation", "units", "loss", "target"]},
                },
            },
        },
        {
            "if": {"properties": {"status": {"const": "diverged"}}},
            "then": {"required": ["diverged_at_epoch"]},
        },
        {"if": {"properties": {"status": {"const": "error"}}}, "then": {"required": ["error"]}},
    ],
}


@functools.cache
def _fast_check():
    """`RECORD_SCHEMA` compiled to Python by `fastjsonschema` (as draft 7, whose keywords it uses the same way):
    about 10 times faster than `jsonschema` on a record that matches. It only lets a record through; a record it
    refuses is judged, and its reason worded, by `jsonschema`, the reference, so the two cannot disagree on what is
    refused (`test_record_safety` checks that every record the fast check accepts, `jsonschema` accepts)."""
    import fastjsonschema

    return fastjsonschema.compile(RECORD_SCHEMA)


@functools.cache
def _reference():
    import jsonschema

    return jsonschema.Draft202012Validator(RECORD_SCHEMA)


def schema_error(record):
    """What makes `record` (a parsed JSON value) not match `RECORD_SCHEMA`, in one line ("where: what", at most
    300 characters), or "" where it matches."""
    try:
        _fast_check()(record)
        return ""
    except Exception:  # fastjsonschema's refusal, or anything it cannot judge: the reference decides
        import jsonschema

        error = jsonschema.exceptions.best_match(_reference().iter_errors(record))
    if error is None:
        return ""
    where = "/".join(str(p) for p in error.absolute_path) or "the record"
    return f"{where}: {error.message}"[:300]
