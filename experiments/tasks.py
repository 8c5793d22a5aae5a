"""The four tasks, by name."""

from custom_objects.registry import lookup
from experiments import bird_plane, cifar10, multilabel, sepal_width

TASKS = {module.TASK.name: module.TASK for module in (sepal_width, bird_plane, cifar10, multilabel)}


def get_task(name):
    return lookup(TASKS, "task", name)
