"""A pairing composed from its parts: `ACTIVATION[@UNITS]+LOSS[(key=value, ...)]`.

    softmax+bce    softmax@1+bce    sigmoid+bce(from_logits=true)    linear+huber(delta=0.5)

The rest follows from the task's kind and Keras's own conventions:
- units: what the task's targets need (1 for a regression or a binary task, 2 for class ids of a
  binary task, 10 for CIFAR-10's classes);
- the target encoding: sparse losses take class ids; the hinge family takes {-1, +1} (Keras
  converts {0, 1} itself); categorical cross-entropy and KL divergence on multi-label targets
  take the multi-hot rows normalised to sum to 1; everything else takes the targets as they are
  (one-hot rows for CIFAR-10; a one-unit head on CIFAR-10 gets the class ids as numbers, as a user
  who passes the labels to it would);
- the `link` (kept in the record's pairing spec, and in its run id): the loss's own sigmoid or
  softmax for a loss told it gets logits, else the outputs as they are. How outputs are *read*
  (decision rule, ranking score, probabilities) follows from the targets' encoding and the loss's
  comparison space (`experiments.catalogue.LossTraits.space`): `experiments.training.decoding`.

A combination Keras itself refuses (sparse cross-entropy on multi-hot targets, a class id beyond the
last unit, target and output shapes that do not broadcast; `tests/test_refusals.py` shows Keras
raising on each) raises a one-line `ValueError` naming what would work. One Keras accepts but that
cannot learn (a one-unit softmax, BCE on the ten class ids) composes: that is the lesson. A loss
argument outside where the loss is defined (its rule in `custom_objects/catalogue.toml`) is refused.

No Keras import here: the sweep's driver composes pairings while it plans.
"""

import json
import math
import re
from dataclasses import dataclass

import numpy as np

from experiments.catalogue import LOSSES, OUTPUT_ACTIVATIONS


def comparison_space(loss, kwargs):
    """What `loss` (with `kwargs`) compares the outputs as: probabilities, logits, values, margins or rates."""
    space = LOSSES[loss].space
    return "logits" if space == "probabilities" and kwargs.get("from_logits") else space


# How many units a task's targets fill, per kind: (units of a sparse loss, units of any other).
TARGET_UNITS = {"regression": (None, 1), "binary": (2, 1), "multiclass": (10, 10), "multilabel": (None, 10)}
WHAT_TARGETS_ARE = {
    "regression": "values (widths in cm)",
    "binary": "labels 0 or 1",
    "multiclass": "class ids 0-9",
    "multilabel": "multi-hot rows (1-4 classes per mosaic)",
}
GRAMMAR = "ACTIVATION[@UNITS]+LOSS[(key=value, ...)], e.g. softmax+bce, softmax@1+bce or sigmoid+bce(from_logits=true)"
_PATTERN = re.compile(r"^(?P<act>[a-z_]+)(?:@(?P<units>\d{1,4}))?\+(?P<loss>[a-z_]+)(?:\((?P<args>[^()]*)\))?$")
_AROUND_PUNCTUATION = re.compile(r"\s*([@+(),=])\s*")  # spaces around the grammar's marks are allowed, not inside names


@dataclass(frozen=True)
class Composition:
    """A parsed and checked pairing: the head, the loss with its arguments, targets and link."""

    activation: str
    units: int
    loss: str
    loss_kwargs: dict
    target: str
    link: str
    name: str  # canonical: default units and default arguments left out, arguments sorted
    inert: tuple = ()  # arguments given that Keras ignores here, left out of the name and the run (focal's alpha)


def _value(text, key, where):
    try:
        value = json.loads(text.strip().lower() if text.strip().lower() in ("true", "false") else text.strip())
    except ValueError:
        raise ValueError(f"{where}: {key}={text.strip()} is not a value; use true, false or a number.") from None
    if not isinstance(value, (bool, int, float)) or (isinstance(value, float) and not math.isfinite(value)):
        raise ValueError(f"{where}: {key}={text.strip()} is not a value; use true, false or a finite number.")
    return value


