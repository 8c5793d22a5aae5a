"""Several models of one task in one Keras graph, trained together on the same batches.

The branches are the task's own models (each built from the run's seed, so each
starts from the weights it has when trained alone). They see the same input; the
total loss is the sum of their losses, so each branch's weights get exactly the
gradients they get alone, and Adam's state is per weight.

On one CPU core a CNN with 8 filters runs far below the machine's arithmetic rate,
and K such convolutions cost almost K times one. When every branch starts with the
same `Conv2D` -> `MaxPooling2D` on the shared input (the post's CNNs do), those layers
of all branches run as one convolution with K x 8 filters and one pooling, whose output
channels are then split back to the branches (`FusedFirstConv`). A convolution's output
channels, an activation and a max-pool are each independent per channel, so this changes
which kernel the arithmetic runs in, not the arithmetic: branch k's channels are its own
filters', computed from its own weights.
"""

import keras
import numpy as np
from keras import layers, ops


def _fusable_prefix(heads):
    """The number of leading layers (0 or 2) that can run as one layer across all branches.

    The branches' first Conv2D must agree in everything but their weights and activation,
    and their first MaxPooling2D in everything; both must be channels-last, the axis along
    which `FusedFirstConv` concatenates and splits the branches' channels.
    """
    first = [h.layers[:2] for h in heads]
    if len(heads) < 2 or not all(
        len(f) == 2
        and isinstance(f[0], layers.Conv2D)
        and isinstance(f[1], layers.MaxPooling2D)
        and f[0].data_format == f[1].data_format == "channels_last"
        for f in first
    ):
        return 0
    signature = {
        (
            f[0].kernel_size,
            f[0].strides,
            f[0].padding,
            f[0].dilation_rate,
            f[0].use_bias,
            f[1].pool_size,
            f[1].strides,
            f[1].padding,
        )
        for f in first
    }
    return 2 if len(signature) == 1 else 0


class FusedFirstConv(layers.Layer):
    """The first Conv2D -> MaxPooling2D of every branch as one convolution and one pooling.

    The kernel is the branches' own kernels concatenated along the output channels, at every
    call: each branch's own Conv2D holds the weights that are trained (its gradient is its
    slice of the fused one's), so each branch's own model stays a working model of its run.
    A shared activation is applied once to all channels; different ones (the hidden-activation
    arms) each to their branch's channels, before the pooling, as in the branch alone.
    """

    def __init__(self, convs, pool, **kwargs):
        super().__init__(**kwargs)
        self.convs, self.pool = convs, pool
        self.splits = np.cumsum([c.filters for c in convs])[:-1].tolist()
        activations = {c.activation for c in convs}
        self.shared_activation = activations.pop() if len(activations) == 1 else None

    def build(self, input_shape):
        self.built = True

    def _pool(self, x):
        p = self.pool
        return ops.max_pool(x, p.pool_size, p.strides, p.padding, p.data_format)

    def call(self, inputs):
        t = self.convs[0]
        kernel = ops.concatenate([c.kernel for c in self.convs], axis=-1)
        z = ops.conv(inputs, kernel, t.strides, t.padding, t.data_format, t.dilation_rate)
        if t.use_bias:  # the ops Keras's Conv2D uses: the same rounding as the run alone
            bias = ops.concatenate([c.bias for c in self.convs])
            z = ops.add(z, ops.reshape(bias, (1,) * (z.ndim - 1) + (-1,)))
        if self.shared_activation is not None:
            return ops.split(self._pool(self.shared_activation(z)), self.splits, axis=-1)
        parts = ops.split(z, self.splits, axis=-1)
        return [self._pool(c.activation(part)) for c, part in zip(self.convs, parts)]


def packed_model(heads, with_features=False):
    """A model with one input and the outputs of every model in `heads`, in order.

    With `with_features`, also a model (sharing every layer) whose outputs are what each
    head's last layer receives: the features its output pre-activation is computed from.
    """
    inputs = keras.Input(heads[0].input_shape[1:])
    skip = _fusable_prefix(heads)
    if skip:
        fused = FusedFirstConv([h.layers[0] for h in heads], heads[0].layers[1], name="fused_first_conv")
        starts = fused(inputs)
    else:
        starts = [inputs] * len(heads)
    outputs, features = [], []
    for head, x in zip(heads, starts):
        for layer in head.layers[skip:-1]:
            x = layer(x)
        features.append(x)
        x = head.layers[-1](x)
        outputs.append(layers.Identity(name=head.name)(x))  # Keras logs each output by this name
    model = keras.Model(inputs, outputs)
    return (model, keras.Model(inputs, features)) if with_features else model
