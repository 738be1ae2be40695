"""The joint deadline and load choice against a brute-force grid search."""

import numpy as np
import pytest

from skgc import CodedGradientRegressor
from skgc.deadline import choose_deadline, iteration_cost
from skgc.stragglers import BernoulliStragglers, ShiftedExponential

SLOW = np.r_[np.zeros(7, bool), np.ones(3, bool)]


def _model():
    return ShiftedExponential(shift=np.where(SLOW, 0.1, 0.01), rate=np.where(SLOW, 20., 200.))


@pytest.mark.parametrize("time_per_partition", [0.0, 0.002, 0.02])
def test_choice_is_at_least_as_good_as_a_fine_grid(time_per_partition):
    model, loads = _model(), (1, 2, 3)
    choice = choose_deadline(model, loads=loads, time_per_partition=time_per_partition)
    times = model.sample(np.random.default_rng(0), 2000)
    grid = [(iteration_cost(model, times, deadline, load,
                            time_per_partition=time_per_partition)[0], deadline, load)
            for load in loads for deadline in np.linspace(0.003, 0.6, 300)]
    best_cost, best_deadline, best_load = min(grid)
    assert choice.cost <= best_cost * (1 + 1e-9)
    assert choice.cost == pytest.approx(best_cost, rel=0.02)
    np.testing.assert_allclose(choice.straggler_probs, model.straggler_probs(
        choice.deadline - choice.load * time_per_partition))


def test_costly_computation_lowers_the_load():
    free = choose_deadline(_model(), loads=(1, 2, 4), time_per_partition=0.0)
    costly = choose_deadline(_model(), loads=(1, 2, 4), time_per_partition=0.05)
    assert free.load == 4 and costly.load < 4


def test_estimator_uses_the_optimal_deadline(regression_data):
    X, y = regression_data
    # gradient descent: one round (at most one deadline) per iteration
    reg = CodedGradientRegressor(n_workers=10, stragglers=_model(), deadline="optimal",
                                 random_state=0, max_iter=50, tol=None,
                                 solver="gd").fit(X, y)
    expected = choose_deadline(_model(), loads=(2,))
    assert reg.deadline_ == pytest.approx(expected.deadline, rel=0.05)
    assert np.diff(reg.history_["time"]).max() <= reg.deadline_ * (1 + 1e-12)
    assert reg.score(X, y) > 0.9


def test_optimal_deadline_needs_a_delay_model(regression_data):
    X, y = regression_data
    with pytest.raises(ValueError, match="delay model"):
        choose_deadline(BernoulliStragglers(np.full(4, 0.2)))
    with pytest.raises(ValueError, match="delay model"):
        CodedGradientRegressor(stragglers=0.2, deadline="optimal").fit(X, y)
