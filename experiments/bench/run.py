"""`python -m experiments bench`'s main: the three measurements of the package's docstring, in one invocation,
written to `results/bench/` and printed as figures."""

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from experiments.bench import (
    PAIRINGS,
    TASK,
    _first_seed_fit_s,
    _plain_loop,
    _summary,
    _timed_sweep,
    cpu_flags,
    tensorflow_default_onednn,
    training_devices,
)
from experiments.bench.measure import MATMUL_N, matmul_gflops, training_flops_per_image
from experiments.training.speed.process import ONEDNN_DEFAULT, ONEDNN_VAR


def main(args):
    """Run the bench: the sweep, the plain `model.fit` loop (and its oneDNN gap), the sweep again; write and print
    the result (`results/bench/latest.json`)."""
    grid = _grid(args)
    measured = _measure(args, grid)
    result = _result(args, grid, measured)
    written = _write(result, args)
    _print_result(result, measured, written)
    return 0


def _grid(args):
    """What the bench trains, on which data and device, and the machine's arithmetic rate (printed as found)."""
    from experiments.data import cifar10
    from experiments.tasks import get_task

    started = time.perf_counter()
    archive = args.cifar10_archive or os.environ.get(cifar10.ENV_VAR)
    split = get_task(TASK).load_data(cifar10_archive=archive)  # fails early and clearly without data
    seeds = list(range(args.seeds))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": args.backend}
    if archive:
        env[cifar10.ENV_VAR] = str(Path(archive).resolve())
    devices = training_devices(env, args.backend)
    n_train = len(split.x_train)
    print(
        f"bench ({args.backend} backend) on {devices.split()[0]} (devices: {devices}): {TASK} x {len(PAIRINGS)} "
        f"pairings x {len(seeds)} seeds, {args.epochs} epochs, batch 32, {n_train} training images ({split.source})",
        flush=True,
    )
    gflops = matmul_gflops()
    flops_per_image = training_flops_per_image(get_task(TASK).build_model())
    print(
        f"  float32 matmul ({MATMUL_N}^2, NumPy): {gflops:.1f} GFLOP/s; "
        f"model: {flops_per_image / 1e6:.2f} MFLOP per training image",
        flush=True,
    )
    return SimpleNamespace(
        started=started,
        archive=archive,
        source=split.source,
        n_train=n_train,
        seeds=seeds,
        images=len(PAIRINGS) * len(seeds) * args.epochs * n_train,
        env=env,
        devices=devices,
        on_tensorflow=args.backend == "tensorflow",
        kernels=os.environ.get(ONEDNN_VAR, ONEDNN_DEFAULT),  # the sweep's workers' setting: both sides run it
        gflops=gflops,
        flops_per_image=flops_per_image,
    )


def _measure(args, g):
    """The sweep, the plain loop, its oneDNN gap (TensorFlow) and the sweep again, each timed."""
    first = _timed_sweep("before the plain loop:", g.seeds, args.epochs, g.env, g.images)
    plain, plain_wall, plain_mem = _plain_loop(g.seeds, args.epochs, g.archive, g.env, g.kernels)
    plain_rate = g.images / plain["fit_s"]
    kernels_text = f"oneDNN {'on' if plain['onednn'] else 'off'}" if g.on_tensorflow else "XLA"
    print(f"  plain loop: {plain_rate:8.0f} images/s ({kernels_text}, as in the sweep)", flush=True)
    flags = cpu_flags()
    if g.on_tensorflow:
        other = "0" if g.kernels != "0" else "1"
        plain_other, _, _ = _plain_loop(g.seeds[:1], args.epochs, g.archive, g.env, other)
        seed_images = len(PAIRINGS) * args.epochs * g.n_train
        other_rate = seed_images / plain_other["fit_s"]
        first_seed_rate = seed_images / _first_seed_fit_s(plain, g.seeds[0])
        on_rate, off_rate = (first_seed_rate, other_rate) if plain["onednn"] else (other_rate, first_seed_rate)
        tf_default = tensorflow_default_onednn(g.env)
        print(
            f"  oneDNN on/off gap of the plain loop (seed {g.seeds[0]}'s runs): {on_rate:.0f} / {off_rate:.0f} "
            f"images/s = {on_rate / off_rate:.2f}x; CPU flags: {' '.join(flags) or 'none found'}; "
            f"TensorFlow's own default here: oneDNN {'on' if tf_default else 'off'}",
            flush=True,
        )
    else:
        on_rate = off_rate = tf_default = None
        print(f"  (no oneDNN gap: the JAX backend runs XLA's kernels); CPU flags: {' '.join(flags) or 'none'}")
    second = _timed_sweep("after the plain loop: ", g.seeds, args.epochs, g.env, g.images)
    return SimpleNamespace(
        first=first,
        second=second,
        plain=plain,
        plain_wall=plain_wall,
        plain_mem=plain_mem,
        plain_rate=plain_rate,
        kernels_text=kernels_text,
        flags=flags,
        on_rate=on_rate,
        off_rate=off_rate,
        tf_default=tf_default,
    )


