"""Registration with Keras, lookup by name and the catalogue, shared by activations and losses."""

import tomllib
from pathlib import Path

import keras

PACKAGE = "custom_objects"
# Every fact about each loss and activation (catalogue.toml), read once for both modules.
CATALOGUE = tomllib.loads((Path(__file__).resolve().parent / "catalogue.toml").read_text())

# Registered objects serialise as "custom_objects>name" in a saved `.keras`
# model, and load back without a `custom_objects=` argument.
register = keras.saving.register_keras_serializable(package=PACKAGE)


def lookup(table, kind, name):
    """Return `table[name]`, or raise a `ValueError` that lists the valid names."""
    try:
        return table[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(table))
        raise ValueError(f"Unknown {kind} {name!r}; valid names: {valid}.") from None
