"""Degenerate runs: workers that never answer, nobody answering, absurd sizes."""

import threading

import numpy as np
import pytest

from skgc import CodedGradientRegressor
from skgc.stragglers import FixedDelays, TraceDelays, replay_from_history

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def small_data():
    X = np.random.default_rng(0).normal(size=(40, 3))
    return X, X @ np.array([1.0, -2.0, 0.5])


def _skgc_threads():
    return [t for t in threading.enumerate() if t.name.startswith("skgc-worker")]


# -- workers that never answer (inf delays) -----------------------------------------------


@pytest.mark.parametrize("model", [FixedDelays([0.01, 0.01, np.inf, np.inf]),
                                   TraceDelays([[0.01] * 3] * 2 + [[np.inf] * 3] * 2)])
def test_never_answering_workers_are_stragglers_under_a_finite_default_deadline(
        model, small_data):
    X, y = small_data
    # half the workers never answer: the median delay is inf, the default deadline is not
    # gradient descent: a round per iteration, recorded in history_["alive"]
    est = CodedGradientRegressor(n_workers=4, n_partitions=2, load=2, stragglers=model,
                                 max_iter=5, tol=None, random_state=0, solver="gd").fit(X, y)
    assert est.deadline_ == pytest.approx(1.25 * 0.01 + 0.005)
    alive = est.history_["alive"]
    assert alive[:, :2].all() and not alive[:, 2:].any()
    np.testing.assert_array_equal(est.code_.straggler_probs, [0.0, 0.0, 1.0, 1.0])


@pytest.mark.parametrize("backend", [
    "simulated",
    pytest.param("threading", marks=pytest.mark.workers),
    pytest.param("loky", marks=pytest.mark.workers),
])
def test_nobody_ever_answering_is_refused_with_a_clear_message(backend, small_data):
    X, y = small_data
    for model in (FixedDelays([np.inf] * 4), TraceDelays(np.full((4, 5), np.inf))):
        est = CodedGradientRegressor(n_workers=4, stragglers=model, backend=backend,
                                     max_iter=3)
        with pytest.raises(ValueError, match="no worker ever answers"):
            est.fit(X, y)
        assert not hasattr(est, "coef_")


# -- nobody answered in time ----------------------------------------------------------------


@pytest.mark.workers
@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_no_answer_in_any_iteration_is_an_error_naming_the_counts(backend, small_data):
    X, y = small_data
    est = CodedGradientRegressor(n_workers=4, stragglers=0.9999, deadline=1e-9,
                                 backend=backend, max_iter=3, random_state=0, solver="gd")
    with pytest.raises(RuntimeError, match=r"no worker answered in 3 of 3 rounds; "
                                           r"the deadline \(1e-09 s\) is too short"):
        est.fit(X, y)
    assert not hasattr(est, "coef_") and not _skgc_threads()


def test_iterations_without_answers_beyond_the_codes_odds_are_reported(small_data):
    X, y = small_data
    trace = np.zeros((4, 10))
    trace[:, :3] = np.inf  # nobody answers in the first 3 of every 10 iterations
    est = CodedGradientRegressor(n_workers=4, stragglers=TraceDelays(trace), deadline=1.0,
                                 max_iter=10, tol=None, random_state=0, solver="gd")
    with pytest.warns(UserWarning, match="no worker answered in 3 of 10 rounds"):
        est.fit(X, y)
    assert np.isnan(est.history_["objective"][:3]).all()
    assert est.history_["alive"][3:].all()


def test_rare_silent_iterations_that_the_code_expects_are_not_reported(small_data):
    import warnings

    X, y = small_data
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        est = CodedGradientRegressor(n_workers=2, stragglers=0.5, max_iter=40, tol=None,
                                     random_state=0, solver="gd").fit(X, y)
    assert 0 < (~est.history_["alive"].any(axis=1)).sum() < 20


# -- sizes ------------------------------------------------------------------------------------


