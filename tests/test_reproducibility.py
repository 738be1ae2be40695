"""Reproducibility, replay of real fits in simulation, and per-iteration memory.

What holds: on the simulated backend the same ``random_state`` gives bitwise-identical
``coef_`` across runs, inside ``joblib.parallel_backend`` (threads or processes) and under
any BLAS thread limit (the fit's kernels are matrix-vector products, whose summation order
OpenBLAS does not split between threads). On a real backend the arrival order of answers
varies, but ``history_["alive"]`` records who answered in every iteration, and replaying it
in simulation gives the same model to 1e-10.
"""

import tracemalloc
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skgc import CodedGradientClassifier, CodedGradientRegressor
from skgc.plan import make_plan
from skgc.stragglers import ShiftedExponential, alive_matrix, paper_model, replay_from_history

PARAMS = dict(n_workers=6, stragglers=paper_model(6, random_state=0), max_iter=40, tol=None,
              random_state=7)


def _fit(X, y, **params):
    return CodedGradientRegressor(**{**PARAMS, **params}).fit(X, y).coef_


def _fit_in_joblib(X, y, backend, n_jobs):
    with joblib.parallel_backend(backend, n_jobs=n_jobs):
        return _fit(X, y)


@pytest.mark.workers
def test_same_random_state_same_bits_across_runs_and_joblib_settings(regression_data):
    X, y = regression_data
    reference = _fit(X, y)
    assert np.array_equal(_fit(X, y), reference)
    with joblib.parallel_backend("loky", n_jobs=2):
        assert np.array_equal(_fit(X, y), reference)
    # in other processes and threads, fitted under joblib (the way GridSearchCV fits)
    for backend in ("loky", "threading"):
        coefs = joblib.Parallel(n_jobs=2, backend=backend)(
            joblib.delayed(_fit_in_joblib)(X, y, backend, 2) for _ in range(2))
        for coef in coefs:
            assert np.array_equal(coef, reference)
    for n_threads in (1, 2):
        with threadpool_limits(n_threads):
            assert np.array_equal(_fit(X, y), reference)
    assert not np.array_equal(_fit(X, y, random_state=8), reference)


def test_classifier_sparse_bitwise_reproducible(multiclass_data):
    X, y = multiclass_data
    params = dict(n_workers=5, stragglers=0.3, max_iter=20, tol=None, random_state=3,
                  loss="log_loss")
    first = CodedGradientClassifier(**params).fit(sp.csr_matrix(X), y).coef_
    with threadpool_limits(1):
        second = CodedGradientClassifier(**params).fit(sp.csr_matrix(X), y).coef_
    assert np.array_equal(first, second)


def test_alive_matrix_decodes_bitmasks_beyond_63_workers():
    masks = np.array([1 << 70 | 0b101, 1 << 3], dtype=object)
    alive = alive_matrix({"alive": masks}, 71)
    assert alive.shape == (2, 71)
    assert set(np.flatnonzero(alive[0])) == {0, 2, 70}
    assert set(np.flatnonzero(alive[1])) == {3}