def _result(args, g, m):
    """The bench's JSON record: the grid, both sides' rates, memory and accuracy, and their ratio."""
    first, plain = m.first, m.plain
    walls = [first["wall_s"], m.second["wall_s"]]
    sweep_wall = float(np.mean(walls))
    sweep_rate = g.images / sweep_wall
    sweep_acc = [r["final"]["accuracy"] for r in first["records"].values() if r["status"] == "ok"]
    a, b = _summary([r["accuracy"] for r in plain["runs"]]), _summary(sweep_acc)
    noise = 2 * np.sqrt(a["sd"] ** 2 / a["n"] + b["sd"] ** 2 / b["n"])
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": sys.platform, "devices": g.devices},
        "backend": args.backend,
        "grid": {
            "task": TASK,
            "pairings": list(PAIRINGS),
            "seeds": g.seeds,
            "epochs": args.epochs,
            "batch_size": 32,
            "train_images": g.n_train,
            "data": g.source,
        },
        "matmul_gflops": g.gflops,
        "training_flops_per_image": g.flops_per_image,
        "plain_loop": {
            "images_per_s": m.plain_rate,
            "fit_wall_s": plain["fit_s"],
            "process_wall_s": m.plain_wall,
            "peak_rss_mib_per_process": m.plain_mem,
            "utilisation": g.flops_per_image * m.plain_rate / (g.gflops * 1e9),
            "test_accuracy": a,
            "onednn": plain["onednn"],
        },
        "like_for_like": plain["onednn"] == first["onednn"],
        # The plain loop's oneDNN on/off gap over the first seed's runs, and what decides it.
        "onednn_gap": {
            "on_images_per_s": m.on_rate,
            "off_images_per_s": m.off_rate,
            "ratio": m.on_rate / m.off_rate if g.on_tensorflow else None,
        },
        "cpu_flags": m.flags,
        "tensorflow_default_onednn": m.tf_default,
        "sweep": {
            "images_per_s": sweep_rate,
            "wall_s": sweep_wall,
            # The sweep before and the sweep after the plain loop.
            "wall_s_each": walls,
            "images_per_s_each": [g.images / w for w in walls],
            "records_identical_in_both": first["records"] == m.second["records"],
            "peak_rss_mib_per_process": max(first["peak_mib"], m.second["peak_mib"]),
            "processes": first["processes"],
            "utilisation": g.flops_per_image * sweep_rate / (g.gflops * 1e9),
            "test_accuracy": b,
            "runs_ok": len(sweep_acc),
            "onednn": first["onednn"],
            "note": "wall time of the whole `python -m experiments sweep` command (mean of the run before "
            "and the run after the plain loop): start-up, data loading and per-epoch test evaluation included",
        },
        "ratio_sweep_over_plain": sweep_rate / m.plain_rate,
        "ratio_sweep_over_plain_each": [g.images / w / m.plain_rate for w in walls],
        "accuracy_difference": b["mean"] - a["mean"],
        "accuracy_noise_band": noise,
        "same_results_in_distribution": bool(abs(b["mean"] - a["mean"]) <= noise),
        "bench_wall_s": time.perf_counter() - g.started,
    }


def _write(result, args):
    """`latest.json` and a dated copy (`-jax` on JAX) under RESULTS/bench/; the latest's path."""
    folder = Path(args.results) / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.backend == "tensorflow" else f"-{args.backend}"
    for name in (f"latest{suffix}.json", f"bench-{result['measured_at'][:10]}{suffix}.json"):
        (folder / name).write_text(json.dumps(result, indent=1) + "\n")
    return folder / f"latest{suffix}.json"


def _print_result(result, m, written):
    plain, sweep = result["plain_loop"], result["sweep"]
    walls = sweep["wall_s_each"]
    a, b, noise = plain["test_accuracy"], sweep["test_accuracy"], result["accuracy_noise_band"]
    print(
        f"  plain loop: {plain['images_per_s']:8.0f} images/s  ({plain['fit_wall_s']:.1f} s in model.fit), "
        f"utilisation {plain['utilisation']:.1%}, peak RSS {plain['peak_rss_mib_per_process']:.0f} MiB"
    )
    print(
        f"  sweep:      {sweep['images_per_s']:8.0f} images/s  ({sweep['wall_s']:.1f} s mean wall of "
        f"{walls[0]:.1f} and {walls[1]:.1f}, all included), utilisation {sweep['utilisation']:.1%}, "
        f"peak RSS {sweep['peak_rss_mib_per_process']:.0f} MiB per process ({sweep['processes']} processes)"
    )
    each = result["ratio_sweep_over_plain_each"]
    print(
        f"  ratio sweep / plain loop, like for like ({m.kernels_text} on both sides): "
        f"{result['ratio_sweep_over_plain']:.2f}x (sweep before: {each[0]:.2f}x, after: {each[1]:.2f}x)"
    )
    identical = sweep["records_identical_in_both"]
    print(f"  the two sweeps' records are {'identical' if identical else 'DIFFERENT (runs should be deterministic)'}")
    print(
        f"  test accuracy: plain {a['mean']:.3f} ± {a['sd']:.3f}, sweep {b['mean']:.3f} "
        f"± {b['sd']:.3f}; difference {result['accuracy_difference']:+.3f} "
        f"({'within' if result['same_results_in_distribution'] else 'OUTSIDE'} the noise band ±{noise:.3f})"
    )
    print(f"  written: {written} (the bench took {result['bench_wall_s'] / 60:.1f} min)")
