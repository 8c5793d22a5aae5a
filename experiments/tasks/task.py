"""A task: one of the post's models with the data it trains on (the registry is `experiments.tasks.TASKS`)."""

import importlib
from dataclasses import dataclass, field

from experiments.composition import compose
from experiments.data import conditions
from experiments.tasks import options as option_rules

KINDS = ("regression", "binary", "multiclass", "multilabel")


def lookup(table, kind, name):
    """Return `table[name]`, or raise a `ValueError` that lists the valid names."""
    try:
        return table[name]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown {kind} {name!r}; valid names: {', '.join(sorted(table))}.") from None


@dataclass(frozen=True, kw_only=True)
class Task:
    """One of the post's models with the data it trains on.

    Attributes:
        name: The task's name on the command line.
        title: The task in words, for tables, figures and reports (default: its name).
        module: The module (in this package) with `build_model(units, activation, name)`
            and `load_data(**data_options)`.
        kind: How its predictions are evaluated: one of `KINDS`.
        data: What it learns, in a few words, for `python -m experiments list`.
        params: The post's model's parameter count (its documented output head).
        input_scale: Factor applied to inputs on their way into the model (1/255 for images).
        data_options: The options `load_data` accepts, with their defaults; they enter the
            run's config (and its run id).
        model_options: Which of `data_options` `build_model` takes as well (how the model
            starts, say), so that they are recorded in the config like the data's.
        settings: Training settings this task changes from the post's defaults (a variant
            trained with another optimizer, say); a profile or the command line can still
            override them.
        layer_probe: Record per-layer gradient norms and never-active units of the body
            (`experiments.training.layer_probe`), for the hidden-activation experiments.
        head_units: The output units its model can be built with (None: any); a pairing with
            others is refused when it is named, before any run is planned.
        conditions: The training conditions it takes (`experiments.data.conditions`: label noise,
            class imbalance), accepted as data options but in a run's config only when set.
        post_pairing: The post's output activation and loss for this model, as a pairing name
            (`experiments.composition`): the reference every other pairing of the task is compared with.
        base: For a task under a fixed condition (`under_condition`), the clean task it is made from.
        classes: The number of classes (multiclass) or labels (multilabel) where it is not CIFAR-10's 10: a
            user's task (`experiments.tasks.task_file`).
        task_file: For a user's task, the task file that declared it ("records" where it was rebuilt from
            records); "" for the suite's own tasks.
    """

    name: str
    title: str = ""
    module: str
    kind: str
    data: str
    params: int
    input_scale: float
    data_options: dict = field(default_factory=dict)
    model_options: tuple = ()
    settings: dict = field(default_factory=dict)
    layer_probe: bool = False
    head_units: tuple | None = None
    post_pairing: str = ""
    conditions: tuple = ()
    base: str = ""
    classes: int | None = None
    task_file: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Task {self.name!r}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}.")
        if not self.post_pairing:
            raise ValueError(f"Task {self.name!r}: name the post's pairing (post_pairing), e.g. 'sigmoid+bce'.")

    @property
    def summary(self):
        """One line for `python -m experiments list`: data, the post's head, parameter count."""
        units, activation = self.documented_head
        params = f"; {self.params:,} params" if self.params else ""
        return f"{self.data}; Dense({units}, {activation}) head{params}"

    @property
    def documented_head(self):
        """`(units, activation)` of the post's output layer: its `post_pairing`'s."""
        head = compose(self.name, self.kind, self.post_pairing, self.classes)
        return head.units, head.activation

    def _module(self):
        return importlib.import_module(f"experiments.tasks.{self.module}")

    def build_model(self, units=None, activation=None, name=None, options=None, hidden_activation=None):
        """The documented body with a `Dense(units, activation)` head (default: the post's).

        `options`: a run's data options (default: the task's); those named in `model_options`
        go to the module's `build_model`. `hidden_activation`: the body's, where a pairing
        sets it (default: the module's, the post's ReLU).
        """
        default_units, default_activation = self.documented_head
        options = {**self.data_options, **(options or {})}
        self.check_options(options)
        hidden = {} if hidden_activation is None else {"hidden_activation": hidden_activation}
        return self._module().build_model(
            units or default_units,
            activation or default_activation,
            name=name or self.name,
            **{k: options[k] for k in self.model_options},
            **hidden,
        )

    def load_data(self, **options):
        """A `Split` with raw targets (floats, class ids or multi-hot rows), under the conditions in `options`."""
        self.check_options(options)
        preset = {k: v for k, v in self.data_options.items() if k in conditions.CONDITIONS}  # a conditions task's
        given = {**preset, **{k: options.pop(k) for k in list(options) if k in conditions.CONDITIONS}}
        split = self._module().load_data(**options)
        return conditions.apply(split, self.kind, given) if given else split

    @property
    def accepted_options(self):
        """Every data option it takes: its `data_options` (always in the config) and its `conditions`."""
        return {*self.data_options, *self.conditions}

    def check_options(self, options):
        """Raise a ValueError naming an option this task does not take (and those it does), or a value its rule
        refuses (`experiments.tasks.options.RULES`): the one place a data option is checked."""
        valid = self.accepted_options
        unknown = sorted(set(options) - valid)
        if unknown:
            raise ValueError(
                f"Unknown data option(s) {', '.join(map(repr, unknown))} for "
                f"task {self.name!r}; valid: {', '.join(sorted(valid)) or 'none'}."
            )
        for key, value in options.items():
            option_rules.check_value(key, value)
