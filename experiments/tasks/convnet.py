"""The post's small convolutional body, shared by the CIFAR-10 tasks.

Conv2D(8, 3x3, same, relu) -> MaxPool 2 -> Conv2D(8, 3x3, same, relu) -> MaxPool 2
-> Flatten -> Dense(32, relu) -> [output head]
"""

import keras
from keras import layers

from custom_objects import get_activation


def build(name, input_shape, units, activation):
    """The post's CNN on `input_shape` with a `Dense(units, activation)` output head."""
    relu = get_activation("relu")
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Conv2D(8, (3, 3), padding="same", activation=relu),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(8, (3, 3), padding="same", activation=relu),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(32, activation=relu),
            layers.Dense(units, activation=get_activation(activation)),
        ],
        name=name,
    )
