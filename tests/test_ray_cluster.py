"""A real Ray cluster on this machine's loopback: a head and a second node, each started by `ray start`.

Every node, and the sweep that joins them, is pinned to 127.0.0.1, so the test sends nothing to any
other address (asserted from the cluster's own sockets). Token authentication is on, as Ray's docs
describe for a cluster started by hand: one generated token, given to every node and to the driver
through `RAY_AUTH_MODE=token` and `RAY_AUTH_TOKEN`.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from experiments import records
from experiments.pairings import PAIRINGS
from tests.fake_cifar import write_archive

# Ray's CLI swaps 127.0.0.1 for this machine's interface address (`services.resolve_ip_for_localhost`);
# a loopback-only cluster keeps its nodes on 127.0.0.1. Nothing else of `ray start` is changed.
START_NODE = """
import sys
from ray._private import services
from ray.scripts.scripts import main
services.get_node_ip_address = lambda address=None: "127.0.0.1"
sys.exit(main())
"""
MARKER = "WTA_LOOPBACK_CLUSTER"  # in the environment of every process the cluster starts, to stop them all
GRID = ["--profile", "smoke", "--tasks", "sepal_width", "bird_plane", "--seeds", "0", "1"]
GRID_RUNS = 2 * (len(PAIRINGS["sepal_width"]) + len(PAIRINGS["bird_plane"]))  # two seeds of every named pairing
VARYING = ("timing", "environment")  # where and when a run was trained; everything else must match


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cluster_processes(marker):
    import psutil

    found = []
    for proc in psutil.process_iter():
        try:
            if proc.pid != os.getpid() and proc.environ().get(MARKER) == marker:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _stop(marker):
    """Kill every process of this cluster by its id (`ray stop` would stop every Ray on the machine)."""
    import psutil

    procs = _cluster_processes(marker)
    for proc in procs:
        try:
            proc.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=30)


class LoopbackCluster:
    def __init__(self, root):
        self.root, self.port, token = root, _free_port(), secrets.token_hex(32)
        self.address = f"127.0.0.1:{self.port}"
        self.auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}
        self.env = {**os.environ, **self.auth, MARKER: str(root), "RAY_USAGE_STATS_ENABLED": "0"}

    def start_node(self, *args, name):
        cmd = [sys.executable, "-c", START_NODE, "start", "--num-cpus=1", "--node-ip-address=127.0.0.1", *args]
        cmd += [f"--temp-dir={self.root / name}", "--disable-usage-stats"]
        done = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    def start(self):
        self.start_node(
            "--head",
            f"--port={self.port}",
            f"--ray-client-server-port={_free_port()}",
            "--include-dashboard=false",
            name="head",
        )
        self.start_node(f"--address={self.address}", name="node2")

    def stop(self):
        _stop(str(self.root))

    def driver_env(self, **extra):
        # The driver, too, keeps 127.0.0.1 as it is (Ray's switch for hosts that are not cluster nodes).
        env = {**os.environ, **self.auth, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}
        return {**env, **extra}

    def foreign_connections(self):
        """The cluster's TCP connections and listening sockets on any address but the loopback."""
        import psutil

        foreign = []
        for proc in _cluster_processes(str(self.root)):
            try:
                conns = proc.net_connections(kind="inet")
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            for c in conns:
                for addr in (c.laddr, c.raddr):
                    if addr and addr.ip not in ("127.0.0.1", "::ffff:127.0.0.1", "::1"):
                        foreign.append((proc.name(), c))
        return foreign


@pytest.fixture
def cluster():
    # Ray's session sockets need a short path (at most 107 bytes): pytest's tmp_path is too deep.
    root = Path(tempfile.mkdtemp(prefix="wta-ray-", dir="/tmp"))
    c = LoopbackCluster(root)
    try:
        c.start()
        yield c
    finally:
        c.stop()
        shutil.rmtree(root, ignore_errors=True)
    assert not _cluster_processes(str(root)), "a process of the test's cluster outlived it"


