"""What every hand-written loss shares: Keras's epsilon, targets aligned to the outputs' shape, one-hot ids.

Shapes must match. `y_true` of shape `(batch,)` against `y_pred` of shape `(batch, 1)` is accepted (the
trailing unit axis is added), but shapes that would only agree by broadcasting, such as `(batch,)`
against `(batch, 10)`, raise a `ValueError` rather than silently producing a `(batch, batch)` loss.
"""

import keras
from keras import ops


def _epsilon():
    return keras.config.epsilon()


def _as_float(y_pred):
    y_pred = ops.convert_to_tensor(y_pred)
    if "float" not in str(y_pred.dtype):
        y_pred = ops.cast(y_pred, keras.config.floatx())
    return y_pred


def _shape_error(y_true, y_pred, expected):
    return ValueError(
        f"y_true has shape {tuple(y_true.shape)} and y_pred has shape "
        f"{tuple(y_pred.shape)}; expected {expected}. "
        "Shapes are not broadcast: encode the targets to match the model output."
    )


def _compatible(a, b):
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def _align(y_true, y_pred):
    """Targets and predictions of the same shape and float dtype, or a clear error."""
    y_pred = _as_float(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), y_pred.dtype)
    true_rank, pred_rank = len(y_true.shape), len(y_pred.shape)
    if true_rank == pred_rank - 1 and y_pred.shape[-1] == 1:
        y_true = ops.expand_dims(y_true, -1)
    elif true_rank == pred_rank + 1 and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    if not _compatible(y_true.shape, y_pred.shape):
        raise _shape_error(y_true, y_pred, "the same shape")
    return y_true, y_pred


def _one_hot_targets(y_true, y_pred):
    """Integer class ids `(batch,)` or `(batch, 1)` as one-hot rows matching `y_pred`."""
    y_pred = _as_float(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    if not _compatible(y_true.shape, y_pred.shape[:-1]):
        raise _shape_error(y_true, y_pred, f"integer class ids of shape {tuple(y_pred.shape[:-1])}")
    return ops.one_hot(ops.cast(y_true, "int32"), y_pred.shape[-1], dtype=y_pred.dtype), y_pred


def _units(y_pred):
    return ops.cast(ops.shape(y_pred)[-1], y_pred.dtype)


def _logsumexp(x):
    m = ops.max(x, axis=-1, keepdims=True)
    return ops.squeeze(m, -1) + ops.log(ops.sum(ops.exp(x - m), axis=-1))


def _inside_clip(p):
    eps = _epsilon()
    return ops.cast((p > eps) & (p < 1.0 - eps), p.dtype)
