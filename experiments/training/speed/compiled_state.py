"""Build a compiled model's optimizer, loss and metric state before its first training step."""


def build_compiled_state(model, x, y):
    """Create the variables of the optimizer and of the compiled loss and metrics now, eagerly.

    Keras (TensorFlow backend, no distribution strategy) creates them inside the first
    traced training step, and a `tf.function` that creates variables is traced twice:
    once to create them, once more without. Built here from a few examples, the training
    step is traced once (seconds per pack). Their values are the same as Keras would make:
    the optimizer's slots start at zero and the loss and metric trackers are reset.
    """
    model.optimizer.build(model.trainable_variables)
    y_pred = model(x, training=False)
    model.compute_loss(x=x, y=y, y_pred=y_pred)
    model.compute_metrics(x, y, y_pred, sample_weight=None)
    model.reset_metrics()
