"""The literature's codes: exact recovery, closed forms vs Monte Carlo, decodings."""

import itertools
import warnings

import numpy as np
import pytest

from skgc.coding import (
    CODE_NAMES,
    GradientCode,
    IllConditionedDecodingWarning,
    allocation_error,
    alive_statistics,
    make_code,
    min_load_allocation,
    optimal_coefficients,
)

NEW_CODES = ("ignore_unbiased", "frc", "cyclic", "erasurehead", "sgc", "bgc", "graph")
P8 = np.array([0.05, 0.1, 0.15, 0.2, 0.3, 0.35, 0.4, 0.5])
N_DRAWS = 20000


def _alive_sets_with_at_most(n, s):
    for dead in range(s + 1):
        for idx in itertools.combinations(range(n), dead):
            alive = np.ones(n, dtype=bool)
            alive[list(idx)] = False
            yield alive


@pytest.mark.parametrize("name", ["frc", "cyclic"])
@pytest.mark.parametrize("n, k, load", [(6, 6, 2), (8, 8, 3), (9, 9, 4), (12, 12, 3),
                                        (7, 11, 3), (10, 4, 3), (10, 10, 10)])
def test_exact_codes_recover_g_for_every_small_straggler_set(name, n, k, load):
    code = make_code(name, n, k, load=load, straggler_probs=np.full(n, 0.3), random_state=1)
    gradients = np.random.default_rng(0).normal(size=(k, 5))
    g = gradients.sum(axis=0)
    messages = code.coefficients @ gradients  # f_j
    for alive in _alive_sets_with_at_most(n, load - 1):
        w = code.decode(alive)
        assert np.all(w[~alive] == 0)  # only alive workers are used
        np.testing.assert_allclose(w @ messages, g, rtol=0, atol=1e-10)
        assert not code.falls_back(alive)


def test_cyclic_support_is_cyclic_and_falls_back_beyond_s():
    code = make_code("cyclic", 6, load=3, straggler_probs=np.full(6, 0.2), random_state=0)
    expected = np.array([[(k - j) % 6 < 3 for k in range(6)] for j in range(6)])
    np.testing.assert_array_equal(code.allocation, expected)
    alive = np.array([True, False, False, False, True, True])
    assert code.falls_back(alive)
    w = code.decode(alive)
    beta = w @ code.coefficients
    # least squares: no worse than any other combination of the alive rows, e.g. zero
    assert np.sum((beta - 1) ** 2) < 6
    assert np.sum((beta - 1) ** 2) > 1e-6  # not exact: 3 > s stragglers
    assert code.decode(alive) is w  # cached per alive pattern


def test_frc_falls_back_only_when_a_group_is_lost():
    code = make_code("frc", 6, load=2, straggler_probs=np.full(6, 0.5))
    assert [g.tolist() for g in code.groups] == [[0, 1], [2, 3], [4, 5]]
    # three stragglers, one per group: still exact
    alive = np.array([True, False, True, False, False, True])
    assert not code.falls_back(alive)
    np.testing.assert_allclose(code.partition_weights(alive), 1.0, atol=1e-12)
    lost = np.array([False, False, True, True, True, True])
    assert code.falls_back(lost)
    np.testing.assert_allclose(code.partition_weights(lost), [0, 0, 1, 1, 1, 1], atol=1e-12)


def test_fallback_is_recorded_in_history():
    from skgc import CodedGradientRegressor

    X = np.random.default_rng(0).normal(size=(60, 3))
    reg = CodedGradientRegressor(code="cyclic", n_workers=6, stragglers=0.5, max_iter=30,
                                 tol=None, random_state=0).fit(X, X[:, 0])
    fallback = reg.history_["fallback"]
    dead = 6 - reg.history_["n_alive"]
    np.testing.assert_array_equal(fallback, dead > 1)
    assert fallback.any() and not fallback.all()


@pytest.mark.parametrize("name", ["erasurehead", "sgc", "ignore_unbiased", "optimal",
                                  "song_choi"])
@pytest.mark.parametrize("proxy", ["independent", "coherent"])
def test_monte_carlo_matches_closed_forms(name, proxy):
    code = make_code(name, 8, straggler_probs=P8, random_state=0)
    stats = alive_statistics(code, P8, N_DRAWS, seed=3)
    # force sampling: 8 workers would otherwise be enumerated
    rng = np.random.default_rng(3)
    alive = rng.random((N_DRAWS, 8)) >= P8
    betas = np.array([code.partition_weights(a) for a in alive])
    dev = betas - 1
    errs = (dev**2).sum(axis=1) if proxy == "independent" else dev.sum(axis=1) ** 2
    se = errs.std(ddof=1) / np.sqrt(N_DRAWS)
    closed = code.residual_error(proxy)
    assert abs(errs.mean() - closed) <= 3 * se
    assert stats.error(proxy)[0] == pytest.approx(closed, rel=1e-9)  # enumeration is exact


