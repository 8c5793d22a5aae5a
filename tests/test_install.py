"""The install keeps a user's TensorFlow: the package asks for `tensorflow` (CPU and GPU), never for the CPU-only
wheel, which only the suite's own `.venv` takes (scripts/setup.sh through scripts/requirements.py)."""

import subprocess
import sys
from importlib.metadata import requires
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _requirements(extra=""):
    found = [Requirement(r) for r in requires("winner-takes-all")]
    return [r for r in found if r.marker is None or r.marker.evaluate({"extra": extra})]


def test_the_package_asks_for_tensorflow_and_never_for_the_cpu_only_wheel():
    names = {r.name for r in _requirements()}
    assert "tensorflow" in names
    assert "tensorflow-cpu" not in {r.name for r in (Requirement(x) for x in requires("winner-takes-all"))}


def test_the_cuda_extra_is_tensorflows_own():
    cuda = [r for r in _requirements("and-cuda") if r.name == "tensorflow" and r.extras]
    assert cuda and cuda[0].extras == {"and-cuda"}


def test_the_suites_own_venv_takes_the_cpu_only_wheel():
    lines = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "requirements.py"), "test"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    names = {Requirement(line).name for line in lines}
    assert "tensorflow-cpu" in names and "tensorflow" not in names
    assert {"pytest", "ray", "jax", "tabulate"} <= names  # the extras, self-references expanded


def test_an_unknown_extra_is_named_with_the_valid_ones():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "requirements.py"), "tset"], capture_output=True, text=True
    )
    assert result.returncode == 1 and "unknown extra(s) tset" in result.stderr and "test" in result.stderr
