"""Code objects: decoding, unbiasedness, residual error (closed form vs Monte Carlo)."""

import numpy as np
import pytest

from skgc.coding import (
    CODE_NAMES,
    FullCode,
    GradientCode,
    IgnoreCode,
    make_code,
    song_choi_code,
)

P_HET = np.array([0.05, 0.1, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
N_DRAWS = 20000


def _draw_betas(code, p, seed):
    rng = np.random.default_rng(seed)
    alive = rng.random((N_DRAWS, code.n_workers)) >= p
    return np.array([code.partition_weights(a) for a in alive])


@pytest.mark.parametrize("name", CODE_NAMES)
def test_attributes(name):
    code = make_code(name, 8, n_partitions=8, straggler_probs=P_HET)
    assert isinstance(code, GradientCode)
    assert code.name == name
    assert code.n_workers == 8 and code.n_partitions == 8
    assert code.allocation.dtype == bool and code.allocation.shape == (8, 8)
    assert code.coefficients.shape == (8, 8)
    assert np.all(code.coefficients[~code.allocation] == 0)
    np.testing.assert_array_equal(code.loads, code.allocation.sum(axis=1))
    np.testing.assert_array_equal(code.straggler_probs, P_HET)
    assert code.waits_for_all == (name == "full")
    assert name in repr(code)
    assert code.expected_residual_error == code.residual_error("independent")


@pytest.mark.parametrize("name", ["optimal", "song_choi"])
def test_unbiased_identity(name):
    code = make_code(name, 8, n_partitions=11, straggler_probs=P_HET)
    np.testing.assert_allclose((1 - P_HET) @ code.coefficients, 1.0, rtol=1e-12)


@pytest.mark.parametrize("name", ["optimal", "song_choi", "ignore"])
@pytest.mark.parametrize("proxy", ["independent", "coherent"])
def test_monte_carlo_matches(name, proxy):
    code = make_code(name, 8, n_partitions=8, straggler_probs=P_HET)
    betas = _draw_betas(code, P_HET, seed=1)
    if name != "ignore":
        mean = betas.mean(axis=0)
        se = betas.std(axis=0, ddof=1) / np.sqrt(N_DRAWS)
        assert np.all(np.abs(mean - 1) <= 4 * se)
    if proxy == "independent":
        errs = ((betas - 1) ** 2).sum(axis=1)
    else:
        errs = (betas.sum(axis=1) - code.n_partitions) ** 2
    if name == "ignore" and proxy == "coherent":
        # sum_k beta_k = K unless every worker straggles
        assert code.residual_error(proxy) == pytest.approx(64 * np.prod(P_HET))
        return
    se = errs.std(ddof=1) / np.sqrt(N_DRAWS)
    assert abs(errs.mean() - code.residual_error(proxy)) <= 4 * se + 1e-12


def test_ignore_is_biased_under_heterogeneity():
    code = make_code("ignore", 8, straggler_probs=P_HET)
    betas = _draw_betas(code, P_HET, seed=2)
    # reliable worker 0's partition is over-weighted, unreliable worker 7's under
    assert betas[:, 0].mean() > 1.2 and betas[:, 7].mean() < 0.6


def test_ignore_decode():
    code = make_code("ignore", 4, straggler_probs=[0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(code.decode([True, False, True, False]), [2, 0, 2, 0])
    np.testing.assert_array_equal(code.decode(np.zeros(4, bool)), 0.0)
    # homogeneous p: unbiased in expectation given someone is alive
    code = make_code("ignore", 5, straggler_probs=np.full(5, 0.3))
    assert code.residual_error("independent") > 0


def test_ignore_monte_carlo_above_enumeration_limit():
    p = np.linspace(0.05, 0.6, 14)
    code = make_code("ignore", 14, straggler_probs=p)
    err = code.residual_error()
    assert err == code.residual_error()  # seeded
    betas = _draw_betas(code, p, seed=5)
    errs = ((betas - 1) ** 2).sum(axis=1)
    assert abs(errs.mean() - err) <= 6 * errs.std() / np.sqrt(N_DRAWS)


@pytest.mark.parametrize("k", [3, 5, 12])
def test_full_recovers_exactly(k):
    code = make_code("full", 5, n_partitions=k, straggler_probs=[0.9, 0.1, 0.5, 0.5, 0.2])
    rng = np.random.default_rng(0)
    for _ in range(10):
        alive = rng.random(5) < 0.5
        np.testing.assert_allclose(code.partition_weights(alive), 1.0)
    assert code.residual_error("independent") == 0.0
    assert code.residual_error("coherent") == 0.0
    assert code.allocation.any(axis=0).all()


def test_full_and_ignore_share_allocation():
    full = make_code("full", 6, n_partitions=9)
    ign = make_code("ignore", 6, n_partitions=9)
    np.testing.assert_array_equal(full.allocation, ign.allocation)
    np.testing.assert_array_equal(full.coefficients, ign.coefficients)
    assert isinstance(full, FullCode) and isinstance(ign, IgnoreCode)


def test_full_with_load_uses_cyclic():
    code = make_code("full", 4, load=2)
    np.testing.assert_array_equal(code.loads, 2)
    np.testing.assert_allclose(code.coefficients[code.allocation], 0.5)


def test_optimal_default_load_and_residual_closed_form():
    code = make_code("optimal", 8, straggler_probs=P_HET)
    np.testing.assert_array_equal(code.loads, 2)
    r = (1 - P_HET) / P_HET
    assert code.expected_residual_error == pytest.approx(np.sum(1 / (r @ code.allocation)))
    wide = make_code("optimal", 3, n_partitions=9, straggler_probs=[0.1, 0.2, 0.3])
    np.testing.assert_array_equal(wide.loads, 3)
    one = make_code("optimal", 3, n_partitions=1, straggler_probs=[0.1, 0.2, 0.3])
    np.testing.assert_array_equal(one.loads, 1)


def test_residual_error_with_other_p():
    code = make_code("optimal", 8, straggler_probs=P_HET)
    assert code.residual_error(p=np.zeros(8)) > 0  # bias from mismatched p
    code0 = make_code("optimal", 8)
    assert code0.residual_error() == 0.0
    np.testing.assert_allclose(code0.partition_weights(np.ones(8, bool)), 1.0)


def test_default_no_stragglers():
    for name in CODE_NAMES:
        code = make_code(name, 4)
        np.testing.assert_array_equal(code.straggler_probs, 0.0)
        assert code.expected_residual_error == pytest.approx(0.0, abs=1e-12)


def test_extreme_probabilities_codes():
    p = np.array([1e-12, 1 - 1e-12, 0.5, 0.0, 1.0])
    for name in CODE_NAMES:
        code = make_code(name, 5, straggler_probs=p)
        assert np.isfinite(code.coefficients).all()
        err = code.residual_error()
        assert np.isfinite(err) and err >= 0
        if name in ("optimal", "song_choi"):
            np.testing.assert_allclose((1 - p) @ code.coefficients, 1.0, rtol=1e-9)
        if name == "song_choi":
            assert err < 1e-9  # worker 3 never straggles and takes everything
        if name == "optimal":
            # exact partitions contribute 0, the others 1 / R_k
            r = np.array([1e12, 1e-12, 1.0, np.inf, 0.0])
            R = np.where(code.allocation, r[:, None], 0.0).sum(axis=0)
            assert err == pytest.approx(np.sum(1 / R), rel=1e-9)


def test_make_code_passthrough_and_shape_check():
    code = song_choi_code(P_HET)
    assert make_code(code, 8) is code
    assert make_code(code, 8, n_partitions=8) is code
    with pytest.raises(ValueError, match="n_workers"):
        make_code(code, 7)
    with pytest.raises(ValueError, match="n_partitions"):
        make_code(code, 8, n_partitions=9)


def test_custom_code():
    A = np.array([[1, 1], [0, 1]], bool)
    C = np.array([[2.0, 1.0], [0.0, 1.0]])
    code = GradientCode(A, C, straggler_probs=[0.5, 0.5])
    # bias (0, 0) on partition 1, bias 0 on partition 0: unbiased -> closed form
    assert code.residual_error() == pytest.approx(0.25 * 5 + 0.25 * 1)
    assert code.residual_error("coherent") == pytest.approx(0.25 * 9 + 0.25 * 1)
    with pytest.raises(ValueError, match="p"):
        GradientCode(A, C).residual_error()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(name="nope", n_workers=3), "optimal"),
        (dict(name="optimal", n_workers=3, load=4), "load"),
        (dict(name="optimal", n_workers=3, load=0), "load"),
        (dict(name="optimal", n_workers=3, straggler_probs=[0.1, 0.2]), "straggler_probs"),
        (dict(name="song_choi", n_workers=3, straggler_probs=[1, 1, 1]), "straggler_probs"),
        (dict(name="full", n_workers=3, straggler_probs=[0.1, -0.1, 0.2]), "straggler_probs"),
        (dict(name="ignore", n_workers=0), "n_workers"),
        (dict(name="ignore", n_workers=3, n_partitions=0), "n_partitions"),
    ],
)
def test_make_code_bad_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_code(**kwargs)


@pytest.mark.parametrize("name", CODE_NAMES)
def test_bad_alive_and_proxy(name):
    code = make_code(name, 4, straggler_probs=[0.1, 0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match="alive"):
        code.decode([True, False])
    with pytest.raises(ValueError, match="alive"):
        code.partition_weights([0.5, 1, 1, 1])
    with pytest.raises(ValueError, match="proxy"):
        code.residual_error("bogus")
    with pytest.raises(ValueError, match="p"):
        code.residual_error(p=[0.1, 0.2])


def test_bad_custom_code():
    A = np.ones((2, 2), bool)
    with pytest.raises(ValueError, match="coefficients"):
        GradientCode(A, np.ones((2, 3)))
    with pytest.raises(ValueError, match="coefficients"):
        GradientCode(np.eye(2, dtype=bool), np.ones((2, 2)))
    with pytest.raises(ValueError, match="allocation"):
        GradientCode(np.ones(2, bool), np.ones(2))


def test_the_default_optimal_design_is_built_once_and_cannot_be_changed():
    """Refits (a grid search, a cross-validation) reuse the default code; its arrays are
    read-only, and other probabilities get a design of their own."""
    from skgc.coding._optimal import _default_code

    first = make_code("optimal", 8, straggler_probs=P_HET)
    hits = _default_code.cache_info().hits
    again = make_code("optimal", 8, straggler_probs=P_HET)
    assert _default_code.cache_info().hits == hits + 1
    np.testing.assert_array_equal(first.coefficients, again.coefficients)
    with pytest.raises(ValueError, match="read-only"):
        again.coefficients[0, 0] = 1.0
    other = make_code("optimal", 8, straggler_probs=P_HET[::-1])
    assert not np.array_equal(other.allocation, first.allocation)
