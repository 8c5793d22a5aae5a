"""bird_plane: is it a bird (0) or an airplane (1)? CIFAR-10 classes 2 and 0.

Conv2D(8, 3x3, same, relu) -> MaxPool 2 -> Conv2D(8, 3x3, same, relu) -> MaxPool 2
-> Flatten -> Dense(32, relu) -> Dense(1, sigmoid)
adam, binary cross-entropy, 50 epochs, pixels / 255              -> 17,257 parameters
"""

import numpy as np

from experiments.data import Split, cifar10
from experiments.tasks import convnet

BIRD, AIRPLANE = 2, 0


def build_model(units, activation, name, hidden_activation="relu", extra_conv_layers=0):
    return convnet.build(name, (32, 32, 3), units, activation, hidden_activation, extra_conv_layers)


def select_bird_plane(images, labels):
    """Birds then airplanes, as the post stacks them; birds recoded 0, airplanes 1."""
    birds, planes = images[labels == BIRD], images[labels == AIRPLANE]
    x = np.concatenate([birds, planes])
    y = np.concatenate([np.zeros(len(birds)), np.ones(len(planes))]).astype("float32")
    return x, y


def load_data(**cifar10_options):
    full = cifar10.load(**cifar10.load_options(cifar10_options))
    x_train, y_train = select_bird_plane(full.x_train, full.y_train)
    x_test, y_test = select_bird_plane(full.x_test, full.y_test)
    return Split(x_train, y_train, x_test, y_test, source=f"{full.source}: bird (0) vs airplane (1)")
