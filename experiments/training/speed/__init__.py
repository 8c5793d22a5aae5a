"""The speed layer: what makes the suite's runs fast without changing their numbers.

- `process`: a training process's set-up (oneDNN kernels, one thread per worker, a quiet
  TensorFlow import) and a worker's fast exit;
- `lean_adam`: Keras's Adam with one update for all of a pack's variables (flat moments),
  bit-identical to it;
- `epoch_call`: a whole epoch per compiled call (Keras's `steps_per_execution`);
- `relu_kernel`: TensorFlow's own Relu kernel in hidden layers, where it equals the
  hand-written relu bit for bit (a quarter of a pack's step faster);
- `compiled_state`: the optimizer's and compiled metrics' variables built before the first
  traced step, so each pack's training step is traced once, not twice.

Packing runs into one graph (`experiments.training.branches`) is the other half.
"""