def parse(expression):
    """(activation, units or None, loss, {key: value}) of `expression`; ValueError naming the grammar."""
    text = _AROUND_PUNCTUATION.sub(r"\1", expression.strip())
    match = _PATTERN.match(text)
    if not match:
        hint = " (names are lower case)" if _PATTERN.match(text.lower()) else ""
        raise ValueError(f"Cannot read pairing {expression!r}{hint}; expected {GRAMMAR}.")
    activation, loss = match["act"], match["loss"]
    if activation not in OUTPUT_ACTIVATIONS:
        valid = ", ".join(sorted(OUTPUT_ACTIVATIONS))
        raise ValueError(f"Unknown output activation {activation!r} in {expression!r}; valid: {valid}.")
    if loss not in LOSSES:
        raise ValueError(f"Unknown loss {loss!r} in {expression!r}; valid: {', '.join(sorted(LOSSES))}.")
    kwargs = {}
    items = (match["args"] or "").split(",") if match["args"] else []
    for item in items:
        key, sep, value = item.partition("=")
        if key in LOSSES[loss].kwargs and not (sep and value):
            raise ValueError(
                f"{loss} in {expression!r}: {key} needs a value, e.g. {key}={json.dumps(LOSSES[loss].kwargs[key])}."
            )
        if key not in LOSSES[loss].kwargs:
            valid = ", ".join(LOSSES[loss].kwargs) or "none"
            raise ValueError(f"{loss} in {expression!r} takes no argument {item!r}; its arguments: {valid}.")
        if key in kwargs:
            raise ValueError(f"{loss} in {expression!r}: {key} is given twice.")
        kwargs[key] = _value(value, key, expression)
        default = LOSSES[loss].kwargs[key]
        if isinstance(default, bool) != isinstance(kwargs[key], bool):
            kind = "true or false" if isinstance(default, bool) else "a number"
            raise ValueError(f"{loss} in {expression!r}: {key} must be {kind}, got {value}.")
        if isinstance(default, float):
            kwargs[key] = float(kwargs[key])  # gamma=3 and gamma=3.0 are one pairing
        rule = LOSSES[loss].rules.get(key)
        if rule is not None and not rule.allows(kwargs[key]):
            raise ValueError(f"{loss} in {expression!r}: {key} must be {rule.words}, got {value.strip()}.")
    units = int(match["units"]) if match["units"] else None
    if units == 0:
        raise ValueError(f"{expression!r}: @UNITS must be at least 1.")
    return activation, units, loss, kwargs


def target_units(kind, classes=None):
    """(units of a sparse loss, units of any other) for targets of `kind`: `TARGET_UNITS`, or, for a task with
    its own number of classes or labels (a user's), that number."""
    if classes is None or kind not in ("multiclass", "multilabel"):
        return TARGET_UNITS[kind]
    return (classes, classes) if kind == "multiclass" else (None, classes)


def _units_and_target(task, kind, units, loss, classes=None):
    """(units, target encoding) for `loss` on a task of `kind`; ValueError where Keras itself refuses.

    Each refusal is one Keras 3 makes (tests/test_refusals.py shows Keras raising on it): a class id
    beyond the last unit of a sparse loss, sparse targets that are not class ids, and target and output
    shapes that neither match nor broadcast. A one-unit head on CIFAR-10's ten classes is trained on the
    class ids as numbers, as a user who passes the labels to it would (Keras trains it; it cannot learn).
    """
    family = LOSSES[loss].family
    sparse_units, other_units = target_units(kind, classes)
    if family == "sparse":
        if sparse_units is None:
            raise ValueError(
                f"{loss} takes one class id per example, but {task}'s targets are {WHAT_TARGETS_ARE[kind]}: "
                f"Keras refuses it; use {'mse, mae, huber or log_cosh' if kind == 'regression' else 'bce or cce'}."
            )
        units = units or sparse_units
        if units < sparse_units:
            raise ValueError(
                f"{loss} on {task}'s {WHAT_TARGETS_ARE[kind]} needs at least @{sparse_units} (one unit per class), "
                f"not @{units}: a class id beyond the last unit is refused by Keras."
            )
        return units, "integer"
    if kind == "binary" and family == "categorical":
        other_units = 2  # a categorical loss scores a distribution over both classes: one-hot rows
    units = units or other_units
    if kind == "binary":
        if units not in (1, 2):
            raise ValueError(
                f"{task}'s targets fill 1 unit (a label) or 2 (one-hot rows), not @{units}: "
                "Keras refuses targets and outputs of shapes that do not broadcast."
            )
        if units == 2:
            return units, "one_hot"
        return units, "plus_minus_one" if family == "hinge" else "binary"
    if kind == "multiclass" and units == 1:
        return units, "class_value"
    if units != other_units:
        raise ValueError(
            f"{task}'s targets are {WHAT_TARGETS_ARE[kind]}: they fill @{other_units}, not @{units}: "
            "Keras refuses targets and outputs of shapes that do not broadcast."
        )
    if kind == "regression":
        return units, "value"
    if kind == "multiclass":
        return units, "one_hot"
    return units, "normalized_multi_hot" if LOSSES[loss].distribution else "multi_hot"


