"""`python -m experiments bench`'s main: the three measurements of the package's docstring, in one invocation,
written to `results/bench/` and printed as figures."""

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

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
    from experiments.data import cifar10
    from experiments.tasks import get_task

    kernels = os.environ.get(ONEDNN_VAR, ONEDNN_DEFAULT)  # the sweep's workers' setting: both sides run it
    started = time.perf_counter()
    archive = args.cifar10_archive or os.environ.get(cifar10.ENV_VAR)
    split = get_task(TASK).load_data(cifar10_archive=archive)  # fails early and clearly without data
    n_train = len(split.x_train)
    seeds = list(range(args.seeds))
    runs = len(PAIRINGS) * len(seeds)
    images = runs * args.epochs * n_train
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": args.backend}
    on_tensorflow = args.backend == "tensorflow"
    if archive:
        env[cifar10.ENV_VAR] = str(Path(archive).resolve())
    devices = training_devices(env, args.backend)
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

    first = _timed_sweep("before the plain loop:", seeds, args.epochs, env, images)

    plain, plain_wall, plain_mem = _plain_loop(seeds, args.epochs, archive, env, kernels)
    plain_rate = images / plain["fit_s"]
    kernels_text = f"oneDNN {'on' if plain['onednn'] else 'off'}" if on_tensorflow else "XLA"
    print(f"  plain loop: {plain_rate:8.0f} images/s ({kernels_text}, as in the sweep)", flush=True)
    flags = cpu_flags()
    if on_tensorflow:
        other = "0" if kernels != "0" else "1"
        plain_other, _, _ = _plain_loop(seeds[:1], args.epochs, archive, env, other)
        other_rate = len(PAIRINGS) * args.epochs * n_train / plain_other["fit_s"]
        first_seed_rate = len(PAIRINGS) * args.epochs * n_train / _first_seed_fit_s(plain, seeds[0])
        on_rate, off_rate = (first_seed_rate, other_rate) if plain["onednn"] else (other_rate, first_seed_rate)
        tf_default = tensorflow_default_onednn(env)
        print(
            f"  oneDNN on/off gap of the plain loop (seed {seeds[0]}'s runs): {on_rate:.0f} / {off_rate:.0f} images/s "
            f"= {on_rate / off_rate:.2f}x; CPU flags: {' '.join(flags) or 'none found'}; "
            f"TensorFlow's own default here: oneDNN {'on' if tf_default else 'off'}",
            flush=True,
        )
    else:
        on_rate = off_rate = tf_default = None
        print(f"  (no oneDNN gap: the JAX backend runs XLA's kernels); CPU flags: {' '.join(flags) or 'none'}")

    second = _timed_sweep("after the plain loop: ", seeds, args.epochs, env, images)
    walls = [first["wall_s"], second["wall_s"]]
    sweep_wall = float(np.mean(walls))
    sweep_mem, sweep_procs, recs = max(first["peak_mib"], second["peak_mib"]), first["processes"], first["records"]
    sweeps_identical = first["records"] == second["records"]
    sweep_rate = images / sweep_wall
    sweep_acc = [r["final"]["accuracy"] for r in recs.values() if r["status"] == "ok"]
    plain_acc = [r["accuracy"] for r in plain["runs"]]
    a, b = _summary(plain_acc), _summary(sweep_acc)
    noise = 2 * np.sqrt(a["sd"] ** 2 / a["n"] + b["sd"] ** 2 / b["n"])

    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": sys.platform, "devices": devices},
        "backend": args.backend,
        "grid": {
            "task": TASK,
            "pairings": list(PAIRINGS),
            "seeds": seeds,
            "epochs": args.epochs,
            "batch_size": 32,
            "train_images": n_train,
            "data": split.source,
        },
        "matmul_gflops": gflops,
        "training_flops_per_image": flops_per_image,
        "plain_loop": {
            "images_per_s": plain_rate,
            "fit_wall_s": plain["fit_s"],
            "process_wall_s": plain_wall,
            "peak_rss_mib_per_process": plain_mem,
            "utilisation": flops_per_image * plain_rate / (gflops * 1e9),
            "test_accuracy": a,
            "onednn": plain["onednn"],
        },
        "like_for_like": plain["onednn"] == first["onednn"],
        # The plain loop's oneDNN on/off gap over the first seed's runs, and what decides it.
        "onednn_gap": {
            "on_images_per_s": on_rate,
            "off_images_per_s": off_rate,
            "ratio": on_rate / off_rate if on_tensorflow else None,
        },
        "cpu_flags": flags,
        "tensorflow_default_onednn": tf_default,
        "sweep": {
            "images_per_s": sweep_rate,
            "wall_s": sweep_wall,
            # The sweep before and the sweep after the plain loop.
            "wall_s_each": walls,
            "images_per_s_each": [images / w for w in walls],
            "records_identical_in_both": sweeps_identical,
            "peak_rss_mib_per_process": sweep_mem,
            "processes": sweep_procs,
            "utilisation": flops_per_image * sweep_rate / (gflops * 1e9),
            "test_accuracy": b,
            "runs_ok": len(sweep_acc),
            "onednn": first["onednn"],
            "note": "wall time of the whole `python -m experiments sweep` command (mean of the run before "
            "and the run after the plain loop): start-up, data loading and per-epoch test evaluation included",
        },
        "ratio_sweep_over_plain": sweep_rate / plain_rate,
        "ratio_sweep_over_plain_each": [images / w / plain_rate for w in walls],
        "accuracy_difference": b["mean"] - a["mean"],
        "accuracy_noise_band": noise,
        "same_results_in_distribution": bool(abs(b["mean"] - a["mean"]) <= noise),
        "bench_wall_s": time.perf_counter() - started,
    }
    folder = Path(args.results) / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "" if on_tensorflow else f"-{args.backend}"
    for name in (f"latest{suffix}.json", f"bench-{result['measured_at'][:10]}{suffix}.json"):
        (folder / name).write_text(json.dumps(result, indent=1) + "\n")

    print(
        f"  plain loop: {plain_rate:8.0f} images/s  ({plain['fit_s']:.1f} s in model.fit), "
        f"utilisation {result['plain_loop']['utilisation']:.1%}, peak RSS {plain_mem:.0f} MiB"
    )
    print(
        f"  sweep:      {sweep_rate:8.0f} images/s  ({sweep_wall:.1f} s mean wall of {walls[0]:.1f} and "
        f"{walls[1]:.1f}, all included), utilisation {result['sweep']['utilisation']:.1%}, "
        f"peak RSS {sweep_mem:.0f} MiB per process ({sweep_procs} processes)"
    )
    each = result["ratio_sweep_over_plain_each"]
    print(
        f"  ratio sweep / plain loop, like for like ({kernels_text} on both sides): "
        f"{result['ratio_sweep_over_plain']:.2f}x (sweep before: {each[0]:.2f}x, after: {each[1]:.2f}x)"
    )
    print(
        "  the two sweeps' records are "
        f"{'identical' if sweeps_identical else 'DIFFERENT (runs should be deterministic)'}"
    )
    print(
        f"  test accuracy: plain {a['mean']:.3f} ± {a['sd']:.3f}, sweep {b['mean']:.3f} "
        f"± {b['sd']:.3f}; difference {result['accuracy_difference']:+.3f} "
        f"({'within' if result['same_results_in_distribution'] else 'OUTSIDE'} the noise band ±{noise:.3f})"
    )
    print(f"  written: {folder / f'latest{suffix}.json'} (the bench took {result['bench_wall_s'] / 60:.1f} min)")
    return 0
