"""The post's small convolutional body, shared by the CIFAR-10 tasks.

Conv2D(8, 3x3, same, relu) -> MaxPool 2 -> Conv2D(8, 3x3, same, relu) -> MaxPool 2
-> Flatten -> Dense(32, relu) -> [output head]

Two options, for the hidden-activation experiments (reference 004), leave the post's body
unchanged at their defaults: `hidden_activation` replaces every ReLU of the body, and
`extra_conv_layers` adds that many Conv2D(8, 3x3, same) layers after the second pooling
(at 8x8), a deeper stack where vanishing gradients can show.
"""


def build(name, input_shape, units, activation, hidden_activation="relu", extra_conv_layers=0):
    """The post's CNN on `input_shape` with a `Dense(units, activation)` output head.

    `extra_conv_layers` is checked where every data option is, by the task (`Task.check_options`).
    Keras is imported here, not with the module: a task's data loads without it (the sweep's driver checks
    the data before any worker starts, `tasks.check_conditions`, and never imports Keras).
    """
    import keras
    from keras import layers

    from custom_objects import get_activation

    hidden = get_activation(hidden_activation)
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Conv2D(8, (3, 3), padding="same", activation=hidden),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(8, (3, 3), padding="same", activation=hidden),
            layers.MaxPooling2D((2, 2)),
            *(layers.Conv2D(8, (3, 3), padding="same", activation=hidden) for _ in range(extra_conv_layers)),
            layers.Flatten(),
            layers.Dense(32, activation=hidden),
            layers.Dense(units, activation=get_activation(activation)),
        ],
        name=name,
    )
