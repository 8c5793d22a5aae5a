"""The speed layer: what makes the suite's runs fast without changing their numbers.

- `process`: a training process's set-up (oneDNN kernels, one thread per worker, a quiet
  TensorFlow import) and a worker's fast exit;
- `lean_adam`: Keras's Adam with a cheaper-to-trace update step, bit-identical to it;
- `fused_relu`: TensorFlow's own relu in hidden layers, which Grappler fuses with the
  convolution or matmul before it, where it equals the hand-written relu bit for bit;
- `compiled_state`: the optimizer's and compiled metrics' variables built before the first
  traced step, so each pack's training step is traced once, not twice.

Packing runs into one graph (`experiments.training.packing`) is the other half.
"""
