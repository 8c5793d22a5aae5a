"""Losses written by hand with `keras.ops`: each a pure function, its derivative, and a Keras `Loss` class.

A pure function returns the loss per sample (averaged over the last axis for elementwise losses, summed
over classes for the cross-entropies), as Keras's own losses do. Its analytic derivative with respect to
`y_pred`, `<function>_derivative(y_true, y_pred, ...)`, has the shape of `y_pred`. The functions live by
family (`regression`, `cross_entropy`, `margin`); which losses exist, their Keras twins and arguments
come from one place, `custom_objects/catalogue.toml`, from which this module builds each `Loss` class
(named and registered as Keras names its built-in, so `custom_objects>Huber` loads from a saved model).
"""

from collections.abc import Callable
from dataclasses import dataclass

import keras

from custom_objects import registry
from custom_objects.losses import cross_entropy, margin, regression
from custom_objects.losses.cross_entropy import (
    binary_crossentropy,
    binary_crossentropy_derivative,
    binary_focal_crossentropy,
    binary_focal_crossentropy_derivative,
    categorical_crossentropy,
    categorical_crossentropy_derivative,
    kl_divergence,
    kl_divergence_derivative,
    sparse_categorical_crossentropy,
    sparse_categorical_crossentropy_derivative,
)
from custom_objects.losses.margin import (
    categorical_hinge,
    categorical_hinge_derivative,
    hinge,
    hinge_derivative,
    squared_hinge,
    squared_hinge_derivative,
)
from custom_objects.losses.regression import (
    huber,
    huber_derivative,
    log_cosh,
    log_cosh_derivative,
    mean_absolute_error,
    mean_absolute_error_derivative,
    mean_squared_error,
    mean_squared_error_derivative,
    poisson,
    poisson_derivative,
)
from custom_objects.registry import register

CATALOGUE = registry.CATALOGUE["losses"]
_FAMILIES = (regression, cross_entropy, margin)


class FunctionLoss(keras.losses.Loss):
    """A `Loss` that applies the pure function `fn` with stored keyword arguments (those of `defaults`)."""

    fn = None
    default_name = None
    defaults = {}

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None, **fn_kwargs):
        unknown = sorted(set(fn_kwargs) - set(self.defaults))
        if unknown:
            valid = ", ".join(self.defaults) or "none"
            raise TypeError(f"{type(self).__name__} takes no argument {', '.join(unknown)}; its arguments: {valid}.")
        super().__init__(name=name or self.default_name, reduction=reduction, dtype=dtype)
        self.fn_kwargs = {**self.defaults, **fn_kwargs}

    def call(self, y_true, y_pred):
        return type(self).fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self.fn_kwargs}


def _function(name):
    for module in _FAMILIES:
        if hasattr(module, name):
            return getattr(module, name)
    raise ValueError(f"catalogue.toml names the loss function {name!r}, which no family module defines.")


@dataclass(frozen=True)
class LossEntry:
    """One loss: the function, its derivative wrt `y_pred`, its `Loss` class and the Keras built-in it must equal."""

    fn: Callable
    derivative: Callable
    cls: type
    keras_twin: type


def _entry(entry):
    fn, derivative = _function(entry["function"]), _function(f"{entry['function']}_derivative")
    defaults = {k: v["default"] for k, v in entry.get("arguments", {}).items()}
    cls = type(
        entry["keras"],
        (FunctionLoss,),
        {
            "fn": staticmethod(fn),
            "default_name": entry["keras_name"],
            "defaults": defaults,
            "__doc__": f"`{entry['function']}` as a Keras `Loss`: {entry['formula']}.",
            "__module__": __name__,
        },
    )
    return LossEntry(fn, derivative, register(cls), getattr(keras.losses, entry["keras"]))


REGISTRY = {name: _entry(entry) for name, entry in CATALOGUE.items()}
LOSSES = {name: e.cls for name, e in REGISTRY.items()}
LOSS_FUNCTIONS = {name: e.fn for name, e in REGISTRY.items()}
LOSS_DERIVATIVES = {name: e.derivative for name, e in REGISTRY.items()}
KERAS_EQUIVALENTS = {name: e.keras_twin for name, e in REGISTRY.items()}

# The Keras `Loss` classes, each named as Keras names its built-in twin and built from its catalogue entry by
# `_entry` (a test checks this list against the catalogue): `custom_objects.losses.Huber`, ...
MeanSquaredError = LOSSES["mse"]  # class MeanSquaredError(FunctionLoss)
MeanAbsoluteError = LOSSES["mae"]  # class MeanAbsoluteError(FunctionLoss)
Huber = LOSSES["huber"]  # class Huber(FunctionLoss)
LogCosh = LOSSES["log_cosh"]  # class LogCosh(FunctionLoss)
Poisson = LOSSES["poisson"]  # class Poisson(FunctionLoss)
BinaryCrossentropy = LOSSES["bce"]  # class BinaryCrossentropy(FunctionLoss)
BinaryFocalCrossentropy = LOSSES["binary_focal_crossentropy"]  # class BinaryFocalCrossentropy(FunctionLoss)
Hinge = LOSSES["hinge"]  # class Hinge(FunctionLoss)
SquaredHinge = LOSSES["squared_hinge"]  # class SquaredHinge(FunctionLoss)
CategoricalCrossentropy = LOSSES["cce"]  # class CategoricalCrossentropy(FunctionLoss)
KLDivergence = LOSSES["kl_divergence"]  # class KLDivergence(FunctionLoss)
CategoricalHinge = LOSSES["categorical_hinge"]  # class CategoricalHinge(FunctionLoss)
SparseCategoricalCrossentropy = LOSSES["sparse_cce"]  # class SparseCategoricalCrossentropy(FunctionLoss)

__all__ = [
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "FunctionLoss",
    "Hinge",
    "Huber",
    "KERAS_EQUIVALENTS",
    "KLDivergence",
    "LOSSES",
    "LOSS_DERIVATIVES",
    "LOSS_FUNCTIONS",
    "LogCosh",
    "LossEntry",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Poisson",
    "REGISTRY",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "binary_crossentropy",
    "binary_crossentropy_derivative",
    "binary_focal_crossentropy",
    "binary_focal_crossentropy_derivative",
    "categorical_crossentropy",
    "categorical_crossentropy_derivative",
    "categorical_hinge",
    "categorical_hinge_derivative",
    "hinge",
    "hinge_derivative",
    "huber",
    "huber_derivative",
    "kl_divergence",
    "kl_divergence_derivative",
    "log_cosh",
    "log_cosh_derivative",
    "mean_absolute_error",
    "mean_absolute_error_derivative",
    "mean_squared_error",
    "mean_squared_error_derivative",
    "poisson",
    "poisson_derivative",
    "sparse_categorical_crossentropy",
    "sparse_categorical_crossentropy_derivative",
    "squared_hinge",
    "squared_hinge_derivative",
]
