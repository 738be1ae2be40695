"""The estimators with the Newton solver: exact optima, honest stops, the solver chosen."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.preprocessing import StandardScaler

from skgc import CodedGradientClassifier, CodedGradientRegressor
from skgc.master import CurvatureOracle
from skgc.plan import make_plan
from skgc.stragglers import FixedDelays, paper_model


def _standardised(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _ridge_gap(model, X, y, alpha):
    def objective(coef, intercept):
        return 0.5 * np.mean((X @ coef + intercept - y) ** 2) + 0.5 * alpha * coef @ coef

    ridge = Ridge(alpha=alpha * len(y), solver="cholesky").fit(X, y)
    best = objective(ridge.coef_, ridge.intercept_)
    return objective(model.coef_, float(model.intercept_[0])) / best - 1.0


def _logistic_gap(model, X, y, alpha):
    labels = np.where(y == model.classes_[1], 1.0, -1.0)

    def objective(coef, intercept):
        return (np.mean(np.logaddexp(0.0, -labels * (X @ coef + intercept)))
                + 0.5 * alpha * coef @ coef)

    exact = LogisticRegression(C=1.0 / (alpha * len(y)), tol=1e-12, max_iter=100_000)
    exact.fit(X, labels)
    best = objective(exact.coef_[0], exact.intercept_[0])
    return objective(model.coef_[0], model.intercept_[0]) / best - 1.0


def test_defaults_converge_on_diabetes_and_breast_cancer():
    X, y = _standardised(load_diabetes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg = CodedGradientRegressor(random_state=0).fit(X, y)
        X_c, y_c = _standardised(load_breast_cancer)
        clf = CodedGradientClassifier(loss="log_loss", random_state=0).fit(X_c, y_c)
        hinge = CodedGradientClassifier(random_state=0).fit(X_c, y_c)
    assert reg.solver_ == clf.solver_ == hinge.solver_ == "newton"
    assert _ridge_gap(reg, X, y, reg.alpha) <= 1e-6 and reg.n_iter_ <= 3
    assert _logistic_gap(clf, X_c, y_c, clf.alpha) <= 1e-6
    assert hinge.score(X_c, y_c) >= 0.98


@pytest.mark.parametrize("data", ["diabetes", "synthetic"])
def test_no_silent_stop_far_from_the_optimum_under_stragglers(data):
    """20 seeds each of 30% stragglers and of the paper's model: every fit ends within
    1e-4 of the optimum, or says it did not converge."""
    if data == "diabetes":
        X, y = _standardised(load_diabetes)
    else:
        rng = np.random.default_rng(1)
        X = rng.normal(size=(1000, 12)) @ (np.eye(12) + rng.normal(size=(12, 12)))
        X = StandardScaler().fit_transform(X)
        y = X @ rng.normal(size=12) + rng.normal(size=1000)
    for seed in range(20):
        for stragglers in (0.3, paper_model(8, random_state=seed)):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                reg = CodedGradientRegressor(stragglers=stragglers, random_state=seed)
                reg.fit(X, y)
            warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
            assert warned or _ridge_gap(reg, X, y, reg.alpha) <= 1e-4, (seed, stragglers)


def test_no_stop_on_stale_partition_models(monkeypatch):
    """Partition models left stale (few top-up rounds: each partition stays out of reach
    with probability 1/2) may hide what is left to gain: the fit stops only at an
    iterate where every partition was renewed, within 1e-6 of the optimum, or warns; the
    damping of steps that keep over-reaching stays finite."""
    monkeypatch.setattr(CurvatureOracle, "stale_risk", 0.5)
    X, y = make_classification(n_samples=800, n_features=20, n_informative=10,
                               random_state=0)
    X = StandardScaler().fit_transform(X)
    for seed in range(3):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            clf = CodedGradientClassifier(loss="log_loss", n_workers=10, random_state=seed,
                                          stragglers=paper_model(10, random_state=seed))
            clf.fit(X, y)
        warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
        assert warned or _logistic_gap(clf, X, y, clf.alpha) <= 1e-6, seed


def test_hinge_with_l1_beats_sgds_objective_with_exact_zeros():
    X, y = make_classification(200, 6, n_informative=3, n_redundant=1, random_state=0)
    labels = np.where(y == 1, 1.0, -1.0)
    params = dict(loss="hinge", penalty="l1", alpha=0.1, random_state=0)

    def objective(model):
        margins = labels * (X @ model.coef_[0] + model.intercept_[0])
        return np.mean(np.maximum(0.0, 1.0 - margins)) + 0.1 * np.abs(model.coef_).sum()

    ours = CodedGradientClassifier(**params).fit(X, y)
    sgd = SGDClassifier(**params).fit(X, y)
    assert objective(ours) <= objective(sgd)
    assert np.sum(ours.coef_ == 0.0) >= 3


def test_auto_chooses_the_solver_the_fit_needs():
    X, y = _standardised(load_diabetes)

    def solver(**params):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return CodedGradientRegressor(random_state=0, max_iter=5, **params).fit(X, y).solver_

    assert solver() == "newton"
    assert solver(max_newton_features=5) == "lbfgs"  # wide for the curvature model
    assert solver(max_newton_features=5, stragglers=0.2) == "lbfgs"  # topped-up gradients
    assert solver(learning_rate="constant") == "gd"  # an SGD schedule asked for
    assert solver(average=True) == "gd"
    # an inexact code without the control variate keeps a noise floor: gd averages it out
    assert solver(stragglers=0.2, variance_reduction=False) == "gd"
    assert solver(stragglers=0.2) == "newton"
    assert solver(solver="lbfgs") == "lbfgs"
    assert CodedGradientRegressor(random_state=0).partial_fit(X, y).solver_ == "gd"


def test_lbfgs_on_wide_sparse_data_matches_the_exact_ridge():
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    X = sp.random(2000, 300, 0.02, format="csr", random_state=0,
                  data_rvs=rng.standard_normal)
    y = X @ rng.normal(size=300) + 0.1 * rng.normal(size=2000)
    reg = CodedGradientRegressor(alpha=1e-3, max_newton_features=100, random_state=0)
    reg.fit(X, y)
    assert reg.solver_ == "lbfgs"
    assert _ridge_gap(reg, X.toarray(), y, 1e-3) <= 1e-5


def test_decoded_gradient_follows_the_iterate_once_every_worker_answered():
    """The control variate moves stored messages along the partitions' Hessians: for a
    squared loss the decoded gradient is then exact, whoever answers."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 4)), rng.normal(size=200)
    plan = make_plan(X, y, n_workers=6, stragglers=0.4, random_state=0)
    data, datafit = plan.data, plan.datafit
    with plan.run(variance_reduction=True) as master:
        oracle = CurvatureOracle(master)
        coef, intercept = np.zeros((4, 1)), np.zeros(1)
        while not oracle.settled:
            oracle.curvature(coef, intercept)
            oracle.gradient(coef, intercept)
        answered = []
        for _ in range(8):
            coef, intercept = rng.normal(size=(4, 1)), rng.normal(size=1)
            estimate = oracle.gradient(coef, intercept)
            _, exact, exact_b = datafit.sums(data.X, data.Y, data.sample_weight, coef,
                                             intercept)
            np.testing.assert_allclose(estimate.grad_coef, exact / 200, rtol=1e-9,
                                       atol=1e-12)
            np.testing.assert_allclose(estimate.grad_intercept, exact_b / 200, rtol=1e-9,
                                       atol=1e-12)
            answered.append(estimate.n_alive)
    assert min(answered) < 6  # exact in rounds where some workers straggled too


