"""What a run logs while it trains: the training loss as a metric, and accuracy (or MAE).

The test metrics of each epoch are computed apart, in NumPy (`experiments.training.metrics`).
"""

import keras
from keras import ops

from experiments.training.decoding import decoding

# The training loss as a metric: the mean over examples of the per-example loss. Keras's
# own per-output loss logs average batch means, which weighs a short last batch wrongly.
OBJECTIVE = "objective"


def train_accuracy(kind, pairing):
    """A Keras metric for the training history: accuracy in the pairing's own output format."""
    if kind == "regression":
        return keras.metrics.MeanAbsoluteError(name="mae")
    threshold = decoding(pairing, kind).threshold

    def truth_binary(y_true):
        return y_true > (0.0 if pairing.target == "plus_minus_one" else 0.5)

    def accuracy(y_true, y_pred):
        if pairing.target == "class_value":  # the nearest class id to the one output
            hit = ops.round(ops.clip(ops.reshape(y_pred, (-1,)), 0.0, 9.0)) == ops.reshape(y_true, (-1,))
        elif kind == "binary" and pairing.units == 2:  # class ids, or one-hot rows (a categorical loss)
            ids = ops.argmax(y_true, axis=-1) if pairing.target == "one_hot" else ops.reshape(y_true, (-1,))
            hit = ops.argmax(y_pred, axis=-1) == ops.cast(ids, "int32")
        elif kind == "binary":
            hit = (ops.reshape(y_pred, (-1,)) >= threshold) == truth_binary(ops.reshape(y_true, (-1,)))
        elif kind == "multiclass":
            ids = ops.argmax(y_true, axis=-1) if pairing.target == "one_hot" else ops.reshape(y_true, (-1,))
            hit = ops.argmax(y_pred, axis=-1) == ops.cast(ids, "int32")
        elif threshold is None:  # normalised multi-hot rows: half of 1/k, k the batch's mean count
            k = ops.maximum(ops.mean(ops.sum(ops.cast(y_true > 0, "float32"), axis=-1)), 1.0)
            hit = ops.all((y_pred >= 0.5 / k) == (y_true > 0), axis=-1)
        else:
            hit = ops.all((y_pred >= threshold) == (y_true > 0), axis=-1)
        return ops.cast(hit, "float32")

    return keras.metrics.MeanMetricWrapper(accuracy, name="accuracy")


def metric_maker(kind, pairing, make_loss, loss_kwargs=None):
    """A function that makes a branch's training metrics anew: its accuracy (or MAE), read as `pairing`'s,
    and its objective, `make_loss` with `loss_kwargs` (default: `pairing`'s)."""
    loss_kwargs = pairing.loss_kwargs if loss_kwargs is None else loss_kwargs

    def make():
        per_example = make_loss(reduction="none", **loss_kwargs)
        return [train_accuracy(kind, pairing), keras.metrics.MeanMetricWrapper(per_example, name=OBJECTIVE)]

    return make


def untrained_logs(branches, targets, outputs, sample_weight=None):
    """Epoch 0's training loss and metric, from the untrained model's outputs on the training set (weighted by
    `sample_weight` (n,) as `fit` weights them, where a class weighting is set)."""
    logs = {}
    for branch, y, out in zip(branches, targets, outputs):
        for metric, key in zip(branch.make_metrics(), (branch.metric_key, branch.loss_key)):
            metric.update_state(y, out, sample_weight=sample_weight)
            logs[key] = float(metric.result())
    return logs
