"""Swapping the hand-written activations of a built model for their Keras built-in twins.

The hand-written objects are the suite's definitions; the built-ins are what a user's model runs
with. `keras_view` compares the two at the output, `speed.relu_kernel` runs TensorFlow's own ReLU
kernel in the hidden layers where it equals the hand-written one, and `use_keras_builtins` trains
a whole model on the built-ins (a config whose `objects` is "keras", as the benchmark runs its Keras side).
"""


def keras_twins():
    """{hand-written activation: its Keras built-in twin}."""
    from custom_objects.activations import ACTIVATIONS, KERAS_EQUIVALENTS

    return {fn: KERAS_EQUIVALENTS[name] for name, fn in ACTIVATIONS.items()}


def use_keras_builtins(model):
    """Swap every hand-written activation in `model` for its Keras built-in twin."""
    swap_activations(model.layers, keras_twins())


def swap_activations(layers, twins):
    """Give each of `layers` whose activation is a key of `twins` that key's value; the number swapped."""
    swapped = 0
    for layer in layers:
        if getattr(layer, "activation", None) in twins:
            layer.activation = twins[layer.activation]
            swapped += 1
    return swapped
