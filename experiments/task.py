"""What a task is, as data, and name lookup; no deep-learning imports here.

The sweep's driver process only plans runs, so it never imports Keras or TensorFlow;
a task's model and data code live in its module (`experiments/<task>.py`), imported
when a run needs them.
"""

import importlib
from dataclasses import dataclass, field

KINDS = ("regression", "binary", "multiclass", "multilabel")


def lookup(table, kind, name):
    """Return `table[name]`, or raise a `ValueError` that lists the valid names."""
    try:
        return table[name]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown {kind} {name!r}; valid names: {', '.join(sorted(table))}.") from None


@dataclass(frozen=True)
class Task:
    """One of the post's models with the data it trains on.

    Attributes:
        name: The task's name on the command line; its code is `experiments/<name>.py`,
            with `build_model(units, activation, name)` and `load_data(**data_options)`.
        kind: How its predictions are evaluated: one of `KINDS`.
        summary: One line for `python -m experiments list`.
        documented_head: `(units, activation)` of the post's output layer.
        input_scale: Factor applied to inputs on their way into the model (1/255 for images).
        data_options: The options `load_data` accepts, with their defaults.
    """

    name: str
    kind: str
    summary: str
    documented_head: tuple
    input_scale: float
    data_options: dict = field(default_factory=dict)

    def _module(self):
        return importlib.import_module(f"experiments.{self.name}")

    def build_model(self, units=None, activation=None, name=None):
        """The documented body with a `Dense(units, activation)` head (default: the post's)."""
        default_units, default_activation = self.documented_head
        return self._module().build_model(units or default_units, activation or default_activation, name=name or self.name)

    def load_data(self, **options):
        """A `Split` with raw targets (floats, class ids or multi-hot rows)."""
        return self._module().load_data(**options)
