"""A model built from the custom objects saves to `.keras` and loads in a fresh process."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import custom_objects

LOAD_AND_PREDICT = """
import sys
import numpy as np
import keras
import custom_objects  # registers the objects; no custom_objects= argument below

model = keras.saving.load_model(sys.argv[1])
assert type(model.loss).__module__ == "custom_objects.losses", type(model.loss)
np.save(sys.argv[3], model.predict(np.load(sys.argv[2]), verbose=0))
"""


@pytest.mark.slow
def test_saved_model_loads_in_a_fresh_process_with_identical_predictions(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation=custom_objects.get_activation("swish")),
            keras.layers.Dense(8, activation=custom_objects.get_activation("leaky_relu")),
            keras.layers.Dense(3, activation=custom_objects.get_activation("softmax")),
        ]
    )
    model.compile(optimizer="adam", loss=custom_objects.get_loss("cce", from_logits=False))
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(16) % 3]
    model.fit(x, y, epochs=1, verbose=0)

    path, inputs, outputs = tmp_path / "model.keras", tmp_path / "x.npy", tmp_path / "pred.npy"
    model.save(path)
    np.save(inputs, x)
    subprocess.run(
        [sys.executable, "-c", LOAD_AND_PREDICT, str(path), str(inputs), str(outputs)],
        check=True,
        env={**os.environ, "KERAS_BACKEND": keras.backend.backend()},
    )
    np.testing.assert_array_equal(np.load(outputs), model.predict(x, verbose=0))
