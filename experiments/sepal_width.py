"""sepal_width: predict iris Sepal.Width from Sepal.Length (the post's regression).

    Dense(32)            # no activation
    Dense(1)             # output activation of the pairing; linear in the post
    adam, mean squared error (or mean absolute error), 50 epochs       -> 97 parameters
"""

import keras
from keras import layers

from custom_objects import get_activation
from experiments.data import iris
from experiments.task import Task


def build_model(units=1, activation="linear", name="sepal_width"):
    return keras.Sequential(
        [
            keras.Input((1,)),
            layers.Dense(32),
            layers.Dense(units, activation=get_activation(activation)),
        ],
        name=name,
    )


def load_data(test_fraction=0.2, split_seed=0):
    return iris.sepal_split(test_fraction=test_fraction, split_seed=split_seed)


TASK = Task(
    name="sepal_width",
    kind="regression",
    summary="iris: Sepal.Width from Sepal.Length; Dense(32) -> Dense(1, linear); 97 params",
    documented_head=(1, "linear"),
    build_model=build_model,
    load_data=load_data,
    input_scale=1.0,
    data_options={"test_fraction": 0.2, "split_seed": 0},
)
