"""The post's four models with their data, by name: an explicit registry, no deep-learning imports.

The sweep's driver only plans runs, so it never imports Keras or TensorFlow. Each task's
model and data code lives in its own module of this package (`sepal_width.py`, ...), named
in the registry below and imported when a run needs it; what a task is: `task.py`.
"""

from dataclasses import replace

from experiments.data import conditions
from experiments.data.cifar10 import DATA_OPTIONS as CIFAR10_OPTIONS
from experiments.tasks.task import KINDS, Task, lookup

__all__ = [
    "KINDS",
    "NOISE_TASKS",
    "SHARE_TASKS",
    "TASKS",
    "TASK_OF_KIND",
    "Task",
    "check_conditions",
    "get_task",
    "lookup",
]

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
            title="Bird vs airplane from a saturated start (plain SGD)",
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


# The suite's own task of each kind: a user's task of that kind takes its matched pairing and its named
# pairings (`task_file`), and `check` judges a saved model by its evidence (`experiments.check_model`).
TASK_OF_KIND = {
    "binary": "bird_plane",
    "multiclass": "cifar10",
    "multilabel": "multilabel",
    "regression": "sepal_width",
}


def check_conditions(configs):
    """Raise, before any run, the ValueError a worker would raise on the training targets: a `positive_share`
    that leaves a class of the task's training set empty (`conditions.apply`), or a `class_weight` that misses a
    class of it (`class_weights.resolve`). Each task's training targets are loaded once."""
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
            from experiments.data import class_weights

            class_weights.for_task(weights, task, targets[key])


def get_task(name):
    return lookup(TASKS, "task", name)
