"""Data too wide for a curvature model: L-BFGS on values and gradients that stay exact under
stragglers (every partition topped up at every iterate)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge

from skgc import CodedGradientClassifier, CodedGradientRegressor
from skgc.master import CompleteGradientOracle, GradientEstimate
from skgc.objective import Datafit, get_loss
from skgc.objective import Penalty
from skgc.plan import make_plan
from skgc.solver import lbfgs_solver
from skgc.stragglers import paper_model

ALPHA = 1e-3
WIDE = {"max_newton_features": 50, "tol": 1e-10}  # the data below have 120 features


def _sparse_problem(seed=0, n=800, d=120):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, 0.05, format="csr", random_state=seed, data_rvs=rng.standard_normal)
    score = X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)
    return X, score


def _ridge_objective(model, X, y):
    pred = X @ model.coef_ + model.intercept_
    return 0.5 * np.mean((y - pred) ** 2) + 0.5 * ALPHA * model.coef_ @ model.coef_


def _logistic_objective(coef, intercept, X, y):
    margin = np.where(y == 1, 1.0, -1.0) * (X @ coef + intercept)
    return np.mean(np.logaddexp(0.0, -margin)) + 0.5 * ALPHA * coef @ coef


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a converged fit never warns
        return model.fit(X, y)


@pytest.mark.parametrize("stragglers", ["paper", 0.5])
def test_wide_regression_under_stragglers_reaches_the_straggler_free_optimum(stragglers):
    X, y = _sparse_problem()
    model = paper_model(10, random_state=0) if stragglers == "paper" else stragglers
    free = _fit(CodedGradientRegressor(alpha=ALPHA, n_workers=10, random_state=0, **WIDE),
                X, y)
    slow = _fit(CodedGradientRegressor(alpha=ALPHA, n_workers=10, stragglers=model,
                                       random_state=0, **WIDE), X, y)
    assert slow.solver_ == free.solver_ == "lbfgs"
    exact = Ridge(alpha=ALPHA * X.shape[0], solver="sparse_cg", tol=1e-12).fit(X, y)
    f_star = _ridge_objective(exact, X, y)
    assert (_ridge_objective(slow, X, y) - f_star) / f_star <= 1e-8
    np.testing.assert_allclose(slow.coef_, free.coef_, rtol=0, atol=1e-6)
    assert not slow.history_["fallback"].any()  # every partition delivered at every iterate
    assert slow.history_["time"][-1] > free.history_["time"][-1]  # top-up rounds: more time


def test_wide_classification_under_the_paper_model_matches_logistic_regression():
    X, score = _sparse_problem(seed=1)
    y = (score > 0).astype(int)
    clf = _fit(CodedGradientClassifier(loss="log_loss", alpha=ALPHA, n_workers=10,
                                       stragglers=paper_model(10, random_state=1),
                                       random_state=0, **WIDE), X, y)
    assert clf.solver_ == "lbfgs"
    exact = LogisticRegression(C=1 / (ALPHA * X.shape[0]), tol=1e-12, max_iter=10_000)
    exact.fit(X, y)
    f_star = _logistic_objective(exact.coef_.ravel(), exact.intercept_[0], X, y)
    gap = (_logistic_objective(clf.coef_.ravel(), clf.intercept_[0], X, y) - f_star) / f_star
    assert gap <= 1e-8


def test_an_unconverged_wide_fit_under_stragglers_warns():
    X, y = _sparse_problem()
    reg = CodedGradientRegressor(alpha=ALPHA, n_workers=10, max_iter=3, random_state=0,
                                 stragglers=paper_model(10, random_state=0),
                                 max_newton_features=50)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    exact = Ridge(alpha=ALPHA * X.shape[0], solver="sparse_cg", tol=1e-12).fit(X, y)
    f_star = _ridge_objective(exact, X, y)
    assert (_ridge_objective(reg, X, y) - f_star) / f_star > 1e-3  # it really is far


def test_explicit_solvers_under_stragglers():
    X, y = _sparse_problem()
    lbfgs = _fit(CodedGradientRegressor(alpha=ALPHA, solver="lbfgs", stragglers=0.2,
                                        random_state=0), X, y)  # the default tol
    free = _fit(CodedGradientRegressor(alpha=ALPHA, solver="lbfgs", random_state=0), X, y)
    np.testing.assert_allclose(lbfgs.coef_, free.coef_, rtol=0, atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gd = CodedGradientRegressor(alpha=ALPHA, solver="gd", stragglers=0.2, max_iter=5,
                                    random_state=0).fit(X, y)
    assert gd.solver_ == "gd"  # the paper's algorithm stays available


class _Exact:
    """Value and gradient of the mean data term, computed directly."""

    def __init__(self, X, Y, loss):
        self.X, self.Y, self.datafit = X, Y, Datafit(get_loss(loss), True)

    def __call__(self, coef, intercept, smoothing=None):
        n = self.X.shape[0]
        values, grad, grad_b = self.datafit.sums(self.X, self.Y, np.ones(n), coef, intercept)
        return GradientEstimate(values.sum() / n, grad / n, grad_b / n, 1, 1.0)


@pytest.mark.parametrize("loss, l1_ratio", [("squared_error", 0.0), ("log_loss", 0.0),
                                            ("squared_error", 0.5)])
def test_jacobi_preconditioning_takes_fewer_iterations_to_the_same_optimum(loss, l1_ratio):
    X, score = _sparse_problem(seed=2)
    X = X @ sp.diags(np.logspace(-2, 2, X.shape[1]))  # columns on very different scales
    Y = (score[:, None] if loss == "squared_error" else np.where(score > 0, 1.0, -1.0)[:, None])
    oracle, penalty = _Exact(X, Y, loss), Penalty(10 * ALPHA, l1_ratio)
    smoothness = 1.0 if loss == "squared_error" else 0.25
    diagonal = (smoothness * np.asarray(X.multiply(X).mean(axis=0)).ravel(), smoothness)
    zeros = np.zeros((X.shape[1], 1)), np.zeros(1)
    plain = lbfgs_solver(oracle, *zeros, penalty, max_iter=5000, tol=1e-14)
    jacobi = lbfgs_solver(oracle, *zeros, penalty, max_iter=5000, tol=1e-14,
                          diagonal=diagonal)
    assert jacobi.n_iter < plain.n_iter / 2
    f_plain, f_jacobi = plain.history["objective"].min(), jacobi.history["objective"].min()
    assert abs(f_jacobi - f_plain) <= 1e-9 * f_plain
    if l1_ratio:  # the split keeps exact zeros
        assert np.array_equal(jacobi.coef == 0, plain.coef == 0)
        assert (jacobi.coef == 0).any()


def _started(stragglers, seed=0):
    X, y = _sparse_problem(seed)
    plan = make_plan(X, y[:, None], np.ones(X.shape[0]), loss="squared_error", epsilon=0.1,
                     fit_intercept=True, n_workers=10, n_partitions=None, load=None,
                     code="optimal", stragglers=stragglers, deadline="auto",
                     backend="simulated", shuffle=True, random_state=seed)
    return plan, X, y


def test_the_oracle_answers_the_exact_gradient_whoever_straggles():
    plan, X, y = _started(paper_model(10, random_state=0))
    rng = np.random.default_rng(0)
    coef, intercept = rng.normal(size=(X.shape[1], 1)), np.array([0.3])
    datafit = Datafit(get_loss("squared_error"), True)
    value, grad_coef, grad_intercept = datafit.sums(X, y[:, None], np.ones(X.shape[0]), coef,
                                                    intercept)
    n = X.shape[0]
    with plan.run() as master:
        oracle = CompleteGradientOracle(master)
        for _ in range(5):
            estimate = oracle.gradient(coef, intercept)
            assert not estimate.fallback
            np.testing.assert_allclose(estimate.value, value.sum() / n, rtol=1e-12)
            np.testing.assert_allclose(estimate.grad_coef, grad_coef / n, rtol=0, atol=1e-12)
            np.testing.assert_allclose(estimate.grad_intercept, grad_intercept / n,
                                       rtol=0, atol=1e-12)
    # the paper's workers straggle with probability 0.8-1: a round rarely reaches every
    # partition, so requests take several rounds
    assert oracle.n_rounds >= 2 * oracle.n_requests


def test_the_oracle_falls_back_to_stale_partitions_after_its_rounds():
    plan, X, y = _started(paper_model(10, random_state=0))
    coef, intercept = np.zeros((X.shape[1], 1)), np.zeros(1)
    moved = coef + 0.1
    with plan.run() as master:
        oracle = CompleteGradientOracle(master)
        before = oracle.gradient(coef, intercept)  # every partition at coef
        oracle.max_rounds = 1  # one round: most partitions stay at coef
        stale = oracle.gradient(moved, intercept)
    assert not before.fallback and stale.fallback
    n_fresh = 0
    datafit = Datafit(get_loss("squared_error"), True)
    data = plan.data
    expected = np.zeros(X.shape[1])
    for k in range(data.n_partitions):
        Xk, Yk, wk = data.partition(k)
        fresh = bool(stale.alive[np.flatnonzero(plan.code.allocation[:, k])].any())
        n_fresh += fresh
        expected += datafit.sums(Xk, Yk, wk, moved if fresh else coef, intercept)[1].ravel()
    assert 0 < n_fresh < data.n_partitions  # some moved, some stale
    np.testing.assert_allclose(stale.grad_coef.ravel(), expected / X.shape[0], atol=1e-12)


@pytest.mark.workers
@pytest.mark.timeout(60)
def test_real_workers_answer_partition_sums_under_stragglers():
    X, y = _sparse_problem(n=400)
    params = dict(alpha=ALPHA, n_workers=4, random_state=0, **WIDE)
    free = _fit(CodedGradientRegressor(**params), X, y)
    live = _fit(CodedGradientRegressor(backend="threading", stragglers=0.3, deadline=0.05,
                                       **params), X, y)
    assert live.solver_ == "lbfgs"
    assert not live.history_["alive"].all()  # workers did straggle
    np.testing.assert_allclose(live.coef_, free.coef_, rtol=0, atol=1e-6)
