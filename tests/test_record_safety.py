"""The record folder cannot go wrong silently, and bad input stops before anything runs.

Each case is a command a user can type; each must end with one clear line, the documented exit
code, and nothing lost.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments import records
from experiments.cli import main
from experiments.tasks import TASKS
from experiments.tasks import options as option_rules

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ["--tasks", "sepal_width", "--profile", "smoke", "--seeds", "0"]
POST = "sepal_width__linear+mse__s0"


@pytest.fixture(scope="module")
def smoke_folder(tmp_path_factory):
    """One smoke sweep of sepal_width (4 runs, a few seconds), copied fresh into each test that breaks it."""
    folder = tmp_path_factory.mktemp("smoke")
    assert main(["sweep", *SMOKE, "--results", str(folder), "--workers", "1"]) == 0
    return folder


@pytest.fixture
def results(smoke_folder, tmp_path):
    copy = tmp_path / "results"
    shutil.copytree(smoke_folder, copy)
    return copy


def _post_record(results):
    (path,) = (results / "runs" / "sepal_width").glob(f"{POST}__*.json")
    return path


@pytest.mark.parametrize("folder", ["results/full", "results/quick"])
def test_every_committed_record_passes_the_schema(folder):
    loaded = records.load_all(ROOT / folder)
    assert not loaded.invalid, [str(e) for e in loaded.invalid]
    assert len(loaded.records) >= 150


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda p: p.write_text(p.read_text()[:100]), "not JSON"),
        (lambda p: p.write_text("[]"), "expected a JSON object, found list"),
        (lambda p: p.write_text('{"status": "ok"}'), "is a required property"),
        (lambda p: p.write_bytes(b"\xff\xfe\x00garbage"), "not JSON"),
    ],
    ids=["truncated", "a list", "status-only stub", "binary"],
)
def test_report_refuses_a_folder_with_an_invalid_record_and_names_the_repair(results, capsys, damage, reason):
    path = _post_record(results)
    damage(path)
    assert main(["report", "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert f"error: 1 invalid record(s) under {results / 'runs'}; no report rendered:" in err
    assert f"{path}: invalid record (" in err and reason in err
    repair = f"python -m experiments sweep --results {results} --profile smoke --tasks sepal_width --seeds 0"
    assert f"Repair: {repair} (a sweep moves" in err
    assert not (results / "REPORT.md").exists() and not (results / "tables").exists()


def test_allow_missing_renders_and_marks_the_broken_pairing_not_measured(results, capsys):
    _post_record(results).write_text("{")
    assert main(["report", "--results", str(results), "--allow-missing"]) == 0
    text = (results / "REPORT.md").read_text()
    assert "| records read | 3 read, 3 used, 0 skipped, 1 invalid (`sepal_width/" in text
    assert "**not measured**" in text
    assert "linear+mse" not in (results / "tables" / "sepal_width.csv").read_text()


def test_the_report_header_counts_the_records(results):
    assert main(["report", "--results", str(results)]) == 0
    assert "| records read | 4 read, 4 used, 0 skipped, 0 invalid |" in (results / "REPORT.md").read_text()


def test_sweep_moves_an_invalid_record_aside_and_runs_it_again(results, capsys):
    path = _post_record(results)
    path.write_text('{"status": "ok"}')
    assert main(["sweep", *SMOKE, "--results", str(results), "--workers", "1"]) == 0
    err = capsys.readouterr().err
    (moved,) = (results / "runs" / ".invalid" / "sepal_width").glob(f"{path.stem}.*.json")
    assert moved.read_text() == '{"status": "ok"}'  # kept, never deleted
    assert f"invalid record moved aside: {path} (" in err
    assert "3 already done, 1 run now (1 ok, 0 diverged, 0 error) (1 invalid record(s) moved aside" in err
    # A stray copy and a folder named like a record are moved aside too, so the report is whole again.
    (path.parent / f"{path.stem} (copy).json").write_text("{")
    (path.parent / "dir.json").mkdir()
    assert main(["sweep", *SMOKE, "--results", str(results), "--workers", "1"]) == 0
    assert "4 already done, 0 run now" in capsys.readouterr().err
    assert records.read(path)["status"] == "ok"
    assert main(["report", "--results", str(results)]) == 0  # the folder is whole again


def test_a_record_stored_under_another_runs_name_is_invalid(results):
    path = _post_record(results)
    other = path.with_name("sepal_width__linear+mae__s0__0123abcd.json")
    other.write_text(path.read_text())
    with pytest.raises(records.InvalidRecordError, match="is not its file name"):
        records.read(other)
    moved = results / "runs" / "bird_plane" / path.name
    moved.parent.mkdir()
    moved.write_text(path.read_text())
    with pytest.raises(records.InvalidRecordError, match="its task 'sepal_width' is not its folder 'bird_plane'"):
        records.read(moved)


def test_run_keeps_a_finished_record_unless_forced(results, capsys, monkeypatch):
    path = _post_record(results)
    before = path.read_bytes()
    argv = ["run", "sepal_width", "--pairing", "linear+mse", "--profile", "smoke", "--results", str(results)]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith(f"done already: {path.stem} has a finished record at {path}")
    assert path.read_bytes() == before
    assert main([*argv, "--force"]) == 0
    assert records.read(path)["timing"]["finished_at"] >= json.loads(before)["timing"]["finished_at"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "sepal_width", "--pairing", "linear+mse", "--results", ""], "--results is empty; name a folder"),
        (["sweep", *SMOKE, "--results", " "], "--results is empty; name a folder"),
        (["sweep", *SMOKE, "--workers", "0"], "--workers must be a positive integer (parallel runs, e.g. 2), got 0."),
        (["sweep", *SMOKE, "--workers", "-3"], "--workers must be a positive integer (parallel runs, e.g. 2), got -3."),
        (
            ["sweep", *SMOKE, "--data", "split_seed=abc"],
            "data option split_seed must be a non-negative integer, got 'abc'.",
        ),
        (
            ["sweep", "--tasks", "bird_plane_deep", "--profile", "smoke", "--data", "extra_conv_layers=-2"],
            "data option extra_conv_layers must be an integer from 0 to 64, got -2.",
        ),
        (
            ["sweep", "--tasks", "multilabel", "--profile", "smoke", "--data", "mosaic_seed=abc"],
            "data option mosaic_seed must be a non-negative integer, got 'abc'.",
        ),
        (
            ["run", "sepal_width", "--pairing", "linear+mse", "--profile", "smoke", "--seed", str(2**32)],
            "seeds must be a non-empty list of integers from 0 to 2**32 - 1, got [4294967296].",
        ),
        (["sweep", *SMOKE, "--calibrate"], "--calibrate only estimates a dry run's cost; use it with --dry-run."),
        (
            ["run", "sepal_width", "--pairing", "linear+mse", "--profile", "smoke", "--data", "outlier_share=5"],
            "--data outlier_share: not an option of sepal_width; valid: split_seed, target_scale, test_fraction.",
        ),
        (["report", "--compare", "", "results/full"], "--compare needs two results folders; one of them is empty."),
        (
            ["run", "sepal_width", "--pairing", "linear+mse", "--profile", "smoke", "--data", "test_fraction=0.001"],
            "data option test_fraction must be a number from 0.01 to 0.99, got 0.001.",
        ),
    ],
)
def test_bad_input_stops_with_one_line_and_writes_nothing(tmp_path, capsys, argv, message):
    if "--results" not in argv and argv[0] != "report":
        argv = [*argv, "--results", str(tmp_path / "r")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"error: {message}" or message in err[-1]
    assert not (tmp_path / "r").exists()


def test_every_data_option_of_every_task_has_a_rule_and_its_default_passes():
    for task in TASKS.values():
        for key, default in task.data_options.items():
            check, _ = option_rules.RULES[key]
            assert check(default), (task.name, key, default)
        task.check_options(task.data_options)


def test_a_results_path_that_is_a_file_or_read_only_is_refused_before_training(tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    run = ["run", "sepal_width", "--pairing", "linear+mse", "--profile", "smoke", "--results"]
    assert main([*run, str(a_file)]) == 2
    assert f"error: results folder {a_file} is a file, not a folder" in capsys.readouterr().err
    assert main([*run, str(a_file / "below")]) == 2
    assert f"{a_file} is a file" in capsys.readouterr().err
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root ignores the mode bits: try the immutable flag
            if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
                pytest.skip("cannot make a folder unwritable for this user here")
        assert main(["sweep", *SMOKE, "--results", str(locked)]) == 2
        assert f"error: results folder {locked} is not writable (" in capsys.readouterr().err
    finally:
        subprocess.run(["chattr", "-i", str(locked)], capture_output=True)
        locked.chmod(0o700)
    assert list(locked.iterdir()) == []


def test_compare_refuses_a_missing_or_empty_folder(results, smoke_folder, tmp_path, capsys):
    assert main(["report", "--compare", str(smoke_folder), str(results)]) == 0
    out = capsys.readouterr().out
    assert "same runs, sepal_width: 4 runs in both; 4 with identical final mse; |difference| median 0.0000" in out
    assert out.strip().endswith(f"0 verdict(s) differ between {smoke_folder} and {results}.")
    missing, empty = tmp_path / "missing", tmp_path / "empty"
    empty.mkdir()
    assert main(["report", "--compare", str(results), str(missing)]) == 2
    assert f"error: results folder {missing} does not exist" in capsys.readouterr().err
    assert main(["report", "--compare", str(empty), str(results)]) == 2
    assert f"error: results folder {empty} holds no run records" in capsys.readouterr().err


def _unused_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_ray_address_fails_within_the_bound_with_one_line(tmp_path):
    address = f"127.0.0.1:{_unused_port()}"
    argv = ["sweep", *SMOKE, "--results", str(tmp_path / "r"), "--executor", "ray", "--address", address]
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "experiments", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        cwd=ROOT,
    )
    assert time.monotonic() - start < 15
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: cannot join the Ray cluster at {address}: Connection refused; check the address and port, "
        "and that `ray start --head` runs there"
    ]
    assert not (tmp_path / "r").exists()


def test_a_silent_ray_address_times_out_after_the_bound(monkeypatch):
    from experiments.sweep import ray_cluster

    waited = []

    def silent(address, timeout):
        waited.append(timeout)
        raise TimeoutError()

    monkeypatch.setattr(ray_cluster.socket, "create_connection", silent)
    with pytest.raises(RuntimeError, match=r"^cannot join the Ray cluster at ray://head: no answer within 10 s"):
        ray_cluster.check_reachable("ray://head")
    assert waited == [ray_cluster.CONNECT_TIMEOUT_S]
    with pytest.raises(ValueError, match="--address must be HOST:PORT, ray://HOST:PORT or auto, got 'head:x'"):
        ray_cluster.check_reachable("head:x")
    with pytest.raises(ValueError, match=r"port 99999 is out of range \(1-65535; a Ray head listens on 6379\)"):
        ray_cluster.check_reachable("127.0.0.1:99999")


def _interrupt_a_sweep(tmp_path, send):
    """Start a real sweep (a CIFAR-10 pack that trains for ~30 s), interrupt it once it trains; its stderr."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    argv = ["sweep", "--tasks", "sepal_width", "cifar10", "--profile", "quick", "--seeds", "0", "--workers", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "experiments", *argv, "--results", str(tmp_path / "r")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
        start_new_session=True,
        # As from a terminal: a shell's background job (CI's, say) starts with Ctrl-C ignored, which Python keeps.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    sepal = tmp_path / "r" / "runs" / "sepal_width"
    deadline = time.monotonic() + 120
    while len(list(sepal.glob("*.json"))) < 4 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, "the sweep ended before it could be interrupted"
    time.sleep(2)
    send(proc)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def _press_twice(proc):
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)


