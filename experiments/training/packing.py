"""Several models of one task in one Keras graph, trained together on the same batches.

The branches are the task's own models (each built from the run's seed, so each
starts from the weights it has when trained alone). They see the same input; the
total loss is the sum of their losses, so each branch's weights get exactly the
gradients they get alone, and Adam's state is per weight.

On one CPU core a CNN with 8 filters runs far below the machine's arithmetic rate,
and K such convolutions cost almost K times one. When every branch starts with the
same `Conv2D` -> `MaxPooling2D` on the shared input (the post's CNNs do), those layers
of all branches run as one `Conv2D` with K x 8 filters and one pooling, whose output
channels are then split back to the branches. A convolution's output channels, a
ReLU and a max-pool are each independent per channel, so this changes which kernel
the arithmetic runs in, not the arithmetic: branch k's channels are its own filters'.
"""

import keras
import numpy as np
from keras import layers, ops


def _fusable_prefix(heads):
    """The number of leading layers (0 or 2) that can run as one layer across all branches."""
    first = [h.layers[:2] for h in heads]
    if len(heads) < 2 or not all(
        len(f) == 2 and isinstance(f[0], layers.Conv2D) and isinstance(f[1], layers.MaxPooling2D) for f in first
    ):
        return 0
    signature = {
        (
            f[0].kernel_size,
            f[0].strides,
            f[0].padding,
            f[0].activation,
            f[0].use_bias,
            f[1].pool_size,
            f[1].strides,
            f[1].padding,
        )
        for f in first
    }
    return 2 if len(signature) == 1 else 0


def _fused_conv_pool(heads, inputs):
    """One Conv2D + MaxPooling2D standing for the first two layers of every branch."""
    convs = [h.layers[0] for h in heads]
    template, pool = convs[0], heads[0].layers[1]
    fused = layers.Conv2D(
        sum(c.filters for c in convs),
        template.kernel_size,
        strides=template.strides,
        padding=template.padding,
        activation=template.activation,
        use_bias=template.use_bias,
        name="fused_first_conv",
    )
    fused.build(inputs.shape)
    per_branch = [c.get_weights() for c in convs]
    fused.set_weights([np.concatenate([w[i] for w in per_branch], axis=-1) for i in range(len(fused.weights))])
    pooled = layers.MaxPooling2D(pool.pool_size, strides=pool.strides, padding=pool.padding, name="fused_first_pool")(
        fused(inputs)
    )
    return ops.split(pooled, [sum(c.filters for c in convs[: k + 1]) for k in range(len(convs) - 1)], axis=-1)


def packed_model(heads, with_features=False):
    """A model with one input and the outputs of every model in `heads`, in order.

    With `with_features`, also a model (sharing every layer) whose outputs are what each
    head's last layer receives: the features its output pre-activation is computed from.
    """
    inputs = keras.Input(heads[0].input_shape[1:])
    skip = _fusable_prefix(heads)
    starts = _fused_conv_pool(heads, inputs) if skip else [inputs] * len(heads)
    outputs, features = [], []
    for head, x in zip(heads, starts):
        for layer in head.layers[skip:-1]:
            x = layer(x)
        features.append(x)
        x = head.layers[-1](x)
        outputs.append(layers.Identity(name=head.name)(x))  # Keras logs each output by this name
    model = keras.Model(inputs, outputs)
    return (model, keras.Model(inputs, features)) if with_features else model
