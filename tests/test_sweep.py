"""Sweeps: resumable, safe under SIGKILL and under two sweeps at once, on processes or Ray."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from experiments import records
from experiments.sweep import plan, sweep

GRID = ["--tasks", "sepal_width", "--profile", "smoke", "--seeds", "0", "1", "2"]


def _sweep_cmd(results, *extra):
    return [sys.executable, "-m", "experiments", "sweep", *GRID, "--results", str(results), *extra]


def _records(results):
    return sorted(Path(results).glob("runs/*/*.json"))


def _assert_whole_grid(results, expected):
    paths = _records(results)
    assert len(paths) == expected
    run_ids = [records.read(p)["run_id"] for p in paths]
    assert len(set(run_ids)) == expected
    assert all(records.read(p)["status"] == "ok" for p in paths)
    assert not list(Path(results).glob("runs/*/*.tmp"))


def test_sweep_runs_the_grid_once_and_a_second_sweep_does_no_work(tmp_path):
    configs = plan("smoke", tasks=["sepal_width"], pairings=["linear+mse", "sigmoid+mse"], seeds=[0, 1])
    assert len(configs) == 4
    first = sweep(configs, str(tmp_path), workers=2)
    assert first.statuses == {"ok": 4, "diverged": 0, "error": 0}
    _assert_whole_grid(tmp_path, 4)
    mtimes = {p: p.stat().st_mtime_ns for p in _records(tmp_path)}
    second = sweep(configs, str(tmp_path), workers=2)
    assert second.finished == 0 and second.done_before == 4
    assert mtimes == {p: p.stat().st_mtime_ns for p in _records(tmp_path)}


def test_a_diverged_run_does_not_stop_the_sweep(tmp_path):
    configs = plan("smoke", tasks=["sepal_width"], pairings=["linear+mse"], seeds=[0], overrides={"learning_rate": 1e30})
    configs += plan("smoke", tasks=["sepal_width"], pairings=["linear+mae"], seeds=[0])
    tally = sweep(configs, str(tmp_path), workers=1)
    assert tally.statuses == {"ok": 1, "diverged": 1, "error": 0}


def test_sigkill_at_any_moment_then_resume_completes_the_grid(tmp_path):
    cmd = _sweep_cmd(tmp_path, "--workers", "2", "--epochs", "25")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while len(_records(tmp_path)) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p: p.stat().st_mtime_ns for p in _records(tmp_path)}
    assert 2 <= len(before) < 12, "the kill should land mid-sweep"
    assert all(records.read(p) is not None for p in before)

    resumed = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    _assert_whole_grid(tmp_path, 12)
    # Records written before the kill were kept, not redone.
    assert before == {p: p.stat().st_mtime_ns for p in before}
    assert f"{len(before)} already done, {12 - len(before)} run now" in resumed.stderr


def test_two_sweeps_at_once_share_the_grid_without_running_a_run_twice(tmp_path):
    cmd = _sweep_cmd(tmp_path, "--workers", "1", "--epochs", "8")
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=600)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    ran = [int(re.search(r"(\d+) run now", out).group(1)) for out in outputs]
    # A run one sweep found locked was being run by the other, which finished it.
    assert sum(ran) == 12
    finished_lines = [line for out in outputs for line in out.splitlines() if re.search(r"\bok\s+sepal_width/", line)]
    names = [re.search(r"sepal_width/\S+", line).group(0) for line in finished_lines]
    assert len(names) == len(set(names)) == 12
    _assert_whole_grid(tmp_path, 12)


def test_ray_executor_on_a_local_instance(tmp_path):
    pytest.importorskip("ray")
    configs = plan("smoke", tasks=["sepal_width"], pairings=["linear+mse", "linear+mae"], seeds=[0])
    tally = sweep(configs, str(tmp_path), workers=2, executor="ray")
    assert tally.statuses["ok"] == 2, tally.statuses
    _assert_whole_grid(tmp_path, 2)
    local = tmp_path / "local"
    sweep(configs, str(local), workers=1)
    ray_records = {records.read(p)["run_id"]: records.read(p) for p in Path(tmp_path).glob("runs/*/*.json")}
    local_records = {records.read(p)["run_id"]: records.read(p) for p in local.glob("runs/*/*.json")}
    assert ray_records.keys() == local_records.keys()
    for run_id in ray_records:
        assert ray_records[run_id]["history"] == local_records[run_id]["history"]


def test_unknown_pairing_in_a_sweep_names_the_valid_ones():
    with pytest.raises(ValueError, match="Unknown pairing\\(s\\) softmax\\+bce .* valid: .*linear\\+mse"):
        plan("smoke", tasks=["sepal_width"], pairings=["softmax+bce"])


def test_records_are_written_atomically(tmp_path):
    path = tmp_path / "runs" / "t" / "r.json"
    records.write_atomic(path, {"status": "ok", "value": float("nan")})
    assert json.loads(path.read_text()) == {"status": "ok", "value": None}
    assert records.read(tmp_path / "missing.json") is None
    (tmp_path / "half.json").write_text('{"status": "o')
    assert records.read(tmp_path / "half.json") is None


def test_a_worker_ends_without_teardown_but_with_its_output_flushed():
    code = (
        "import atexit, sys\n"
        "from experiments.sweep import _exit_now\n"
        "atexit.register(lambda: print('teardown ran'))\n"  # registered before: must not run
        "atexit.register(_exit_now)\n"
        "sys.stdout.write('buffered, no newline')\n"
        "sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "buffered, no newline")