@pytest.mark.slow
@pytest.mark.parametrize(
    "send, code",
    [
        (lambda proc: os.killpg(proc.pid, signal.SIGINT), 130),  # Ctrl-C reaches the whole process group
        (lambda proc: proc.send_signal(signal.SIGTERM), 143),  # `timeout`, `kill`: the sweep alone
        (_press_twice, 130),  # a user pressing Ctrl-C twice, 50 ms apart: the second lands in the first's clean-up
    ],
    ids=["ctrl-c", "sigterm", "ctrl-c-twice"],
)
def test_an_interrupted_sweep_ends_with_one_line_and_keeps_its_records(tmp_path, send, code):
    returncode, err = _interrupt_a_sweep(tmp_path, send)
    assert returncode == code
    assert "Traceback" not in err and "Exception ignored" not in err
    lines = [line for line in err.replace("\r", "\n").splitlines() if line.strip()]
    from experiments.sweep import plan

    total = len(plan("quick", ["sepal_width", "cifar10"], seeds=[0]))  # 4 iris runs finish before the signal
    assert lines[-1] == f"interrupted: 4 of {total} runs done, run the same command to resume"
    assert len([line for line in lines if "%|" not in line]) <= 6, lines  # data line, 4 run lines, the end
    loaded = records.load_all(tmp_path / "r")
    assert len(loaded.records) == 4 and not loaded.invalid
    assert not list((tmp_path / "r").rglob("*.lock"))  # the runs in flight were let go, their lock files too