def _sweep(cwd, results, *extra, env, timeout=600):
    # The archive is named relative to the driver's folder: a Ray worker runs elsewhere and cannot open
    # it, so the runs succeed only if the data reaches them through the object store.
    cmd = [sys.executable, "-m", "experiments", "sweep", *GRID, "--cifar10-archive", "cifar.tar.gz"]
    return subprocess.run(
        [*cmd, "--results", str(results), *extra], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def _by_run_id(results):
    recs = [records.read(p) for p in sorted(Path(results).glob("runs/*/*.json"))]
    assert all(r is not None for r in recs), "a record is not whole"
    return {r["run_id"]: r for r in recs}


@pytest.mark.slow
def test_a_sweep_joins_a_two_node_cluster_and_its_records_equal_the_local_ones(cluster, tmp_path):
    write_archive(tmp_path / "cifar.tar.gz")
    joined = _sweep(
        tmp_path, tmp_path / "ray", "--executor", "ray", "--address", cluster.address, env=cluster.driver_env()
    )
    assert joined.returncode == 0, joined.stderr[-3000:]
    assert not cluster.foreign_connections()
    local = _sweep(tmp_path, tmp_path / "local", env=cluster.driver_env())
    assert local.returncode == 0, local.stderr[-3000:]

    on_ray, alone = _by_run_id(tmp_path / "ray"), _by_run_id(tmp_path / "local")
    assert on_ray.keys() == alone.keys() and len(on_ray) == GRID_RUNS
    assert all(r["status"] == "ok" for r in on_ray.values())
    assert len({r["environment"]["ray_node"] for r in on_ray.values()}) == 2, "the packs should run on both nodes"
    for run_id, rec in on_ray.items():
        assert {k: v for k, v in rec.items() if k not in VARYING} == {
            k: v for k, v in alone[run_id].items() if k not in VARYING
        }, rec["pairing"]


@pytest.mark.slow
def test_losing_the_cluster_mid_sweep_keeps_every_finished_record_and_the_next_sweep_completes(cluster, tmp_path):
    write_archive(tmp_path / "cifar.tar.gz")
    results = tmp_path / "results"
    # Each run its own pack and 40 epochs, so that some runs are done and some in flight when the cluster goes.
    driver = subprocess.Popen(
        [sys.executable, "-m", "experiments", "sweep", *GRID, "--cifar10-archive", "cifar.tar.gz"]
        + ["--results", str(results), "--executor", "ray", "--address", cluster.address]
        + ["--pack-size", "1", "--epochs", "40"],
        cwd=tmp_path,
        env=cluster.driver_env(RAY_gcs_rpc_server_reconnect_timeout_s="5"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while len(list(results.glob("runs/*/*.json"))) < 2 and time.monotonic() < deadline and driver.poll() is None:
        time.sleep(0.2)
    assert driver.poll() is None, "the sweep ended before the cluster could be lost"
    cluster.stop()  # every node of the cluster, head included
    try:
        _, err = driver.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        driver.kill()
        pytest.fail("the sweep hangs after losing its cluster")
    assert driver.returncode != 0, err[-2000:]

    kept = _by_run_id(results)
    assert 2 <= len(kept) < GRID_RUNS
    assert all(r["status"] == "ok" for r in kept.values()), "a run cut off by the lost cluster was recorded"
    resumed = _sweep(tmp_path, results, "--pack-size", "1", "--epochs", "40", env=cluster.driver_env())
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"{len(kept)} already done, {GRID_RUNS - len(kept)} run now" in resumed.stderr
    after = _by_run_id(results)
    assert len(after) == GRID_RUNS and all(after[k] == v for k, v in kept.items())


def test_the_example_cluster_config_passes_rays_own_schema():
    import copy

    import yaml
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = yaml.safe_load((Path(__file__).parents[1] / "docs" / "ray-cluster.yaml").read_text())
    validate_config(prepare_config(copy.deepcopy(config)))  # what `ray up` checks before it starts anything
    assert "ray start --head --port=6379" in " ".join(config["head_start_ray_commands"])
    broken = {**config, "worker_ips": config["provider"]["worker_ips"]}  # a key Ray does not know
    with pytest.raises(Exception, match="worker_ips"):
        validate_config(prepare_config(copy.deepcopy(broken)))
