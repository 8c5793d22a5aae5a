"""Faults that used to lose or falsify records: each case fails on the code before its fix.

NaN and stub records are invalid, a run finished by another process is not trained again, a
record that cannot be written is kept, a head its task cannot build is refused when named,
nonsense loss arguments are refused, and bad arguments give one line.
"""

import json
import math
import os
import subprocess
from pathlib import Path

import pytest

from experiments import records, run_lock
from experiments.analysis.claims import plan_file
from experiments.analysis.evidence.loading import INCOMPLETE, Inventory, latest_records, rendering
from experiments.cli import main
from experiments.composition import compose
from experiments.pairings import get_pairing
from experiments.sweep.grid import plan
from tests.synthetic_records import record


def _write(folder, rec):
    path = records.record_path(folder, rec["run_id"], rec["task"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rec))  # json writes NaN as NaN: what a hand edit or another writer leaves
    return path


def test_a_record_whose_headline_is_nan_is_invalid_not_done(tmp_path):
    rec = record("bird_plane", "sigmoid+bce", 0, [0.5, 0.8])
    rec["final"]["accuracy"] = math.nan
    path = _write(tmp_path, rec)
    assert records.state(path) == ("invalid", "final/accuracy is nan, not a finite number")


def test_a_schema_valid_stub_is_invalid_not_done(tmp_path):
    rec = record("bird_plane", "sigmoid+bce", 0, [0.5, 0.8])
    stub = {k: rec[k] for k in ("schema_version", "run_id", "task", "pairing", "seed", "profile", "config")}
    stub.update(status="ok", history=[{"epoch": 0, "train_loss": 0.7}], final={"accuracy": 0.99})
    stub.update(environment={}, data={}, timing={"wall_s": 1.0})
    state, why = records.state(_write(tmp_path, stub))
    assert state == "invalid" and why


def test_a_finished_record_without_its_headline_is_invalid(tmp_path):
    rec = record("bird_plane", "sigmoid+bce", 0, [0.5, 0.8])
    del rec["final"]["accuracy"]
    assert records.state(_write(tmp_path, rec)) == (
        "invalid",
        "final/accuracy is missing: a finished bird_plane run reports it",
    )


def test_run_looks_again_once_it_holds_the_lock(tmp_path, monkeypatch, capsys):
    """Two `run`s of one run: the second finds the first's record after taking the lock and trains nothing."""
    from experiments import config as cfg
    from experiments.training import runner
    from experiments.training.speed import process

    config = cfg.resolve("sepal_width", "linear+mse", 0, "smoke")
    path = records.record_path(tmp_path, cfg.run_id(config), "sepal_width")
    finished = record("sepal_width", "linear+mse", 0, [1.0, 0.5])
    finished["run_id"] = path.stem

    def other_process_finishes(**_):  # the other run writes its record while this one starts up
        records.write_atomic(path, finished)

    monkeypatch.setattr(process, "prepare_training_process", other_process_finishes)
    monkeypatch.setattr(runner, "run", lambda *a, **k: pytest.fail("trained a run another process had finished"))
    assert (
        main(["run", "sepal_width", "--pairing", "linear+mse", "--profile", "smoke", "--results", str(tmp_path)]) == 0
    )
    assert "was finished by another process" in capsys.readouterr().out
    assert json.loads(path.read_text())["history"] == finished["history"]


def test_a_record_that_cannot_be_written_where_it_belongs_is_kept(tmp_path):
    (tmp_path / "runs").write_text("a file where the runs folder goes")
    rec = record("sepal_width", "linear+mse", 0, [1.0, 0.5])
    kept = records.write_or_keep(records.record_path(tmp_path, rec["run_id"], "sepal_width"), rec)
    assert kept.parent != tmp_path / "runs" and json.loads(kept.read_text())["run_id"] == rec["run_id"]
    kept.unlink()


def test_the_report_names_a_newer_record_with_other_settings(tmp_path):
    old = record("bird_plane", "sigmoid+bce", 0, [0.5, 0.8], finished_at="2026-01-01T00:00:00")
    new = record("bird_plane", "sigmoid+bce", 0, [0.5, 0.6, 0.7], finished_at="2026-01-02T00:00:00")
    new["run_id"] = new["run_id"][:-8] + "0" * 8
    new["config"]["learning_rate"] = 0.5
    for rec in (old, new):
        _write(tmp_path, rec)
    inventory = Inventory()
    with pytest.warns(UserWarning):
        used = latest_records(tmp_path, inventory=inventory)
    assert [r["run_id"] for r in used] == [new["run_id"]]
    assert "bird_plane/sigmoid+bce/s0: epochs 2 (was 1), learning_rate 0.5 (was None)" in inventory.other_settings[0]
    assert "newer record with other settings" in inventory.line()


def test_a_head_the_task_cannot_build_is_refused_when_named(tmp_path, capsys):
    with pytest.raises(ValueError, match="built with 1"):
        get_pairing("bird_plane_saturated", "softmax@2+bce")
    argv = ["sweep", "--tasks", "bird_plane_saturated", "--pairings", "sigmoid+bce", "softmax+sparse_cce"]
    assert main([*argv, "--profile", "smoke", "--results", str(tmp_path), "--dry-run"]) == 2
    assert "its head has 2 units" in capsys.readouterr().err


def test_seeds_set_as_a_setting_are_the_seeds_planned():
    configs = plan("smoke", ["sepal_width"], ["linear+mse"], overrides={"seeds": [5, 6, 7]})
    assert [c["seed"] for c in configs] == [5, 6, 7]


