"""Decision rules from the targets' encoding: each case recomputes accuracy from outputs by hand."""

import numpy as np
import pytest

from experiments.composition import compose
from experiments.training import decoding, metrics

BINARY = np.array([0, 0, 1, 1])
CIFAR = np.array([0, 3, 9, 3])

# (task, kind, pairing, raw outputs, targets, hand-computed accuracy, why)
CASES = [
    # A tanh head trained by MSE toward 0 and 1 is read at 0.5, not at t = 0.
    ("bird_plane", "binary", "tanh+mse", [[0.1], [0.45], [0.55], [0.9]], BINARY, 1.0, "midpoint of 0 and 1"),
    ("bird_plane", "binary", "tanh+binary_focal_crossentropy", [[0.3], [0.2], [0.6], [0.7]], BINARY, 1.0, "0.5"),
    # The hinge family's targets are -1 and +1: the midpoint is 0.
    ("bird_plane", "binary", "linear+squared_hinge", [[-0.2], [-1.0], [0.1], [0.3]], BINARY, 1.0, "0 on +-1"),
    ("bird_plane", "binary", "sigmoid+hinge", [[0.1], [0.2], [0.8], [0.9]], BINARY, 0.5, "sigmoid never below 0"),
    # Logits: the threshold is logit 0.
    ("bird_plane", "binary", "linear+bce(from_logits=true)", [[-3.0], [0.2], [0.1], [2.0]], BINARY, 0.75, "logit 0"),
    ("bird_plane", "binary", "relu+bce(from_logits=true)", [[0.0], [0.0], [0.4], [2.0]], BINARY, 0.5, "relu >= 0"),
    # Two units: the argmax, whatever the head.
    ("bird_plane", "binary", "sigmoid+cce", [[0.6, 0.4], [0.3, 0.2], [0.2, 0.3], [0.1, 0.9]], BINARY, 1.0, "argmax"),
    ("bird_plane", "binary", "linear+categorical_hinge", [[-1, -2], [-0.5, -3], [-2, -1], [0, 1]], BINARY, 1.0, ""),
    # Categorical cross-entropy scores o_k / sum_j o_j: a negative row sum reverses the raw argmax.
    ("bird_plane", "binary", "linear+cce", [[-3.0, -1.0], [2.0, 1.0], [-1.0, -3.0], [1.0, 2.0]], BINARY, 1.0, ""),
    # Ten units: the argmax of the raw outputs, never after a clip (all-negative rows are not ties).
    ("cifar10", "multiclass", "linear+mse", np.eye(10)[CIFAR] - 2.0, CIFAR, 1.0, "all-negative rows"),
    # One unit on ten classes: the nearest class id.
    ("cifar10", "multiclass", "sigmoid@1+bce", [[0.2], [0.9], [0.7], [0.6]], CIFAR, 0.25, "outputs in (0, 1)"),
    ("cifar10", "multiclass", "linear@1+mse", [[0.4], [2.6], [11.0], [3.4]], CIFAR, 1.0, "rounded, clipped to 9"),
]


@pytest.mark.parametrize("task, kind, name, outputs, targets, expected, why", CASES, ids=[c[2] for c in CASES])
def test_each_rule_decodes_as_the_targets_were_encoded(task, kind, name, outputs, targets, expected, why):
    spec = compose(task, kind, name)
    values, _, how = metrics.evaluate(kind, targets, np.asarray(outputs, dtype="float64"), spec)
    assert values["accuracy"] == pytest.approx(expected), (why, how["decision"])


def test_one_unit_thresholds_sit_at_the_midpoint_of_the_target_codes():
    rule = {
        n: decoding.decoding(compose("bird_plane", "binary", n), "binary").threshold
        for n in ("sigmoid+bce", "tanh+mse", "linear+hinge", "linear+bce(from_logits=true)")
    }
    assert rule == {"sigmoid+bce": 0.5, "tanh+mse": 0.5, "linear+hinge": 0.0, "linear+bce(from_logits=true)": 0.0}


def test_multilabel_decides_per_label_and_ranks_raw_scores():
    spec = compose("multilabel", "multilabel", "linear+mse")
    y = np.array([[1, 0, 1], [0, 1, 0]])
    raw = np.array([[-0.5, -2.0, -0.6], [-3.0, 0.7, -4.0]])  # clipping to [0, 1] would tie the negatives
    values, _, _ = metrics.evaluate("multilabel", y, raw, spec)
    assert values["mean_ap"] == pytest.approx(1.0)
    assert values["hamming_loss"] == pytest.approx(2 / 6)  # -0.5 and -0.6 are below 0.5


