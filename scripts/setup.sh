#!/usr/bin/env bash
# Create the virtual environment .venv (once) and install the suite into it.
# Usage: scripts/setup.sh [EXTRAS]   e.g. scripts/setup.sh test   (default: report)
# The interpreter is $PYTHON, else python3.11, python3.12 or python3, in that order.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-report}"

if [ ! -x .venv/bin/python ]; then
    python="${PYTHON:-}"
    if [ -z "$python" ]; then
        for candidate in python3.11 python3.12 python3; do
            if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
        done
    fi
    [ -n "$python" ] || { echo "error: no Python 3.11 or 3.12 found; set PYTHON=/path/to/python3.11" >&2; exit 1; }
    "$python" -m venv .venv
fi
# The package asks for `tensorflow` (CPU and GPU); .venv takes the CPU-only wheel, for its size: the requirements
# with tensorflow -> tensorflow-cpu first, then the package without its dependencies (scripts/requirements.py).
# The sed only drops pip's noise about unreachable local index folders; pipefail keeps pip's status.
pip() { .venv/bin/python -m pip --disable-pip-version-check "$@" 2>&1 | sed '/^WARNING: Location .* is ignored/d'; }
# Done already with these requirements and this package definition: no index round-trip (seconds, not minutes).
stamp=".venv/installed-${extras//,/-}.sha256"
wanted="$(cat pyproject.toml scripts/requirements.py | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && .venv/bin/python -c "import experiments" 2>/dev/null; then
    exit 0
fi
pip install --quiet packaging
.venv/bin/python scripts/requirements.py "$extras" >.venv/requirements-cpu.txt
pip install --quiet -r .venv/requirements-cpu.txt
pip install --quiet --no-deps -e .
# The atlas page's browser test: headless Chromium and its driver from Debian's packages, where apt-get can
# install them (root on Debian); elsewhere that test skips and says why.
if [[ ",$extras," == *",test,"* ]] && ! command -v chromedriver >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
            >.venv/apt-chromium.log 2>&1 || echo "note: chromium could not be installed (.venv/apt-chromium.log)" >&2
    else
        echo "note: no chromium-driver here; the atlas page's browser test will skip (apt-get install chromium-driver)" >&2
    fi
fi
echo "$wanted" >"$stamp"
