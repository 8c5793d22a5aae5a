"""Training on real CIFAR-10 images: the embedded subset (or the archive CIFAR10_ARCHIVE names)."""

import numpy as np
import pytest

from experiments import config as cfg
from experiments.data import cifar10
from experiments.training.runner import run

pytestmark = pytest.mark.integration


def test_embedded_subset_reads_as_the_official_layout():
    split = cifar10.read_embedded()
    assert split.x_train.shape == (5085, 32, 32, 3) and split.x_train.dtype == np.uint8
    assert split.x_test.shape == (1017, 32, 32, 3)
    assert set(split.y_train.tolist()) == set(range(10))
    # Real photographs, not a blank or constant fill: pixel values spread over the whole range.
    assert split.x_train.min() == 0 and split.x_train.max() == 255 and split.x_train.std() > 40


@pytest.mark.slow
def test_bird_plane_learns_well_above_chance_on_real_images():
    config = cfg.resolve("bird_plane", "sigmoid+bce", 0, "quick", {"epochs": 8})
    record = run(config)
    assert record["status"] == "ok", record.get("error")
    assert record["final"]["accuracy"] > 0.70, record["final"]
    assert record["final"]["roc_auc"] > 0.75
    assert "cifar-10" in record["data"]["source"].lower()
    assert record["data"]["train_examples"] > 900  # about 1,000 birds and airplanes in the subset
