"""The post's models, built exactly: parameter counts for every task and pairing head."""

import subprocess
import sys

import pytest

from experiments.pairings import PAIRINGS, documented_pairing
from experiments.tasks import TASKS, get_task

DOCUMENTED_PARAMS = {"sepal_width": 97, "bird_plane": 17_257, "cifar10": 17_554, "multilabel": 66_706}
# The mechanism variants: the post's models, changed only in how they start or in their data.
DOCUMENTED_PARAMS |= {"bird_plane_saturated": 17_257, "bird_plane_saturated_sgd": 17_257, "sepal_width_outliers": 97}
DOCUMENTED_PARAMS |= {"sepal_width_fitted": 97}
# The hidden-activation tasks: the post's bodies, and one with six extra Conv2D(8, 3x3) layers of 8 x 9 x 8 + 8 each.
DOCUMENTED_PARAMS |= {"bird_plane_hidden": 17_257, "cifar10_hidden": 17_554, "bird_plane_deep": 17_257 + 6 * 584}
# The conditions' tasks: the post's models on noisy or imbalanced training data.
DOCUMENTED_PARAMS |= {"cifar10_noise20": 17_554, "cifar10_noise40": 17_554, "cifar10_noise60": 17_554}
DOCUMENTED_PARAMS |= {"bird_plane_share10": 17_257, "bird_plane_share25": 17_257}


def _expected(task, units):
    """Body parameters plus a Dense(units) head on the 32-unit hidden layer (1 input for iris)."""
    body = {
        "sepal_width": 2 * 32,
        "bird_plane": 224 + 584 + 512 * 32 + 32,
        "cifar10": 224 + 584 + 512 * 32 + 32,
        "multilabel": 224 + 584 + 2048 * 32 + 32,
    }
    body |= {
        "bird_plane_saturated": body["bird_plane"],
        "bird_plane_saturated_sgd": body["bird_plane"],
        "sepal_width_outliers": body["sepal_width"],
        "sepal_width_fitted": body["sepal_width"],
        "bird_plane_hidden": body["bird_plane"],
        "cifar10_hidden": body["cifar10"],
        "bird_plane_deep": body["bird_plane"] + 6 * 584,
    }
    body |= {t: body["cifar10"] for t in ("cifar10_noise20", "cifar10_noise40", "cifar10_noise60")}
    body |= {t: body["bird_plane"] for t in ("bird_plane_share10", "bird_plane_share25")}
    return body[task] + 33 * units


@pytest.mark.parametrize("task", TASKS)
def test_documented_model_has_the_posts_parameter_count(task):
    t = get_task(task)
    assert t.params == DOCUMENTED_PARAMS[task]  # the registry's count is the post's
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
