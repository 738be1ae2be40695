"""What the estimators learn: exact optimum without stragglers, stability with them."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, Ridge

from skgc import CodedGradientClassifier, CodedGradientRegressor
from skgc.coding import CODE_NAMES
from skgc.stragglers import paper_model

ALPHA = 1e-2
EXACT = dict(tol=1e-12, max_iter=20000, random_state=0)


def _ridge_objective(coef, intercept, X, y, alpha, l1_ratio=0.0):
    return (0.5 * np.mean((X @ coef + intercept - y) ** 2)
            + alpha * l1_ratio * np.abs(coef).sum() + 0.5 * alpha * (1 - l1_ratio) * coef @ coef)


def _logistic_objective(coef, intercept, X, y01, alpha):
    margin = (2.0 * y01 - 1.0) * (X @ coef + intercept)
    return np.mean(np.logaddexp(0.0, -margin)) + 0.5 * alpha * coef @ coef


def test_no_stragglers_reaches_ridge(regression_data):
    X, y = regression_data
    reg = CodedGradientRegressor(alpha=ALPHA, **EXACT).fit(X, y)
    ridge = Ridge(alpha=ALPHA * len(y), tol=1e-14, solver="cholesky").fit(X, y)
    ours = _ridge_objective(reg.coef_, reg.intercept_[0], X, y, ALPHA)
    best = _ridge_objective(ridge.coef_, ridge.intercept_, X, y, ALPHA)
    assert ours / best - 1.0 <= 1e-6
    # the first round (every partition's Gram matrix and sums) gives the master the
    # quadratic objective itself: the later iterations need no round
    assert reg.history_["n_alive"][0] > 0
    assert (reg.history_["n_alive"][1:] == 0).all()


@pytest.mark.parametrize("penalty, l1_ratio, reference", [
    ("l1", 1.0, Lasso), ("elasticnet", 0.4, ElasticNet)])
def test_proximal_l1_reaches_lasso_and_elasticnet(regression_data, penalty, l1_ratio,
                                                  reference):
    X, y = regression_data
    reg = CodedGradientRegressor(penalty=penalty, alpha=0.05, l1_ratio=l1_ratio,
                                 **EXACT).fit(X, y)
    kwargs = {"l1_ratio": l1_ratio} if reference is ElasticNet else {}
    exact = reference(alpha=0.05, tol=1e-14, max_iter=100000, **kwargs).fit(X, y)
    ours = _ridge_objective(reg.coef_, reg.intercept_[0], X, y, 0.05, l1_ratio)
    best = _ridge_objective(exact.coef_, exact.intercept_, X, y, 0.05, l1_ratio)
    assert ours / best - 1.0 <= 1e-6
    np.testing.assert_array_equal(reg.coef_ == 0, exact.coef_ == 0)


def test_no_stragglers_reaches_logistic_regression(binary_data):
    X, y = binary_data
    clf = CodedGradientClassifier(loss="log_loss", alpha=ALPHA, **EXACT).fit(X, y)
    exact = LogisticRegression(C=1.0 / (ALPHA * len(y)), tol=1e-12, max_iter=10000).fit(X, y)
    ours = _logistic_objective(clf.coef_[0], clf.intercept_[0], X, y, ALPHA)
    best = _logistic_objective(exact.coef_[0], exact.intercept_[0], X, y, ALPHA)
    assert ours / best - 1.0 <= 1e-6


def test_multiclass_is_one_joint_one_versus_all_problem(multiclass_data):
    X, y = multiclass_data
    clf = CodedGradientClassifier(loss="log_loss", alpha=ALPHA, **EXACT).fit(X, y)
    assert clf.coef_.shape == (3, 6) and clf.intercept_.shape == (3,)
    assert clf.history_["objective"].ndim == 1
    for k in range(3):
        exact = LogisticRegression(C=1.0 / (ALPHA * len(y)), tol=1e-12,
                                   max_iter=10000).fit(X, y == k)
        ours = _logistic_objective(clf.coef_[k], clf.intercept_[k], X, y == k, ALPHA)
        best = _logistic_objective(exact.coef_[0], exact.intercept_[0], X, y == k, ALPHA)
        assert ours / best - 1.0 <= 1e-6


@pytest.mark.parametrize("code", CODE_NAMES)
def test_paper_stragglers_every_code_is_stable(regression_data, code):
    X, y = regression_data
    model = paper_model(8, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = CodedGradientRegressor(alpha=ALPHA, code=code, stragglers=model, tol=None,
                                     max_iter=400, random_state=0).fit(X, y)
    ridge = Ridge(alpha=ALPHA * len(y)).fit(X, y)
    gap = (_ridge_objective(reg.coef_, reg.intercept_[0], X, y, ALPHA)
           / _ridge_objective(ridge.coef_, ridge.intercept_, X, y, ALPHA) - 1.0)
    assert np.isfinite(reg.coef_).all()
    assert gap < 0.5, gap  # the zero model's gap is about 60 here
    assert reg.history_["n_alive"].mean() < 8 or reg.code_.waits_for_all


def test_optimal_code_beats_the_papers_at_equal_load():
    model = paper_model(10, random_state=3)
    reg = CodedGradientRegressor(n_workers=10, code="song_choi", stragglers=model)
    X = np.random.default_rng(0).normal(size=(40, 2))
    song_choi = reg.fit(X, X[:, 0]).code_
    optimal = reg.set_params(code="optimal", load=song_choi.loads).fit(X, X[:, 0]).code_
    assert optimal.expected_residual_error <= song_choi.expected_residual_error
    np.testing.assert_array_equal(optimal.loads, song_choi.loads)


def test_optimal_beats_ignore_under_heterogeneous_stragglers(regression_data):
    X, y = regression_data
    probs = np.r_[np.full(4, 0.05), np.full(4, 0.6)]
    gaps = {}
    ridge = Ridge(alpha=ALPHA * len(y)).fit(X, y)
    best = _ridge_objective(ridge.coef_, ridge.intercept_, X, y, ALPHA)
    for code in ("optimal", "ignore"):
        reg = CodedGradientRegressor(alpha=ALPHA, code=code, stragglers=probs, shuffle=False,
                                     tol=None, max_iter=1500, random_state=0)
        y_sorted = np.sort(y)  # non-iid partitions: contiguous blocks of sorted targets
        X_sorted = X[np.argsort(y)]
        reg.fit(X_sorted, y_sorted)
        gaps[code] = _ridge_objective(reg.coef_, reg.intercept_[0], X, y, ALPHA) / best - 1
    assert gaps["optimal"] < 0.2 * gaps["ignore"], gaps


def test_dense_sparse_float32_agree(regression_data):
    X, y = regression_data
    params = dict(alpha=ALPHA, tol=1e-10, max_iter=5000, random_state=0)
    dense = CodedGradientRegressor(**params).fit(X, y).coef_
    sparse = CodedGradientRegressor(**params).fit(sp.csr_matrix(X), y).coef_
    single = CodedGradientRegressor(**params).fit(X.astype(np.float32), y).coef_
    np.testing.assert_allclose(sparse, dense, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(single, dense, rtol=1e-3, atol=1e-4)


def test_class_weight_is_a_sample_weight(binary_data):
    X, y = binary_data
    weights = {0: 1.0, 1: 3.0}
    params = dict(loss="log_loss", random_state=0, tol=1e-10, max_iter=3000)
    by_class = CodedGradientClassifier(class_weight=weights, **params).fit(X, y)
    by_sample = CodedGradientClassifier(**params).fit(X, y, sample_weight=np.where(y, 3., 1.))
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-8)
    plain = CodedGradientClassifier(**params).fit(X, y)
    assert by_class.predict(X).mean() > plain.predict(X).mean()


def test_predict_proba(binary_data, multiclass_data):
    X, y = binary_data
    clf = CodedGradientClassifier(loss="log_loss", random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], expit(clf.decision_function(X)))
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), clf.predict_proba(X))
    X3, y3 = multiclass_data
    proba = CodedGradientClassifier(loss="modified_huber", random_state=0).fit(
        X3, y3).predict_proba(X3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert not hasattr(CodedGradientClassifier(loss="hinge"), "predict_proba")


def test_history_records_each_iteration(regression_data):
    X, y = regression_data
    # gradient descent: one round per iteration (Newton may need none once it holds the
    # exact objective)
    reg = CodedGradientRegressor(stragglers=np.linspace(0, 0.7, 8), max_iter=50, tol=None,
                                 random_state=0, solver="gd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    history = reg.history_
    assert set(history) >= {"objective", "n_alive", "time", "step"}
    assert all(len(v) == reg.n_iter_ == 50 for v in history.values())
    assert np.all(np.diff(history["time"]) > 0)
    assert 0 < history["n_alive"].min() and history["n_alive"].max() <= 8
    assert history["n_alive"].mean() == pytest.approx(8 - np.linspace(0, 0.7, 8).sum(), abs=0.5)
    assert reg.t_ == 50 * len(y) + 1


def test_same_random_state_same_model(regression_data):
    X, y = regression_data
    params = dict(stragglers=0.4, random_state=7, max_iter=100, tol=None)
    first = CodedGradientRegressor(**params).fit(X, y)
    again = CodedGradientRegressor(**params).fit(X, y)
    np.testing.assert_array_equal(again.coef_, first.coef_)
    np.testing.assert_array_equal(again.history_["objective"], first.history_["objective"])
    # another seed draws other stragglers (the fit itself, exact, does not change)
    other = CodedGradientRegressor(**{**params, "random_state": 8}).fit(X, y)
    assert not np.array_equal(other.history_["alive"], first.history_["alive"])


def test_partial_fit_and_warm_start_continue(regression_data):
    X, y = regression_data
    reg = CodedGradientRegressor(random_state=0)
    losses = []
    for _ in range(5):
        reg.partial_fit(X, y)
        losses.append(np.mean((reg.predict(X) - y) ** 2))
    assert np.all(np.diff(losses) < 0) and reg.t_ == 5 * len(y) + 1
    warm = CodedGradientRegressor(max_iter=3, tol=None, warm_start=True, random_state=0,
                                  solver="gd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = np.mean((warm.fit(X, y).predict(X) - y) ** 2)
        second = np.mean((warm.fit(X, y).predict(X) - y) ** 2)
    assert second < first
    # Newton steps too start from the previous fit: its first objective is the last one's
    newton = CodedGradientRegressor(max_iter=1, tol=None, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cold = newton.fit(X, y).history_["objective"][0]
        ended = np.mean((newton.predict(X) - y) ** 2) / 2 + 0.5 * newton.alpha * np.sum(
            newton.coef_**2)
        warm_start = newton.fit(X, y).history_["objective"][0]
    assert warm_start == pytest.approx(ended, rel=1e-9) and warm_start < cold


def test_partial_fit_classifier_needs_classes(binary_data):
    X, y = binary_data
    clf = CodedGradientClassifier(loss="log_loss")
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    clf.partial_fit(X, y, classes=[0, 1]).partial_fit(X, y)
    assert clf.score(X, y) > 0.6


def test_early_stopping_stops_on_validation_score(regression_data):
    X, y = regression_data
    reg = CodedGradientRegressor(early_stopping=True, tol=1e-3, random_state=0).fit(X, y)
    assert reg.n_iter_ < 1000 and reg.score(X, y) > 0.9


@pytest.mark.parametrize("learning_rate", ["constant", "optimal", "invscaling", "adaptive"])
def test_sgd_schedules_reduce_the_objective(regression_data, learning_rate):
    X, y = regression_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = CodedGradientRegressor(learning_rate=learning_rate, eta0=0.05, alpha=0.1,
                                     random_state=0, max_iter=300).fit(X, y)
    objective = reg.history_["objective"]
    assert objective[-1] < 0.5 * objective[0]


def test_coef_and_intercept_init(binary_data):
    X, y = binary_data
    clf = CodedGradientClassifier(max_iter=1, tol=None, learning_rate="constant", eta0=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, coef_init=np.ones((1, 6)), intercept_init=[2.0])
    np.testing.assert_allclose(clf.coef_, 1.0, rtol=1e-9)
    np.testing.assert_allclose(clf.intercept_, 2.0, rtol=1e-9)