@pytest.mark.parametrize("name", ["frc", "cyclic", "bgc", "graph"])
def test_monte_carlo_above_enumeration_limit_has_standard_error(name):
    p = np.linspace(0.05, 0.5, 14)
    code = make_code(name, 14, straggler_probs=p, random_state=0)
    reference = alive_statistics(code, p, 20000, seed=11)
    assert reference.monte_carlo
    value, se = code.alive_statistics().error("independent")
    assert se > 0
    ref_value, ref_se = reference.error("independent")
    assert abs(value - ref_value) <= 3 * np.hypot(se, ref_se)


def test_erasurehead_closed_form_formula():
    code = make_code("erasurehead", 4, load=2, straggler_probs=[0.5, 0.2, 0.1, 0.4])
    q = np.array([0.5 * 0.2, 0.1 * 0.4])  # a group lost: both its workers straggle
    # beta_k - 1 = -1 on the two partitions of a lost group
    assert code.residual_error() == pytest.approx(2 * q.sum())
    assert code.residual_error("coherent") == pytest.approx(
        4 * q.sum() + 2 * 2 * 2 * q.prod())
    np.testing.assert_allclose(code.expected_weights(), np.repeat(1 - q, 2))
    # frc enumerates and falls back to least squares, which equals erasurehead for K = N
    frc = make_code("frc", 4, load=2, straggler_probs=[0.5, 0.2, 0.1, 0.4])
    assert frc.residual_error() == pytest.approx(code.residual_error(), rel=1e-12)


def test_sgc_equals_optimal_on_the_same_allocation_for_homogeneous_p():
    p = np.full(9, 0.3)
    sgc = make_code("sgc", 9, 12, load=4, straggler_probs=p, random_state=2)
    assert (sgc.allocation.sum(axis=0) == 3).all()  # d = round(4 * 9 / 12)
    optimal = make_code("optimal", 9, 12, straggler_probs=p, allocation=sgc.allocation)
    np.testing.assert_allclose(sgc.coefficients, optimal.coefficients, rtol=1e-12)
    np.testing.assert_allclose(sgc.coefficients[sgc.allocation], 1 / (3 * 0.7))
    assert sgc.residual_error() == pytest.approx(optimal.residual_error(), rel=1e-12)
    # heterogeneous p: sgc's weights are heterogeneity-unaware, optimal's are not
    sgc_h = make_code("sgc", 8, straggler_probs=P8, random_state=2)
    opt_h = make_code("optimal", 8, straggler_probs=P8, allocation=sgc_h.allocation)
    assert opt_h.residual_error() < 0.8 * sgc_h.residual_error()


def test_sgc_is_pairwise_balanced():
    code = make_code("sgc", 6, 15, load=5, straggler_probs=np.full(6, 0.2), random_state=0)
    A = code.allocation.astype(int)
    np.testing.assert_array_equal(A.sum(axis=0), 2)
    np.testing.assert_array_equal(A.sum(axis=1), 5)
    shared = A @ A.T
    off = shared[~np.eye(6, dtype=bool)]
    assert off.max() - off.min() <= 1  # each pair shares one partition (15 pairs, 15 parts)


@pytest.mark.parametrize("name", CODE_NAMES)
def test_lstsq_never_worse_than_fixed_on_the_same_alive_set(name):
    fixed = make_code(name, 7, straggler_probs=P8[:7], random_state=0, decoding="fixed")
    lstsq = make_code(name, 7, straggler_probs=P8[:7], random_state=0, decoding="lstsq")
    np.testing.assert_array_equal(fixed.coefficients, lstsq.coefficients)
    for alive in itertools.product((False, True), repeat=7):
        alive = np.array(alive)
        r_fixed = np.linalg.norm(fixed.partition_weights(alive) - 1)
        r_lstsq = np.linalg.norm(lstsq.partition_weights(alive) - 1)
        assert r_lstsq <= r_fixed + 1e-9
    if not fixed.waits_for_all:
        assert lstsq.residual_error() <= fixed.residual_error() + 1e-12


def test_decoding_option_and_defaults():
    assert make_code("cyclic", 5).decoding == "lstsq"
    assert make_code("graph", 5).decoding == "lstsq"
    assert make_code("optimal", 5).decoding == "fixed"
    fixed_cyclic = make_code("cyclic", 5, straggler_probs=P8[:5], decoding="fixed")
    # the cyclic coefficients are scaled so that the fixed decoder is unbiased
    np.testing.assert_allclose((1 - P8[:5]) @ fixed_cyclic.coefficients, 1.0, rtol=1e-10)
    code = make_code("optimal", 5, straggler_probs=P8[:5])
    assert make_code(code, 5, decoding="lstsq").decoding == "lstsq"
    assert make_code(code, 5) is code
    with pytest.raises(ValueError, match="decoding"):
        make_code("optimal", 5, decoding="median")


