#!/usr/bin/env bash
# Train every mistake and its matched pairing with Keras's own activations and losses (`--set objects=keras`)
# on each Keras backend, into results/keras_objects: the records of the report's mistake x backend table
# (results/confirmatory/REPORT.md, "The mistakes as a Keras user meets them"). The post's settings (the full
# profile: 50 epochs, batch 32, Adam 1e-3); seeds 10-19, and 10-12 for the two CIFAR-10 mistakes no claim tests.
# About 50 min on 2 CPU cores (TensorFlow 13, JAX 35). Resumes where it stopped. Then re-render the study:
#   python -m experiments report --results results/confirmatory
# Usage: scripts/keras_objects.sh [BACKEND ...]   (default: tensorflow jax)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test >/dev/null
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
seeds="10 11 12 13 14 15 16 17 18 19"
sweep() { .venv/bin/python -m experiments sweep --profile full --results results/keras_objects --set objects=keras "$@"; }
for backend in "${@:-tensorflow jax}"; do
    for b in $backend; do
        export KERAS_BACKEND="$b"
        sweep --tasks bird_plane --seeds $seeds --pairings sigmoid+bce linear+bce linear+bce_probs \
            "sigmoid+bce(from_logits=true)" softmax@1+bce relu+bce tanh+hinge
        sweep --tasks cifar10 --seeds $seeds --pairings softmax+sparse_cce softmax+sparse_cce_logits
        sweep --tasks cifar10 --seeds 10 11 12 --pairings softmax+bce sigmoid+cce
    done
done
