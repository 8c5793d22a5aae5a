"""multilabel: which of the 10 CIFAR-10 classes appear in a 2x2 mosaic? (sigmoid on every unit)

The post's closing remark made real: to detect several objects in an image, use a
sigmoid per output unit, a probability of presence per class, not a softmax.
Images are 64x64x3 mosaics of 1 to 4 CIFAR-10 images of distinct classes
(`experiments.data.mosaics`); labels are multi-hot.

    Conv2D(8, 3x3, same, relu) -> MaxPool 2 -> Conv2D(8, 3x3, same, relu) -> MaxPool 2
    -> Flatten -> Dense(32, relu) -> Dense(10, sigmoid)
    adam, binary cross-entropy per unit, pixels / 255                 -> 66,706 parameters
"""

from experiments.data import Split, cifar10
from experiments.data.mosaics import make_mosaics
from experiments.tasks import convnet


def build_model(units, activation, name):
    return convnet.build(name, (64, 64, 3), units, activation)


def load_data(mosaic_seed=0, mosaics_per_image=0.5, **cifar10_options):
    """Train mosaics from train images only, test mosaics from test images only.

    `mosaics_per_image` sets how many mosaics are made per source image (0.5: as
    many mosaics as half the images; each image then appears 1.25 times on average).
    """
    full = cifar10.load(**cifar10.load_options(cifar10_options))
    n_train = max(1, int(len(full.x_train) * mosaics_per_image))
    n_test = max(1, int(len(full.x_test) * mosaics_per_image))
    x_train, y_train = make_mosaics(full.x_train, full.y_train, n_train, seed=mosaic_seed)
    x_test, y_test = make_mosaics(full.x_test, full.y_test, n_test, seed=mosaic_seed + 1)
    source = f"{full.source}: {n_train} train / {n_test} test 2x2 mosaics (mosaic_seed={mosaic_seed})"
    return Split(x_train, y_train, x_test, y_test, source=source)
