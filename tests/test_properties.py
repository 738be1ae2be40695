"""Property-based tests (hypothesis) of the codes and the estimators.

Derandomized (a fixed sequence of examples), so CI is reproducible; no deadline (a loaded
machine must not fail a test for being slow).
"""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skgc import CodedGradientClassifier, CodedGradientRegressor
from skgc.coding import CODE_NAMES, make_code

FAST = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=15, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])

#: Codes whose coefficients are unbiased for heterogeneous probabilities (p < 1).
UNBIASED = ("optimal", "song_choi", "ignore_unbiased", "cyclic")
#: Codes that recover g exactly with up to ``load - 1`` stragglers.
EXACT = ("frc", "cyclic")
#: Probabilities including the extremes 0, 1e-12 and 1 - 1e-12.
PROBS = st.one_of(st.sampled_from([0.0, 1e-12, 1 - 1e-12, 0.5]),
                  st.floats(0.0, 0.99, allow_nan=False))


@st.composite
def code_problem(draw, names=CODE_NAMES, max_workers=9, p_below_one=True):
    n_workers = draw(st.integers(1, max_workers))
    n_partitions = draw(st.integers(1, 2 * n_workers))
    p = np.array(draw(st.lists(PROBS, min_size=n_workers, max_size=n_workers)))
    if not p_below_one:
        p = np.where(np.array(draw(st.lists(st.booleans(), min_size=n_workers,
                                            max_size=n_workers))), 1.0, p)
        if (p == 1).all():
            p[0] = 0.5
    name = draw(st.sampled_from(names))
    load = draw(st.one_of(st.none(), st.integers(1, min(n_workers, n_partitions))))
    if load is not None and load * n_workers < n_partitions:
        load = None
    return name, n_workers, n_partitions, p, load, draw(st.integers(0, 2**16))


def _make(name, n_workers, n_partitions, p, load, seed):
    if name == "song_choi":
        load = None
    return make_code(name, n_workers, n_partitions, load=load, straggler_probs=p,
                     random_state=seed)


@FAST
@given(code_problem(names=UNBIASED))
def test_unbiased_codes_have_unit_weighted_column_sums(problem):
    code = _make(*problem)
    p = problem[3]
    np.testing.assert_allclose((1.0 - p) @ code.coefficients, 1.0, rtol=1e-9, atol=1e-9)


@FAST
@given(code_problem(names=("sgc",)), st.floats(0.0, 0.99))
def test_sgc_is_unbiased_for_homogeneous_probabilities(problem, q):
    name, n_workers, n_partitions, _, load, seed = problem
    p = np.full(n_workers, q)
    code = _make(name, n_workers, n_partitions, p, load, seed)
    np.testing.assert_allclose((1.0 - p) @ code.coefficients, 1.0, rtol=1e-9)


@FAST
@given(code_problem(names=EXACT, max_workers=8))
def test_exact_codes_recover_g_with_up_to_s_stragglers(problem):
    name, n_workers, n_partitions, p, load, seed = problem
    code = _make(name, n_workers, n_partitions, p, load, seed)
    s = code.tolerated_stragglers
    for n_lost in range(s + 1):
        for lost in itertools.combinations(range(n_workers), n_lost):
            alive = np.ones(n_workers, dtype=bool)
            alive[list(lost)] = False
            assert not code.falls_back(alive)
            np.testing.assert_allclose(code.partition_weights(alive), 1.0, atol=1e-9)


@FAST
@given(code_problem(p_below_one=False))
def test_every_code_has_finite_coefficients_and_errors(problem):
    try:
        code = _make(*problem)
    except ValueError as exc:  # a partition only never-answering workers hold
        assert "partition" in str(exc)
        return
    assert np.isfinite(code.coefficients).all()
    for proxy in ("independent", "coherent"):
        assert np.isfinite(code.residual_error(proxy)) and code.residual_error(proxy) >= 0
    alive = code.straggler_probs < 0.5
    assert np.isfinite(code.partition_weights(alive)).all()


# -- estimators ----------------------------------------------------------------------


@st.composite
def regression_problem(draw):
    n_samples = draw(st.integers(8, 40))
    n_features = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    X[rng.random(X.shape) < draw(st.sampled_from([0.0, 0.5]))] = 0.0
    y = X @ rng.normal(size=n_features) + 0.1 * rng.normal(size=n_samples)
    weight = draw(st.one_of(st.none(), st.just("integers")))
    if weight is not None:
        weight = rng.integers(0, 4, size=n_samples).astype(float)
        weight[0] = 1.0
    return X, y, weight, draw(st.integers(1, 6)), seed


