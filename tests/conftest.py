import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# As every training path of the suite does (experiments/__init__.py), whichever test imports TensorFlow first.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

import pytest


@pytest.fixture
def fake_archive(tmp_path_factory, monkeypatch):
    """A small CIFAR-10 archive in the official layout, named by CIFAR10_ARCHIVE."""
    from tests.fake_cifar import write_archive

    path = tmp_path_factory.mktemp("cifar") / "cifar-10-python.tar.gz"
    write_archive(path, per_class_train=12, per_class_test=6)
    monkeypatch.setenv("CIFAR10_ARCHIVE", str(path))
    return path
