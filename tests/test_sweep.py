"""Sweeps: resumable, safe under SIGKILL and under two sweeps at once, on processes or Ray."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from experiments import atomic_files, records, run_lock
from experiments import config as cfg
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
    configs = plan(
        "smoke", tasks=["sepal_width"], pairings=["linear+mse"], seeds=[0], overrides={"learning_rate": 1e30}
    )
    configs += plan("smoke", tasks=["sepal_width"], pairings=["linear+mae"], seeds=[0])
    tally = sweep(configs, str(tmp_path), workers=1)
    assert tally.statuses == {"ok": 1, "diverged": 1, "error": 0}


# The sweep's driver, with its record writes slowed between the write and the rename, and a
# marker file touched there: a SIGKILL after the marker lands inside `write_atomic`.
SLOW_WRITE_SWEEP = """
import os, sys, time
from pathlib import Path
from experiments import config as cfg
from experiments import records
marker, pause = Path(sys.argv[1]), float(sys.argv[2])
real_fsync = os.fsync
def slow_fsync(fd):
    real_fsync(fd)
    marker.touch()
    time.sleep(pause)
records.os.fsync = slow_fsync
from experiments.cli import main
sys.exit(main(sys.argv[3:]))
"""


def _workers_of(proc):
    """The sweep's live worker processes. A child that exits while we look (a zombie, or gone) is no worker."""
    import psutil

    workers = []
    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                workers.append(child)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue
    return workers


def _kill_and_check(proc, results):
    """SIGKILL the sweep; its workers must exit by themselves and every record left must be whole."""
    import psutil

    workers = _workers_of(proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    _, alive = psutil.wait_procs(workers, timeout=10)

    # A zombie has exited (it waits only for this VM's init to reap it, which can lag on a loaded machine).
    def still_running(p):
        try:
            return p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    running = [p for p in alive if still_running(p)]
    assert not running, f"orphaned workers still running: {running}"
    assert all(records.read(p) is not None for p in _records(results))


def _wait_for(condition, proc, seconds=240):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert condition(), "the sweep ended or stalled before the moment to kill it"


@pytest.mark.slow
def test_sigkill_at_many_moments_then_resume_completes_the_grid(tmp_path):
    results = tmp_path / "results"
    cmd = _sweep_cmd(results, "--workers", "2", "--epochs", "25")

    # 1. Inside a record's write: a temporary file is left behind, and no half-written record.
    marker = tmp_path / "writing"
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITE_SWEEP, str(marker), "3", *cmd[3:]],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for(marker.exists, proc)
    _kill_and_check(proc, results)
    assert list(Path(results).glob("runs/*/.*.tmp")), "the kill should land between the write and the rename"

    # 2. At seeded random moments.
    rng = np.random.default_rng(20261123)
    for delay in rng.uniform(2.0, 8.0, size=3):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            _kill_and_check(proc, results)

    before = {p: p.stat().st_mtime_ns for p in _records(results)}
    assert len(before) < 12, "the kills should land mid-sweep"
    resumed = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    _assert_whole_grid(results, 12)  # also: no temporary file left
    # Records written before the kills were kept, not redone.
    assert before == {p: p.stat().st_mtime_ns for p in before}
    assert f"{len(before)} already done, {12 - len(before)} run now" in resumed.stderr


