import os

import pytest

from experiments.training.speed.process import prepare_training_process

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
prepare_training_process()  # the suite's oneDNN default, as in a sweep's workers, before any test imports TensorFlow


@pytest.fixture
def fake_archive(tmp_path_factory, monkeypatch):
    """A small CIFAR-10 archive in the official layout, named by CIFAR10_ARCHIVE."""
    from tests.fake_cifar import write_archive

    path = tmp_path_factory.mktemp("cifar") / "cifar-10-python.tar.gz"
    write_archive(path, per_class_train=12, per_class_test=6)
    monkeypatch.setenv("CIFAR10_ARCHIVE", str(path))
    return path
