"""Hand-written activations and losses, with derivatives, registered with Keras.

import custom_objects
act = custom_objects.get_activation("sigmoid")
loss = custom_objects.get_loss("bce", from_logits=True)
"""

from custom_objects import activations, losses
from custom_objects.activations import ACTIVATIONS, DERIVATIVES
from custom_objects.losses import LOSS_DERIVATIVES, LOSSES
from custom_objects.registry import PACKAGE, lookup


def get_activation(name):
    """The activation function called `name` (one of `ACTIVATIONS`)."""
    return lookup(ACTIVATIONS, "activation", name)


def get_activation_derivative(name):
    """The analytic derivative of the activation `name` (softmax: its Jacobian)."""
    return lookup(DERIVATIVES, "activation", name)


def get_loss(name, **kwargs):
    """A `keras.losses.Loss` instance of the loss called `name` (one of `LOSSES`)."""
    return lookup(LOSSES, "loss", name)(**kwargs)


def get_loss_derivative(name):
    """The analytic derivative of the loss `name` with respect to `y_pred`."""
    return lookup(LOSS_DERIVATIVES, "loss", name)


__all__ = [
    "ACTIVATIONS",
    "DERIVATIVES",
    "LOSSES",
    "LOSS_DERIVATIVES",
    "PACKAGE",
    "activations",
    "get_activation",
    "get_activation_derivative",
    "get_loss",
    "get_loss_derivative",
    "losses",
]
