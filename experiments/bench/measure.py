"""What the bench measures with: the matmul rate, a model's FLOPs, a process tree's wall time and memory."""

import subprocess
import threading
import time

import numpy as np

MATMUL_N = 2048


def matmul_gflops(n=MATMUL_N, repeats=5):
    """Best float32 n x n matrix-product rate of NumPy on this machine, in GFLOP/s."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def training_flops_per_image(model):
    """Forward multiply-adds of the conv and dense layers x 2 FLOPs, x 3 for forward + backward."""
    import keras

    macs = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kh, kw = layer.kernel_size
            _, h, w, c_out = layer.output.shape
            macs += h * w * c_out * kh * kw * layer.input.shape[-1]
        elif isinstance(layer, keras.layers.Dense):
            macs += layer.input.shape[-1] * layer.units
    return 3 * 2 * macs


class PeakMemory:
    """Polls the resident memory of a process and its children; keeps each one's peak."""

    def __init__(self, pid, interval=0.1):
        import psutil

        self.root, self.interval, self.peaks = psutil.Process(pid), interval, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self):
        import psutil

        while not self._stop.is_set():
            try:
                for proc in [self.root, *self.root.children(recursive=True)]:
                    self.peaks[proc.pid] = max(self.peaks.get(proc.pid, 0), proc.memory_info().rss)
            except psutil.Error:
                pass
            time.sleep(self.interval)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return max(self.peaks.values(), default=0) / 2**20, len(self.peaks)


def run_measured(cmd, env):
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    memory = PeakMemory(proc.pid)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    peak_mib, processes = memory.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed:\n{stderr[-2000:]}")
    return stdout, wall, peak_mib, processes