@pytest.mark.workers
@pytest.mark.timeout(60)
def test_threading_fit_replayed_in_simulation_gives_the_same_model(regression_data):
    X, y = regression_data
    # two workers are slow about half the time: the alive sets vary between iterations
    delays = ShiftedExponential([0.0] * 4 + [0.015] * 2, [5000.0] * 4 + [100.0] * 2)
    # gradient descent: one round per iteration, so history_["alive"] records every round
    params = dict(n_workers=6, deadline=0.02, max_iter=25, tol=None, random_state=0,
                  solver="gd")
    live = CodedGradientRegressor(backend="threading", stragglers=delays, **params).fit(X, y)
    assert len(np.unique(live.history_["alive"], axis=0)) > 1
    replayed = {
        "code": CodedGradientRegressor(
            stragglers=replay_from_history(live.history_, 6), code=live.code_, **params),
        "probs": CodedGradientRegressor(
            stragglers=replay_from_history(live.history_, 6, live.code_.straggler_probs),
            **params),
    }
    for model in replayed.values():
        model.fit(X, y)
        np.testing.assert_array_equal(model.history_["alive"], live.history_["alive"])
        np.testing.assert_allclose(model.coef_, live.coef_, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(model.intercept_, live.intercept_, rtol=1e-10,
                                   atol=1e-10)


def _peak_per_fit(X, y, max_iter):
    """Peak traced memory of one fit, above what was allocated before it."""
    model = CodedGradientRegressor(n_workers=8, stragglers=0.3, max_iter=max_iter, tol=None,
                                   random_state=0)
    model.fit(X[:20], y[:20])  # warm caches and imports
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        model.fit(X, y)
        return tracemalloc.get_traced_memory()[1], model
    finally:
        tracemalloc.stop()


def test_memory_per_iteration_is_constant():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 50))
    y = X @ rng.normal(size=50)
    peak_short, short = _peak_per_fit(X, y, 50)
    peak_long, long = _peak_per_fit(X, y, 200)
    assert short.n_iter_ == 50 and long.n_iter_ == 200
    history = sum(a.nbytes for a in long.history_.values())
    # measured: 1.07 MB for both (data 0.8 MB). 150 more iterations may only add their
    # history records (six Python numbers in lists, about 200 bytes an iteration, while the
    # fit runs) and allocator noise
    records = 150 * 6 * (8 + 32)
    assert abs(peak_long - peak_short) < 64 * 1024 + records, (peak_short, peak_long)
    # and the whole fit holds one shuffled copy of the data plus per-iteration vectors and
    # the Newton solver's curvature: each partition's Hessian, their coded sums per worker
    # and one transient stack (8 partitions, 8 workers, 51 x 51 blocks)
    curvature = (2 * 8 + 8) * 51**2 * 8
    assert peak_long < 2 * X.nbytes + history + curvature, (peak_long, X.nbytes)


def _fit_peak(model, X, y):
    """Peak bytes traced while ``model`` fits ``X, y`` (caches and imports warmed first)."""
    clone(model).fit(X[:50], y[:50])
    tracemalloc.start()
    try:
        model.fit(X, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("stragglers", [None, 0.3])
def test_a_fit_whose_rounds_see_every_partition_holds_no_copy_of_the_data(stragglers):
    """Every worker answers every round (simulated, no stragglers), or the solver asks for
    every partition at every iterate (Newton steps, topped up under stragglers): which
    samples a partition holds cannot change the fit, so the samples are not shuffled into
    a copy."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 50))
    y = X @ rng.normal(size=50) + rng.normal(size=20_000)
    for model, target, rtol in (
            (CodedGradientRegressor(stragglers=stragglers, random_state=0), y, 1e-9),
            (CodedGradientClassifier(loss="log_loss", stragglers=stragglers,
                                     random_state=0), y > 0, 1e-9),
            (CodedGradientClassifier(stragglers=stragglers, random_state=0), y > 0, 1e-5)):
        peak = _fit_peak(model, X, target)
        # measured: 0.02 of X (ridge), 0.27 (logistic: one partition's scaled rows and
        # per-row vectors) and HINGE (hinge)
        assert peak < 0.4 * X.nbytes, (model.loss, peak / X.nbytes)
        # the same fit on the rows in another order (the hinge's to its tol)
        permuted = rng.permutation(len(y))
        again = clone(model).fit(X[permuted], target[permuted])
        np.testing.assert_allclose(again.coef_, model.coef_, rtol=rtol, atol=1e-12)


def test_gradient_descent_under_stragglers_shuffles_the_samples():
    """Gradient descent decodes from whoever answered: under stragglers its partitions are
    iid samples, a shuffled copy of the data."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 50))
    y = (X @ rng.normal(size=50) > 0).astype(int)
    model = CodedGradientClassifier(stragglers=0.3, random_state=0, solver="gd", max_iter=3,
                                    tol=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert _fit_peak(model, X, y) > X.nbytes
    # make_plan shuffles unless told which solver runs (and every worker answers)
    assert make_plan(X, y, stragglers=0.3, random_state=0).data.order is not None
    assert make_plan(X, y, random_state=0).data.order is None
