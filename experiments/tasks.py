"""The four tasks, by name."""

from experiments.data.cifar10 import DATA_OPTIONS as CIFAR10
from experiments.task import Task, lookup

TASKS = {
    task.name: task
    for task in (
        Task("sepal_width", "regression", "iris: Sepal.Width from Sepal.Length; Dense(32) -> Dense(1, linear); 97 params", (1, "linear"), 1.0, {"test_fraction": 0.2, "split_seed": 0}),
        Task("bird_plane", "binary", "CIFAR-10 bird (0) vs airplane (1); conv body -> Dense(1, sigmoid); 17,257 params", (1, "sigmoid"), 1 / 255, CIFAR10),
        Task("cifar10", "multiclass", "CIFAR-10, 10 classes; conv body -> Dense(10, softmax); 17,554 params", (10, "softmax"), 1 / 255, CIFAR10),
        Task(
            "multilabel",
            "multilabel",
            "CIFAR-10 2x2 mosaics, 1-4 objects; conv body (64x64) -> Dense(10, sigmoid); 66,706 params",
            (10, "sigmoid"),
            1 / 255,
            {**CIFAR10, "mosaic_seed": 0, "mosaics_per_image": 0.5},
        ),
    )
}


def get_task(name):
    return lookup(TASKS, "task", name)
