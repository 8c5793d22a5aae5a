"""Training to watch live: per-run scalars for TensorBoard, written as each epoch ends (`sweep --tensorboard DIR`).

Each branch of a pack writes under `DIR/<task>/<run_id>`, so `tensorboard --logdir DIR` shows every
run as its own curve while the sweep trains: the training loss and metric, every test metric of the
record's history, and the probe's mean |dL/dz| at the output on its wrong and right images. The
directory reaches the worker processes through the environment (`TENSORBOARD_ENV`), not the config:
it changes no number and no run id. Off unless set.
"""

import os
import sys
from pathlib import Path

import tensorflow as tf

from experiments.config import TENSORBOARD_ENV


def folder():
    """The TensorBoard folder this process writes to, or None (off)."""
    return os.environ.get(TENSORBOARD_ENV) or None


class LiveView:
    """One `tf.summary` file writer per branch, or none when `folder()` is None."""

    def __init__(self, task, branches):
        root = folder()
        self.writers = (
            {}
            if root is None
            else {id(b): tf.summary.create_file_writer(str(Path(root) / task / b.record["run_id"])) for b in branches}
        )

    def epoch(self, branch, row):
        """Write `row` (a history entry of `branch`'s record) at its epoch, and flush: visible at once."""
        writer = self.writers.get(id(branch))
        if writer is None:
            return
        scalars = {"train/loss": row["train_loss"], "train/metric": row["train_metric"]}
        scalars |= {f"test/{k}": v for k, v in (row.get("test") or {}).items() if isinstance(v, int | float)}
        for key in ("grad_wrong", "grad_correct"):
            value = (row.get("probe") or {}).get(key)
            if value is not None:
                scalars[f"probe/{key}"] = value
        try:
            with writer.as_default():
                for name, value in scalars.items():
                    tf.summary.scalar(name, float(value), step=row["epoch"])
            writer.flush()
        except Exception as error:  # a full disk, a removed folder: the run goes on, its record is what counts
            print(f"note: TensorBoard writing stopped ({type(error).__name__}: {error})", file=sys.stderr)
            self.writers = {}

    def close(self):
        for writer in self.writers.values():
            writer.close()
