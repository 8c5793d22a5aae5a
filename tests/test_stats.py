"""The statistics behind every verdict, on simulated data with known answers."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from experiments.analysis.evidence import stats


def test_t_interval_is_scipys():
    values = [0.80, 0.82, 0.78, 0.85, 0.79]
    mean, low, high = stats.t_interval(values)
    expected = scipy_stats.t.interval(0.95, 4, loc=np.mean(values), scale=scipy_stats.sem(values))
    np.testing.assert_allclose([low, high], expected)
    assert np.isnan(stats.t_interval([0.5])[1])


def test_one_sided_and_tost_on_clear_cases():
    rng = np.random.default_rng(0)
    drop = -0.05 + rng.normal(0, 0.01, 10)
    assert stats.one_sided_p(drop, "less") < 0.001 and stats.one_sided_p(drop, "greater") > 0.99
    same = rng.normal(0, 0.003, 10)
    assert stats.tost_p(same, margin=0.02) < 0.001
    assert stats.tost_p(drop, margin=0.02) > 0.5
    noisy = rng.normal(0, 0.05, 3)
    assert stats.tost_p(noisy, margin=0.02) > 0.05 and stats.one_sided_p(noisy, "less") > 0.05


def test_holm_matches_the_step_down_by_hand():
    p = [0.01, 0.04, 0.03, float("nan")]
    # Sorted 0.01, 0.03, 0.04 times 3, 2, 1, made monotone: 0.03, 0.06, 0.06.
    np.testing.assert_allclose(stats.holm(p)[:3], [0.03, 0.06, 0.06])
    assert np.isnan(stats.holm(p)[3])


def test_detectable_effect_shrinks_with_more_seeds():
    rng = np.random.default_rng(1)
    base = rng.normal(0, 1, 200)
    three, ten = stats.detectable_effect(base[:3]), stats.detectable_effect(base[:10])
    assert ten < three
    sd = base[:10].std(ddof=1)
    # About (z_0.95 + z_0.8) sd / sqrt(n) = 2.49 sd / sqrt(10), a little more for the t distribution.
    assert 2.49 * sd / np.sqrt(10) < ten < 3.2 * sd / np.sqrt(10)


def test_probability_of_superiority_counts_ties_half():
    assert stats.probability_of_superiority([0.1, -0.1, 0.0, 0.2]) == pytest.approx(0.625)


def test_two_level_bootstrap_covers_a_known_mean():
    """Seed effects and image noise, both known: the 95% interval holds the truth 90-99% of the time."""
    rng = np.random.default_rng(2026)
    truth, covered, trials = 0.03, 0, 300
    for _ in range(trials):
        seed_effect = truth + rng.normal(0, 0.01, size=(10, 1))
        # Per-image correctness differences: +1, 0 or -1 with a mean of seed_effect per seed.
        a = rng.random((10, 200)) < 0.8 + seed_effect
        b = rng.random((10, 200)) < 0.8
        boot = stats.paired_bootstrap(a, b, rng, samples=400)
        covered += boot.low <= truth <= boot.high
    assert 0.90 <= covered / trials <= 0.99, covered / trials


def test_the_bootstrap_of_a_bounded_metric_stays_in_its_range():
    rng = np.random.default_rng(3)
    correct = rng.random((3, 200)) < 0.99
    low, high = stats.mean_interval(correct, rng)
    assert 0.0 <= low <= high <= 1.0


def test_a_bootstrap_with_a_score_function_equals_the_vectorised_one_for_a_mean():
    rng = np.random.default_rng(4)
    a, b = rng.random((5, 50)), rng.random((5, 50))
    vectorised = stats.paired_bootstrap(a, b, np.random.default_rng(7), samples=300)
    looped = stats.paired_bootstrap(
        a, b, np.random.default_rng(8), score=lambda x, y, i: x[i].mean() - y[i].mean(), samples=300, n_images=50
    )
    assert vectorised.estimate == pytest.approx(looped.estimate)
    assert abs(vectorised.low - looped.low) < 0.03 and abs(vectorised.high - looped.high) < 0.03


def test_top_k_recall_counts_an_images_objects_among_its_k_highest_scores():
    from experiments.analysis.evidence.per_image import top_k_recall

    targets = np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])
    probs = np.array([[0.9, 0.1, 0.8, 0.0], [0.1, 0.2, 0.7, 0.0], [0.5, 0.5, 0.5, 0.5]])
    recall = top_k_recall(probs, targets)
    np.testing.assert_array_equal(recall[:2], [0.5, 1.0])  # first image: top 2 are classes 0 and 2, one of its two
    assert np.isnan(recall[2])  # no object: undefined


def test_collapse_and_chance_level_from_the_records_targets():
    from experiments.analysis.evidence import summaries
    from experiments.records import encode_array

    record = {
        "task": "cifar10",
        "pairing": "softmax+sparse_cce",
        "status": "ok",
        "pairing_spec": {"units": 10, "link": "identity"},
        "test_outputs": encode_array(np.full((10, 10), 0.1)),
        "test_targets": encode_array(np.array([0, 0, 0, 1, 2, 3, 4, 5, 6, 7])),
        "final": {"accuracy": 0.33},
        "history": [{"test": {"accuracy": 0.34}}, {"test": {"accuracy": 0.33}}],
    }
    assert summaries.chance_level(record) == pytest.approx(0.3)  # the majority class, 3 of 10
    assert summaries.collapsed(record)  # 0.33 is within 5 points of 0.30
    assert not summaries.collapsed({**record, "final": {"accuracy": 0.40}, "history": [{"test": {"accuracy": 0.40}}]})
