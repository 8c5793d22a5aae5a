"""Print the suite's requirements, with its extras, for scripts/setup.sh: `tensorflow` becomes `tensorflow-cpu`.

The package asks for the regular `tensorflow` wheel, which runs on CPU and GPU and leaves a TensorFlow a user
already has in place. The suite's own `.venv` takes the CPU-only wheel instead (no CUDA code, a smaller
install), so setup.sh installs these lines and then the package itself without its dependencies.

Usage: python scripts/requirements.py [EXTRAS]   e.g. test, or report,ray (default: none)
"""

import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def requirements(extras):
    """The requirement strings of the project and of `extras` (names), self-references expanded."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    optional = project.get("optional-dependencies", {})
    unknown = sorted(set(extras) - set(optional))
    if unknown:
        raise SystemExit(f"error: unknown extra(s) {', '.join(unknown)}; the extras are {', '.join(sorted(optional))}")
    lines, seen, todo = list(project["dependencies"]), set(), list(extras)
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for line in optional[extra]:
            requirement = Requirement(line)
            if requirement.name == project["name"]:
                todo += sorted(requirement.extras)
            else:
                lines.append(line)
    return [_cpu(Requirement(line)) for line in lines]


def _cpu(requirement):
    if requirement.name == "tensorflow" and not requirement.extras:
        requirement.name = "tensorflow-cpu"
    return str(requirement)


if __name__ == "__main__":
    names = [e for e in (sys.argv[1] if len(sys.argv) > 1 else "").split(",") if e]
    print("\n".join(requirements(names)))
