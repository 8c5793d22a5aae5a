"""Evaluation metrics on hand-checkable arrays."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.training import metrics


def test_regression_metrics():
    m = metrics.regression([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    assert m["mse"] == pytest.approx(4 / 3) and m["mae"] == pytest.approx(2 / 3)
    assert m["r2"] == pytest.approx(1 - 4 / 2)


def test_roc_auc_with_ties_and_degenerate_labels():
    assert metrics.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert metrics.roc_auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert np.isnan(metrics.roc_auc([1, 1], [0.2, 0.3]))


def test_binary_metrics_and_calibration():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.6, 0.7, 0.9])
    m, table = metrics.binary(y, p >= 0.5, p, p)
    assert m["accuracy"] == 0.75 and m["roc_auc"] == pytest.approx(1.0)
    assert m["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert m["log_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.4, 0.7, 0.9])))
    # confidences 0.9, 0.6, 0.7, 0.9; correct 1, 0, 1, 1 -> bins 0.6: |0-0.6|, 0.7: |1-0.7|, 0.9: |1-0.9|*2
    assert m["ece"] == pytest.approx((0.6 + 0.3 + 0.2) / 4)
    assert sum(table["count"]) == 4


def test_a_perfectly_calibrated_model_has_zero_ece():
    rng = np.random.default_rng(0)
    p = np.full(200_000, 0.8)
    y = rng.random(p.size) < p
    assert metrics.binary(y, p >= 0.5, p, p)[0]["ece"] < 0.01


def test_metrics_that_need_probabilities_are_none_where_the_loss_reads_none():
    m, table = metrics.binary(np.array([0, 1]), np.array([0, 1]), np.array([-2.0, 3.0]), None)
    assert m["accuracy"] == 1.0 and m["roc_auc"] == 1.0
    assert m["log_loss"] is None and m["brier"] is None and m["ece"] is None and table is None


def test_multiclass_metrics_and_output_sums():
    y = np.array([0, 1, 2])
    outputs = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.6, 0.3, 0.1]])
    m, _ = metrics.multiclass(y, outputs.argmax(axis=1), outputs, outputs, outputs)
    assert m["accuracy"] == pytest.approx(2 / 3)
    assert m["log_loss"] == pytest.approx(-np.mean(np.log([0.7, 0.8, 0.1])))
    assert m["mean_output_sum"] == pytest.approx(1.0)
    # one-vs-rest: class 0's one positive (0.7) tops 0.1 and 0.6 -> 1; class 1's (0.8) tops 0.2 and 0.3 -> 1;
    # class 2's (0.1) ties both others -> 0.5
    assert m["macro_auc"] == pytest.approx((1.0 + 1.0 + 0.5) / 3)


def test_multilabel_metrics():
    y = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    p = np.array([[0.9, 0.2, 0.6], [0.3, 0.7, 0.1], [0.8, 0.4, 0.2]])
    m, _ = metrics.multilabel(y, p >= 0.5, p)
    assert m["subset_accuracy"] == pytest.approx(2 / 3)
    assert m["hamming_loss"] == pytest.approx(1 / 9)
    # tp=4, fp=0, fn=1 -> micro F1 = 8 / 9
    assert m["micro_f1"] == pytest.approx(8 / 9)
    assert m["mean_ap"] == pytest.approx(1.0)
    assert metrics.average_precision(np.array([0, 1]), np.array([0.9, 0.1])) == pytest.approx(0.5)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 300),
    st.integers(1, 11),
    st.integers(0, 2**32 - 1),
    st.sampled_from([None, 1, 2]),
)
def test_mean_ap_of_a_resample_from_ranks_is_the_same_float_as_sorting_its_scores(n, k, seed, decimals):
    """`per_image.mean_ap` sorts ranks instead of scores (the bootstrap's speed): ties, zeros and repeats included."""
    from experiments.analysis.evidence import per_image

    rng = np.random.default_rng(seed)
    scores = rng.random((n, k)).astype("float32")
    if decimals is not None:
        scores = np.round(scores, decimals)  # many ties
    labels = rng.random((n, k)) < rng.random()
    index = rng.integers(0, n, n)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a resample with no positive of any label: NaN both ways
        by_scores = np.nanmean([metrics.average_precision(labels[index, c], scores[index, c]) for c in range(k)])
        by_ranks = per_image.mean_ap(per_image.ranked(scores, labels), index)
    assert by_ranks == by_scores or (np.isnan(by_ranks) and np.isnan(by_scores))
