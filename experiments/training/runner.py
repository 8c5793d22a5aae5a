"""Train runs from their resolved configs and return their records (see `record.py`).

Runs are deterministic given their seed on the same machine and library versions.

Packing: runs of one task and seed that differ only in their pairing train together
as branches of one Keras graph on the same input batches (`branches.py`). The total loss
is the sum of the branch losses, so each branch gets exactly the gradients it gets
alone, and Adam's state is per weight; each branch is initialised from the seed as it
is alone, and the batch order is the seed's. A packed run's record therefore holds the
same numbers as the run trained alone (the tests check this); it names its pack mates.
"""

import datetime
import time
import traceback

from experiments.training.record import new_record, pack_key


def run(config, verbose=False):
    """Train the run described by `config` (from `experiments.config.resolve`); return its record."""
    return run_pack([config], verbose)[0]


def run_pack(configs, verbose=False):
    """Train runs that differ only in their pairing in one graph; return their records in order."""
    if len({pack_key(c) for c in configs}) != 1:
        raise ValueError("A pack holds runs of one task and seed that differ only in their pairing.")
    from experiments.tasks import TASKS

    if configs[0]["task"] not in TASKS:  # a user's task, in a worker that was not told of its task file
        from experiments.tasks import task_file

        task_file.register_from_records(configs)
    started = time.perf_counter()
    recs = [new_record(c) for c in configs]
    try:
        from experiments.training.pack import Pack  # Keras and TensorFlow load here, inside the try
        from experiments.training.speed import relu_kernel

        try:
            Pack(configs, recs).train(verbose)
        except relu_kernel.HiddenReluMismatch as mismatch:  # this machine's fused Relu: train with the hand-written
            relu_kernel.disable(f"TensorFlow's Relu was turned off in this process ({mismatch})")
            recs = [new_record(c) for c in configs]
            Pack(configs, recs).train(verbose)
    except Exception as error:  # the sweep goes on; the records say what went wrong
        for record in recs:
            record["status"] = "error"
            record["error"] = f"{type(error).__name__}: {error}"
            record["traceback"] = traceback.format_exc(limit=8)
    finished = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    for record in recs:
        record["timing"] = {
            **record.get("timing", {}),
            "wall_s": time.perf_counter() - started,
            "finished_at": finished,
        }
    return recs


def untrained_test_outputs(config):
    """The raw test outputs (n, units) of the run `config` at epoch 0: its model built from its seed, untrained."""
    from experiments.training.pack import Pack

    return Pack([config], [new_record(config)]).untrained_test_outputs()[0]