# Fuzzing the readers: whatever the bytes, the reader answers with its own error and writes nothing.


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=400))
def test_the_record_reader_on_random_bytes_raises_only_its_own_error(tmp_path, content):
    path = tmp_path / "runs" / "sepal_width" / "sepal_width__linear+mse__s0__0123abcd.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    try:
        records.read(path)
    except records.InvalidRecordError as error:
        assert error.path == path and "\n" not in error.reason
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=20,
)
_RECORDISH = st.fixed_dictionaries(
    {},
    optional={
        key: _JSON
        for key in ("schema_version", "run_id", "task", "status", "history", "final", "config", "seed", "timing")
    },
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_JSON | _RECORDISH)
def test_the_record_reader_on_random_json_raises_only_its_own_error(tmp_path, value):
    path = tmp_path / "runs" / "sepal_width" / "sepal_width__linear+mse__s0__0123abcd.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))
    try:
        record = records.read(path)
    except records.InvalidRecordError:
        return
    assert isinstance(record, dict) and record["status"] in ("ok", "diverged", "error")


def _committed_record():
    (path,) = sorted((ROOT / "results" / "quick" / "runs" / "sepal_width").glob(f"{POST}__*.json"))[:1]
    record = json.loads(path.read_text())
    for key in ("test_outputs", "test_targets"):  # the schema does not look into them
        record.pop(key, None)
    return record


