"""Variance reduction, learned straggling probabilities, gradient-aware coefficients."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge

from skgc import CodedGradientClassifier, CodedGradientRegressor
from skgc.solver import StepSchedule
from skgc.stragglers import TraceDelays, paper_model

ALPHA = 1e-2
MIXED = np.r_[np.full(10, 0.05), np.full(5, 0.2), np.full(5, 0.5)]


@pytest.fixture(scope="module")
def sorted_problem():
    """Non-iid partitions: contiguous blocks of sorted targets (``shuffle=False``)."""
    X, y = make_regression(n_samples=600, n_features=10, effective_rank=4, noise=5.0,
                           random_state=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = (y - y.mean()) / y.std()
    order = np.argsort(y)
    X, y = X[order], y[order]
    ridge = Ridge(alpha=ALPHA * len(y), solver="cholesky").fit(X, y)
    return X, y, _objective(ridge.coef_, ridge.intercept_, X, y)


@pytest.fixture(scope="module")
def diabetes_problem():
    """Ill-conditioned: gradient descent needs hundreds of iterations (the paper's case)."""
    X, y = load_diabetes(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = (y - y.mean()) / y.std()
    ridge = Ridge(alpha=ALPHA * len(y), solver="cholesky").fit(X, y)
    return X, y, _objective(ridge.coef_, ridge.intercept_, X, y)


def _objective(coef, intercept, X, y):
    return 0.5 * np.mean((X @ coef + intercept - y) ** 2) + 0.5 * ALPHA * coef @ coef


def _gap(reg, problem):
    X, y, best = problem
    return _objective(reg.coef_, reg.intercept_[0], X, y) / best - 1.0


def _fit(problem, **params):
    X, y, _ = problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        params = {"alpha": ALPHA, "shuffle": False, "tol": None, "random_state": 0, **params}
        return CodedGradientRegressor(**params).fit(X, y)


@pytest.mark.parametrize("stragglers, n_workers", [(MIXED, 20), (paper_model(10, random_state=0), 10)])
def test_variance_reduction_converges_exactly_under_stragglers(sorted_problem, stragglers,
                                                               n_workers):
    params = dict(n_workers=n_workers, stragglers=stragglers, max_iter=400)
    exact = _fit(sorted_problem, variance_reduction=True, **params)
    floor = _fit(sorted_problem, variance_reduction=False, **params)
    assert _gap(exact, sorted_problem) < 1e-10
    assert _gap(floor, sorted_problem) > 1e-7  # a noise floor without the control variate


def test_variance_reduction_needs_no_more_iterations_than_gd_on_the_mixed_model(
        sorted_problem):
    def iterations_to(target, **params):
        for n_iter in range(10, 401, 10):
            if _gap(_fit(sorted_problem, max_iter=n_iter, **params), sorted_problem) < target:
                return n_iter
        return np.inf

    gd = iterations_to(1e-8, n_workers=20, code="full", solver="gd")
    coded = iterations_to(1e-8, n_workers=20, stragglers=MIXED, solver="gd")
    assert coded <= 1.3 * gd


def test_variance_reduction_is_off_for_alive_dependent_decoders(sorted_problem):
    reg = _fit(sorted_problem, n_workers=8, code="ignore", stragglers=0.3, max_iter=20)
    assert np.isfinite(reg.coef_).all()
    assert reg.code_.name == "ignore"


def _changing_trace(n_workers, n_iterations, before, after, switch, seed):
    rng = np.random.default_rng(seed)
    probs = np.where(np.arange(n_iterations)[None, :] < switch, before[:, None],
                     after[:, None])
    return np.where(rng.random((n_workers, n_iterations)) < probs, 10.0, 0.5)


def test_learned_probabilities_follow_a_change_mid_fit(sorted_problem):
    before, after = np.full(8, 0.1), np.r_[np.full(6, 0.1), 0.7, 0.7]
    model = TraceDelays(_changing_trace(8, 600, before, after, switch=300, seed=0))
    # gradient descent asks the workers every iteration: 600 rounds to learn from
    reg = _fit(sorted_problem, n_workers=8, stragglers=model, deadline=1.0, max_iter=600,
               estimate_stragglers=True, solver="gd")
    assert np.abs(reg.straggler_probs_ - after).max() < 0.15
    assert np.abs(reg.straggler_probs_ - after).mean() < 0.05
    # the code was re-optimised for the slow pair: they now carry less weight
    np.testing.assert_allclose(reg.code_.straggler_probs, reg.straggler_probs_, atol=0.06)
    np.testing.assert_allclose((1 - reg.code_.straggler_probs) @ reg.code_.coefficients, 1.0)
    assert _gap(reg, sorted_problem) < 1e-6


def test_estimates_are_off_on_the_simulated_backend_by_default(regression_data):
    X, y = regression_data
    reg = CodedGradientRegressor(stragglers=0.3, max_iter=30, random_state=0).fit(X, y)
    np.testing.assert_array_equal(reg.straggler_probs_, np.full(8, 0.3))


def test_gradient_aware_coefficients_in_a_fit(sorted_problem):
    """Coded gradient descent re-codes with the measured Gram matrix of the partition
    gradients (a ridge Newton fit decodes nothing: the master holds its objective)."""
    aware = _fit(sorted_problem, n_workers=20, stragglers=MIXED, max_iter=300, solver="gd",
                 gradient_aware=True)
    assert aware.code_.proxy is not None and not isinstance(aware.code_.proxy, str)
    np.testing.assert_allclose((1 - MIXED) @ aware.code_.coefficients, 1.0, atol=1e-8)
    assert _gap(aware, sorted_problem) < 1e-10


def test_classifier_with_variance_reduction(binary_data):
    X, y = binary_data
    clf = CodedGradientClassifier(loss="log_loss", alpha=ALPHA, random_state=0, max_iter=600,
                                  tol=None, stragglers=paper_model(8, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        exact = CodedGradientClassifier(loss="log_loss", alpha=ALPHA, random_state=0,
                                        tol=None, max_iter=2000).fit(X, y)
    np.testing.assert_allclose(clf.coef_, exact.coef_, rtol=1e-6)


def test_defaults_under_heavy_stragglers_do_not_stop_early(sorted_problem):
    """With default tol, the fit under the paper's stragglers runs until it is close."""
    X, y, best = sorted_problem
    reg = CodedGradientRegressor(alpha=ALPHA, n_workers=10, random_state=0,
                                 stragglers=paper_model(10, random_state=0)).fit(X, y)
    assert _gap(reg, sorted_problem) < 1e-4


def test_gradient_descent_steps_grow_to_1_over_l_once_the_latest_messages_decode(
        diabetes_problem, monkeypatch):
    """Before the latest-message decoder switches on, the step is 1 / (L (1 + eps)); after,
    the estimate's measured staleness replaces eps and the step grows to 1/L: 24x lower a
    gap after 1200 iterations than with the (1 + eps) step throughout."""
    params = dict(n_workers=10, stragglers=paper_model(10, random_state=0), max_iter=1200,
                  solver="gd", shuffle=True)
    reg = _fit(diabetes_problem, **params)
    steps, eps = reg.history_["step"], reg.code_.relative_variance
    assert eps > 0.5
    switch = np.flatnonzero(steps != steps[0])[0]
    assert switch > 20  # decoded plainly until then, at the (1 + eps) step
    assert steps.min() == steps[0]
    assert steps.max() <= steps[0] * (1.0 + eps) * (1.0 + 1e-12)  # never above 1/L
    assert steps[-1] == pytest.approx(steps[0] * (1.0 + eps), rel=1e-4)

    def with_eps_throughout(schedule, t, noise=None):
        return schedule.base_step
    monkeypatch.setattr(StepSchedule, "__call__", with_eps_throughout)
    before = _fit(diabetes_problem, **params)
    assert _gap(reg, diabetes_problem) < _gap(before, diabetes_problem) / 10