@pytest.mark.parametrize(
    "expression, message",
    [
        ("linear+huber(delta=-0.5)", "delta must be a number above 0, got -0.5"),
        ("sigmoid+binary_focal_crossentropy(gamma=-3)", "gamma must be a number of at least 0, got -3"),
        ("sigmoid+binary_focal_crossentropy(alpha=true)", "alpha must be a number, got true"),
        ("Sigmoid+BCE", "(names are lower case)"),
    ],
)
def test_nonsense_pairings_are_refused_with_what_would_be_right(expression, message):
    with pytest.raises(ValueError) as caught:
        compose("bird_plane", "binary", expression)
    assert message in str(caught.value)


def test_focal_alpha_is_taken_as_keras_takes_it_and_dropped_where_keras_ignores_it():
    """Keras takes any alpha, and applies it only with apply_class_balancing: without it, the default's run."""
    inert = compose("bird_plane", "binary", "sigmoid+binary_focal_crossentropy(alpha=7)")
    assert inert.name == "sigmoid+binary_focal_crossentropy" and inert.loss_kwargs == {}
    assert inert.inert == ("alpha",)
    kept = compose("bird_plane", "binary", "sigmoid+binary_focal_crossentropy(alpha=7,apply_class_balancing=true)")
    assert kept.loss_kwargs == {"alpha": 7.0, "apply_class_balancing": True} and kept.inert == ()


def test_a_render_replaces_files_only_once_all_are_written(tmp_path, monkeypatch):
    from experiments.atomic_files import write_text_atomic

    with rendering(tmp_path):
        assert (tmp_path / INCOMPLETE).exists()
        write_text_atomic(tmp_path / "a.md", "old a\n")
        write_text_atomic(tmp_path / "b.md", "old b\n")
        assert not (tmp_path / "a.md").exists()  # staged beside its name until the render ends
    assert not (tmp_path / INCOMPLETE).exists() and (tmp_path / "a.md").read_text() == "old a\n"
    with pytest.raises(KeyboardInterrupt), rendering(tmp_path):
        write_text_atomic(tmp_path / "a.md", "new a\n")
        raise KeyboardInterrupt  # before b: nothing of this render is put in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.md"]  # no marker, no temporary file
    assert (tmp_path / "a.md").read_text() == "old a\n"
    real, moved = os.replace, []

    def cut_after_one(src, dst):  # interrupted between the moves: the marker stays and says so
        if moved:
            raise KeyboardInterrupt
        moved.append(dst)
        real(src, dst)

    monkeypatch.setattr(records.os, "replace", cut_after_one)
    with pytest.raises(KeyboardInterrupt), rendering(tmp_path):
        write_text_atomic(tmp_path / "a.md", "new a\n")
        write_text_atomic(tmp_path / "b.md", "new b\n")
    monkeypatch.undo()
    assert "did not finish moving its files into place" in (tmp_path / INCOMPLETE).read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == [INCOMPLETE, "a.md", "b.md"]


@pytest.mark.parametrize("broken", ["plan", "record"])
def test_a_render_refused_before_it_writes_leaves_no_marker(tmp_path, capsys, broken):
    _write(tmp_path, record("bird_plane", "sigmoid+bce", 0, [0.5, 0.8]))
    if broken == "plan":
        (tmp_path / "plan.json").write_text("{")
    else:
        (tmp_path / "runs" / "bird_plane" / "bird_plane__sigmoid+mse__s0__0123abcd.json").write_text("[]")
    assert main(["report", "--results", str(tmp_path)]) == 2
    assert "error: " in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json", "runs"][broken == "record" :]


def test_a_fifo_as_the_archive_is_refused_at_once(tmp_path, capsys):
    fifo = tmp_path / "archive"
    os.mkfifo(fifo)
    argv = ["sweep", "--tasks", "bird_plane", "--profile", "smoke", "--dry-run", "--results", str(tmp_path / "r")]
    assert main([*argv, "--cifar10-archive", str(fifo)]) == 2
    assert "not a regular file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sweep", "--workers", "two"], "argument --workers: invalid int value: 'two'"),
        (["sweep", "--tasks", "bird_plane", "--dry-run", "--cifar10-archive", ""], "--cifar10-archive is empty"),
    ],
)
def test_bad_arguments_give_one_line(argv, message, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_a_results_path_under_a_file_gives_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert main(["report", "--results", str(Path(tmp_path / "file" / "r"))]) in (1, 2)
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_backend_the_suite_cannot_train_on_is_refused_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    argv = ["--profile", "smoke", "--results", str(tmp_path)]
    assert main(["run", "sepal_width", "--pairing", "linear+mse", *argv]) == 2
    assert main(["sweep", "--tasks", "sepal_width", *argv]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all("KERAS_BACKEND=torch: the suite trains on tensorflow or jax" in line for line in err)
    assert not list(tmp_path.rglob("*.json"))


def test_an_address_without_the_ray_executor_is_refused(tmp_path, capsys):
    argv = ["sweep", "--profile", "smoke", "--address", "10.0.0.1:6379", "--results", str(tmp_path), "--dry-run"]
    assert main(argv) == 2
    assert "add --executor ray, or leave --address out" in capsys.readouterr().err


def test_the_repair_command_takes_the_seed_a_renamed_record_holds(tmp_path):
    from experiments.analysis.evidence.loading import _seed_of

    renamed = tmp_path / "sepal_width__linear+mse__s0__abcdef12.json"
    renamed.write_text('{"seed": 7, "status": "ok"}')  # schema-invalid, but its seed reads
    assert _seed_of(renamed) == 7
    renamed.write_text("{")  # unreadable: the file name is all there is
    assert _seed_of(renamed) == 0


# A Ray address where something answers that is not a Ray head: one gRPC call tells in milliseconds.


@pytest.fixture
def grpc_server():
    """An in-process gRPC server on the loopback answering the GCS probe with a chosen status (None: no such method)."""
    grpc = pytest.importorskip("grpc")
    from concurrent import futures

    from experiments.sweep.ray_cluster import GCS_PROBE_METHOD

    servers = []

    def start(status, token=None):
        def answer(request, context):
            sent = dict(context.invocation_metadata()).get("authorization")
            if status == "auth" and sent != f"Bearer {token}":
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "InvalidAuthToken: Authentication token is missing")
            return b""

        class Handler(grpc.GenericRpcHandler):
            def service(self, details):
                if status is None or details.method != GCS_PROBE_METHOD:
                    return None  # the server answers UNIMPLEMENTED, as any gRPC server that is not a GCS does
                return grpc.unary_unary_rpc_method_handler(answer)

        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=[Handler()])
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        servers.append(server)
        return f"127.0.0.1:{port}"

    yield start
    for server in servers:
        server.stop(0)


