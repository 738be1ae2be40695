"""Drop-in parity with SGDRegressor / SGDClassifier (issue 13).

Each test runs the same call on scikit-learn's estimator and on ours and compares what
happens: the error (type and message), the warning, the fitted attributes' dtypes or the
model. ``X``/``y`` are the issue's toy problem.
"""

import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.base import is_classifier
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge, SGDClassifier, SGDRegressor
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils._param_validation import InvalidParameterError

from skgc import CodedGradientClassifier, CodedGradientRegressor
from skgc.objective import Penalty
from skgc.solver import StepSchedule

X = np.array([[-2, -1], [-1, -1], [-1, -2], [1, 1], [1, 2], [2, 1]], dtype=float)
Y = np.array([1, 1, 1, 2, 2, 2])

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore:n_workers=8 is more than the number of samples"),
]

PAIRS = [(SGDRegressor, CodedGradientRegressor), (SGDClassifier, CodedGradientClassifier)]
PAIR_IDS = ["regressor", "classifier"]


def _error(call):
    """``(type, message)`` of the exception ``call()`` raises (``(None, "")`` if none)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call()
    except Exception as exc:  # noqa: BLE001 - the point is to compare any exception
        return type(exc), str(exc)
    return None, ""


def _warnings(call):
    """Categories and messages of the warnings ``call()`` emits."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return {(w.category, str(w.message)) for w in caught}


def _fit(estimator, X, y):
    return estimator.fit(X, y)


def _partial_fit(estimator, X, y):
    """``partial_fit``, with ``classes`` for a classifier."""
    if is_classifier(estimator):
        return estimator.partial_fit(X, y, classes=np.unique(y))
    return estimator.partial_fit(X, y)


def _same_error(sgd_call, ours_call):
    """Both calls raise the same exception type; ours starts with SGD's message."""
    sgd_type, sgd_message = _error(sgd_call)
    ours_type, ours_message = _error(ours_call)
    assert sgd_type is not None
    assert ours_type is sgd_type, (ours_type, ours_message)
    assert ours_message.startswith(sgd_message.strip()), (ours_message, sgd_message)


# -- 1. l1_ratio=None with the elastic net -------------------------------------------

