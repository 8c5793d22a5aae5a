"""The command line's answers to bad input: one clear message, the right exit code, nothing written."""

import pytest

from experiments import config as cfg
from experiments import records, run_lock
from experiments.cli import main

RUN = ["run", "sepal_width", "--pairing", "linear+mse", "--profile", "smoke"]
SWEEP = ["sweep", "--tasks", "sepal_width", "--profile", "smoke"]


def _fails(argv, capsys, code, message):
    assert main(argv) == code
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            ["--data", "mosaic_sed=1"],
            "Unknown data option(s) mosaic_sed; valid: cifar10_archive, cifar10_fingerprint, data_source, "
            "extra_conv_layers,",
        ),
        (["--set", "learning_rate"], "--set expects KEY=VALUE, got 'learning_rate'."),
        (["--set", "=3"], "--set expects KEY=VALUE, got '=3'."),
        (["--set", "objects=torch"], "objects must be 'custom' or 'keras', got 'torch'."),
        (["--set", "learning_rate=-0.1"], "learning_rate must be a positive number, got -0.1."),
        (["--set", "learning_rate=fast"], "learning_rate must be a positive number, got 'fast'."),
        (
            ["--set", "epoch=3"],
            "Unknown setting(s) 'epoch' in the command line; valid settings: batch_size, class_weight, epochs,",
        ),
        (["--epochs", "0"], "epochs must be a positive integer, got 0."),
    ],
)
def test_bad_settings_stop_run_and_sweep_with_exit_2_and_write_nothing(tmp_path, capsys, extra, message):
    _fails([*RUN, "--results", str(tmp_path / "r"), *extra], capsys, 2, message)
    _fails([*SWEEP, "--results", str(tmp_path / "r"), *extra], capsys, 2, message)
    assert not (tmp_path / "r").exists()


def test_bad_seeds_are_refused_before_any_run(tmp_path, capsys):
    _fails(
        [*RUN, "--seed", "-1", "--results", str(tmp_path)],
        capsys,
        2,
        "seeds must be a non-empty list of integers from 0 to 2**32 - 1, got [-1].",
    )
    _fails(
        [*SWEEP, "--seeds", "0", "-2", "--results", str(tmp_path)],
        capsys,
        2,
        "seeds must be a non-empty list of integers from 0 to 2**32 - 1, got [0, -2].",
    )
    with pytest.raises(SystemExit) as exit_info:
        main([*SWEEP, "--seeds", "1.5", "--results", str(tmp_path)])
    assert exit_info.value.code == 2 and "invalid int value: '1.5'" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_pack_size_zero_and_an_unknown_data_source_are_refused(tmp_path, capsys):
    _fails(
        [*SWEEP, "--pack-size", "0", "--results", str(tmp_path / "r")],
        capsys,
        2,
        "--pack-size must be a positive integer (runs per graph, 1 = each run alone), got 0.",
    )
    with pytest.raises(SystemExit) as exit_info:
        main([*SWEEP, "--data-source", "web", "--results", str(tmp_path / "r")])
    assert exit_info.value.code == 2 and "invalid choice: 'web'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_a_source_without_data_stops_the_sweep_before_anything_is_written(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CIFAR10_ARCHIVE", raising=False)
    argv = [
        "sweep",
        "--tasks",
        "sepal_width",
        "bird_plane",
        "--profile",
        "smoke",
        "--data-source",
        "archive",
        "--results",
        str(tmp_path / "r"),
    ]
    _fails(
        argv, capsys, 2, "--data-source archive needs an archive; use --cifar10-archive PATH or CIFAR10_ARCHIVE=PATH"
    )
    _fails(
        [*argv[:-2], "--cifar10-archive", str(tmp_path / "none.tar.gz"), "--results", str(tmp_path / "r")],
        capsys,
        2,
        "none.tar.gz does not exist",
    )
    assert not (tmp_path / "r").exists()  # not even the iris runs, which had their data


def test_run_refuses_a_run_that_another_process_holds(tmp_path, capsys):
    config = cfg.resolve("sepal_width", "linear+mse", 0, "smoke")
    path = records.record_path(tmp_path, cfg.run_id(config), "sepal_width")
    lock = run_lock.try_lock(path)
    try:
        _fails([*RUN, "--results", str(tmp_path)], capsys, 2, f"{path.name} is being run by another process")
    finally:
        lock.release()
    assert not path.exists()


def test_a_run_that_fails_exits_1_and_records_the_error(tmp_path, capsys, monkeypatch):
    from experiments.tasks import sepal_width

    def broken_data(**options):
        raise OSError("disk gone")

    monkeypatch.setattr(sepal_width, "load_data", broken_data)
    assert main([*RUN, "--results", str(tmp_path)]) == 1
    assert "OSError: disk gone" in capsys.readouterr().out
    (written,) = tmp_path.glob("runs/sepal_width/*.json")
    assert records.read(written)["status"] == "error"


