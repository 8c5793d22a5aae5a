"""The benchmark's own arithmetic and settings (the benchmark itself is run by hand: see the README)."""

import pytest

from experiments import bench
from experiments.bench import measure
from experiments.tasks import get_task


def test_training_flops_count_every_conv_and_dense_multiply_add():
    model = get_task("bird_plane").build_model()
    macs = 32 * 32 * 8 * (3 * 3 * 3) + 16 * 16 * 8 * (3 * 3 * 8) + (8 * 8 * 8) * 32 + 32 * 1
    assert measure.training_flops_per_image(model) == 3 * 2 * macs == 2_310_336


def test_plain_loop_env_sets_the_onednn_setting_or_leaves_it_to_tensorflow():
    env = {"PATH": "/bin", "TF_ENABLE_ONEDNN_OPTS": "1"}  # as the suite sets it for itself
    assert bench.plain_loop_env(env, None) == {"PATH": "/bin"}
    assert bench.plain_loop_env(env, "0")["TF_ENABLE_ONEDNN_OPTS"] == "0"
    assert bench.plain_loop_env({"PATH": "/bin"}, "1")["TF_ENABLE_ONEDNN_OPTS"] == "1"
    assert env["TF_ENABLE_ONEDNN_OPTS"] == "1"  # the caller's mapping is left as it was


def test_matmul_rate_is_flops_over_the_best_time(monkeypatch):
    times = iter([0.0, 0.5, 1.0, 1.25, 2.0, 3.0])  # three timed products: 0.5 s, 0.25 s, 1.0 s
    monkeypatch.setattr(measure.time, "perf_counter", lambda: next(times))
    assert measure.matmul_gflops(n=100, repeats=3) == pytest.approx(2 * 100**3 / 0.25 / 1e9)


def test_matmul_rate_is_plausible_for_a_cpu():
    assert 0.5 < measure.matmul_gflops(n=256, repeats=2) < 100_000


@pytest.mark.slow
def test_the_bench_compares_like_with_like_and_prints_the_onednn_gap(tmp_path):
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "experiments", "bench", "--epochs", "1", "--seeds", "1", "--results", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "ratio sweep / plain loop, like for like (oneDNN on on both sides)" in done.stdout
    assert "oneDNN on/off gap of the plain loop" in done.stdout and "TensorFlow's own default here" in done.stdout
    result = json.loads((tmp_path / "bench" / "latest.json").read_text())
    assert (
        result["like_for_like"] is True and result["plain_loop"]["onednn"] is True and result["sweep"]["onednn"] is True
    )
    assert result["onednn_gap"]["ratio"] > 0 and result["sweep"]["records_identical_in_both"]


@pytest.mark.slow
def test_the_bench_runs_both_sides_on_jax_when_asked(tmp_path):
    import json
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "experiments", "bench", "--backend", "jax", "--epochs", "1", "--seeds", "1"]
    done = subprocess.run([*cmd, "--results", str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert "bench (jax backend)" in done.stdout and "like for like (XLA on both sides)" in done.stdout
    result = json.loads((tmp_path / "bench" / "latest-jax.json").read_text())
    assert result["backend"] == "jax" and result["like_for_like"] and result["onednn_gap"]["ratio"] is None
    assert result["sweep"]["records_identical_in_both"] and result["sweep"]["runs_ok"] == 7


def test_the_bench_names_the_device_it_trains_on():
    import os

    from experiments.bench import training_devices

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    found = training_devices(env, "tensorflow").split()
    assert "CPU" in found and found[0] in ("GPU", "CPU")  # a GPU, where there is one, is named first