@pytest.mark.slow
def test_a_worker_killed_mid_pack_is_retried_and_each_record_written_once(tmp_path):
    proc = subprocess.Popen(
        _sweep_cmd(tmp_path, "--workers", "1", "--epochs", "40"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(lambda: len(_records(tmp_path)) >= 4, proc)  # the first pack is written: the worker is in the second
    victim = _workers_of(proc)[0]
    victim.kill()
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    _assert_whole_grid(tmp_path, 12)
    finished = re.findall(r"\bok\s+(sepal_width/\S+)", stderr)
    assert len(finished) == len(set(finished)) == 12, finished


def test_an_error_record_is_run_again_and_a_diverged_one_is_not(tmp_path):
    from experiments import config as cfg
    from experiments.training.record import new_record

    configs = plan("smoke", tasks=["sepal_width"], pairings=["linear+mse", "linear+mae"], seeds=[0])
    errored, diverged = configs
    records.write_atomic(
        records.record_path(tmp_path, cfg.run_id(errored), "sepal_width"),
        {**new_record(errored), "error": "OSError: disk full"},
    )
    diverged_path = records.record_path(tmp_path, cfg.run_id(diverged), "sepal_width")
    records.write_atomic(diverged_path, {**new_record(diverged), "status": "diverged", "diverged_at_epoch": 1})
    tally = sweep(configs, str(tmp_path), workers=1)
    assert (tally.finished, tally.done_before) == (1, 1)
    assert records.read(records.record_path(tmp_path, cfg.run_id(errored), "sepal_width"))["status"] == "ok"
    assert records.read(diverged_path)["status"] == "diverged"


def test_a_stale_temporary_file_is_removed_by_the_next_sweep(tmp_path):
    from experiments import config as cfg

    (config,) = plan("smoke", tasks=["sepal_width"], pairings=["linear+mse"], seeds=[0])
    path = records.record_path(tmp_path, cfg.run_id(config), "sepal_width")
    path.parent.mkdir(parents=True)
    stale = path.parent / f".{path.stem}.abc123.tmp"
    stale.write_text('{"status": "o')
    other = path.parent / ".another_run.abc123.tmp"  # not this sweep's run: left alone
    other.write_text("{")
    sweep([config], str(tmp_path), workers=1)
    assert not stale.exists() and other.exists()
    assert records.read(path)["status"] == "ok"


@pytest.mark.slow
def test_two_sweeps_at_once_share_the_grid_without_running_a_run_twice(tmp_path):
    cmd = _sweep_cmd(tmp_path, "--workers", "1", "--epochs", "8")
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=600)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    ran = [int(re.search(r"(\d+) run now", out).group(1)) for out in outputs]
    busy = [int(re.search(r"(\d+) running in another sweep", out).group(1)) for out in outputs]
    # Both sweeps worked, and at least one found a run the other was running.
    assert sum(ran) == 12 and min(ran) > 0, ran
    assert sum(busy) > 0, busy
    finished_lines = [line for out in outputs for line in out.splitlines() if re.search(r"\bok\s+sepal_width/", line)]
    names = [re.search(r"sepal_width/\S+", line).group(0) for line in finished_lines]
    assert len(names) == len(set(names)) == 12
    _assert_whole_grid(tmp_path, 12)


@pytest.mark.slow
def test_ray_executor_on_a_local_instance(tmp_path):
    # No skip when ray is missing: the `test` extra installs it, so its absence is a failure.
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
    with pytest.raises(
        ValueError, match="Unknown pairing for sepal_width 'softmax'; name one of linear\\+mse, .*compose"
    ):
        plan("smoke", tasks=["sepal_width"], pairings=["softmax"])
    with pytest.raises(ValueError, match="sparse_cce takes one class id per example"):
        plan("smoke", tasks=["sepal_width"], pairings=["softmax+sparse_cce"])


def test_records_are_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "runs" / "t" / "r.json"
    records.write_atomic(path, {"status": "ok", "value": float("nan")})
    assert json.loads(path.read_text()) == {"status": "ok", "value": None}
    assert path.stat().st_mode & 0o777 == 0o666 & ~atomic_files.UMASK  # an ordinary file, readable by others
    assert records.read(tmp_path / "missing.json") is None
    (tmp_path / "half.json").write_text('{"status": "o')
    with pytest.raises(records.InvalidRecordError, match="half.json: invalid record \\(not JSON"):
        records.read(tmp_path / "half.json")

    # A write that fails half-way leaves the old record whole and no temporary file.
    def fail_midway(obj, f, **kwargs):
        f.write('{"status": "err')
        f.flush()
        raise OSError("disk full")

    monkeypatch.setattr(records.json, "dump", fail_midway)
    with pytest.raises(OSError, match="disk full"):
        records.write_atomic(path, {"status": "error"})
    assert json.loads(path.read_text()) == {"status": "ok", "value": None}
    assert sorted(p.name for p in path.parent.iterdir()) == ["r.json"]

    # The new record is whole in its temporary file before it is renamed over the old one.
    monkeypatch.undo()
    seen = []
    real_replace = os.replace

    def replace(src, dst):
        seen.append((Path(src).name, json.loads(Path(src).read_text()), json.loads(Path(dst).read_text())))
        real_replace(src, dst)

    monkeypatch.setattr(records.os, "replace", replace)
    records.write_atomic(path, {"status": "diverged"})
    ((tmp_name, new, old),) = seen
    assert tmp_name.startswith(".r.") and tmp_name.endswith(".tmp")
    assert (new, old) == ({"status": "diverged"}, {"status": "ok", "value": None})
    assert json.loads(path.read_text()) == {"status": "diverged"}


def test_a_worker_ends_without_teardown_but_with_its_output_flushed():
    code = (
        "import atexit, sys\n"
        "from experiments.training.speed.process import exit_now as _exit_now\n"
        "atexit.register(lambda: print('teardown ran'))\n"  # registered before: must not run
        "atexit.register(_exit_now)\n"
        "sys.stdout.write('buffered, no newline')\n"
        "sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "buffered, no newline")


class _FakeRay:
    """Just enough of `ray` for the executor's own logic: tasks run at once; `wait` can fail."""

    def __init__(self, fail_after):
        self.fail_after, self.waits, self.remote_options, self.cancelled, self.shut_down = (
            fail_after,
            0,
            None,
            [],
            False,
        )
        self.puts, self.submitted = [], []

    def put(self, value):
        self.puts.append(value)
        return ("object", len(self.puts) - 1)

    def init(self, **kwargs):
        pass

    def cluster_resources(self):
        return {"CPU": 2}

    def remote(self, **options):
        self.remote_options = options

        def wrap(fn):
            class Remote:
                @staticmethod
                def remote(configs, split=None):
                    self.submitted.append(split)
                    return ("ref", tuple(cfg.run_id(c) for c in configs))

            return Remote

        return wrap

    def wait(self, refs, num_returns):
        self.waits += 1
        if self.waits > self.fail_after:
            raise ConnectionError("lost the Ray cluster")
        return refs[:1], refs[1:]

    def get(self, ref):
        from experiments.training.record import new_record

        by_id = {cfg.run_id(c): c for c in self._configs}
        finished = {  # what a finished run's record must hold (experiments.record_schema)
            "status": "ok",
            "history": [{"epoch": 0, "train_loss": 1.0, "test": {"mse": 1.0}}],
            "final": {"mse": 1.0},
            "timing": {"wall_s": 0.0, "finished_at": "2026-01-01T00:00:00+00:00"},
            "environment": {"platform": "fake"},
            "data": {"source": "fake", "fingerprint": "0" * 16},
        }
        from experiments.pairings import get_pairing

        return [
            {
                **new_record(by_id[run_id]),
                **finished,
                # one row per epoch and epoch 0, as a run that trained writes them
                "history": [
                    {"epoch": e, "train_loss": 1.0, "test": {"mse": 1.0}} for e in range(by_id[run_id]["epochs"] + 1)
                ],
                "pairing_spec": get_pairing(by_id[run_id]["task"], by_id[run_id]["pairing"]).spec(),
            }
            for run_id in ref[1]
        ]

    def cancel(self, ref, force):
        self.cancelled.append(ref)

    def shutdown(self):
        self.shut_down = True


def test_ray_executor_releases_every_lock_when_the_cluster_is_lost(tmp_path, monkeypatch):
    from experiments.sweep.local import MAX_ATTEMPTS

    configs = plan("smoke", tasks=["sepal_width"], seeds=[0, 1, 2])
    fake = _FakeRay(fail_after=1)
    fake._configs = configs
    monkeypatch.setitem(sys.modules, "ray", fake)
    taken, try_lock = [], run_lock.try_lock
    # Keep every lock object alive, so that only an explicit release (not garbage collection) frees it.
    monkeypatch.setattr(run_lock, "try_lock", lambda path: taken.append(try_lock(path)) or taken[-1])
    with pytest.raises(ConnectionError, match="lost the Ray cluster"):
        sweep(configs, str(tmp_path), executor="ray", pack_size=4)
    # Ray retries a task whose worker dies. Seed 0's pack finished; seeds 1 and 2 were in flight.
    assert fake.remote_options == {"num_cpus": 1, "max_retries": MAX_ATTEMPTS - 1}
    assert len(fake.cancelled) == 2 and fake.shut_down
    written = [records.read(p) for p in _records(tmp_path)]
    assert len(written) == 4 and all(r["seed"] == 0 for r in written)
    assert len(taken) == 12
    for config in configs:  # no lock is left held: the next sweep can take every run
        lock = try_lock(records.record_path(tmp_path, cfg.run_id(config), "sepal_width"))
        assert lock is not None
        lock.release()


@pytest.mark.parametrize(
    "error, auth_mode, hint",
    [
        (ConnectionError("Failed to connect to Ray cluster at 10.0.0.5:6391"), "token", "no Ray cluster answers"),
        # Ray reports a refused token only in a log line, so a driver without token auth is told of both causes.
        (ConnectionError("Failed to connect to Ray cluster at 10.0.0.5:6391"), None, "RAY_AUTH_MODE=token"),
        (RuntimeError("InvalidAuthToken: the token was refused"), "token", "refused this driver's authentication"),
        (RuntimeError("Version mismatch: the cluster runs Ray 2.59.0"), None, "Ray or Python version differs"),
    ],
)
def test_a_cluster_that_cannot_be_joined_stops_the_sweep_with_one_line_and_claims_nothing(
    tmp_path, monkeypatch, capsys, error, auth_mode, hint
):
    from experiments.cli import main

    if auth_mode:
        monkeypatch.setenv("RAY_AUTH_MODE", auth_mode)
    else:
        monkeypatch.delenv("RAY_AUTH_MODE", raising=False)

    class Refusing(_FakeRay):
        def init(self, **kwargs):
            raise error

    monkeypatch.setitem(sys.modules, "ray", Refusing(fail_after=0))
    monkeypatch.setattr("experiments.sweep.ray_cluster.check_reachable", lambda address, timeout=None: None)
    argv = ["sweep", *GRID, "--results", str(tmp_path / "r"), "--executor", "ray", "--address", "127.0.0.1:6391"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "runs," not in err  # stopped before the progress bar: nothing was planned to run
    (line,) = [x for x in err.splitlines() if x.startswith("error:")]
    assert "cannot join the Ray cluster at 127.0.0.1:6391" in line and hint in line
    assert not list(tmp_path.glob("r/runs/*/*"))  # no run claimed (no lock), none written


def test_ray_executor_puts_each_cifar10_data_set_in_the_object_store_once(tmp_path, monkeypatch):
    from experiments.data import cifar10
    from tests.fake_cifar import write_archive

    archive = tmp_path / "cifar.tar.gz"
    write_archive(archive)
    grid = plan(
        "smoke", ["bird_plane", "cifar10", "sepal_width"], seeds=[0, 1], data_options={"cifar10_archive": str(archive)}
    )
    configs, _ = cifar10.preflight(grid)
    fake = _FakeRay(fail_after=10**6)
    fake._configs = configs
    monkeypatch.setitem(sys.modules, "ray", fake)
    tally = sweep(configs, str(tmp_path / "r"), executor="ray", pack_size=4)
    assert tally.statuses["ok"] == len(configs)
    # bird_plane and cifar10 read the same archive: one put serves both tasks and every seed.
    (split,) = fake.puts
    assert split.fingerprint() == configs[0]["data"]["cifar10_fingerprint"]
    cifar_packs = [s for s in fake.submitted if s is not None]
    assert cifar_packs and all(s == ("object", 0) for s in cifar_packs)
    assert fake.submitted.count(None) == 2  # sepal_width's two seeds need no CIFAR-10


def test_a_provided_split_is_served_without_reading_its_files(tmp_path, monkeypatch):
    from experiments.data import cifar10
    from tests.fake_cifar import write_archive

    monkeypatch.setattr(cifar10, "_PROVIDED", {})

    write_archive(tmp_path / "cifar.tar.gz")
    split = cifar10.load(str(tmp_path / "cifar.tar.gz"), "archive")
    cifar10.provide(split)
    # A Ray worker gets the arrays from the driver; the archive path it names need not exist there.
    again = cifar10.load(str(tmp_path / "not-on-this-node.tar.gz"), "archive", split.fingerprint())
    assert again is split
