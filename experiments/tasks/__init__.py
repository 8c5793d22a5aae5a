"""The post's four models with their data, by name: an explicit registry, no deep-learning imports.

The sweep's driver only plans runs, so it never imports Keras or TensorFlow. Each task's
model and data code lives in its own module of this package (`sepal_width.py`, ...), named
in the registry below and imported when a run needs it.
"""

import importlib
from dataclasses import dataclass, field, replace

from experiments.composition import compose
from experiments.data import conditions
from experiments.data.cifar10 import DATA_OPTIONS as CIFAR10_OPTIONS

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
        return importlib.import_module(f"{__name__}.{self.module}")

    def build_model(self, units=None, activation=None, name=None, options=None, hidden_activation=None):
        """The documented body with a `Dense(units, activation)` head (default: the post's).

        `options`: a run's data options (default: the task's); those named in `model_options`
        go to the module's `build_model`. `hidden_activation`: the body's, where a pairing
        sets it (default: the module's, the post's ReLU).
        """
        default_units, default_activation = self.documented_head
        options = {**self.data_options, **(options or {})}
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
        preset = {k: v for k, v in self.data_options.items() if k in conditions.CONDITIONS}  # a conditions task's
        given = {**preset, **{k: options.pop(k) for k in list(options) if k in conditions.CONDITIONS}}
        split = self._module().load_data(**options)
        return conditions.apply(split, self.kind, given) if given else split

    @property
    def accepted_options(self):
        """Every data option it takes: its `data_options` (always in the config) and its `conditions`."""
        return {*self.data_options, *self.conditions}


SATURATED = Task(
    name="bird_plane_saturated",
    title="Bird vs airplane from a saturated start (Adam)",
    module="bird_plane_saturated",
    kind="binary",
    data="bird_plane started saturated: output bias logit(0.98), sigma(z) ~ 0.98 for every image",
    params=17_257,
    input_scale=1 / 255,
    data_options={**CIFAR10_OPTIONS, "start_probability": 0.98},
    model_options=("start_probability",),
    head_units=(1,),
    post_pairing="sigmoid+bce",
)

TASKS = {
    task.name: task
    for task in (
        Task(
            name="sepal_width",
            title="Iris sepal width from sepal length (regression)",
            module="sepal_width",
            kind="regression",
            data="iris: Sepal.Width from Sepal.Length; Dense(32) body",
            params=97,
            input_scale=1.0,
            data_options={"test_fraction": 0.2, "split_seed": 0},
            post_pairing="linear+mse",
            conditions=("target_scale",),
        ),
        Task(
            name="bird_plane",
            title="Bird vs airplane (binary CNN)",
            module="bird_plane",
            kind="binary",
            data="CIFAR-10 bird (0) vs airplane (1); conv body",
            params=17_257,
            input_scale=1 / 255,
            data_options=CIFAR10_OPTIONS,
            post_pairing="sigmoid+bce",
            conditions=("label_noise", "positive_share"),
        ),
        SATURATED,
        replace(
            SATURATED,
            name="bird_plane_saturated_sgd",
            data="bird_plane_saturated trained by plain SGD (lr 0.01, Keras's default), the textbooks' optimizer",
            settings={"optimizer": "sgd", "learning_rate": 0.01},
        ),
        Task(
            name="sepal_width_outliers",
            title="Iris sepal width with 10% of training targets moved +3 cm",
            module="sepal_width_outliers",
            kind="regression",
            data="sepal_width with 10% of training targets + 3 cm (seeded); clean test rows",
            params=97,
            input_scale=1.0,
            data_options={
                "test_fraction": 0.2,
                "split_seed": 0,
                "outlier_share": 0.1,
                "outlier_shift": 3.0,
                "outlier_seed": 0,
            },
            post_pairing="linear+mse",
        ),
        Task(
            name="sepal_width_fitted",
            title="Iris sepal width, trained to its loss's optimum",
            module="sepal_width",
            kind="regression",
            data="sepal_width trained until its line reaches its loss's optimum (2,000 epochs in the full profile)",
            params=97,
            input_scale=1.0,
            data_options={"test_fraction": 0.2, "split_seed": 0},
            post_pairing="linear+mse",
            conditions=("target_scale",),
        ),
        Task(
            name="cifar10",
            title="CIFAR-10, 10 classes (softmax CNN)",
            module="cifar10",
            kind="multiclass",
            data="CIFAR-10, 10 classes; conv body",
            params=17_554,
            input_scale=1 / 255,
            data_options=CIFAR10_OPTIONS,
            post_pairing="softmax+sparse_cce",
            conditions=("label_noise",),
        ),
        Task(
            name="bird_plane_hidden",
            title="Bird vs airplane, hidden activation swept",
            module="bird_plane",
            kind="binary",
            data="bird_plane with the body's activation swept (relu, leaky_relu, tanh, sigmoid, gelu, swish)",
            params=17_257,
            input_scale=1 / 255,
            data_options=CIFAR10_OPTIONS,
            layer_probe=True,
            post_pairing="sigmoid+bce",
        ),
        Task(
            name="bird_plane_deep",
            title="Bird vs airplane, 9 hidden layers, hidden activation swept",
            module="bird_plane",
            kind="binary",
            data="bird_plane_hidden with 6 extra Conv2D(8, 3x3) layers after the second pooling: 9 hidden layers",
            params=20_761,
            input_scale=1 / 255,
            data_options={**CIFAR10_OPTIONS, "extra_conv_layers": 6},
            model_options=("extra_conv_layers",),
            layer_probe=True,
            post_pairing="sigmoid+bce",
        ),
        Task(
            name="cifar10_hidden",
            title="CIFAR-10, hidden activation swept",
            module="cifar10",
            kind="multiclass",
            data="cifar10 with the body's activation swept (relu, leaky_relu, tanh, sigmoid, gelu, swish)",
            params=17_554,
            input_scale=1 / 255,
            data_options=CIFAR10_OPTIONS,
            layer_probe=True,
            post_pairing="softmax+sparse_cce",
        ),
        Task(
            name="multilabel",
            title="CIFAR-10 mosaics, several objects per image (multi-label)",
            module="multilabel",
            kind="multilabel",
            data="CIFAR-10 2x2 mosaics, 1-4 objects; conv body on 64x64",
            params=66_706,
            input_scale=1 / 255,
            data_options={**CIFAR10_OPTIONS, "mosaic_seed": 0, "mosaics_per_image": 0.5},
            post_pairing="sigmoid+bce",
            conditions=("label_noise",),
        ),
    )
}


