"""cifar10: which of the 10 CIFAR-10 classes is in the image?

Conv2D(8, 3x3, same, relu) -> MaxPool 2 -> Conv2D(8, 3x3, same, relu) -> MaxPool 2
-> Flatten -> Dense(32, relu) -> Dense(10, softmax)
adam, sparse categorical cross-entropy, 50 epochs, pixels / 255   -> 17,554 parameters
"""

from experiments.data import cifar10
from experiments.tasks import convnet


def build_model(units, activation, name, hidden_activation="relu"):
    return convnet.build(name, (32, 32, 3), units, activation, hidden_activation)


def load_data(**cifar10_options):
    return cifar10.load(**cifar10.load_options(cifar10_options))