def test_history_of_who_answered_is_linear_in_the_workers(small_data):
    X, y = small_data
    # one boolean row per iteration (an integer bitmask per iteration cost O(n_workers^2))
    est = CodedGradientRegressor(n_workers=100_000, max_iter=3, tol=None,
                                 random_state=0).fit(X, y)
    alive = est.history_["alive"]
    assert alive.shape == (3, 100_000) and alive.dtype == bool
    # one round (every partition's Gram matrix and sums), then the master's exact model
    assert alive[0].any() and not alive[1:].any()
    replay = replay_from_history(est.history_, 100_000)
    assert replay.alive.shape == (3, 100_000)


def test_absurd_numbers_of_workers_are_refused(small_data):
    X, y = small_data
    with pytest.raises(ValueError, match=r"n_workers=1000000 with n_partitions=40.*fewer"):
        CodedGradientRegressor(n_workers=10 ** 6, max_iter=5).fit(X, y)


def test_replay_accepts_booleans_and_zeros_and_ones_only():
    record = np.array([[True, False, True], [True, True, True]])
    np.testing.assert_array_equal(replay_from_history({"alive": record}, 3).alive, record)
    np.testing.assert_array_equal(replay_from_history(record.astype(int), 3).alive, record)
    with pytest.raises(ValueError, match="booleans"):
        replay_from_history({"alive": np.where(record, 1.5, 0.0)}, 3)
    with pytest.raises(ValueError, match="records 3 workers but n_workers=4"):
        replay_from_history({"alive": record}, 4)
    with pytest.raises(ValueError, match="did not record"):
        replay_from_history({"alive": np.zeros((2, 0), bool)}, 3)


# -- divergence -------------------------------------------------------------------------------

@pytest.mark.parametrize("estimator", ["regressor"])
def test_a_diverging_step_is_sgds_overflow_error(estimator):
    from sklearn.datasets import load_diabetes

    from skgc import CodedGradientClassifier

    X, y = load_diabetes(return_X_y=True)
    if estimator == "classifier":
        est, y = CodedGradientClassifier(learning_rate="constant", eta0=1e6,
                                         random_state=0), (y > y.mean()).astype(int)
    else:
        est = CodedGradientRegressor(learning_rate="constant", eta0=1e6, random_state=0)
    with pytest.raises(ValueError, match=r"Floating-point under-/overflow occurred at epoch"):
        est.fit(X, y)
    assert not hasattr(est, "coef_")


@pytest.mark.parametrize("alpha", [1e8, 1e12])
def test_a_strong_penalty_leaves_the_intercept_at_its_optimum(alpha):
    """A huge ``alpha``: the coefficients vanish, the unpenalised intercept does not, and
    the one exact Newton step finds it (the penalty does not swamp its curvature)."""
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 5))
    y = X @ rng.normal(size=5) + 6.0 + 0.1 * rng.normal(size=500)
    big = CodedGradientRegressor(alpha=alpha, random_state=0).fit(X, y)
    ridge = Ridge(alpha=alpha * len(y), solver="svd").fit(X, y)
    assert big.intercept_[0] == pytest.approx(ridge.intercept_, rel=1e-9)
    assert np.abs(big.coef_).max() < 1e-6
    assert big.n_iter_ == 1


def _least_squares_gap(model, X, y):
    """Relative objective gap of an unpenalised fit against numpy's least squares."""
    design = np.c_[X, np.ones(len(X))]
    best = np.linalg.lstsq(design, y, rcond=None)[0]
    ours = np.append(model.coef_, model.intercept_)
    return (np.mean((design @ ours - y) ** 2) / np.mean((design @ best - y) ** 2)) - 1.0


@pytest.mark.parametrize("make_degenerate", [
    lambda X: np.c_[X, X[:, 1]],  # a duplicated feature: a flat direction
    lambda X: X * np.array([1e-7, 1.0, 1.0, 1.0, 1.0]),  # a feature at 1e-7 of the others
], ids=["duplicated feature", "badly scaled feature"])
def test_least_squares_on_degenerate_features_is_one_exact_step(make_degenerate):
    """Without a penalty, a flat or nearly flat direction of the Gram matrix neither
    stalls the fit nor moves it off the optimum."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 5))
    y = X @ rng.normal(size=5) + 6.0 + 0.1 * rng.normal(size=500)
    X = make_degenerate(X)
    model = CodedGradientRegressor(alpha=0.0, random_state=0).fit(X, y)
    assert model.n_iter_ == 1
    assert abs(_least_squares_gap(model, X, y)) < 1e-9
