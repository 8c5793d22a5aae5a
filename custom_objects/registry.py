"""Registration with Keras and lookup by name, shared by activations and losses."""

import keras

PACKAGE = "custom_objects"

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