def _schema_places(schema, where=()):
    """The paths of every property `schema` names (in `properties`, and in each `allOf` branch's `then`)."""
    for key, inner in schema.get("properties", {}).items():
        yield (*where, key)
        yield from _schema_places(inner, (*where, key))
    if "items" in schema:
        yield (*where, 0)
        yield from _schema_places(schema["items"], (*where, 0))
    for branch in schema.get("allOf", []):
        yield from _schema_places(branch.get("then", {}), where)


# Values where JSON Schema implementations are known to part ways: booleans as numbers, 1.0 as an integer, ...
_EDGES = st.sampled_from([True, False, 0, 1, -1, 1.0, 0.5, 2, None, "", "ok", "error", [], [{}], {}, 10**20])


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_fast_schema_check_lets_through_only_records_jsonschema_accepts(data):
    """`records.validate` trusts `fastjsonschema`'s yes and asks `jsonschema` after its no: a real record with
    up to three fields replaced, removed or added is accepted by the fast check only where `jsonschema` accepts it."""
    import jsonschema

    from experiments.record_schema import RECORD_SCHEMA, _fast_check

    record = _committed_record()
    places = sorted(set(_schema_places(RECORD_SCHEMA)), key=str)
    for _ in range(data.draw(st.integers(1, 3))):
        *path, last = data.draw(st.sampled_from(places))
        parent = record
        for key in path:  # a place an earlier change removed, or made a scalar: this change is skipped
            found = isinstance(parent, dict) and key in parent or isinstance(parent, list) and key == 0 and parent
            parent = parent[key] if found else None
        if not (isinstance(parent, dict) or isinstance(parent, list) and parent and last == 0):
            continue
        action = data.draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "remove" and isinstance(parent, dict):
            parent.pop(last, None)
        elif action == "add" and isinstance(parent, dict):
            parent[data.draw(st.sampled_from(["new", "final", "test", "seed"]))] = data.draw(_EDGES | _JSON)
        else:
            parent[last] = data.draw(_EDGES | _JSON)
    try:
        _fast_check()(record)
    except Exception:
        return  # refused: `validate` asks jsonschema
    assert jsonschema.Draft202012Validator(RECORD_SCHEMA).is_valid(record)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=600), compress=st.sampled_from(["none", "gzip", "tar.gz"]))