def test_ill_conditioned_decoding_warns():
    C = np.array([[1.0, 1.0], [1.0, 1.0 + 1e-9]])
    code = make_code(GradientCode(C != 0, C, [0.1, 0.1]), 2, decoding="lstsq")
    with pytest.warns(IllConditionedDecodingWarning, match="ill-conditioned"):
        code.decode([True, True])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code.decode([True, True])  # cached: decoded once, warned once
        code.decode([True, False])  # one row: well conditioned


def test_cyclic_decoding_is_well_conditioned():
    code = make_code("cyclic", 12, load=4, straggler_probs=np.full(12, 0.2), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", IllConditionedDecodingWarning)
        for alive in _alive_sets_with_at_most(12, 3):
            code.decode(alive)


def test_bgc_and_graph_allocations():
    rng_p = np.full(10, 0.2)
    bgc = make_code("bgc", 10, 20, load=4, straggler_probs=rng_p, random_state=0)
    assert bgc.allocation.any(axis=0).all()
    assert abs(bgc.allocation.mean() - 4 / 20) < 0.06
    graph = make_code("graph", 10, 20, load=4, straggler_probs=rng_p, random_state=0)
    np.testing.assert_array_equal(graph.allocation.sum(axis=0), 2)
    np.testing.assert_array_equal(graph.allocation.sum(axis=1), 4)
    other = make_code("graph", 10, 20, load=4, straggler_probs=rng_p, random_state=1)
    assert (other.allocation != graph.allocation).any()  # random, seeded


def test_ignore_unbiased_weights():
    p = np.array([0.1, 0.5, 0.8])
    code = make_code("ignore_unbiased", 3, straggler_probs=p)
    np.testing.assert_allclose(np.diag(code.coefficients), 1 / (1 - p))
    assert code.residual_error() == pytest.approx(np.sum(p / (1 - p)))
    biased = make_code("ignore", 3, straggler_probs=p)
    np.testing.assert_allclose(biased.decode([True, False, True]), [1.5, 0, 1.5])


def test_optimal_allocation_strategies():
    cyc = make_code("optimal", 8, load=2, straggler_probs=P8, allocation="cyclic")
    greedy = make_code("optimal", 8, load=2, straggler_probs=P8)
    assert greedy.residual_error() < cyc.residual_error()
    target = 0.5
    ml = make_code("optimal", 8, straggler_probs=P8, allocation="min_load",
                   target_error=target)
    assert ml.residual_error() <= target
    uniform = next(load for load in range(1, 9) if make_code(
        "optimal", 8, load=load, straggler_probs=P8).residual_error() <= target)
    assert ml.loads.sum() < 8 * uniform
    assert len(set(ml.loads.tolist())) > 1  # loads differ between workers
    # one slot fewer anywhere misses the target: the greedy stopped at the first success
    r = (1 - P8) / P8
    held = np.argwhere(ml.allocation)
    drops = [allocation_error(P8, np.where(np.arange(64).reshape(8, 8) == 8 * j + k, False,
                                           ml.allocation)) for j, k in held]
    assert min(drops) > target
    assert ml.residual_error() == pytest.approx(np.sum(1 / (r @ ml.allocation)), rel=1e-12)
    np.testing.assert_allclose(ml.coefficients, optimal_coefficients(P8, ml.allocation))


def test_min_load_reaches_target_at_less_load_than_uniform():
    p = np.r_[np.full(10, 0.05), np.full(5, 0.2), np.full(5, 0.5)]
    uniform = make_code("optimal", 20, load=2, straggler_probs=p)
    target = uniform.residual_error()
    alloc = min_load_allocation(p, 20, target)
    assert allocation_error(p, alloc) <= target
    assert alloc.sum() < uniform.loads.sum()
    with pytest.raises(ValueError, match="cannot be reached"):
        min_load_allocation(p, 20, 1e-6)
    with pytest.raises(ValueError, match="target_error"):
        make_code("optimal", 20, straggler_probs=p, allocation="min_load")
    with pytest.raises(ValueError, match="optimal"):
        make_code("sgc", 20, straggler_probs=p, allocation="cyclic")


def test_min_load_with_a_never_straggling_worker():
    p = np.array([0.0, 0.5, 0.9])
    alloc = min_load_allocation(p, 4, 0.0)
    np.testing.assert_array_equal(alloc.sum(axis=1), [4, 0, 0])


@pytest.mark.parametrize("name", NEW_CODES)
def test_unequal_workers_and_partitions(name):
    for n, k in [(5, 13), (9, 3)]:
        code = make_code(name, n, k, random_state=0)  # nobody straggles
        assert code.allocation.shape == (n, k) and code.allocation.any(axis=0).all()
        np.testing.assert_allclose(code.partition_weights(np.ones(n, bool)), 1.0, atol=1e-10)
        code = make_code(name, n, k, straggler_probs=np.full(n, 0.25), random_state=0,
                         decoding="fixed")
        if name not in ("frc", "erasurehead"):  # fixed decoders: unbiased for this p
            np.testing.assert_allclose(0.75 * code.coefficients.sum(axis=0), 1.0,
                                       rtol=1e-10)
