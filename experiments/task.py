"""What every task module provides, and the registry of the four tasks."""

from dataclasses import dataclass
from typing import Callable

KINDS = ("regression", "binary", "multiclass", "multilabel")


@dataclass(frozen=True)
class Task:
    """One of the post's models with the data it trains on.

    Attributes:
        name: The task's name on the command line.
        kind: How its predictions are evaluated: one of `KINDS`.
        summary: One line for `python -m experiments list`.
        documented_head: `(units, activation)` of the post's output layer.
        build_model: `(units, activation) -> keras.Model`, the documented body with that head.
        load_data: `(**data_options) -> Split`, raw targets (floats, class ids or multi-hot).
        input_scale: Factor applied to inputs on their way into the model (1/255 for images).
        data_options: The options `load_data` accepts, with their defaults.
    """

    name: str
    kind: str
    summary: str
    documented_head: tuple
    build_model: Callable
    load_data: Callable
    input_scale: float
    data_options: dict