@SLOW
@given(regression_problem(), st.sampled_from([np.float64, np.float32]))
def test_regressor_dense_equals_sparse_on_random_problems(problem, dtype):
    X, y, weight, n_workers, seed = problem
    params = dict(n_workers=n_workers, max_iter=15, tol=None, random_state=seed,
                  stragglers=0.3)
    dense = CodedGradientRegressor(**params).fit(X.astype(dtype), y, sample_weight=weight)
    sparse = CodedGradientRegressor(**params).fit(sp.csr_matrix(X.astype(dtype)), y,
                                                  sample_weight=weight)
    assert dense.coef_.shape == (X.shape[1],) and np.isfinite(dense.coef_).all()
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=rtol, atol=rtol)
    assert dense.predict(X).shape == (X.shape[0],)


@SLOW
@given(regression_problem())
def test_integer_sample_weights_equal_repeated_rows(problem):
    # without stragglers every iteration is the exact full gradient, whatever the partitions.
    # SGD's objective (1/n) sum_i s_i loss_i + alpha R(w) has n rows weighted and n' rows
    # repeated: the same run once the step is scaled by n'/n and alpha by n/n'.
    X, y, weight, n_workers, seed = problem
    if weight is None:
        weight = np.arange(len(y)) % 3.0
        weight[0] = 1.0
    repeat = weight.astype(int)
    ratio = repeat.sum() / len(y)
    params = dict(n_workers=n_workers, max_iter=10, tol=None, random_state=seed,
                  learning_rate="constant")
    weighted = CodedGradientRegressor(eta0=0.05, **params).fit(X, y, sample_weight=weight)
    repeated = CodedGradientRegressor(eta0=0.05 * ratio, alpha=1e-4 / ratio, **params).fit(
        np.repeat(X, repeat, axis=0), np.repeat(y, repeat))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-9,
                               atol=1e-10)


@SLOW
@given(st.integers(2, 4), st.integers(12, 40), st.integers(0, 2**16),
       st.sampled_from(["hinge", "log_loss", "modified_huber"]), st.booleans())
def test_classifier_on_random_labels(n_classes, n_samples, seed, loss, sparse_input):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 3))
    labels = np.array(["a", "b", "c", "d"])[:n_classes]
    y = labels[np.arange(n_samples) % n_classes]
    rng.shuffle(y)
    clf = CodedGradientClassifier(loss=loss, n_workers=3, max_iter=10, tol=None,
                                  stragglers=0.2, random_state=seed)
    clf.fit(sp.csr_matrix(X) if sparse_input else X, y)
    assert list(clf.classes_) == list(labels)
    assert clf.coef_.shape == (1 if n_classes == 2 else n_classes, 3)
    assert np.isfinite(clf.coef_).all() and np.isfinite(clf.intercept_).all()
    assert set(clf.predict(X)) <= set(labels)
    if loss != "hinge":
        proba = clf.predict_proba(X)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        assert ((proba >= 0) & (proba <= 1)).all()


@pytest.mark.parametrize("name", CODE_NAMES)
def test_extreme_probabilities_in_a_fit(name, regression_data):
    X, y = regression_data
    p = np.array([0.0, 1e-12, 1 - 1e-12, 0.3, 0.5, 1e-12, 1 - 1e-12, 0.0])
    reg = CodedGradientRegressor(n_workers=8, code=name, stragglers=p, max_iter=20,
                                 tol=None, random_state=0)
    with np.errstate(all="raise"):
        reg.fit(X, y)
    assert np.isfinite(reg.coef_).all() and np.isfinite(reg.history_["objective"]).all()
    assert np.isfinite(reg.code_.coefficients).all()


@pytest.mark.parametrize("name", ["optimal", "song_choi", "sgc", "frc"])
def test_a_1000_worker_code_builds_and_is_correct(name):
    p = np.random.default_rng(0).uniform(0.05, 0.5, 1000)
    if name == "sgc":
        p = np.full(1000, 0.2)
    code = make_code(name, 1000, straggler_probs=p, random_state=0)
    assert code.coefficients.shape == (1000, 1000) and code.allocation.any(axis=0).all()
    if name == "frc":  # every group answers: exact
        alive = np.ones(1000, dtype=bool)
        alive[::2] = False
        np.testing.assert_allclose(code.partition_weights(alive), 1.0, atol=1e-10)
    else:
        np.testing.assert_allclose((1.0 - p) @ code.coefficients, 1.0, rtol=1e-9)