def test_dry_run_counts_a_partly_finished_grid_writes_nothing_and_starts_no_worker(tmp_path, capsys, monkeypatch):
    import concurrent.futures

    from experiments.sweep import plan, sweep

    results = tmp_path / "r"
    configs = plan("smoke", tasks=["sepal_width"], seeds=[0, 1])
    sweep([c for c in configs if c["seed"] == 0], str(results), workers=1)  # 4 of the 8 runs done
    before = sorted((p, p.stat().st_mtime_ns) for p in results.rglob("*"))

    def no_worker(*args, **kwargs):
        raise AssertionError("a dry run started a worker")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_worker)
    argv = [*SWEEP, "--seeds", "0", "1", "--results", str(results), "--dry-run", "--pack-size", "3", "--workers", "2"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "dry run: 8 runs in the grid; 4 done already" in out and "4 to run in 2 packs (up to 3 runs each)" in out
    assert "sepal_width: 2 packs, about" in out and "estimated wall time with 2 workers: about " in out
    assert sorted((p, p.stat().st_mtime_ns) for p in results.rglob("*")) == before


def _timed_record(folder, task, per_image_epoch, overhead, images, machine):
    """A finished record of `task` with the given costs, measured on `machine`."""
    from tests.synthetic_records import record

    train_s = per_image_epoch * images * 10 * 2  # 10 epochs, a pack of 2
    timing = {"train_s": train_s, "epochs_run": 10, "pack_size": 2, "wall_s": train_s + overhead}
    timing["finished_at"] = "2026-01-01T00:00:00"
    rec = {**record(task, "x", 0, [0.5] * 11), "environment": {"platform": machine}, "timing": timing}
    rec["data"]["train_examples"] = images
    records.write_atomic(records.record_path(folder, rec["run_id"], task), rec)


def test_a_task_never_run_here_is_estimated_from_a_calibration_and_another_machines_runs(tmp_path):
    from experiments.sweep import plan
    from experiments.sweep.estimate import describe

    other = tmp_path / "shipped"
    _timed_record(other, "bird_plane", 200e-6, 20.0, 1000, "another machine")
    _timed_record(other, "sepal_width", 50e-6, 4.0, 120, "another machine")
    configs = plan("smoke", tasks=["sepal_width"], seeds=[0])  # 4 pairings, 2 epochs, 128 training rows at most
    calls = []

    def calibration():
        calls.append(1)
        return {"per_image_epoch": 100e-6, "seconds": 10.0}  # half the other machine's bird_plane cost

    lines = describe(configs, str(tmp_path / "r"), 8, 1, [str(other)], calibration)
    assert len(calls) == 1 and "calibration: 10 s here, 100 µs per training image" in lines[1]
    # Half the other machine's sepal_width costs: 25 µs x 120 rows x 2 epochs x 4 runs + 2 s.
    expected = 25e-6 * 120 * 2 * 4 + 2.0
    assert f"sepal_width: 1 packs, about {expected / 60:.1f} min of one core (calibrated" in lines[2]
    assert f"about {expected:.0f} s (from earlier runs' timings and the calibration" in lines[3]
    uncalibrated = describe(configs, str(tmp_path / "r"), 8, 1, [str(other)])
    assert "no earlier run of sepal_width on this machine, so no estimate" in uncalibrated[1]
    assert "estimated wall time with 1 workers: unknown" in uncalibrated[2]

    import platform

    _timed_record(tmp_path / "here", "sepal_width", 50e-6, 4.0, 120, platform.platform())
    describe(configs, str(tmp_path / "r"), 8, 1, [str(other), str(tmp_path / "here")], calibration)
    assert len(calls) == 1  # every task has runs here: no calibration


@pytest.mark.slow
def test_dry_run_calibrates_in_a_child_process_and_writes_nothing(tmp_path, capsys, monkeypatch):
    import concurrent.futures

    monkeypatch.chdir(tmp_path)  # no results of this machine under ./results
    _timed_record(tmp_path / "results" / "shipped", "bird_plane", 200e-6, 20.0, 1000, "another machine")
    _timed_record(tmp_path / "results" / "shipped", "sepal_width", 50e-6, 4.0, 120, "another machine")
    before = sorted(tmp_path.rglob("*"))

    def no_worker(*args, **kwargs):
        raise AssertionError("a dry run started a sweep worker")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_worker)
    assert main([*SWEEP, "--dry-run", "--calibrate", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "calibration: " in out and "sepal_width: 1 packs, about" in out and "(calibrated" in out
    assert sorted(tmp_path.rglob("*")) == before
