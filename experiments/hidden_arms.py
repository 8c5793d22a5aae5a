"""The hidden-activation arms: the post's head and loss with every hidden layer's activation swapped (reference
004: vanishing gradients, dead ReLUs), one arm per activation, for the `*_hidden` and `bird_plane_deep` tasks."""

from dataclasses import replace

HIDDEN_ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "gelu", "swish")
HIDDEN_NOTES = {
    "relu": "the post's body: max(0, z)",
    "leaky_relu": "max(0.2 z, z) (Keras's slope): negative inputs keep a gradient",
    "tanh": "zero-centred, saturates for large |z|",
    "sigmoid": "saturates for large |z|, slope at most 0.25, not zero-centred",
    "gelu": "z Phi(z): smooth, the Transformers' choice",
    "swish": "z sigma(z): smooth",
}


def hidden_pairings(output):
    """One arm per hidden activation, each with the `output` pairing's head and loss."""
    return {
        f"{h}_body": replace(
            output,
            name=f"{h}_body",
            note=f"hidden layers {HIDDEN_NOTES[h]}; the post's {output.name} head",
            documented=h == "relu",
            hidden_activation=h,
        )
        for h in HIDDEN_ACTIVATIONS
    }