@pytest.mark.parametrize(
    "status, env, message",
    [
        (None, {}, "something answers there, but not as a Ray head's GCS (gRPC UNIMPLEMENTED"),
        ("auth", {}, "the cluster uses token authentication and this driver has no token"),
        ("auth", {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": "wrong"}, "the cluster refused this driver's token"),
    ],
    ids=["not-a-gcs", "no-token", "wrong-token"],
)
def test_an_address_that_is_not_a_usable_ray_head_is_named_at_once(grpc_server, monkeypatch, status, env, message):
    import time

    from experiments.sweep import ray_cluster

    for key in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_USE_TLS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    address = grpc_server(status, token="right")
    start = time.monotonic()
    with pytest.raises(RuntimeError) as raised:
        ray_cluster.check_reachable(address)
    assert time.monotonic() - start < 3  # Ray's own retries took 20 s or more before a ConnectionError
    (line,) = str(raised.value).splitlines()
    assert line.startswith(f"cannot join the Ray cluster at {address}: ") and message in line


def test_a_ray_head_that_takes_the_drivers_token_passes_the_probe(grpc_server, monkeypatch):
    from experiments.sweep import ray_cluster

    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    monkeypatch.setenv("RAY_AUTH_TOKEN", "right")
    ray_cluster.check_reachable(grpc_server("auth", token="right"))
    monkeypatch.delenv("RAY_AUTH_MODE")
    ray_cluster.check_reachable(grpc_server("ok"))  # a cluster without authentication


def test_a_listener_that_never_answers_is_given_up_after_the_bound(monkeypatch):
    import socket

    from experiments.sweep import ray_cluster

    monkeypatch.setattr(ray_cluster, "GCS_ANSWER_TIMEOUT_S", 0.5)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        with pytest.raises(RuntimeError, match="nothing answered as a Ray cluster within 0.5 s"):
            ray_cluster.probe_gcs(address, timeout=0.5)


def test_a_second_ctrl_c_during_the_first_ones_clean_up_is_ignored():
    import signal
    import time

    from experiments.interrupts import interrupt_once

    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    # As from a terminal: a background job (CI's, say) starts with Ctrl-C ignored, which interrupt_once keeps.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    cleaned_up = False
    try:
        with pytest.raises(KeyboardInterrupt), interrupt_once():
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(5)  # training, until the first Ctrl-C
            finally:
                os.kill(os.getpid(), signal.SIGINT)  # the second press, 50 ms later, lands in the clean-up
                time.sleep(0.05)
                cleaned_up = True
        assert cleaned_up
    finally:
        signal.signal(signal.SIGINT, before[0])
        signal.signal(signal.SIGTERM, before[1])


@pytest.mark.parametrize("damage", ["nan", "stub"])
def test_report_refuses_a_nan_or_stub_record_and_names_it(tmp_path, capsys, damage):
    rec = record("bird_plane", "sigmoid+bce", 0, [0.5, 0.8])
    if damage == "nan":
        rec["final"]["accuracy"] = math.nan
    else:
        rec = {k: rec[k] for k in ("schema_version", "run_id", "task", "pairing", "seed", "profile", "config")}
        rec.update(status="ok", history=[{"epoch": 0, "train_loss": 0.7}], final={"accuracy": 0.99})
        rec.update(environment={}, data={}, timing={"wall_s": 1.0})
    path = _write(tmp_path, rec)
    assert main(["report", "--results", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert path.name in err and "invalid" in err and "python -m experiments sweep" in err
    assert not (tmp_path / "REPORT.md").exists()  # nothing rendered with the record counted


def _cli(*argv, results):
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "experiments", *argv, "--results", str(results)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    root = Path(__file__).resolve().parents[1]
    return subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_two_real_runs_of_one_run_train_it_once(tmp_path):
    """Two `run` processes of the same run, the second started while the first trains: one record, trained once."""
    import time

    argv = ("run", "sepal_width", "--pairing", "linear+mse", "--profile", "smoke", "--seed", "3")
    first = _cli(*argv, results=tmp_path)
    folder = tmp_path / "runs" / "sepal_width"
    deadline = time.monotonic() + 120
    while not list(folder.glob("*.lock")) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    second = _cli(*argv, results=tmp_path)
    outputs = [first.communicate(timeout=300)[0], second.communicate(timeout=300)[0]]
    trained = [out for out in outputs if out.startswith("ok: ") or "\nok: " in out]
    assert len(trained) == 1, outputs
    assert "being run by another process" in outputs[1] or "done already" in outputs[1], outputs[1]
    (path,) = folder.glob("*.json")
    assert str(path) in trained[0]  # the record is the one that trained's


@pytest.fixture
def full_disk(tmp_path):
    """A 200 kB tmpfs with no byte left: where the test can mount one (root on Linux), else skipped."""
    import subprocess

    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root on Linux): {done.stderr.decode().strip()[:120]}")
    try:
        with open(mount / "filler", "wb", buffering=0) as filler:
            with pytest.raises(OSError):  # ENOSPC: the disk is full (folders still fit: tmpfs counts no pages for them)
                for _ in range(1000):
                    filler.write(b"\0" * 4096)
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
def test_a_full_disk_after_training_keeps_the_record_and_says_where(full_disk):
    run = _cli("run", "sepal_width", "--pairing", "linear+mse", "--profile", "smoke", results=full_disk / "r")
    out = run.communicate(timeout=300)[0]
    assert run.returncode == 1, out
    (line,) = [x for x in out.splitlines() if x.startswith("error:")]
    assert "could not write" in line and "the record was kept at" in line
    kept = Path(line.split("the record was kept at ")[1].split(":")[0])
    assert json.loads(kept.read_text())["status"] == "ok"  # the training is not lost
    kept.unlink()
    assert "Traceback" not in out and not list((full_disk / "r" / "runs").rglob("*.json"))


@pytest.mark.slow
def test_a_sweep_on_a_full_disk_says_its_records_were_kept_elsewhere_and_fails(full_disk):
    sweep = _cli(
        "sweep", "--tasks", "sepal_width", "--pairings", "linear+mse", "--profile", "smoke", results=full_disk / "r"
    )
    out = sweep.communicate(timeout=300)[0]
    assert sweep.returncode == 1, out  # not "1 ok" and exit 0 with nothing in the results folder
    assert "record(s) could not be written into" in out and "Traceback" not in out
    for line in out.splitlines():
        if " -> " in line and line.strip().endswith(".json"):
            Path(line.strip().split(" -> ")[0]).unlink(missing_ok=True)  # the kept copies, in the temp folder


@pytest.mark.parametrize(
    "address, error, hint",
    [
        ("auto", ConnectionError("Could not find any running Ray instance. Please specify"), "no Ray cluster runs on"),
        ("ray://127.0.0.1:1", RuntimeError("Failed to apply UV runtime env hook"), "no Ray Client server answered"),
    ],
)
def test_no_cluster_for_auto_or_ray_client_is_named_not_blamed_on_the_token(address, error, hint, monkeypatch):
    from experiments.sweep import ray_cluster

    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)

    class Refusing:
        def init(self, **kwargs):
            raise error

    with pytest.raises(RuntimeError) as raised:
        ray_cluster.connect(Refusing(), address)
    assert hint in str(raised.value) and "RAY_AUTH_MODE" not in str(raised.value)


def test_the_repair_names_no_made_up_profile(tmp_path, capsys):
    bad = tmp_path / "runs" / "sepal_width" / "sepal_width__linear+mse__s0__574a27b5.json"
    bad.parent.mkdir(parents=True)
    bad.write_text("[]")  # no readable record to take a profile from, and the folder's name is none
    assert main(["report", "--results", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--profile PROFILE (one of atlas, full, quick, smoke)" in err and f"--profile {tmp_path.name}" not in err


def test_a_bad_tensorboard_folder_is_named_as_such_in_a_dry_run_too(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("")
    argv = ["sweep", "--profile", "smoke", "--tasks", "sepal_width", "--results", str(tmp_path / "r")]
    assert main([*argv, "--dry-run", "--tensorboard", str(afile)]) == 2
    assert f"error: --tensorboard folder {afile} is a file, not a folder; name a folder with --tensorboard." in (
        capsys.readouterr().err
    )


def test_a_render_stopped_while_writing_leaves_the_earlier_file_whole(tmp_path):
    """Ctrl-C, SIGTERM or a full disk inside a write: the finished figure and table stay as they were."""
    from experiments.analysis.plots.files import plt, save
    from experiments.atomic_files import write_text_atomic

    fig = plt.figure()
    (png, _) = save(fig, tmp_path, "curve")
    before = png.read_bytes()
    fig = plt.figure()
    fig.savefig = lambda path, **kwargs: (
        open(path, "wb").write(b"\x89PNG cut"),
        (_ for _ in ()).throw(KeyboardInterrupt()),
    )
    with pytest.raises(KeyboardInterrupt):
        save(fig, tmp_path, "curve")
    assert png.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["curve.pdf", "curve.png"]
    write_text_atomic(tmp_path / "t.md", "whole\n")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(tmp_path / "t.md", "x" * 10 + "\ud800")  # cannot be encoded: fails mid-write
    assert (tmp_path / "t.md").read_text() == "whole\n" and len(list(tmp_path.iterdir())) == 3


def test_a_fifo_named_like_a_record_is_named_not_read(tmp_path):
    import os

    from experiments import records

    fifo = tmp_path / "bird_plane__sigmoid+bce__s0__12345678.json"
    os.mkfifo(fifo)
    with pytest.raises(records.InvalidRecordError, match="not a regular file"):
        records.read(fifo)


def test_run_refuses_a_list_of_seeds_it_would_not_train(capsys):
    from experiments.cli.parser import main

    assert main(["run", "sepal_width", "--pairing", "linear+mse", "--set", "seeds=[5,6,7]"]) == 2
    assert "run trains one seed: use --seed N" in capsys.readouterr().err


def test_a_positive_share_that_leaves_no_plane_is_refused():
    import numpy as np

    from experiments.data.conditions import positive_subsample

    y = np.array([0] * 500 + [1] * 500)
    with pytest.raises(ValueError, match="keeps 0 planes and 500 birds.*each class needs at least one; use a share"):
        positive_subsample(np.arange(1000), y, 1e-9, np.random.default_rng(0))


def test_a_summary_its_own_evidence_contradicts_stops_the_report():
    """A hand-edited final accuracy, and a stub with one history row where the config says more epochs."""
    import copy

    from experiments.analysis.evidence.checks import check_evidence
    from tests.synthetic_records import bird_plane_images

    recs = bird_plane_images({"sigmoid+mse": 0.0}, seeds=2)
    check_evidence(recs)  # as written: the outputs give the stored accuracy
    edited = copy.deepcopy(recs)
    edited[0]["final"]["accuracy"] = 0.99
    with pytest.raises(ValueError, match=r"final accuracy 0.99 stored, but its test outputs give 0\.\d+"):
        check_evidence(edited)
    stub = copy.deepcopy(recs)
    stub[1]["history"] = stub[1]["history"][:1]
    with pytest.raises(ValueError, match="1 history row\\(s\\) for 10 epochs"):
        check_evidence(stub)


def test_a_plan_edited_after_it_was_sealed_is_refused(tmp_path):
    import shutil

    from experiments.analysis.claims import plan_file

    shutil.copy(Path(__file__).resolve().parents[1] / "results" / "confirmatory" / plan_file.PLAN_FILE, tmp_path)
    assert plan_file.read_plan(tmp_path)["seal"]  # the committed plan, sealed, reads
    plan = json.loads((tmp_path / plan_file.PLAN_FILE).read_text())
    plan["written_at"] = "2020-01-01T00:00:00+00:00"  # the date moved back by hand
    (tmp_path / plan_file.PLAN_FILE).write_text(json.dumps(plan))
    with pytest.raises(ValueError, match="changed after `plan --write` sealed it"):
        plan_file.read_plan(tmp_path)


def test_plan_write_into_a_folder_with_runs_or_from_a_one_seed_pilot_is_refused(tmp_path, capsys):
    from tests.synthetic_records import bird_plane

    study = tmp_path / "study"
    (study / "runs" / "bird_plane").mkdir(parents=True)
    (study / "runs" / "bird_plane" / "bird_plane__sigmoid+bce__s40__00000000.json").write_text("{}")
    assert main(["plan", "--pilot", "results/full", "--results", str(study), "--write"]) == 2
    assert "already holds 1 run record(s)" in capsys.readouterr().err
    pilot = tmp_path / "pilot"
    for r in bird_plane({"sigmoid+mse": 0.0}, seeds=1):
        records.write_atomic(pilot / "runs" / r["task"] / f"{r['run_id']}.json", r)
    assert main(["plan", "--pilot", str(pilot), "--results", str(tmp_path / "new"), "--write"]) == 2
    assert "has 1 seed(s): a power plan needs" in capsys.readouterr().err


def test_a_plan_that_decides_nothing_is_written_only_when_forced(tmp_path, capsys):
    """A two-seed pilot: the spread each claim is sized from is a guess; `plan` says so, writes nothing, and
    `--force` writes it (a folder's plan is never replaced, so the refusal comes first)."""
    from tests.synthetic_records import bird_plane

    pilot = tmp_path / "pilot"
    for r in bird_plane({"sigmoid+mse": 0.0}, seeds=2):
        records.write_atomic(pilot / "runs" / r["task"] / f"{r['run_id']}.json", r)
    study = tmp_path / "study"
    assert main(["plan", "--pilot", str(pilot), "--results", str(study), "--write"]) == 2
    err = capsys.readouterr().err.strip()
    assert "the pilot has 2 seeds, fewer than 3" in err and "no plan written" in err and "--force" in err
    assert not (study / plan_file.PLAN_FILE).exists()
    assert main(["plan", "--pilot", str(pilot), "--results", str(study)]) == 0  # shown, with the note
    assert "note: the pilot has 2 seeds" in capsys.readouterr().err
    assert main(["plan", "--pilot", str(pilot), "--results", str(study), "--write", "--force"]) == 0
    assert (study / plan_file.PLAN_FILE).exists()


def test_a_plan_where_every_claim_is_undecidable_decides_nothing():
    from types import SimpleNamespace

    from experiments.analysis.claims import power

    undecided = [SimpleNamespace(seeds=None), SimpleNamespace(seeds=None)]
    assert "every one of the 2 claims is undecidable" in power.decides_nothing(undecided, [0, 1, 2, 3])
    assert power.decides_nothing([SimpleNamespace(seeds=None), SimpleNamespace(seeds=12)], [0, 1, 2, 3]) == ""
    assert power.first_fresh_seed("p", [0, 1, 2], {"other": [40, 41]}) == 42
    with pytest.raises(ValueError, match="would reuse seeds another study"):
        power.first_fresh_seed("p", [0, 1, 2], {"other": [40, 41]}, asked=41)


def test_a_record_with_corrupt_test_outputs_is_invalid_and_named(tmp_path):
    from tests.synthetic_records import bird_plane_images

    r = bird_plane_images({}, seeds=1)[0]
    r["test_outputs"]["base64"] = "not base64!" + r["test_outputs"]["base64"][11:]
    path = tmp_path / "runs" / r["task"] / f"{r['run_id']}.json"
    records.write_atomic(path, r)
    with pytest.raises(records.InvalidRecordError, match=r"test_outputs cannot be decoded") as caught:
        records.is_done(path)
    assert str(path) in str(caught.value)


def test_a_fifo_beside_a_good_record_is_named_without_blocking(tmp_path):
    """The repair advice reads an invalid file's seed and profile: never from a FIFO (it would block)."""
    import os
    import signal

    from tests.synthetic_records import bird_plane

    for r in bird_plane({}, seeds=1):
        records.write_atomic(tmp_path / "runs" / r["task"] / f"{r['run_id']}.json", r)
    os.mkfifo(tmp_path / "runs" / "bird_plane" / "bird_plane__sigmoid+bce__s0__12345678.json")
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("blocked on the FIFO")))
    signal.alarm(30)
    try:
        with pytest.raises(ValueError, match="not a regular file"):
            latest_records(tmp_path)
    finally:
        signal.alarm(0)


def test_a_failed_run_never_hides_a_finished_one_of_the_same_pairing_and_seed(tmp_path):
    from tests.synthetic_records import bird_plane, record

    good = bird_plane({}, seeds=1)[0]
    failed = record("bird_plane", good["pairing"], 0, [0.5, 0.5], status="error", finished_at="2030-01-01T00:00:00")
    failed["config"]["data"] = {"positive_share": 0.1}
    failed["run_id"] = failed["run_id"][:-8] + "0badf00d"
    for r in (good, failed):
        records.write_atomic(tmp_path / "runs" / r["task"] / f"{r['run_id']}.json", r)
    with pytest.warns(UserWarning, match="older record"):
        kept = latest_records(tmp_path)
    assert [r["status"] for r in kept] == ["ok"]


def test_a_plan_without_its_seal_is_refused(tmp_path):

    plan = json.loads(
        (Path(__file__).resolve().parents[1] / "results" / "confirmatory" / plan_file.PLAN_FILE).read_text()
    )
    plan.pop("seal")
    (tmp_path / plan_file.PLAN_FILE).write_text(json.dumps(plan))
    with pytest.raises(ValueError, match="has no seal"):
        plan_file.read_plan(tmp_path)


def test_a_sigterm_swallowed_inside_a_gc_callback_is_sent_again():
    """JAX's garbage-collection callback swallowed the SIGTERM raised in it, and `report` ran to its end."""
    import gc
    import os
    import signal
    import time

    from experiments import interrupts

    fired = []

    def callback(phase, info):  # Python prints, then ignores, an exception raised here
        if phase == "start" and not fired:
            fired.append(1)
            os.kill(os.getpid(), signal.SIGTERM)
            sum(range(1000))  # the handler runs between these bytecodes, inside the callback

    gc.callbacks.append(callback)
    try:
        with interrupts.interrupt_once(), interrupts.sigterm_as_interrupt():
            with pytest.raises(interrupts.Terminated):
                gc.collect()
                for _ in range(50):  # the swallowed signal comes back within RESEND_AFTER_S
                    time.sleep(0.1)
            interrupts.begin_cleanup()
    finally:
        gc.callbacks.remove(callback)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    assert fired


def _sealed(plan):

    body = {k: v for k, v in plan.items() if k != "seal"}
    return {**body, "seal": plan_file.seal(body)}


def test_a_plan_written_after_its_runs_started_or_off_their_history_is_refused(tmp_path):
    """A plan sealed by hand after the runs (its seal recomputed) still cannot make them confirmatory."""
    from tests.synthetic_records import bird_plane

    recs = bird_plane({}, seeds=2)
    committed = json.loads(
        (Path(__file__).resolve().parents[1] / "results" / "confirmatory" / plan_file.PLAN_FILE).read_text()
    )
    late = _sealed({**committed, "written_at": "2030-01-01T00:00:00+00:00", "git_commit": None})
    with pytest.raises(ValueError, match=r"after run .* started .* move it out of the folder"):
        plan_file.check_plan_against(late, recs, tmp_path)
    early = _sealed({**committed, "written_at": "2000-01-01T00:00:00+00:00"})
    assert plan_file.check_plan_against(early, recs, tmp_path) is early  # commits unknown to the records: unjudged
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    first = subprocess.run(
        ["git", "rev-list", "--max-parents=0", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.split()[0]
    for r in recs:
        r["environment"]["git_commit"] = first  # runs at the first commit, the plan at HEAD: not its ancestor
    with pytest.raises(ValueError, match="not an ancestor of the runs' commit"):
        plan_file.check_plan_against({**early, "git_commit": head}, recs, tmp_path)


@pytest.mark.parametrize("make", ["fifo", "folder", "dangling link"])
def test_a_plan_that_is_not_a_regular_file_is_refused_in_one_line(tmp_path, make):
    import os

    path = tmp_path / plan_file.PLAN_FILE
    {"fifo": os.mkfifo, "folder": os.mkdir, "dangling link": lambda p: os.symlink(tmp_path / "gone", p)}[make](path)
    with pytest.raises(ValueError, match="is not a regular file") as caught:
        plan_file.read_plan(tmp_path)
    assert "\n" not in str(caught.value)


def test_a_record_moved_into_another_tasks_folder_is_put_back_not_retrained(tmp_path):
    from experiments.analysis.evidence.loading import latest_records
    from tests.synthetic_records import bird_plane

    r = bird_plane({}, seeds=1)[0]
    path = tmp_path / "runs" / "cifar10" / f"{r['run_id']}.json"
    records.write_atomic(path, r)
    with pytest.raises(ValueError) as caught:
        latest_records(tmp_path)
    repair = str(caught.value).split("Repair: ")[1]
    assert f"move {path} back to {tmp_path / 'runs' / 'bird_plane'}/" in repair
    assert "sweep" not in repair.split(";")[0]  # no sweep of cifar10, an unrelated task


def test_many_bad_files_give_a_bounded_message(tmp_path):
    from experiments.analysis.evidence.loading import latest_records

    folder = tmp_path / "runs" / "bird_plane"
    folder.mkdir(parents=True)
    for i in range(2000):
        (folder / f"junk{i:05d}_{'x' * 200}.json").write_text("{}")
    with pytest.raises(ValueError) as caught:
        latest_records(tmp_path)
    message = str(caught.value)
    assert len(message) < 3000 and "... and 1,995 more" in message and "2000 invalid record(s)" in message


def test_a_run_lock_is_exclusive_and_leaves_no_file(tmp_path):
    path = tmp_path / "runs" / "bird_plane" / "x.json"
    lock = run_lock.try_lock(path)
    assert lock is not None and run_lock.try_lock(path) is None  # held: a second taker gets None at once
    lock.release()
    assert not path.with_suffix(".lock").exists()
    again = run_lock.try_lock(path)
    assert again is not None
    again.release()


def test_rescore_leaves_a_record_that_a_run_holds(tmp_path, capsys):
    from tests.synthetic_records import bird_plane_images

    r = bird_plane_images({}, seeds=1)[0]
    r["final"]["accuracy"] = 0.123  # stale: a rescore would rewrite it
    path = tmp_path / "runs" / r["task"] / f"{r['run_id']}.json"
    records.write_atomic(path, r)
    lock = run_lock.try_lock(path)
    try:
        assert main(["rescore", "--results", str(tmp_path)]) == 1
    finally:
        lock.release()
    assert records.read(path)["final"]["accuracy"] == 0.123
    assert "1 left to a run that held them" in capsys.readouterr().out
    assert main(["rescore", "--results", str(tmp_path)]) == 0
    assert records.read(path)["final"]["accuracy"] != 0.123


def test_a_read_only_record_is_never_replaced_not_even_by_root(tmp_path, capsys):
    """`chmod a-w` says keep it: rescore leaves it and names it, and a write (`run --force`) is refused."""
    from tests.synthetic_records import bird_plane_images

    r = bird_plane_images({}, seeds=1)[0]
    r["final"]["accuracy"] = 0.123  # stale: a rescore would rewrite it
    path = tmp_path / "runs" / r["task"] / f"{r['run_id']}.json"
    records.write_atomic(path, r)
    path.chmod(0o444)
    before = path.read_bytes()
    assert main(["rescore", "--results", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "1 read-only left as they are" in captured.out and str(path) in captured.err
    assert path.read_bytes() == before
    with pytest.raises(PermissionError, match="read-only"):
        records.write_atomic(path, {**r, "seed": 1})
    kept = records.write_or_keep(path, r)  # a run's record is kept elsewhere, the read-only one left whole
    assert kept != path and kept.exists() and path.read_bytes() == before
    kept.unlink()
    path.chmod(0o644)
    assert main(["rescore", "--results", str(tmp_path)]) == 0
    assert records.read(path)["final"]["accuracy"] != 0.123


def test_an_interrupt_swallowed_by_a_garbage_collection_callback_prints_no_traceback():
    """JAX's gc callback (or TensorFlow's import) can swallow our Ctrl-C: it is raised again, never printed."""
    import subprocess
    import sys

    script = """
import gc
from experiments import interrupts

def callback(phase, info):
    raise KeyboardInterrupt()

gc.callbacks.append(callback)
interrupts._STATE["pending"] = {pending}  # True: our handler raised it, and `_resend` will raise it again
gc.collect()
"""
    ours, theirs = (
        subprocess.run([sys.executable, "-c", script.format(pending=p)], capture_output=True, text=True, timeout=60)
        for p in (True, False)
    )
    assert ours.returncode == 0 and ours.stderr == ""
    assert "Exception ignored" in theirs.stderr and "KeyboardInterrupt" in theirs.stderr  # not ours: printed


def test_every_final_metric_is_checked_against_the_stored_outputs_also_by_compare(tmp_path, capsys):
    from experiments.analysis.evidence.checks import check_evidence
    from tests.synthetic_records import bird_plane_images

    recs = bird_plane_images({"sigmoid+mse": 0.0}, seeds=2)
    recs[0]["final"]["roc_auc"] = 0.99  # not the headline: the report showed it as it was written
    with pytest.raises(ValueError, match=r"final roc_auc 0.99 stored, but its test outputs give 0\.\d+"):
        check_evidence(recs)
    for folder in ("a", "b"):
        for r in bird_plane_images({"sigmoid+mse": 0.0}, seeds=2):
            records.write_atomic(tmp_path / folder / "runs" / r["task"] / f"{r['run_id']}.json", r)
    forged = next((tmp_path / "b" / "runs" / "bird_plane").glob("*.json"))
    record = json.loads(forged.read_text())
    record["final"]["accuracy"] = 0.123
    forged.write_text(json.dumps(record))
    assert main(["report", "--compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err.strip()
    assert "whose numbers its own evidence contradicts" in err and str(forged) in err  # the file, named
    assert err.count("\n") == 0 and f"rescore --results {tmp_path / 'b'}" in err  # one line, the real folder


def test_records_without_stored_outputs_are_counted_as_unchecked():
    from experiments.analysis.evidence.checks import check_evidence
    from tests.synthetic_records import bird_plane

    inventory = Inventory(read=2)
    check_evidence(bird_plane({}, seeds=2), inventory)  # the post's pairing, seeds 0 and 1
    assert inventory.unchecked == 2 and "**2 without stored test outputs**" in inventory.line()


def test_a_folder_where_a_render_writes_a_file_stops_it_before_any_file_is_replaced(tmp_path):
    from experiments.atomic_files import NothingReplaced, write_text_atomic

    with rendering(tmp_path):
        write_text_atomic(tmp_path / "a.md", "old a\n")
    (tmp_path / "REPORT.md").mkdir()
    with pytest.raises(NothingReplaced, match="REPORT.md is a folder where the render writes a file"):
        with rendering(tmp_path):
            write_text_atomic(tmp_path / "a.md", "new a\n")
            write_text_atomic(tmp_path / "REPORT.md", "report\n")
    assert (tmp_path / "a.md").read_text() == "old a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["REPORT.md", "a.md"]  # no marker, no temporary file


def test_a_marker_that_cannot_be_written_is_not_left_behind(tmp_path, monkeypatch):
    real = Path.write_text

    def full(self, *args, **kwargs):
        if self.name == INCOMPLETE:
            self.touch()  # what a full disk leaves: the file made, nothing in it
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(ValueError, match="No space left on device"), rendering(tmp_path):
        pass
    assert not (tmp_path / INCOMPLETE).exists()


def _claims_changed(committed, change):
    claims = json.loads(json.dumps(committed["claims"]))
    claims[0] = change if not isinstance(change, dict) else {**claims[0], **change}
    return claims


@pytest.mark.parametrize(
    "change, said",
    [
        ({"written_at": 12345}, "written_at: 12345 is not of type 'string'"),
        ({"cap": "ten"}, "cap: 'ten' is not of type 'integer'"),
        ({"level": -1}, "level: -1 is less than or equal to the minimum of 0"),
        ({"pilot": {}}, "pilot: 'seeds' is a required property"),
        ("claim seeds", "claims/0/seeds: 'many' is not of type 'integer', 'null'"),
        ("claim string", "claims/0: 'x' is not of type 'object'"),
        ("claim unknown", "claims: 'no_such_claim' is no claim of the suite"),
    ],
)
def test_a_resealed_plan_with_wrong_types_is_refused_in_one_line(tmp_path, change, said):
    """A plan resealed by hand (its seal recomputed), checked to every field the report reads: one line, no
    TypeError or KeyError from deep inside the verdicts."""
    committed = json.loads((Path(__file__).resolve().parents[1] / "results/confirmatory/plan.json").read_text())
    if isinstance(change, str):
        inner = {"claim seeds": {"seeds": "many"}, "claim string": "x", "claim unknown": {"claim": "no_such_claim"}}
        change = {"claims": _claims_changed(committed, inner[change])}
    (tmp_path / plan_file.PLAN_FILE).write_text(json.dumps(_sealed({**committed, **change})))
    with pytest.raises(ValueError) as caught:
        plan_file.read_plan(tmp_path)
    assert said in str(caught.value) and "\n" not in str(caught.value)


def test_a_huge_plan_is_not_read_whole(tmp_path):
    with open(tmp_path / plan_file.PLAN_FILE, "wb") as f:
        f.truncate(3 << 30)  # 3 GB, sparse
    with pytest.raises(ValueError, match="bytes, not a power plan"):
        plan_file.read_plan(tmp_path)


def test_a_committed_plan_edited_and_resealed_is_refused(tmp_path):
    committed = (Path(__file__).resolve().parents[1] / "results/confirmatory/plan.json").read_text()
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / plan_file.PLAN_FILE).write_text(committed)
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", plan_file.PLAN_FILE], check=True)
    subprocess.run([*git, "commit", "-qm", "plan"], check=True)
    assert plan_file.read_plan(tmp_path)  # as committed
    (tmp_path / plan_file.PLAN_FILE).write_text(json.dumps(_sealed({**json.loads(committed), "level": 0.5})))
    with pytest.raises(ValueError, match="differs from its committed version"):
        plan_file.read_plan(tmp_path)


def test_an_edited_curve_or_a_record_whose_seed_is_not_its_run_id_is_caught(tmp_path):
    from experiments.analysis.evidence.checks import check_evidence
    from tests.synthetic_records import bird_plane_images

    recs = bird_plane_images({}, seeds=2)
    recs[0]["history"][-1]["test"]["accuracy"] = 0.99  # the curve edited, `final` left alone
    with pytest.raises(ValueError, match="its last history row's accuracy 0.99 is not its final"):
        check_evidence(recs)
    r = bird_plane_images({}, seeds=1)[0]
    r["seed"] = 5  # its run id and config still say seed 0
    path = tmp_path / "runs" / r["task"] / f"{r['run_id']}.json"
    records.write_atomic(path, r)
    with pytest.raises(records.InvalidRecordError, match="its seed 5 is not its config's 0"):
        records.read(path)


def test_forged_summaries_that_passed_the_evidence_check_are_caught():
    """The hostile review's forgeries: a record without outputs whose `final` was raised and whose history says
    it was rescored (it cannot have been), or whose last history row lost the headline; and a record whose
    calibration bins (the reliability figure) were rewritten."""
    import copy

    from experiments.analysis.evidence.checks import check_evidence
    from tests.synthetic_records import bird_plane_images, record

    plain = record("bird_plane", "sigmoid+bce", 0, [0.5, 0.7, 0.8])
    plain["final"] = dict(plain["final"])  # its own dict, as a record read from JSON has
    check_evidence([plain])
    versions = copy.deepcopy(plain)
    versions["final"]["accuracy"] += 0.1
    versions["evaluation"] = {"decoding_version": 2, "history_decoding_version": 0}
    with pytest.raises(ValueError, match="last history row's accuracy 0.8 is not its final 0.9"):
        check_evidence([versions])
    for how in ("null", "deleted"):
        forged = copy.deepcopy(plain)
        forged["final"]["accuracy"] += 0.1
        if how == "null":
            forged["history"][-1]["test"]["accuracy"] = None
        else:
            del forged["history"][-1]["test"]["accuracy"]
        with pytest.raises(ValueError, match="its last history row has no accuracy"):
            check_evidence([forged])

    (rec,) = bird_plane_images({}, seeds=1)
    from experiments.rescore import rescored

    rec["calibration"] = records.jsonable(rescored(rec)[0]["calibration"])  # as written to JSON
    check_evidence([rec])
    bins = copy.deepcopy(rec)
    bins["calibration"]["accuracy"][8] = 0.9  # the bin that holds every image: perfectly calibrated, forged
    with pytest.raises(ValueError, match="calibration table"):
        check_evidence([bins])


def test_a_render_whose_final_moves_stop_part_way_says_so_and_keeps_its_marker(tmp_path, monkeypatch):
    """A file that cannot be replaced at the very end (busy, bind-mounted): the line says how many files moved
    and that the folder holds two renders, and RENDER_INCOMPLETE.txt stays to say so."""
    from experiments import atomic_files

    real = os.replace
    calls = []

    def busy_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(16, "Device or resource busy", str(dst))
        return real(src, dst)

    with pytest.raises(ValueError) as caught:
        with rendering(tmp_path):
            for name in ("a.md", "b.md", "c.md"):
                atomic_files.write_text_atomic(tmp_path / name, "new")
            monkeypatch.setattr(atomic_files.os, "replace", busy_second)
    said = str(caught.value)
    assert "1 of the new render's 3 files were moved into place" in said and "two renders" in said
    assert (tmp_path / INCOMPLETE).exists()
    assert not list(tmp_path.glob(".*.part.*"))  # the files not moved are removed
