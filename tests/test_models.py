"""The post's models, built exactly: parameter counts for every task and pairing head."""

import subprocess
import sys

import pytest

from experiments.pairings import PAIRINGS, documented_pairing
from experiments.tasks import TASKS, get_task

DOCUMENTED_PARAMS = {"sepal_width": 97, "bird_plane": 17_257, "cifar10": 17_554, "multilabel": 66_706}


def _expected(task, units):
    """Body parameters plus a Dense(units) head on the 32-unit hidden layer (1 input for iris)."""
    body = {"sepal_width": 2 * 32, "bird_plane": 224 + 584 + 512 * 32 + 32, "cifar10": 224 + 584 + 512 * 32 + 32, "multilabel": 224 + 584 + 2048 * 32 + 32}
    return body[task] + 33 * units


@pytest.mark.parametrize("task", TASKS)
def test_documented_model_has_the_posts_parameter_count(task):
    t = get_task(task)
    assert t.build_model(*t.documented_head).count_params() == DOCUMENTED_PARAMS[task]
    assert documented_pairing(task).activation == t.documented_head[1]
    assert documented_pairing(task).units == t.documented_head[0]


@pytest.mark.parametrize("task, pairing", [(t, p) for t in PAIRINGS for p in PAIRINGS[t]])
def test_every_pairing_head_keeps_the_documented_body(task, pairing):
    p = PAIRINGS[task][pairing]
    model = get_task(task).build_model(p.units, p.activation)
    assert model.count_params() == _expected(task, p.units)
    assert model.layers[-1].activation.__module__ == "custom_objects.activations"


def test_cli_lists_tasks_and_prints_summary():
    listed = subprocess.run([sys.executable, "-m", "experiments", "list"], capture_output=True, text=True, check=True).stdout
    for task in TASKS:
        assert task in listed
    assert "linear+bce_probs" in listed and "softmax+sparse_cce_logits" in listed
    summary = subprocess.run([sys.executable, "-m", "experiments", "summary", "cifar10"], capture_output=True, text=True, check=True).stdout
    assert "Total params: 17,554" in summary


def test_cli_rejects_unknown_task_with_valid_names():
    result = subprocess.run([sys.executable, "-m", "experiments", "summary", "mnist"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Unknown task 'mnist'" in result.stderr and "bird_plane" in result.stderr


@pytest.mark.parametrize("task, pairing", [(t, p) for t in PAIRINGS for p in PAIRINGS[t]])
def test_each_pairing_turns_its_outputs_into_probabilities_once(task, pairing):
    p = PAIRINGS[task][pairing]
    if p.activation in ("sigmoid", "softmax"):
        assert p.link == "identity", "outputs are probabilities already; a second squashing would distort them"
    elif p.loss_kwargs.get("from_logits"):
        assert p.link == ("sigmoid" if p.loss == "bce" else "softmax")
    elif p.activation == "tanh":
        assert p.link == "tanh"
    if get_task(task).kind == "regression":
        assert p.link == "identity"
