"""Training on real CIFAR-10 images: the shared subset named by CIFAR10_ARCHIVE."""

import os

import pytest

from experiments import config as cfg
from experiments.data import cifar10
from experiments.runner import run

ARCHIVE = os.environ.get("CIFAR10_ARCHIVE")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not ARCHIVE or not os.path.exists(ARCHIVE), reason="CIFAR10_ARCHIVE not set to an existing archive"),
]


def test_real_archive_reads_as_official_layout():
    split = cifar10.read_archive(os.path.abspath(ARCHIVE))
    assert split.x_train.shape[1:] == (32, 32, 3) and split.x_train.dtype.name == "uint8"
    assert set(split.y_train.tolist()) == set(range(10))


def test_bird_plane_learns_well_above_chance_on_real_images():
    config = cfg.resolve("bird_plane", "sigmoid+bce", 0, "quick", {"epochs": 8})
    record = run(config)
    assert record["status"] == "ok", record.get("error")
    assert record["final"]["accuracy"] > 0.70, record["final"]
    assert record["final"]["roc_auc"] > 0.75
    assert "cifar-10" in record["data"]["source"].lower()