def _link(kind, activation, loss, kwargs):
    """How the outputs become probabilities for evaluation (`experiments.training.metrics.LINKS`)."""
    if kind == "regression" or activation in ("sigmoid", "softmax"):
        return "identity"
    if kwargs.get("from_logits"):
        return LOSSES[loss].logits
    return "tanh" if activation == "tanh" else "clip"


def canonical_name(activation, units, default_units, loss, kwargs):
    """The pairing's name: default units and arguments at their defaults left out, arguments sorted."""
    head = activation if units == default_units else f"{activation}@{units}"
    text = ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(kwargs.items()))
    return f"{head}+{loss}" + (f"({text})" if text else "")


def compose(task, kind, expression, classes=None):
    """The `Composition` of `expression` for `task` (of `kind`, with `classes` classes or labels where it is not
    `TARGET_UNITS`'s); ValueError, one line, if it cannot be trained."""
    activation, units, loss, kwargs = parse(expression)
    try:
        units, target = _units_and_target(task, kind, units, loss, classes)
    except ValueError as error:
        raise ValueError(f"{expression!r} on {task}: {error}") from None
    defaults = LOSSES[loss].kwargs
    kwargs = {k: v for k, v in sorted(kwargs.items()) if v != defaults[k]}
    inert = ()
    if "alpha" in kwargs and not kwargs.get("apply_class_balancing"):
        kwargs.pop("alpha")  # Keras applies alpha only with class balancing: without it the same run as the default
        inert = ("alpha",)
    default_units = _units_and_target(task, kind, None, loss, classes)[0]
    return Composition(
        activation=activation,
        units=units,
        loss=loss,
        loss_kwargs=kwargs,
        target=target,
        link=_link(kind, activation, loss, kwargs),
        name=canonical_name(activation, units, default_units, loss, kwargs),
        inert=inert,
    )


# The loss forms the atlas maps: every loss at Keras's defaults, and the from_logits form of each that has one.
LOSS_FORMS = tuple(
    form
    for loss, traits in LOSSES.items()
    for form in ((loss, f"{loss}(from_logits=true)") if "from_logits" in traits.kwargs else (loss,))
)


@dataclass(frozen=True)
class Refusal:
    """A cell of the activation x loss matrix that cannot be trained on a task, and why (one line)."""

    activation: str
    loss_form: str
    reason: str


def all_compositions(task, kind, classes=None):
    """Every cell of OUTPUT_ACTIVATIONS x LOSS_FORMS for `task`: a `Composition`, or a `Refusal` with its reason."""
    cells = []
    for activation in OUTPUT_ACTIVATIONS:
        for form in LOSS_FORMS:
            try:
                cells.append(compose(task, kind, f"{activation}+{form}", classes))
            except ValueError as error:
                cells.append(Refusal(activation, form, str(error).partition(": ")[2] or str(error)))
    return cells


# Target encodings: how a task's raw targets become what the loss expects.
# class_value: a class id as a number (0.0-9.0), what a user passes to a one-unit head on several classes.
TARGETS = (
    "value",
    "binary",
    "plus_minus_one",
    "integer",
    "class_value",
    "one_hot",
    "multi_hot",
    "normalized_multi_hot",
)


def encode_targets(y, target, units):
    """Raw task targets (values, class ids or multi-hot rows) in the encoding a loss needs."""
    y = np.asarray(y)
    if target == "value":
        return y.astype("float32").reshape(len(y), -1)
    if target == "binary":
        return y.astype("float32").reshape(-1, 1)
    if target == "plus_minus_one":
        return (2.0 * y.astype("float32") - 1.0).reshape(-1, 1)
    if target == "integer":
        return y.astype("int32").reshape(-1)
    if target == "class_value":
        return y.astype("float32").reshape(-1, 1)
    if target == "one_hot":
        return np.eye(units, dtype="float32")[y.astype(int).reshape(-1)]
    if target == "multi_hot":
        return y.astype("float32")
    if target == "normalized_multi_hot":
        y = y.astype("float32")
        return y / np.maximum(y.sum(axis=1, keepdims=True), 1.0)
    raise ValueError(f"Unknown target encoding {target!r}; valid: {', '.join(TARGETS)}.")
