"""A 10-second calibration for `sweep --dry-run --calibrate`, on a machine with no earlier runs.

It trains one pack of `CALIBRATION_TASK` (its seven pairings, the embedded subset) for `EPOCHS`
epochs in a separate process, as a sweep's worker does (one thread), so the driver never
imports TensorFlow. The median training time of the epochs after the first (which traces the
step) gives this machine's seconds per training image, epoch and branch for that task.

A task never run here is then estimated from its runs on another machine (the records shipped
in `results/`, say): its costs there (training and the rest of a pack's wall time), times this
machine's speed relative to that one on the calibration task.
"""

import json
import subprocess
import sys

CALIBRATION_TASK = "bird_plane"
EPOCHS = 4


def measure():
    """This machine's {"per_image_epoch", "seconds"} (of the calibration itself) for a `CALIBRATION_TASK` pack."""
    import time

    from experiments import config as cfg
    from experiments.data.cifar10 import preflight
    from experiments.pairings import task_pairings
    from experiments.training.pack import Pack
    from experiments.training.runner import run_pack

    started = time.perf_counter()
    configs = [
        cfg.resolve(CALIBRATION_TASK, p, 0, "full", {"epochs": EPOCHS}, {"data_source": "embedded"})
        for p in task_pairings(CALIBRATION_TASK)
    ]
    configs, _ = preflight(configs)
    # Each epoch's training time: from the end of the previous epoch's recording to this epoch's end.
    marks, end_epoch = [], Pack.end_epoch

    def timed(pack, epoch, logs):
        marks.append(time.perf_counter())
        try:
            return end_epoch(pack, epoch, logs)
        finally:
            marks.append(time.perf_counter())

    Pack.end_epoch = timed
    try:
        records = run_pack(configs)
    finally:
        Pack.end_epoch = end_epoch
    if any(r["status"] != "ok" for r in records):
        raise RuntimeError(f"calibration run failed: {records[0].get('error')}")
    steady = sorted(marks[2 * k] - marks[2 * k - 1] for k in range(1, EPOCHS))  # epochs 2..EPOCHS
    per_epoch = steady[len(steady) // 2]
    images = records[0]["data"]["train_examples"]
    return {"per_image_epoch": per_epoch / (images * len(configs)), "seconds": time.perf_counter() - started}


def calibrate():
    """`measure()` in a child process (the driver never imports TensorFlow); raises if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "experiments.sweep.calibrate"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"calibration failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    from experiments.training.speed.process import import_keras_quietly, prepare_training_process

    prepare_training_process(threads=1)  # as a sweep's worker trains
    import_keras_quietly()
    print(json.dumps(measure()))
