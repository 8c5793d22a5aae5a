"""A training process's TensorFlow set-up (oneDNN kernels, thread pools, a quiet import) and its fast exit.

Nothing here runs at import. A process that trains calls `prepare_training_process`
before TensorFlow is imported (the sweep's workers, `python -m experiments run`, the
tests); the report and figure commands only import Keras quietly.
"""

import contextlib
import os
import platform
import sys

import numpy as np

ONEDNN_VAR = "TF_ENABLE_ONEDNN_OPTS"
# TensorFlow's oneDNN kernels (convolution, pooling, matmul) train the post's small CNNs
# about twice as fast on an x86 CPU, but TensorFlow turns them on by default only on CPUs
# with AVX-512 VNNI or newer. The suite's default is on; TF_ENABLE_ONEDNN_OPTS=0 in the
# environment keeps them off. Each record says which was used (environment.onednn).
ONEDNN_DEFAULT = "1"


@contextlib.contextmanager
def stderr_silenced():
    """Send file descriptor 2 to /dev/null: TensorFlow's C++ start-up lines bypass Python."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_keras_quietly(verbose=False):
    """Import Keras (and with it its backend) without the backend's start-up log lines."""
    if verbose or "keras" in sys.modules:
        import keras  # noqa: F401

        return
    with stderr_silenced():
        import keras  # noqa: F401


def prepare_training_process(threads=None, verbose=False):
    """Set the suite's oneDNN default and, optionally, TensorFlow's thread pools; then import Keras.

    Effective only before TensorFlow is imported in this process.
    """
    os.environ.setdefault(ONEDNN_VAR, ONEDNN_DEFAULT)
    if threads is not None:
        os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
        os.environ["TF_NUM_INTEROP_THREADS"] = str(threads)
    import_keras_quietly(verbose)
    if threads is not None:
        limit_threads(threads)


def exit_now():
    """End this worker without Python's and TensorFlow's teardown (about 1.4 s).

    Registered with `atexit` after TensorFlow's own exit handlers, so it runs first (they
    run last in, first out). A sweep's worker exits only after the pool has told it to,
    when every result it computed has been written to the parent's queue, synchronously;
    what is left to lose is buffered output, which is flushed first.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def limit_threads(threads):
    """Limit TensorFlow's thread pools; effective only before TensorFlow starts them."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        pass  # TensorFlow already running: keep its pools.


def onednn_enabled():
    """Whether this process's TensorFlow runs oneDNN's kernels."""
    from tensorflow.python.util import _pywrap_util_port

    return bool(_pywrap_util_port.IsMklEnabled())


def source_commit():
    """(commit, dirty) of the suite's git checkout, or (None, None) outside one (a Ray node, an installed wheel)."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "experiments",
                "custom_objects",
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit or None, bool(status.strip())


CODE_PATHS = ("experiments", "custom_objects", "pyproject.toml")


def code_commit():
    """(commit, date YYYY-MM-DD, dirty) of the last commit that changed the suite's code (`CODE_PATHS`), or
    (None, None, None) outside a git checkout. A render stamped with it is the same file until the code changes:
    committing rendered results does not move it."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "log", "-1", "--format=%H %cs", "--", *CODE_PATHS],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None, None, None
    if len(out) != 2:
        return None, None, None
    return out[0], out[1], source_commit()[1]


def render_stamp():
    """ "the code of commit X (YYYY-MM-DD)", the words every rendered page names its code with."""
    commit, date, dirty = code_commit()
    if commit is None:
        return "code outside a git checkout"
    return f"the code of commit {commit[:10]} ({date}){', with uncommitted changes' if dirty else ''}"


# The instruction sets that decide which kernels oneDNN and XLA pick on x86 (another set, other numbers).
KERNEL_FEATURES = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16")


def cpu_description():
    """(model name, the KERNEL_FEATURES this CPU has) from /proc/cpuinfo; (platform.processor(), []) elsewhere."""
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return platform.processor() or platform.machine(), []
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")), "")
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return model, [f for f in KERNEL_FEATURES if f in flags]


def environment():
    """The libraries, platform and source commit a record was measured with.

    `git_dirty`: whether the suite's code (experiments/, custom_objects/) differed from the commit.
    """
    import keras
    import tensorflow as tf

    backend = keras.backend.backend()
    commit, dirty = source_commit()
    cpu, features = cpu_description()
    return {
        "cpu": cpu,
        "cpu_features": features,
        "git_commit": commit,
        "git_dirty": dirty,
        "onednn": onednn_enabled() if backend == "tensorflow" else None,  # TensorFlow's kernels only
        "python": platform.python_version(),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "backend": backend,
        "speed_layer": SPEED_LAYER.get(backend, "packs only"),
        "platform": platform.platform(),
        "processor": platform.machine(),
    }


# What the suite does for speed on each backend (the optimizer actually used is recorded beside it).
SPEED_LAYER = {
    "tensorflow": "packs (first convolution fused), oneDNN setting, "
    "LeanAdam (flat moments) if it matches Keras's Adam, "
    "TensorFlow's Relu kernel in hidden layers if it matches the hand-written one (environment.hidden_relu), "
    "optimizer state built before the first traced step, a whole epoch per compiled call "
    "(environment.steps_per_execution), compiled predict per epoch",
    "jax": "packs (first convolution fused), Keras's jit-compiled train step (XLA); LeanAdam and the "
    "pre-built state are TensorFlow-only",
}
