"""The solvers on their own (exact oracles written here), and the curvature they need."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import check_grad, minimize_scalar
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge

from skgc.objective import LOSSES, Datafit, Penalty, get_loss
from skgc.master import GradientEstimate
from skgc.solver import NewtonSettings, lbfgs_solver, newton_solver

RNG = np.random.default_rng(0)


class ExactOracle:
    """Value, gradient and Hessian of the mean data term, computed directly."""

    def __init__(self, X, Y, loss, fit_intercept=True):
        self.X, self.Y, self.n = X, Y, X.shape[0]
        self.datafit = Datafit(loss, fit_intercept)
        self.settled, self.curvature_complete, self.exact = True, True, True
        self.partition_models = False
        self.rounds = 0

    def gradient(self, coef, intercept, smoothing=None):
        self.rounds += 1
        datafit = self.datafit.smoothed(smoothing)
        values, grad, grad_b = datafit.sums(self.X, self.Y, np.ones(self.n), coef, intercept)
        return GradientEstimate(values.sum() / self.n, grad / self.n, grad_b / self.n, 1, 1.0,
                                values=values / self.n)

    __call__ = gradient

    def curvature(self, coef, intercept, smoothing=None):
        datafit = self.datafit.smoothed(smoothing)
        hessian = datafit.hessian_sums(self.X, self.Y, np.ones(self.n), coef, intercept)
        return hessian / self.n, GradientEstimate(0.0, None, None, 1, 1.0)


def _correlated(n=500, d=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) @ (np.eye(d) + 2.0 * rng.normal(size=(d, d)))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, X @ rng.normal(size=d) + 0.5 * rng.normal(size=n)


def _ridge_objective(X, y, coef, intercept, alpha):
    return 0.5 * np.mean((X @ coef + intercept - y) ** 2) + 0.5 * alpha * coef @ coef


def _newton(oracle, d, penalty, n_outputs=1, **settings):
    settings = {"max_iter": 50, "tol": 1e-10, **settings}
    return newton_solver(oracle, np.zeros((d, n_outputs)), np.zeros(n_outputs), penalty,
                         NewtonSettings(**settings))


def test_newton_solves_ridge_in_one_step_whatever_the_conditioning():
    X, y = _correlated()
    assert np.linalg.cond(X.T @ X) > 1e3
    oracle = ExactOracle(X, y[:, None], get_loss("squared_error"))
    result = _newton(oracle, X.shape[1], Penalty(1e-3), constant_curvature=True)
    ridge = Ridge(alpha=1e-3 * len(y), solver="cholesky").fit(X, y)
    np.testing.assert_allclose(result.coef[:, 0], ridge.coef_, rtol=1e-9, atol=1e-12)
    assert result.intercept[0] == pytest.approx(ridge.intercept_, abs=1e-12)
    # on an exact quadratic the Newton step lands on the minimiser: one iteration, and
    # no round after the first (no line-search trial, no check of the decrement)
    assert result.converged and result.n_iter == 1 and oracle.rounds == 1


def test_newton_reaches_logistic_regressions_optimum():
    X, y = _correlated(seed=1)
    labels = np.where(y > 0, 1.0, -1.0)
    oracle = ExactOracle(X, labels[:, None], get_loss("log_loss"))
    result = _newton(oracle, X.shape[1], Penalty(1e-3))
    exact = LogisticRegression(C=1.0 / (1e-3 * len(y)), tol=1e-12, max_iter=10_000)
    exact.fit(X, labels)
    ours = oracle.gradient(result.coef, result.intercept).value + 0.5e-3 * np.sum(
        result.coef**2)
    best = oracle.gradient(exact.coef_.T, exact.intercept_).value + 0.5e-3 * np.sum(
        exact.coef_**2)
    assert ours / best - 1.0 <= 1e-10
    assert result.converged and result.n_iter <= 12


def test_proximal_newton_matches_elastic_net_with_exact_zeros():
    X, y = _correlated(d=12, seed=2)
    y = y - y.mean()
    alpha, l1_ratio = 0.05, 0.7
    oracle = ExactOracle(X, y[:, None], get_loss("squared_error"), fit_intercept=False)
    result = _newton(oracle, X.shape[1], Penalty(alpha, l1_ratio), constant_curvature=True)
    reference = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=False, tol=1e-12,
                           max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(result.coef[:, 0], reference.coef_, atol=1e-7)
    assert np.any(reference.coef_ == 0)
    np.testing.assert_array_equal(result.coef[:, 0] == 0, reference.coef_ == 0)


def test_each_output_takes_its_own_step():
    """One-versus-all outputs are separate problems: a hard one does not slow the rest."""
    X, y = _correlated(seed=3)
    Y = np.column_stack([np.where(y > 0, 1.0, -1.0), np.where(y > 2.5, 1.0, -1.0)])
    oracle = ExactOracle(X, Y, get_loss("log_loss"))
    both = _newton(oracle, X.shape[1], Penalty(1e-4), n_outputs=2)
    for c in range(2):
        alone = _newton(ExactOracle(X, Y[:, [c]], get_loss("log_loss")), X.shape[1],
                        Penalty(1e-4))
        np.testing.assert_allclose(both.coef[:, c], alone.coef[:, 0], rtol=1e-6, atol=1e-8)


def test_stop_is_never_early_on_the_decrement():
    """The gap at the returned iterate is below ``tol`` times the objective."""
    X, y = _correlated(seed=4)
    labels = np.where(y > 0, 1.0, -1.0)[:, None]
    exact = _newton(ExactOracle(X, labels, get_loss("log_loss")), X.shape[1], Penalty(1e-4))
    best = ExactOracle(X, labels, get_loss("log_loss")).gradient(exact.coef, exact.intercept)
    for tol in (1e-2, 1e-4, 1e-6):
        oracle = ExactOracle(X, labels, get_loss("log_loss"))
        result = _newton(oracle, X.shape[1], Penalty(1e-4), tol=tol)
        value = oracle.gradient(result.coef, result.intercept).value
        penalty = 0.5e-4 * (np.sum(result.coef**2) - np.sum(exact.coef**2))
        assert (value + penalty) / (best.value + 0.5e-4 * np.sum(exact.coef**2)) - 1 <= tol


def test_smoothed_hinge_reaches_the_hinge_optimum():
    X, y = _correlated(n=300, d=5, seed=5)
    labels = np.where(y + 0.5 * RNG.normal(size=len(y)) > 0, 1.0, -1.0)[:, None]
    hinge = get_loss("hinge")
    result = _newton(ExactOracle(X, labels, hinge), X.shape[1], Penalty(1e-2), tol=1e-7,
                     max_iter=500, smoothing=2.0)
    assert result.converged

    def objective(w):
        return np.mean(hinge.value(labels[:, 0], X @ w[:-1] + w[-1])) + 5e-3 * w[:-1] @ w[:-1]

    ours = objective(np.r_[result.coef[:, 0], result.intercept])
    # a convex function: no perturbation, at two scales, may do better
    for scale in (1e-2, 1e-3):
        trials = np.r_[result.coef[:, 0], result.intercept] + scale * RNG.normal(
            size=(200, X.shape[1] + 1))
        assert ours <= min(objective(w) for w in trials) + 1e-9


def test_lbfgs_matches_ridge_and_gives_exact_l1_zeros():
    X, y = _correlated(d=10, seed=6)
    oracle = ExactOracle(X, y[:, None], get_loss("squared_error"))
    result = lbfgs_solver(oracle, np.zeros((10, 1)), np.zeros(1), Penalty(1e-3),
                          max_iter=500, tol=1e-10)
    ridge = Ridge(alpha=1e-3 * len(y)).fit(X, y)
    assert _ridge_objective(X, y, result.coef[:, 0], result.intercept[0], 1e-3) == \
        pytest.approx(_ridge_objective(X, y, ridge.coef_, ridge.intercept_, 1e-3), rel=1e-9)
    y = y - y.mean()
    lasso = lbfgs_solver(ExactOracle(X, y[:, None], get_loss("squared_error"), False),
                         np.zeros((10, 1)), np.zeros(1), Penalty(0.3, 1.0), max_iter=500,
                         tol=1e-12)
    reference = ElasticNet(alpha=0.3, l1_ratio=1.0, fit_intercept=False, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(lasso.coef[:, 0], reference.coef_, atol=1e-5)
    assert np.sum(reference.coef_ == 0) >= 1
    assert np.sum(lasso.coef[:, 0] == 0) >= np.sum(reference.coef_ == 0)


# -- the curvature the solver asks for -------------------------------------------------

@pytest.mark.parametrize("name", [n for n in LOSSES if get_loss(n).smoothness is not None])
def test_curvature_is_the_derivative_of_the_derivative(name):
    loss = get_loss(name)
    y = np.where(RNG.random(200) > 0.5, 1.0, -1.0)
    p = RNG.normal(scale=2.0, size=200)
    numeric = (loss.derivative(y, p + 1e-6) - loss.derivative(y, p - 1e-6)) / 2e-6
    # away from kinks, the generalised second derivative is the derivative's slope
    np.testing.assert_allclose(loss.curvature(y, p), numeric, atol=1e-4)


def _one_dimensional_problem(name):
    """Targets, a scalar feature and the kinks of ``w -> mean loss(y, x w)`` (``w`` where
    some sample's loss changes slope)."""
    x = RNG.normal(size=40)
    if name == "epsilon_insensitive":
        y = 0.7 * x + RNG.normal(scale=0.3, size=40)
        return y, x, np.concatenate([(y - 0.1) / x, (y + 0.1) / x])
    y = np.where(x + RNG.normal(scale=0.8, size=40) > 0, 1.0, -1.0)
    threshold = 0.0 if name == "perceptron" else 1.0
    return y, x, np.concatenate([threshold / (y * x), [0.0]])


@pytest.mark.parametrize("name", ["hinge", "perceptron", "epsilon_insensitive"])
@pytest.mark.parametrize("mu", [1.0, 1e-3])
def test_smoothed_losses_are_smooth_convex_and_accurate(name, mu):
    """The barrier-smoothed losses: consistent derivatives, positive curvature, and a
    minimiser within ``mu / 2`` of the exact optimum (here in one dimension, where the
    exact optimum is the best of the kinks and of the stationary points between them)."""
    loss, alpha = get_loss(name), 0.01
    smooth = loss.smoothed(mu)
    y = np.where(RNG.random(300) > 0.5, 1.0, -1.0)
    p = RNG.normal(scale=2.0, size=300)
    for i in range(20):
        err = check_grad(lambda q: smooth.value(y[i:i + 1], q).sum(),
                         lambda q: smooth.derivative(y[i:i + 1], q), p[i:i + 1])
        assert err < 1e-4 * max(1.0, 1.0 / mu)
    numeric = (smooth.derivative(y, p + 1e-7) - smooth.derivative(y, p - 1e-7)) / 2e-7
    np.testing.assert_allclose(smooth.curvature(y, p), numeric, rtol=1e-4, atol=1e-6)
    assert (smooth.curvature(y, p) > 0).all()

    y, x, kinks = _one_dimensional_problem(name)

    def exact(w):
        return loss.value(y, x * w).mean() + 0.5 * alpha * w * w

    ends = np.concatenate([[kinks.min() - 1.0], np.sort(kinks) + 1e-9])  # one per interval
    slopes = [loss.derivative(y, x * w) @ x / len(x) for w in ends]
    candidates = np.concatenate([kinks, -np.array(slopes) / alpha])
    optimum = min(exact(w) for w in candidates)
    smoothed = minimize_scalar(lambda w: smooth.value(y, x * w).mean() + 0.5 * alpha * w * w,
                               bracket=(-1.0, 1.0), tol=1e-12).x
    assert -1e-12 <= exact(smoothed) - optimum <= mu / 2
    smooth_loss = get_loss("log_loss")
    assert smooth_loss.smoothed(mu) is smooth_loss  # a smooth loss needs no smoothing


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_hessian_sums_equal_the_explicit_product(sparse, fit_intercept):
    X = RNG.normal(size=(40, 5))
    Y = np.where(RNG.random((40, 2)) > 0.5, 1.0, -1.0)
    weight = RNG.uniform(0.5, 2.0, 40)
    coef, intercept = RNG.normal(size=(5, 2)), np.array([0.1, -0.3])
    datafit = Datafit(get_loss("log_loss"), fit_intercept)
    blocks = datafit.hessian_sums(sp.csr_matrix(X) if sparse else X, Y, weight, coef,
                                  intercept)
    Z = np.column_stack([X, np.ones(40)]) if fit_intercept else X
    for c in range(2):
        curvature = get_loss("log_loss").curvature(Y[:, c], X @ coef[:, c] + intercept[c])
        np.testing.assert_allclose(blocks[c], Z.T @ (Z * (weight * curvature)[:, None]),
                                   rtol=1e-12)
    gram = Datafit(get_loss("squared_error"), fit_intercept).hessian_sums(X, Y, weight, coef,
                                                                         intercept)
    assert gram.shape[0] == 1  # a constant curvature: one block for every output
    np.testing.assert_allclose(gram[0], Z.T @ (Z * weight[:, None]), rtol=1e-12)


def test_proximal_newton_model_is_solved_exactly_when_ill_conditioned():
    """The lasso model of a finely smoothed kink (condition number 1e10) is solved to its
    optimality conditions, where coordinate descent alone would stop far short."""
    from skgc.solver._quadratic_models import _lasso_step

    rng = np.random.default_rng(3)
    d, l1 = 12, 1e-2
    basis = np.linalg.qr(rng.normal(size=(d + 1, d + 1)))[0]
    matrix = basis @ np.diag(np.logspace(-6, 4, d + 1)) @ basis.T
    gradient, coef = rng.normal(size=d + 1) * 1e-2, rng.normal(size=d)
    step = _lasso_step(matrix.copy(), gradient, coef, l1, d)
    value = np.append(coef, 0.0) + step
    slope = gradient + matrix @ step
    zero = np.append(value[:d] == 0.0, False)
    scale = np.abs(gradient).max()
    assert zero.any() and not zero.all()
    np.testing.assert_allclose(slope[:d][~zero[:d]], -l1 * np.sign(value[:d][~zero[:d]]),
                               atol=1e-7 * scale)
    assert np.all(np.abs(slope[zero]) <= l1 + 1e-7 * scale)
    assert abs(slope[d]) <= 1e-7 * scale  # the unpenalised intercept
