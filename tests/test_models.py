"""The post's models, built exactly: parameter counts for every task and pairing head."""

import subprocess
import sys

import pytest

from experiments.pairings import PAIRINGS, documented_pairing
from experiments.tasks import TASKS, get_task


def _expected(task, units):
    """The task's parameter count (`Task.params`, the one table of them) with its documented head swapped for a
    Dense(units) head: each head unit has 32 weights and a bias on the body's 32-unit hidden layer."""
    t = get_task(task)
    return t.params - 33 * t.documented_head[0] + 33 * units


def _stated_in_module(task):
    """The parameter count the task's module states in its docstring (`-> 17,257 parameters`), or None."""
    import importlib
    import re

    doc = importlib.import_module(f"experiments.tasks.{get_task(task).module}").__doc__ or ""
    found = re.search(r"-> ([0-9,]+) parameters", doc)
    return int(found.group(1).replace(",", "")) if found else None


@pytest.mark.parametrize("task", TASKS)
def test_documented_model_has_the_posts_parameter_count(task):
    t = get_task(task)
    stated = _stated_in_module(task)
    if stated is not None and not t.model_options:  # as its module states it (bird_plane_deep adds layers)
        assert t.params == stated, "the registry's count is the one its module states"
    assert t.build_model(*t.documented_head).count_params() == t.params
    assert f"{t.params:,} params" in t.summary
    assert documented_pairing(task).activation == t.documented_head[1]
    assert documented_pairing(task).units == t.documented_head[0]


@pytest.mark.parametrize("task, pairing", [(t, p) for t in PAIRINGS for p in PAIRINGS[t]])
def test_every_pairing_head_keeps_the_documented_body(task, pairing):
    p = PAIRINGS[task][pairing]
    model = get_task(task).build_model(p.units, p.activation, hidden_activation=p.hidden_activation)
    assert model.count_params() == _expected(task, p.units)
    assert model.layers[-1].activation.__module__ == "custom_objects.activations"
    hidden = [layer.activation.__name__ for layer in model.layers[:-1] if hasattr(layer, "activation")]
    assert set(hidden) <= {p.hidden_activation or "relu", "linear"}  # sepal_width's Dense(32) is linear
    assert ("hidden_activation" in p.spec()) == task.endswith(("_hidden", "_deep"))


@pytest.mark.slow
def test_cli_lists_tasks_and_prints_summary():
    listed = subprocess.run(
        [sys.executable, "-m", "experiments", "list"], capture_output=True, text=True, check=True
    ).stdout
    for task in TASKS:
        assert task in listed
    assert "linear+bce_probs" in listed and "softmax+sparse_cce_logits" in listed
    summary = subprocess.run(
        [sys.executable, "-m", "experiments", "summary", "cifar10"], capture_output=True, text=True, check=True
    ).stdout
    assert "Total params: 17,554" in summary


def test_cli_rejects_unknown_task_with_valid_names():
    result = subprocess.run([sys.executable, "-m", "experiments", "summary", "mnist"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Unknown task 'mnist'" in result.stderr and "bird_plane" in result.stderr


def _expected_link(p):
    """The only link under which a pairing's outputs become probabilities exactly once."""
    if p.activation in ("sigmoid", "softmax"):
        return "identity"  # probabilities already; a second squashing would distort them
    if p.activation == "tanh":
        return "tanh"
    if p.loss_kwargs.get("from_logits"):
        return "sigmoid" if p.loss == "bce" else "softmax"
    # Unbounded outputs with a loss that takes them as values or probabilities: clipped to [0, 1].
    return "clip"


@pytest.mark.parametrize("task, pairing", [(t, p) for t in PAIRINGS for p in PAIRINGS[t]])
def test_each_pairing_turns_its_outputs_into_probabilities_once(task, pairing):
    p = PAIRINGS[task][pairing]
    if get_task(task).kind == "regression":
        assert p.link == "identity"
    else:
        assert p.link == _expected_link(p)


def test_the_clip_link_is_the_one_for_unbounded_outputs_not_read_as_logits():
    clipped = sorted((t, p) for t in PAIRINGS for p, spec in PAIRINGS[t].items() if spec.link == "clip")
    assert clipped == [
        ("bird_plane", "linear+bce_probs"),
        ("bird_plane", "linear+mse"),
        ("bird_plane", "relu+bce"),  # a ReLU head's outputs are unbounded above, not logits
        ("cifar10", "linear+mse"),
    ]


def test_every_task_has_a_title_of_its_own():
    titles = [get_task(t).title for t in TASKS]
    assert all(titles) and len(set(titles)) == len(titles)
