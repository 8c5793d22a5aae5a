"""sepal_width: predict iris Sepal.Width from Sepal.Length (the post's regression).

Dense(32)            # no activation
Dense(1)             # output activation of the pairing; linear in the post
adam, mean squared error (or mean absolute error), 50 epochs       -> 97 parameters
"""

from experiments.data import iris


def build_model(units, activation, name):
    """The post's regressor with a `Dense(units, activation)` head. Keras is imported here, not with the module:
    the data loads without it (the report reads iris for the closed-form fits and never imports Keras)."""
    import keras
    from keras import layers

    from custom_objects import get_activation

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
