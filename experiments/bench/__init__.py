"""`python -m experiments bench`: the suite's sweep against the plain model.fit loop.

One grid (bird_plane x its 7 pairings x N seeds, E epochs, batch 32, Adam), measured three ways
on the same machine in one invocation:
- the machine's float32 matrix-product rate (NumPy), to state utilisation;
- the plain loop, as the post does it: each run built and fitted one after another with
  `model.fit` on float32 NumPy arrays, Keras's built-in activations and losses, with the same
  kernels as the sweep (oneDNN on or off as the sweep's workers have it): the headline ratio
  compares like with like, so it measures what the suite's own work (packing, one worker per
  core, tracing once) gives;
- on its own line, the oneDNN on/off gap of the plain loop (the first seed's 7 runs with the
  other setting), with the CPU's flags and whether TensorFlow turns oneDNN on by itself here;
- the suite's sweep with its default settings (`python -m experiments sweep`), twice: once
  before the plain loop and once after it, so that a change in the host's load during the
  bench shows up as a difference between the two rather than as a one-sided ratio. The
  ratio uses their mean wall time; each sweep's own ratio is reported too. The two sweeps'
  records must be identical (runs are deterministic), which the bench checks.
Each side runs in its own process; wall time, images/s and peak resident memory per
process are measured from outside. The test accuracies of both sides are compared to
check that the speed-up does not change the results beyond seed-to-seed noise.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from experiments.bench.measure import run_measured
from experiments.pairings import PAIRINGS as PAIRINGS_BY_TASK

TASK = "bird_plane"
# The bench's grid stays the 7 pairings its recorded figures were measured on (the task's grid has grown since).
PAIRINGS = tuple(PAIRINGS_BY_TASK[TASK])[:7]


def plain_loop_env(env, onednn):
    """`env` with TF_ENABLE_ONEDNN_OPTS set to `onednn`, or removed (TensorFlow's default) for None."""
    env = {k: v for k, v in env.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    if onednn is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = onednn
    return env


def _plain_loop(seeds, epochs, archive, env, onednn):
    """Run the plain loop in its own process, with oneDNN as `plain_loop_env` sets it."""
    env = plain_loop_env(env, onednn)
    cmd = [
        sys.executable,
        "-m",
        "experiments.bench.plain_loop",
        TASK,
        ",".join(PAIRINGS),
        ",".join(map(str, seeds)),
        str(epochs),
        str(archive or ""),
    ]
    stdout, wall, peak_mib, _ = run_measured(cmd, env)
    return json.loads(stdout.split("BENCH ", 1)[1]), wall, peak_mib


def _sweep(seeds, epochs, env):
    """One `python -m experiments sweep` of the bench's grid into a scratch folder: its wall
    time, peak memory per process, process count and the records' results by run id."""
    with tempfile.TemporaryDirectory() as results:
        cmd = [
            sys.executable,
            "-m",
            "experiments",
            "sweep",
            "--tasks",
            TASK,
            "--pairings",
            *PAIRINGS,
            "--seeds",
            *map(str, seeds),
            "--epochs",
            str(epochs),
            "--results",
            results,
            # The plain loop measures nothing per epoch; the sweep's gradient probe is left off here
            # (docs/performance.md gives its cost), its per-epoch test evaluation is not.
            "--set",
            "probe=false",
        ]
        _, wall, peak_mib, processes = run_measured(cmd, env)
        recs = [json.loads(p.read_text()) for p in Path(results).glob("runs/*/*.json")]
    results_by_run = {r["run_id"]: {k: r.get(k) for k in ("status", "history", "final")} for r in recs}
    # True / False on TensorFlow, None on JAX (XLA's kernels); "mixed" would not be like for like.
    settings = {r["environment"].get("onednn") for r in recs}
    onednn = settings.pop() if len(settings) == 1 else "mixed"
    return {"wall_s": wall, "peak_mib": peak_mib, "processes": processes, "records": results_by_run, "onednn": onednn}


def _timed_sweep(when, seeds, epochs, env, images):
    """One bench sweep, with its line printed."""
    result = _sweep(seeds, epochs, env)
    print(f"  sweep, {when} {images / result['wall_s']:8.0f} images/s ({result['wall_s']:.1f} s wall)", flush=True)
    return result


def _first_seed_fit_s(plain, seed):
    """`model.fit` seconds of one seed's runs in a plain loop's output."""
    return sum(r["fit_s"] for r in plain["runs"] if r["seed"] == seed)


def _summary(values):
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0, "n": int(len(v))}


CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_tile")


def cpu_flags():
    """The CPU's vector-instruction flags that decide oneDNN's kernels (Linux; empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return [f for f in CPU_FLAGS if f in flags]


# What the backend trains on, asked of a fresh process with the bench's environment: "GPU" devices first.
DEVICE_CODE = {
    "tensorflow": "import tensorflow as tf; kinds = {d.device_type for d in tf.config.list_physical_devices()}; "
    "print(' '.join(sorted(kinds, key=lambda t: t != 'GPU')) or 'CPU')",
    "jax": "import jax; print(' '.join(sorted({d.platform.upper() for d in jax.devices()})))",
}


def training_devices(env, backend):
    """The device types the backend sees ("GPU CPU", "CPU"); the backend's first one is what a run trains on."""
    done = subprocess.run([sys.executable, "-c", DEVICE_CODE[backend]], env=env, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else "unknown"


def tensorflow_default_onednn(env):
    """Whether TensorFlow turns oneDNN on by itself on this CPU (asked of a fresh process)."""
    code = "from tensorflow.python.util import _pywrap_util_port as p; print(int(p.IsMklEnabled()))"
    done = subprocess.run([sys.executable, "-c", code], env=plain_loop_env(env, None), capture_output=True, text=True)
    return done.stdout.strip().endswith("1")