def test_the_cifar10_archive_reader_on_random_bytes_raises_only_its_own_error(tmp_path, content, compress):
    import gzip
    import io
    import tarfile

    from experiments.data import cifar10, cifar10_archive

    if compress == "gzip":
        content = gzip.compress(content)
    elif compress == "tar.gz":  # a real archive whose batches are random bytes
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for name in (*cifar10_archive.TRAIN_BATCHES, cifar10_archive.TEST_BATCH):
                info = tarfile.TarInfo(f"{cifar10_archive.FOLDER}/{name}")
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
        content = buffer.getvalue()
    folder = tmp_path / f"fuzz-{compress}"
    folder.mkdir(exist_ok=True)
    path = folder / "archive.tar.gz"
    path.write_bytes(content)
    cifar10.read_archive.cache_clear()
    with pytest.raises(cifar10.CifarDataError) as caught:
        cifar10.read_archive(str(path))
    assert str(path) in str(caught.value)
    assert [p.name for p in folder.iterdir()] == ["archive.tar.gz"]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "the file is empty (0 bytes), not a tar.gz"),
        (b"PK\x03\x04" + b"\0" * 40, "a zip archive, not a tar.gz"),
    ],
)
def test_an_empty_file_or_a_zip_is_named_as_not_a_tar_gz(tmp_path, content, message):
    from experiments.data import cifar10

    path = tmp_path / "cifar.tar.gz"
    path.write_bytes(content)
    with pytest.raises(cifar10.CifarDataError, match=re.escape(message)) as caught:
        cifar10.read_archive(str(path))
    assert "\n" not in str(caught.value)


def _rendered(folder):
    """Every file of a render under `folder` (the records aside), hidden ones included: {relative path: bytes}."""
    return {
        p.relative_to(folder): p.read_bytes() for p in Path(folder).rglob("*") if p.is_file() and "runs" not in p.parts
    }


def _one_record_fewer(results):
    (other,) = [p for p in (results / "runs" / "sepal_width").glob("*.json") if not p.name.startswith(POST)][:1]
    other.unlink()


