"""Learning straggling probabilities from observed answers."""

import numpy as np

from skgc.stragglers import StragglerEstimator

MIXED = np.r_[np.full(10, 0.05), np.full(5, 0.2), np.full(5, 0.5)]


def _observe(estimator, probs, n_iterations, rng):
    for _ in range(n_iterations):
        estimator.update(rng.random(len(probs)) >= probs)
    return estimator


def test_estimates_converge_within_005_after_200_iterations():
    errors = np.array([
        np.abs(_observe(StragglerEstimator(20), MIXED, 200, np.random.default_rng(s)).probs_
               - MIXED) for s in range(10)])
    assert errors.mean() < 0.03
    assert np.mean(errors <= 0.05) >= 0.9


def test_a_worker_turning_slow_is_noticed_within_tens_of_iterations():
    rng = np.random.default_rng(0)
    estimator = _observe(StragglerEstimator(4), np.full(4, 0.1), 300, rng)
    slow = np.array([0.1, 0.1, 0.1, 0.8])
    for iteration in range(1, 101):
        estimator.update(rng.random(4) >= slow)
        if estimator.probs_[3] > 0.6:
            break
    assert iteration <= 50
    assert np.abs(estimator.probs_[:3] - 0.1).max() < 0.1


def test_prior_guess_is_the_starting_point():
    estimator = StragglerEstimator(3, initial=[0.1, 0.5, 0.9])
    np.testing.assert_allclose(estimator.probs_, [0.1, 0.5, 0.9])
    estimator.update(np.array([False, False, False]))
    assert (estimator.probs_ > [0.1, 0.5, 0.9]).all()
