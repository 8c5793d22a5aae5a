"""Inside the body: per-layer gradient norms and never-active units (reference 004's hidden activations).

For the tasks that sweep the body's activation (`Task.layer_probe`), on the probe's 512 fixed
training images (`probe.probe_rows`: the same images for every arm and seed), at epoch 0,
after epoch 1 and at the end, for each branch:

- `grad_norm`: the L2 norm of the gradient of the run's own training loss (its mean over the
  probe images, as over a batch) with respect to each layer's kernel, first hidden layer to
  output. Vanishing gradients show as a small first-to-last ratio (`gradient_ratio`).
- `never_active`: per hidden layer, the share of its units (a convolution's channels, a dense
  layer's units) whose pre-activation is never positive on any probe image and position. For
  ReLU such a unit is dead: its gradient is zero for every image. The other five activations
  still pass a gradient there. Every one of the six activations f has f(z) > f(0) exactly when
  z > 0, so the layer's output tells it without the pre-activation.
"""

import keras
import numpy as np

from experiments.composition import encode_targets
from experiments.training.pipeline import scaled_inputs
from experiments.training.probe import probe_rows


def measured_epochs(epochs):
    """The epochs the layer probe runs at: before training, after the first, and the last."""
    return sorted({0, min(1, epochs), epochs})


def weight_gradients(model, loss_fn, x):
    """d loss_fn(model(x)) / d v for every trainable variable v of `model`, as NumPy arrays."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            value = loss_fn(model(x))
        return [np.asarray(g) for g in tape.gradient(value, model.trainable_variables)]
    if backend == "jax":
        import jax

        non_trainable = [v.value for v in model.non_trainable_variables]

        def f(trainable):
            outputs, _ = model.stateless_call(trainable, non_trainable, x)
            return loss_fn(outputs)

        return [np.asarray(g) for g in jax.grad(f)([v.value for v in model.trainable_variables])]
    raise NotImplementedError(f"No per-layer gradients for the {backend!r} backend; use tensorflow or jax.")


def weighted_layers(model):
    """The layers with a kernel (convolutions and dense layers), first to the output, with labels."""
    layers = [layer for layer in model.layers if getattr(layer, "kernel", None) is not None]
    labels, convs = [], 0
    for layer in layers[:-1]:
        if isinstance(layer, keras.layers.Conv2D):
            convs += 1
            labels.append(f"conv{convs}")
        else:
            labels.append("dense")
    return layers, labels + ["output"]


def never_active(model, x):
    """Per hidden layer: the share of units whose output never exceeds f(0) on `x`."""
    hidden = weighted_layers(model)[0][:-1]
    shares, h = [], x
    for layer in model.layers:
        h = layer(h)
        if layer in hidden:
            out = np.asarray(h)
            rest = np.asarray(layer.activation(keras.ops.zeros((1,), dtype=out.dtype)))[0]
            active = (out > rest).reshape(-1, out.shape[-1]).any(axis=0)
            shares.append(float(np.mean(~active)))
    return shares


class LayerProbe:
    """The layer probe of one pack: its images, and each branch's own model (body and head)."""

    def __init__(self, x_train, y_train, scale):
        rows = probe_rows(len(x_train))
        self.y = y_train[rows]
        self.x = scaled_inputs(x_train[rows], scale)

    def measure(self, branch):
        """The branch's layers' kernel-gradient norms and never-active shares, now."""
        model = branch.model
        layers, labels = weighted_layers(model)
        y = encode_targets(self.y, branch.pairing.target, branch.pairing.units)
        loss = branch.make_loss(**branch.pairing.loss_kwargs)
        grads = weight_gradients(model, lambda out: loss(y, out), self.x)
        by_variable = {id(v): g for v, g in zip(model.trainable_variables, grads)}
        return {
            "layers": labels,
            "grad_norm": [float(np.linalg.norm(by_variable[id(layer.kernel)])) for layer in layers],
            "never_active": never_active(model, self.x),
        }