def test_normalised_multi_hot_targets_are_read_at_half_of_one_over_k():
    spec = compose("multilabel", "multilabel", "softmax+cce")
    y = np.array([[1, 1, 0, 0], [0, 0, 1, 1]])  # k = 2: the targets are 0.5 on each object
    p = np.array([[0.4, 0.4, 0.1, 0.1], [0.2, 0.1, 0.35, 0.35]])
    assert decoding.decide(p, spec, "multilabel", targets=y).astype(int).tolist() == y.tolist()


@pytest.mark.parametrize(
    "name, reads",
    [
        ("sigmoid+bce", True),
        ("sigmoid+mse", True),
        ("linear+bce(from_logits=true)", True),
        ("tanh+mse", False),
        ("linear+hinge", False),
        ("linear+mae", False),
        ("sigmoid+mae", False),
    ],
)
def test_probability_metrics_exist_only_where_the_loss_reads_probabilities(name, reads):
    spec = compose("bird_plane", "binary", name)
    values, table, how = metrics.evaluate("binary", BINARY, np.array([[0.1], [0.4], [0.6], [0.9]]), spec)
    assert (values["log_loss"] is not None) == reads and (table is not None) == reads
    assert bool(how["no_probabilities"]) != reads


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["results/full", "results/quick", "results/atlas"])
def test_every_committed_record_holds_the_metrics_its_decision_rule_gives_its_stored_outputs(folder):
    from pathlib import Path

    from experiments import records
    from experiments.rescore import same_value
    from experiments.tasks import get_task

    loaded = records.load_all(Path(__file__).resolve().parents[1] / folder)
    checked = 0
    for r in loaded.records:
        if r["status"] != "ok" or "test_outputs" not in r:
            continue
        kind = get_task(r["task"]).kind
        outputs, targets = records.decode_array(r["test_outputs"]), records.decode_array(r["test_targets"])
        values, _, how = metrics.evaluate(kind, targets, outputs, r["pairing_spec"])
        # Equal to the last bits on the CPU they were made on; numpy's vectorised log and exp differ in the last
        # bit between CPU features (AVX2 against AVX-512), so another machine agrees to 1e-12, not bit for bit.
        assert same_value(records.jsonable(values), r["final"]), r["run_id"]
        assert r["evaluation"]["decoding_version"] == metrics.DECODING_VERSION, r["run_id"]
        checked += 1
    assert checked > 0


def test_the_loss_catalogue_names_the_hand_written_losses_and_their_arguments():
    import inspect

    import custom_objects.losses as hand_written
    from experiments.composition import LOSSES

    assert set(LOSSES) == set(hand_written.LOSS_FUNCTIONS)
    for name, traits in LOSSES.items():
        accepted = set(inspect.signature(hand_written.LOSS_FUNCTIONS[name]).parameters) - {"y_true", "y_pred"}
        assert set(traits.kwargs) <= accepted, name
        assert traits.space in ("probabilities", "values", "margins", "rates"), name
        assert (traits.space == "probabilities") == ("from_logits" in traits.kwargs or name == "kl_divergence"), name


def test_rescore_leaves_committed_records_as_they_are_on_this_cpu():
    from pathlib import Path

    from experiments import records
    from experiments.rescore import rescored

    folder = Path(__file__).resolve().parents[1] / "results" / "full" / "runs" / "bird_plane"
    checked = 0
    for path in sorted(folder.glob("*__s0__*.json")):
        record = records.read(path)
        assert not rescored(record)[1], path.name
        checked += 1
    assert checked >= 10


def test_a_rescore_change_is_a_change_beyond_the_last_bits():
    from experiments.rescore import same_value

    assert same_value({"log_loss": 0.43583260232851634}, {"log_loss": 0.4358326023285164})
    assert not same_value({"log_loss": 0.4358}, {"log_loss": 0.4359})
    assert not same_value({"accuracy": 0.5, "ece": None}, {"accuracy": 0.5})
    assert same_value([1, "a", None], [1, "a", None]) and not same_value([1, "a"], [1, "b"])
