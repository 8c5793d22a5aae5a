#!/usr/bin/env bash
# Set up .venv with the test extras, lint with ruff, and run the whole test suite: everything
# on the TensorFlow backend, then the custom-object, Keras-object, runner and probe tests again on the JAX backend.
# Extra arguments go to both pytest runs (e.g. scripts/test.sh -x -k losses, or -m "not slow"
# for the day-to-day suite of under two minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
KERAS_BACKEND=tensorflow .venv/bin/python -m pytest "$@"
KERAS_BACKEND=jax .venv/bin/python -m pytest tests/test_activations.py tests/test_losses.py tests/test_saving.py \
    tests/test_loss_twins_on_heads.py tests/test_keras_objects.py \
    tests/test_runner.py tests/test_probe.py tests/test_layer_probe.py tests/test_check_model.py "$@"