# The conditions of the literature's loss results (`experiments.data.conditions`), as tasks of their own: a
# task's records are paired by seed and pairing, so each condition's runs are a task beside the clean one.
NOISE_LEVELS = (0.2, 0.4, 0.6)  # symmetric label noise on cifar10 (Ghosh, Kumar & Sastry 2017 use 0.2-0.8)
POSITIVE_SHARES = (0.1, 0.25)  # planes among bird_plane's training images (the clean split has about half)


def under_condition(task, option, value, suffix, data, title):
    """`task` trained under the condition `option=value`, as a task of its own named `<task><suffix>`; its
    `base` is `task`, whose records it pairs with seed by seed."""
    return replace(
        task,
        name=f"{task.name}{suffix}",
        title=title,
        data=f"{task.name} {data}",
        data_options={**task.data_options, option: value},
        conditions=(),
        base=task.name,
    )


# {noise rate: task} and {share of planes: task}, the clean task included (rate 0; share 0.5, about half).
NOISE_TASKS = {0.0: "cifar10"}
SHARE_TASKS = {0.5: "bird_plane"}
for _eta in NOISE_LEVELS:
    _t = under_condition(
        TASKS["cifar10"],
        "label_noise",
        _eta,
        f"_noise{round(_eta * 100)}",
        f"with symmetric label noise on {_eta:.0%} of its training labels (seeded); clean test labels",
        f"CIFAR-10 with {_eta:.0%} symmetric label noise in training",
    )
    TASKS[_t.name], NOISE_TASKS[_eta] = _t, _t.name
for _share in POSITIVE_SHARES:
    _t = under_condition(
        TASKS["bird_plane"],
        "positive_share",
        _share,
        f"_share{round(_share * 100)}",
        f"with its training set subsampled to {_share:.0%} planes (seeded); the test set unchanged",
        f"Bird vs airplane with {_share:.0%} planes in training",
    )
    TASKS[_t.name], SHARE_TASKS[_share] = _t, _t.name


def check_conditions(configs):
    """Raise, before any run, the ValueError a worker would raise on the training targets: a `positive_share`
    that leaves a class of the task's training set empty (`conditions.apply`), or a `class_weight` that misses a
    class of it (`class_weights.resolve`). Each task's training targets are loaded once."""
    from experiments.data import class_weights

    targets = {}
    for config in configs:
        share, weights = config["data"].get("positive_share"), config.get("class_weight")
        if share is None and not isinstance(weights, dict):
            continue
        task = get_task(config["task"])
        options = {k: v for k, v in config["data"].items() if k not in conditions.CONDITIONS}
        key = (task.module, repr(sorted(options.items())))
        if key not in targets:
            targets[key] = task._module().load_data(**options).y_train
        if share is not None:
            conditions.positive_counts(targets[key], share)
        if isinstance(weights, dict):
            classes = task.classes or (2 if task.kind == "binary" else 10)
            class_weights.resolve(weights, task.kind, targets[key], classes)


def get_task(name):
    return lookup(TASKS, "task", name)