@pytest.mark.parametrize("loss", ["log_loss", "hinge"])
def test_newton_rounds_end_once_every_partition_is_delivered(loss):
    """A curvature that changes with the iterate is held per partition: a round ends as soon
    as every partition has a holder who answered, not at the deadline, and the fit is the
    straggler-free one."""
    X, y = _standardised(load_breast_cancer)
    sleeper = FixedDelays([0.0, 0.0, 50.0, 0.0])  # worker 2 never makes the deadline
    params = dict(loss=loss, n_workers=4, load=2, random_state=0)
    slow = CodedGradientClassifier(stragglers=sleeper, deadline=1.0, **params).fit(X, y)
    assert not slow.history_["alive"][:, 2].any()
    # the hinge's first round, decoded plainly for the loss's scale (where its smoothing
    # starts), waits for the deadline (1 s); every Hessian round ended when the others
    # answered
    waited = 1.0 if loss == "hinge" else 0.0
    assert slow.history_["time"][0] == slow.history_["time"][-1] == waited
    exact = CodedGradientClassifier(**params).fit(X, y)  # both within tol=1e-6 of the optimum
    np.testing.assert_allclose(slow.decision_function(X), exact.decision_function(X),
                               rtol=1e-5, atol=1e-5)


def test_ridge_under_stragglers_tops_up_the_gram_once_then_asks_nothing():
    """Squared loss under the paper's stragglers: the first curvature request asks again
    for the partitions whose holders all straggled until every Gram block has arrived;
    the master then holds the exact objective, so no later iteration runs a round, and
    the model is the straggler-free one."""
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    params = dict(n_workers=10, random_state=0)
    model = CodedGradientRegressor(stragglers=paper_model(10, random_state=0),
                                   **params).fit(X, y)
    reference = CodedGradientRegressor(**params).fit(X, y)
    assert model.history_["n_alive"][0] > 0
    assert not model.history_["n_alive"][1:].any()
    assert model.n_iter_ == 1  # the master's exact model: one exact Newton step
    assert np.ptp(model.history_["time"]) == 0.0  # the virtual clock stops after the first
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-9)
