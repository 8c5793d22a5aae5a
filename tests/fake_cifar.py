"""Small archives in the official CIFAR-10 python layout, made in the test (never downloaded)."""

import io
import pickle
import tarfile

import numpy as np

FOLDER = "cifar-10-batches-py"


def batch_bytes(images, labels, bytes_keys=True):
    """One pickled batch: `data` (N, 3072) channel-major uint8, `labels` a list."""
    data = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    key = (lambda k: k.encode()) if bytes_keys else (lambda k: k)
    return pickle.dumps(
        {key("batch_label"): b"fake", key("labels"): [int(v) for v in labels], key("data"): data}, protocol=2
    )


def make_split(per_class_train=6, per_class_test=3, seed=0):
    """Images whose pixels encode split and class: train pixels < 128, test pixels >= 128."""
    rng = np.random.default_rng(seed)

    def images(per_class, offset):
        labels = np.repeat(np.arange(10), per_class)
        x = (offset + labels[:, None, None, None] * 10 + rng.integers(0, 8, size=(len(labels), 32, 32, 3))).astype(
            "uint8"
        )
        order = rng.permutation(len(labels))
        return x[order], labels[order]

    return images(per_class_train, 0), images(per_class_test, 128)


def write_archive(path, per_class_train=6, per_class_test=3, seed=0, members=None):
    """A `.tar.gz` in the official layout; `members` can replace any member's bytes."""
    (x_train, y_train), (x_test, y_test) = make_split(per_class_train, per_class_test, seed)
    parts = np.array_split(np.arange(len(x_train)), 5)
    files = {f"data_batch_{i + 1}": batch_bytes(x_train[idx], y_train[idx]) for i, idx in enumerate(parts)}
    files["test_batch"] = batch_bytes(x_test, y_test)
    files["batches.meta"] = pickle.dumps({b"label_names": [b"airplane"]}, protocol=2)
    files.update(members or {})
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in files.items():
            info = tarfile.TarInfo(f"{FOLDER}/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return (x_train, y_train), (x_test, y_test)
