"""`explain PAIRING`: one page of what the suite knows about a pairing, and one line for bad input."""

import keras
import pytest

from experiments.cli import main


def test_explain_gives_the_formulas_keras_reading_and_the_fix(capsys):
    assert main(["explain", "sigmoid+bce(from_logits=true)"]) == 0
    out = capsys.readouterr().out
    assert "sigmoid+bce(from_logits=true) on bird_plane" in out
    assert "loss: bce(from_logits=True): -mean y log p" in out and "gradient at the output" in out
    assert 'metrics=["accuracy"] resolves to BinaryAccuracy' in out
    behind = keras.backend.backend() == "tensorflow"
    assert ("reads the logits behind the sigmoid head" in out) is behind
    assert out.rstrip().endswith("use instead: sigmoid+bce")


def test_explain_names_the_matched_pairing_as_such(capsys):
    assert main(["explain", "softmax+sparse_cce", "--task", "cifar10"]) == 0
    assert "this is the task's matched pairing" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["explain", "Sigmoid+BCE"], "(names are lower case)"),
        (["explain", "sigmoid+bce", "--task", "nope"], "Unknown task 'nope'"),
        (["explain", "softmax+sparse_cce", "--task", "sepal_width"], "Keras refuses it"),
    ],
)
def test_explain_refuses_bad_input_in_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_explain_finds_a_pairing_named_only_on_a_variant_task(capsys):
    assert main(["explain", "relu_body"]) == 0
    assert "relu_body on bird_plane_hidden" in capsys.readouterr().out