@pytest.mark.parametrize("sgd, ours", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("method", [_fit, _partial_fit])
def test_elasticnet_without_l1_ratio_is_a_value_error(sgd, ours, method):
    params = dict(penalty="elasticnet", l1_ratio=None)
    _same_error(lambda: method(sgd(**params), X, Y), lambda: method(ours(**params), X, Y))


@pytest.mark.parametrize("sgd, ours", PAIRS, ids=PAIR_IDS)
def test_l1_ratio_none_is_fine_without_elasticnet(sgd, ours):
    assert _error(lambda: ours(l1_ratio=None, max_iter=5).fit(X, Y)) == (None, "")
    assert _error(lambda: sgd(l1_ratio=None, max_iter=5).fit(X, Y)) == (None, "")


# -- 2. negative power_t ---------------------------------------------------------------

def _future_warnings(caught):
    return {message for category, message in caught if category is FutureWarning}


@pytest.mark.parametrize("sgd, ours", PAIRS, ids=PAIR_IDS)
def test_negative_power_t_gives_sgds_future_warning(sgd, ours):
    params = dict(power_t=-1.0, max_iter=5, learning_rate="invscaling")
    expected = _future_warnings(_warnings(lambda: sgd(**params).fit(X, Y)))
    assert len(expected) == 1
    assert _future_warnings(_warnings(lambda: ours(**params).fit(X, Y))) == expected


@pytest.mark.parametrize("sgd, ours", PAIRS, ids=PAIR_IDS)
def test_non_negative_power_t_gives_no_future_warning(sgd, ours):
    params = dict(power_t=0.5, max_iter=5)
    assert _future_warnings(_warnings(lambda: ours(**params).fit(X, Y))) == set()


# -- 3. early_stopping with partial_fit ------------------------------------------------

@pytest.mark.parametrize("sgd, ours", PAIRS, ids=PAIR_IDS)
def test_early_stopping_with_partial_fit_is_refused(sgd, ours):
    _same_error(lambda: _partial_fit(sgd(early_stopping=True), X, Y),
                lambda: _partial_fit(ours(early_stopping=True), X, Y))


# -- 11. error messages ----------------------------------------------------------------

@pytest.mark.parametrize("sgd, ours", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("init", [{"coef_init": np.zeros(3)},
                                  {"intercept_init": np.zeros(3)}], ids=["coef", "intercept"])
def test_wrong_init_shapes_are_reported_in_sgds_words(sgd, ours, init):
    _same_error(lambda: sgd().fit(X, Y, **init), lambda: ours().fit(X, Y, **init))


@pytest.mark.parametrize("init", [{"coef_init": np.zeros((2, 2))},
                                  {"intercept_init": np.zeros(2)}], ids=["coef", "intercept"])
def test_wrong_multiclass_init_shapes_are_reported_in_sgds_words(init):
    y3 = np.array([0, 0, 1, 1, 2, 2])
    _same_error(lambda: SGDClassifier().fit(X, y3, **init),
                lambda: CodedGradientClassifier().fit(X, y3, **init))


def test_binary_coef_init_may_be_flat_as_in_sgd():
    clf = CodedGradientClassifier(max_iter=1, eta0=1e-9, learning_rate="constant")
    clf.fit(X, Y, coef_init=np.array([1.0, 2.0]))
    np.testing.assert_allclose(clf.coef_, [[1.0, 2.0]], atol=1e-6)


def test_balanced_class_weight_with_partial_fit_in_sgds_words():
    _same_error(
        lambda: SGDClassifier(class_weight="balanced").partial_fit(X, Y, classes=[1, 2]),
        lambda: CodedGradientClassifier(class_weight="balanced").partial_fit(
            X, Y, classes=[1, 2]),
    )


@pytest.mark.parametrize("sgd, ours", PAIRS, ids=PAIR_IDS)
def test_warm_start_keeps_the_intercept_when_only_coef_init_is_given(sgd, ours):
    est = ours(warm_start=True, max_iter=1, learning_rate="constant", eta0=1e-9)
    est.fit(X, Y, intercept_init=np.full(1, 3.0))
    est.fit(X, Y, coef_init=np.zeros((1, 2)) if ours is CodedGradientClassifier else
            np.zeros(2))
    np.testing.assert_allclose(est.intercept_, [3.0], atol=1e-6)


@pytest.mark.parametrize("sgd, ours", PAIRS, ids=PAIR_IDS)
def test_intercept_init_is_kept_without_fit_intercept(sgd, ours):
    params = dict(fit_intercept=False, max_iter=5)
    expected = sgd(**params).fit(X, Y, intercept_init=np.full(1, 3.0)).intercept_
    got = ours(**params).fit(X, Y, intercept_init=np.full(1, 3.0)).intercept_
    np.testing.assert_array_equal(got, expected)


# -- 5. learning_rate="optimal" without an l2 penalty ------------------------------------

@pytest.mark.parametrize("penalty", ["l1", None])
@pytest.mark.parametrize("sgd, ours", PAIRS, ids=PAIR_IDS)
def test_optimal_learning_rate_without_l2_fits(sgd, ours, penalty):
    params = dict(learning_rate="optimal", penalty=penalty, max_iter=50, random_state=0)
    reference = sgd(**params).fit(X, Y)
    est = ours(**params).fit(X, Y)
    assert np.all(np.isfinite(est.coef_))
    assert est.score(X, Y) >= min(reference.score(X, Y), 0.9)


def test_optimal_step_uses_alpha_whatever_the_penalty():
    schedule = StepSchedule("optimal", 0.01, 0.5, 1.0, 0.0, True, optimal_init=10.0,
                            alpha=0.1)
    assert schedule(1) == pytest.approx(1.0 / (0.1 * 10.0))
    assert schedule(3) == pytest.approx(1.0 / (0.1 * 12.0))


# -- 6. a large constant step with a strong l2 penalty -----------------------------------

@pytest.mark.parametrize("sgd, ours", PAIRS, ids=PAIR_IDS)
def test_strong_l2_with_a_large_constant_step_stays_near_zero(sgd, ours):
    X_iris, y_iris = load_iris(return_X_y=True)
    params = dict(learning_rate="constant", eta0=0.1, alpha=1e5, penalty="l2", max_iter=6)
    caught = _warnings(lambda: ours(**params).fit(X_iris, y_iris))
    assert {category for category, _ in caught} <= {ConvergenceWarning}
    est = ours(**params).fit(X_iris, y_iris)
    # the penalised optimum is within alpha^-1 of zero; an explicit l2 step gave ~1e19
    assert np.abs(est.coef_).max() < 1e-3


def test_proximal_step_is_the_exact_prox_of_the_penalty():
    rng = np.random.RandomState(0)
    coef, grad = rng.randn(4), rng.randn(4)
    penalty, step = Penalty(2.0, 0.3), 5.0
    point = coef - step * grad

    def model(v):
        return ((v - point) ** 2).sum() / (2 * step) + penalty.value(v)

    exact = minimize(model, np.zeros(4), method="Powell", options={"xtol": 1e-10}).x
    np.testing.assert_allclose(penalty.proximal_step(coef, grad, step), exact, atol=1e-6)


# -- 7. overflow ---------------------------------------------------------------------------

_OVERFLOW = (r"^Floating-point under-/overflow occurred at epoch #\d+\. Scaling input data "
             r"with StandardScaler or MinMaxScaler might help\.")


@pytest.mark.parametrize("errstate", ["warn", "raise"])
def test_overflowing_data_raise_sgds_value_error(errstate, capfd):
    with np.errstate(all=errstate):
        _same_error(lambda: SGDClassifier(loss="squared_error").fit(X * 1e300, Y),
                    lambda: CodedGradientClassifier(loss="squared_error").fit(X * 1e300, Y))
        _same_error(lambda: SGDRegressor().fit(X * 1e300, Y),
                    lambda: CodedGradientRegressor().fit(X * 1e300, Y))
    captured = capfd.readouterr()
    assert "DLASCL" not in captured.out + captured.err


@pytest.mark.parametrize("errstate", ["warn", "raise"])
def test_squared_hinge_on_overflowing_data_is_a_value_error(errstate, capfd):
    # SGD's per-sample steps saturate here and return coefficients near 1e300; the
    # full-batch objective overflows and says so in SGD's words
    with np.errstate(all=errstate), pytest.raises(ValueError, match=_OVERFLOW):
        CodedGradientClassifier(loss="squared_hinge").fit(X * 1e300, Y)
    captured = capfd.readouterr()
    assert "DLASCL" not in captured.out + captured.err


def test_overflow_during_the_descent_names_the_epoch():
    est = CodedGradientClassifier(loss="squared_hinge", learning_rate="optimal")
    with pytest.raises(ValueError, match=_OVERFLOW):
        est.fit(X * 1e300, Y)


def test_errstate_raise_does_not_break_an_ordinary_fit():
    with np.errstate(all="raise"):
        clf = CodedGradientClassifier(loss="log_loss", max_iter=200, random_state=0)
        assert clf.fit(X * 50.0, Y).score(X, Y) == 1.0


# -- 10. the objective's weighting ---------------------------------------------------------

def _ridge_like(sample_weight, alpha=0.1):
    rng = np.random.RandomState(0)
    X_r = rng.randn(40, 3)
    y_r = X_r @ [1.0, -2.0, 0.5] + 0.3 * rng.randn(40)
    reg = CodedGradientRegressor(alpha=alpha, tol=1e-12, max_iter=5000, random_state=0)
    ridge = Ridge(alpha=alpha * len(y_r)).fit(X_r, y_r, sample_weight=sample_weight)
    return reg.fit(X_r, y_r, sample_weight=sample_weight).coef_, ridge.coef_


@pytest.mark.parametrize("scale", [1.0, 10.0])
def test_weighted_objective_is_sgds_mean_over_samples(scale):
    # (1/n) sum_i s_i loss_i + alpha/2 ||w||^2 is Ridge's objective with alpha * n
    weight = scale * np.random.RandomState(1).uniform(0.5, 2.0, 40)
    ours, ridge = _ridge_like(weight)
    np.testing.assert_allclose(ours, ridge, rtol=1e-5)


@pytest.mark.parametrize("sgd, ours", PAIRS, ids=PAIR_IDS)
def test_scaling_every_weight_changes_the_model_as_in_sgd(sgd, ours):
    # a smooth loss: the hinge's optimum on these separable points is the hard-margin one
    # for both weightings (exactly so for an exact solver)
    loss = "log_loss" if ours is CodedGradientClassifier else "squared_error"
    params = dict(alpha=0.5, max_iter=200, tol=None, random_state=0, loss=loss)

    def coef_change(estimator):
        one = estimator(**params).fit(X, Y, sample_weight=np.ones(6)).coef_
        ten = estimator(**params).fit(X, Y, sample_weight=np.full(6, 10.0)).coef_
        return np.abs(ten - one).max()

    assert coef_change(sgd) > 1e-2
    assert coef_change(ours) > 1e-2


# -- 4. float32 input ----------------------------------------------------------------------

def _dtypes(estimator, X, y):
    """dtypes of ``coef_``, ``intercept_`` and every prediction method's output."""
    estimator.fit(X, y)
    out = {"coef_": estimator.coef_.dtype, "intercept_": estimator.intercept_.dtype}
    for method in ("predict", "decision_function", "predict_proba"):
        if hasattr(estimator, method):
            out[method] = getattr(estimator, method)(X).dtype
    return out


@pytest.mark.parametrize("sgd, ours, y, loss", [
    (SGDRegressor, CodedGradientRegressor, Y.astype(float), "squared_error"),
    (SGDClassifier, CodedGradientClassifier, Y, "log_loss"),
    (SGDClassifier, CodedGradientClassifier, np.array([0, 0, 1, 1, 2, 2]), "log_loss"),
    (SGDClassifier, CodedGradientClassifier, np.array([0, 0, 1, 1, 2, 2]), "modified_huber"),
], ids=["regressor", "binary", "multiclass", "multiclass-modified-huber"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fitted_dtypes_are_sgds(sgd, ours, y, loss, dtype):
    params = dict(loss=loss, max_iter=5, random_state=0)
    Xd = X.astype(dtype)
    expected = _dtypes(sgd(**params), Xd, y)
    assert _dtypes(ours(**params), Xd, y) == expected
    if dtype is np.float32:
        assert expected["coef_"] == np.float32


def test_float32_fit_predicts_like_the_float64_fit():
    X_iris, y_iris = load_iris(return_X_y=True)
    params = dict(loss="log_loss", max_iter=100, random_state=0)
    single = CodedGradientClassifier(**params).fit(X_iris.astype(np.float32), y_iris)
    double = CodedGradientClassifier(**params).fit(X_iris, y_iris)
    # float32 predictions round the model at 1e-7; on this ill-conditioned problem (one class
    # separable, coefficients ~10) that moves the optimum by ~1e-4 relative
    np.testing.assert_array_equal(single.predict(X_iris), double.predict(X_iris))
    np.testing.assert_allclose(single.predict_proba(X_iris), double.predict_proba(X_iris),
                               atol=2e-4)
    np.testing.assert_allclose(single.coef_, double.coef_, rtol=1e-3, atol=1e-4)


# -- 8. early stopping with zero validation weights ----------------------------------------

def _zero_validation_weights(splitter, y, validation_fraction):
    split = splitter(test_size=validation_fraction, random_state=0)
    _, validation = next(split.split(np.zeros((len(y), 1)), y))
    weight = np.ones(len(y))
    weight[validation] = 0.0
    return weight


@pytest.mark.parametrize("sgd, ours, splitter", [
    (SGDRegressor, CodedGradientRegressor, ShuffleSplit),
    (SGDClassifier, CodedGradientClassifier, StratifiedShuffleSplit),
], ids=PAIR_IDS)
def test_zero_weights_on_the_validation_set_in_sgds_words(sgd, ours, splitter):
    X_iris, y_iris = load_iris(return_X_y=True)
    weight = _zero_validation_weights(splitter, y_iris, 0.2)
    params = dict(early_stopping=True, validation_fraction=0.2, random_state=0)
    _same_error(lambda: sgd(**params).fit(X_iris, y_iris, sample_weight=weight),
                lambda: ours(**params).fit(X_iris, y_iris, sample_weight=weight))


# -- 9. sparsify / densify -----------------------------------------------------------------

@pytest.mark.parametrize("sgd, ours", PAIRS, ids=PAIR_IDS)
def test_sparsify_and_densify_as_in_sgd(sgd, ours):
    params = dict(penalty="l1", alpha=0.05, max_iter=50, random_state=0)
    reference, est = sgd(**params).fit(X, Y), ours(**params).fit(X, Y)
    dense_prediction = est.predict(X)
    assert reference.sparsify() is reference and est.sparsify() is est
    assert sp.issparse(est.coef_) and est.coef_.shape == reference.coef_.shape
    np.testing.assert_allclose(est.predict(X), dense_prediction)
    assert est.densify() is est and reference.densify() is reference
    assert isinstance(est.coef_, np.ndarray) and est.coef_.shape == reference.coef_.shape
    np.testing.assert_allclose(est.predict(X), dense_prediction)


@pytest.mark.parametrize("ours", [CodedGradientRegressor, CodedGradientClassifier])
def test_partial_fit_and_warm_start_after_sparsify(ours):
    est = ours(warm_start=True, max_iter=5, random_state=0).fit(X, Y).sparsify()
    est.partial_fit(X, Y)
    assert isinstance(est.coef_, np.ndarray)
    est.sparsify().fit(X, Y)
    assert isinstance(est.coef_, np.ndarray)


@pytest.mark.parametrize("sgd, ours", PAIRS, ids=PAIR_IDS)
def test_sparsify_before_fit_is_sgds_not_fitted_error(sgd, ours):
    sgd_error, ours_error = _error(lambda: sgd().sparsify()), _error(lambda: ours().sparsify())
    assert ours_error == (sgd_error[0], sgd_error[1].replace(sgd.__name__, ours.__name__))


# -- 12. n_jobs ----------------------------------------------------------------------------

def test_n_jobs_exactly_where_sgd_has_it():
    assert ("n_jobs" in SGDClassifier().get_params()) == (
        "n_jobs" in CodedGradientClassifier().get_params())
    assert ("n_jobs" in SGDRegressor().get_params()) == (
        "n_jobs" in CodedGradientRegressor().get_params())
    np.testing.assert_allclose(
        CodedGradientClassifier(n_jobs=4, max_iter=20, random_state=0).fit(X, Y).coef_,
        CodedGradientClassifier(max_iter=20, random_state=0).fit(X, Y).coef_)


def test_readme_says_what_n_jobs_does():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "`n_jobs` is accepted" not in readme
    assert "`CodedGradientClassifier`'s `n_jobs`" in readme


# -- 13. more workers than samples ---------------------------------------------------------

def test_more_workers_than_samples_is_said():
    rng = np.random.RandomState(0)
    X_big, y_big = rng.randn(200, 2), rng.randn(200)
    with pytest.warns(UserWarning, match=r"n_workers=300 .* samples \(200\)"):
        reg = CodedGradientRegressor(n_workers=300, max_iter=3).fit(X_big, y_big)
    assert (reg.code_.n_workers, reg.code_.n_partitions) == (300, 200)


def test_explicit_partitions_are_not_warned_about():
    rng = np.random.RandomState(0)
    X_big, y_big = rng.randn(200, 2), rng.randn(200)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        CodedGradientRegressor(n_workers=300, n_partitions=100, max_iter=3,
                               tol=None).fit(X_big, y_big)


# -- beyond the list: every parameter value and combination ---------------------------------

PROBES = [-1, -0.5, 0, 0.5, 1, 1.0, 1.5, 2, 10**12, np.inf, None, True, False, "l2",
          "elasticnet", "hinge", "balanced", "bogus", {1: 2.0}]


def _accepts(estimator, name, value):
    try:
        estimator.set_params(**{name: value})._validate_params()
    except InvalidParameterError:
        return False
    return True


@pytest.mark.parametrize("sgd, ours", PAIRS, ids=PAIR_IDS)
def test_every_sgd_parameter_accepts_and_refuses_the_same_values(sgd, ours):
    differ = [(name, value) for name in sgd().get_params() for value in PROBES
              if _accepts(sgd(), name, value) != _accepts(ours(), name, value)]
    assert differ == []
    # the per-sample passive-aggressive schedules are the documented exception
    assert _accepts(sgd(), "learning_rate", "pa1") and not _accepts(ours(), "learning_rate",
                                                                    "pa1")


def _fits(call):
    return _error(call)[0] is None


@pytest.mark.parametrize("sgd, ours, losses", [
    (SGDRegressor, CodedGradientRegressor,
     ["squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive"]),
    (SGDClassifier, CodedGradientClassifier,
     ["hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron"]),
], ids=PAIR_IDS)
def test_every_loss_penalty_and_schedule_fits_where_sgd_fits(sgd, ours, losses):
    X_iris, y_iris = load_iris(return_X_y=True)
    X_iris = (X_iris - X_iris.mean(axis=0)) / X_iris.std(axis=0)
    failing = []
    for loss in losses:
        for penalty in ["l2", "l1", "elasticnet", None]:
            for rate in ["constant", "optimal", "invscaling", "adaptive"]:
                params = dict(loss=loss, penalty=penalty, learning_rate=rate, max_iter=5,
                              random_state=0)
                if _fits(lambda: sgd(**params).fit(X_iris, y_iris)) and not _fits(
                        lambda: ours(**params).fit(X_iris, y_iris)):
                    failing.append(params)
    assert failing == []
