"""Multi-label images: 2x2 mosaics of CIFAR-10 images with 1 to 4 objects of distinct classes.

Each 64x64x3 mosaic has four 32x32 cells. A mosaic draws k objects (k uniform in
1..4) of k distinct classes, one image of each class, and puts them in k of the four
cells chosen at random; the other cells are filled with a neutral grey. Its label is
the multi-hot vector of the classes present. Generation is deterministic given the
seed; train mosaics are built only from train images and test mosaics only from test
images, so no image is shared across the split.
"""

import numpy as np

CELL = 32
NUM_CLASSES = 10
NEUTRAL_FILL = 128


def make_mosaics(images, labels, count, seed, max_objects=4):
    """`count` mosaics (uint8, (count, 64, 64, 3)) and their multi-hot labels (float32)."""
    if not 1 <= max_objects <= 4:
        raise ValueError(f"max_objects must be between 1 and 4, got {max_objects}.")
    present = np.unique(labels)
    if len(present) < max_objects:
        raise ValueError(
            f"Mosaics of up to {max_objects} distinct classes need that many classes; the images hold {len(present)}."
        )
    rng = np.random.default_rng(seed)
    by_class = {c: np.flatnonzero(labels == c) for c in present}
    mosaics = np.full((count, 2 * CELL, 2 * CELL, 3), NEUTRAL_FILL, dtype=np.uint8)
    multi_hot = np.zeros((count, NUM_CLASSES), dtype=np.float32)
    for i in range(count):
        k = rng.integers(1, max_objects + 1)
        classes = rng.choice(present, size=k, replace=False)
        cells = rng.choice(4, size=k, replace=False)
        for c, cell in zip(classes, cells):
            row, col = divmod(int(cell), 2)
            image = images[rng.choice(by_class[c])]
            mosaics[i, row * CELL : (row + 1) * CELL, col * CELL : (col + 1) * CELL] = image
            multi_hot[i, c] = 1.0
    return mosaics, multi_hot
