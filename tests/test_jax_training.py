"""The experiments train on the JAX backend too: a short packed sweep on the embedded subset."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.training.speed.process import SPEED_LAYER


@pytest.mark.slow
def test_a_packed_sweep_on_jax_writes_valid_records_and_learns(tmp_path):
    cmd = [sys.executable, "-m", "experiments", "sweep", "--profile", "quick", "--tasks", "bird_plane"]
    cmd += ["--pairings", "sigmoid+bce", "sigmoid+mse", "linear+bce", "--seeds", "0", "--epochs", "5"]
    cmd += ["--data-source", "embedded", "--results", str(tmp_path)]
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    recs = [json.loads(p.read_text()) for p in sorted(Path(tmp_path).glob("runs/*/*.json"))]
    assert len(recs) == 3 and all(r["status"] == "ok" for r in recs)
    for r in recs:
        assert r["environment"]["backend"] == "jax" and r["environment"]["speed_layer"] == SPEED_LAYER["jax"]
        assert r["environment"]["onednn"] is None and len(r["packed_with"]) == 2  # trained as one pack of three
        assert len(r["history"]) == 6 and "probe" in r["history"][-1]  # the gradient probe runs on JAX too
        assert r["final"]["accuracy"] > 0.70, (r["pairing"], r["final"]["accuracy"])