def _report(results):
    return subprocess.Popen(
        [sys.executable, "-m", "experiments", "report", "--results", str(results)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a terminal starts it
    )


@pytest.mark.parametrize("send, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_report_stopped_by_a_real_signal_leaves_the_previous_render_whole(results, send, code):
    """Stopped once it has written files of its own (staged beside the old ones): every earlier file is as it was."""
    assert main(["report", "--results", str(results)]) == 0
    before = _rendered(results)
    assert len(before) > 10
    _one_record_fewer(results)  # the new render's files differ from the old ones
    proc = _report(results)
    deadline = time.monotonic() + 120
    while not list(results.rglob(".*.part.*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the render ended before it staged a file"
    proc.send_signal(send)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert _rendered(results) == before  # byte for byte; no temporary file and no marker left
    assert err.strip().count("\n") == 0 and "interrupted" in err


def test_a_report_on_a_full_disk_leaves_the_previous_render_whole(smoke_folder, tmp_path):
    """A real full file system (tmpfs): the render fails with one line, exit 2, and replaces nothing."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        results = disk / "results"
        shutil.copytree(smoke_folder, results)
        assert main(["report", "--results", str(results)]) == 0
        before = _rendered(results)
        free = shutil.disk_usage(disk).free
        _one_record_fewer(results)
        with open(disk / "filler", "wb") as f:  # leave 64 KB: the first figure cannot be written whole
            f.write(b"\0" * (free - 64 * 1024))
        proc = _report(results)
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 2, err
        assert "No space left on device" in err and err.strip().count("\n") == 0
        assert _rendered(results) == before
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.parametrize(
    "forged",
    [
        {"images": 30, "below_0": 0.0, "at_most_0": 5.0, "above_1": 0.0, "row_sum_at_most_0": 0.0},
        {"images": 30, "below_0": -1.0, "at_most_0": 0.0, "above_1": 0.0, "row_sum_at_most_0": 0.0},
        {"images": 30, "below_0": "abc", "at_most_0": 0.0, "above_1": 0.0, "row_sum_at_most_0": 0.0},
        {"images": 30, "below_0": True, "at_most_0": 0.0, "above_1": 0.0, "row_sum_at_most_0": 0.0},
        {},
        5,
    ],
)
def test_a_forged_share_of_what_the_loss_was_first_fed_makes_the_record_invalid(tmp_path, forged):
    """The atlas prints these shares as percentages: one outside [0, 1], or not a number, is never printed."""
    from experiments import records
    from tests.synthetic_records import record

    path = tmp_path / "r.json"
    rec = {**record("sepal_width", "linear+poisson", 0, [1.0], status="diverged"), "untrained_outputs": forged}
    rec["diverged_at_epoch"] = 0
    path.write_text(json.dumps(rec))
    with pytest.raises(records.InvalidRecordError, match="untrained_outputs"):
        records.read(path)


@pytest.mark.parametrize("metric", ["accuracy", "roc_auc"])
def test_an_accuracy_outside_0_1_is_no_measurement(tmp_path, metric):
    from experiments import records
    from tests.synthetic_records import record

    rec = record("bird_plane", "sigmoid+bce", 0, [0.5, 0.6])
    rec["final"][metric] = 5.0
    rec["history"][-1]["test"][metric] = 5.0
    path = tmp_path / "r.json"
    path.write_text(json.dumps(rec))
    with pytest.raises(records.InvalidRecordError, match=f"final/{metric} is 5.0"):
        records.read(path)


def test_rescore_untrained_refuses_another_backend_and_a_config_no_run_could_build_naming_the_file(tmp_path):
    from experiments import config as cfg
    from experiments import records
    from experiments.rescore import rescore_folder
    from tests.synthetic_records import record

    folder = tmp_path / "runs" / "sepal_width"
    folder.mkdir(parents=True)
    good = cfg.resolve("sepal_width", "linear+poisson", 0, "smoke")
    for seed, change in ((0, {"backend": "jax", "objects": "keras"}), (1, {"learning_rate": "abc"})):
        config = {**good, "seed": seed, **change}
        rec = {**record("sepal_width", "linear+poisson", seed, [1.0], status="diverged"), "config": config}
        rec["diverged_at_epoch"] = 0
        (folder / f"{rec['run_id']}.json").write_text(json.dumps(rec))
    before = {p: p.read_bytes() for p in folder.iterdir()}
    done = rescore_folder(tmp_path, untrained=True)
    assert done.untrained == 0 and len(done.invalid) == 2, [e.reason for e in done.invalid]
    assert all(isinstance(e, records.InvalidRecordError) and e.path in before for e in done.invalid)
    assert any("backend" in e.reason for e in done.invalid)
    assert {p: p.read_bytes() for p in folder.iterdir()} == before  # nothing rewritten


def _write_one(folder, name):
    from experiments.atomic_files import write_text_atomic

    return [write_text_atomic(folder / name, "new")]


@pytest.mark.parametrize("fails_in", ["parent", "child"])
def test_a_render_stopped_after_its_forked_writers_finished_leaves_no_temporary_file(tmp_path, fails_in):
    """The writers sent their staged files; the render stops before it takes them: they are removed, and the
    earlier files stay as they were."""
    from functools import partial

    from experiments import atomic_files
    from experiments.analysis.render import forked

    (tmp_path / "a.txt").write_text("old")
    jobs = [partial(_write_one, tmp_path, "a.txt"), partial(_write_one, tmp_path, "b.txt")]
    if fails_in == "child":
        jobs.append(partial(_write_one, tmp_path / "a.txt", "below"))  # a file where a folder belongs: fails
    with pytest.raises((RuntimeError, OSError)):
        with atomic_files.staged(tmp_path), forked.in_background(jobs) as drawn:
            time.sleep(1.0)  # every writer has finished and sent its files
            if fails_in == "parent":
                raise RuntimeError("the statistics failed")
            drawn.results()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]  # no .part file, no b.txt
    assert (tmp_path / "a.txt").read_text() == "old"


def test_a_forked_writer_names_the_full_disk_not_the_error_it_caused():
    """matplotlib's PDF writer answers ENOSPC with a zlib.error raised while it handles it: the render reports
    the OSError (one line, exit 2), not the zlib traceback."""
    import errno
    import zlib

    from experiments.analysis.render.forked import _os_error

    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", "x.pdf")
        except OSError:
            raise zlib.error("Error -2 while flushing: inconsistent stream state") from None
    except zlib.error as error:
        found = _os_error(error)
    assert isinstance(found, OSError) and found.errno == errno.ENOSPC
    plain = RuntimeError("no OSError behind it")
    assert _os_error(plain) is plain
