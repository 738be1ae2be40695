"""Optimal coefficients: closed form vs numerical optimiser, limits, proxies."""

import numpy as np
import pytest
from scipy.optimize import minimize

from skgc.coding import (
    greedy_allocation,
    optimal_coefficients,
    residual_error,
)


def _random_instance(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 9))
    k = int(rng.integers(2, 2 * n + 1))
    p = rng.uniform(0.05, 0.95, n)
    allocation = np.zeros((n, k), dtype=bool)
    for j in range(n):
        load = int(rng.integers(1, k + 1))
        allocation[j, rng.choice(k, size=load, replace=False)] = True
    for col in np.flatnonzero(~allocation.any(axis=0)):
        allocation[rng.integers(n), col] = True
    return p, allocation


def _slsqp(p, allocation):
    """Minimise the independent proxy on the non-zero entries with SLSQP.

    Variables are scaled, ``x = sqrt(p (1 - p)) C``, so the objective is
    ``||x||^2``; SLSQP is restarted once from its own solution to polish it.
    """
    rows, cols = np.nonzero(allocation)
    scale = np.sqrt(p * (1 - p))[rows]
    k = allocation.shape[1]
    M = np.zeros((k, rows.size))
    M[cols, np.arange(rows.size)] = (1 - p)[rows] / scale
    x = np.ones(rows.size)
    for _ in range(2):
        res = minimize(
            lambda x: x @ x,
            x,
            jac=lambda x: 2 * x,
            constraints=[{"type": "eq", "fun": lambda x: M @ x - 1, "jac": lambda x: M}],
            method="SLSQP",
            options={"ftol": 1e-14, "maxiter": 1000},
        )
        assert res.success, res.message
        x = res.x
    C = np.zeros(allocation.shape)
    C[rows, cols] = x / scale
    return C, res.fun


@pytest.mark.parametrize("seed", range(25))
def test_closed_form_matches_slsqp(seed):
    p, allocation = _random_instance(seed)
    C = optimal_coefficients(p, allocation)
    C_num, f_num = _slsqp(p, allocation)
    f = residual_error(p, C)
    assert f == pytest.approx(f_num, rel=1e-6)
    np.testing.assert_allclose(C, C_num, rtol=1e-6, atol=1e-9)
    # closed-form minimum sum_k 1 / R_k
    r = (1 - p) / p
    R = r @ allocation
    assert f == pytest.approx(np.sum(1 / R), rel=1e-10)


@pytest.mark.parametrize("seed", range(10))
def test_unbiased_and_zero_off_allocation(seed):
    p, allocation = _random_instance(seed)
    C = optimal_coefficients(p, allocation)
    np.testing.assert_allclose((1 - p) @ C, 1.0, rtol=1e-12)
    assert np.all(C[~allocation] == 0)


def test_sanity_figure_from_design():
    p = np.r_[np.full(10, 0.05), np.full(5, 0.2), np.full(5, 0.5)]
    allocation = greedy_allocation(p, 20, 2)
    err = residual_error(p, optimal_coefficients(p, allocation))
    assert err == pytest.approx(0.93, abs=0.01)


def test_p_zero_makes_partition_exact():
    p = np.array([0.0, 0.0, 0.3, 0.6])
    allocation = np.array(
        [[1, 0, 0], [1, 1, 0], [1, 1, 1], [0, 1, 1]], dtype=bool
    )
    C = optimal_coefficients(p, allocation)
    np.testing.assert_allclose(C[:, 0], [0.5, 0.5, 0, 0])
    np.testing.assert_allclose(C[:, 1], [0, 1, 0, 0])
    # partition 2 has no p=0 holder: closed form
    r = (1 - p[2:]) / p[2:]
    np.testing.assert_allclose(C[2:, 2], (1 / p[2:]) / r.sum())
    assert residual_error(p, C[:, :2]) == 0.0


def test_p_one_workers_get_zero():
    p = np.array([1.0, 0.4, 0.2])
    allocation = np.ones((3, 2), dtype=bool)
    C = optimal_coefficients(p, allocation)
    np.testing.assert_array_equal(C[0], 0.0)
    np.testing.assert_allclose((1 - p) @ C, 1.0)
    C_ref = optimal_coefficients(p[1:], allocation[1:])
    np.testing.assert_allclose(C[1:], C_ref)


@pytest.mark.parametrize(
    "p",
    [
        [1e-12, 1 - 1e-12, 0.5],
        [1e-300, 0.3, 1 - 1e-16],
        [5e-324, 1 - 1e-12, 1 - 1e-12],
        [1 - 1e-12, 1 - 1e-12, 1 - 1e-12],
    ],
)
def test_extreme_probabilities_finite(p):
    p = np.asarray(p)
    allocation = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=bool)
    with np.errstate(over="raise", invalid="raise"):
        C = optimal_coefficients(p, allocation)
    assert np.isfinite(C).all()
    assert (C >= 0).all()
    np.testing.assert_allclose((1 - p) @ C, 1.0, rtol=1e-9)
    err = residual_error(p, C)
    assert np.isfinite(err) and err >= 0


def test_extreme_values():
    p = np.array([1e-12, 1 - 1e-12, 0.5])
    C = optimal_coefficients(p, np.ones((3, 1), dtype=bool))
    r = np.array([1e12, 1e-12 / (1 - 1e-12), 1.0])
    np.testing.assert_allclose(C[:, 0], (1 / p) / r.sum(), rtol=1e-9)
    assert C[0, 0] == pytest.approx(1.0, rel=1e-11)


def test_uncovered_partition_raises_with_indices():
    p = np.array([0.2, 1.0])
    allocation = np.array([[1, 0, 0], [0, 1, 0]], dtype=bool)
    with pytest.raises(ValueError, match=r"partition\(s\) \[1, 2\]"):
        optimal_coefficients(p, allocation)


def test_coherent_proxy():
    p = np.array([0.1, 0.5])
    C = np.array([[1.0, 2.0], [0.0, 3.0]])
    assert residual_error(p, C, "coherent") == pytest.approx(0.09 * 9 + 0.25 * 9)
    assert residual_error(p, C) == pytest.approx(0.09 * 5 + 0.25 * 9)


def test_bad_inputs():
    allocation = np.ones((2, 2), dtype=bool)
    with pytest.raises(ValueError, match="proxy"):
        residual_error([0.1, 0.2], np.ones((2, 2)), proxy="foo")
    with pytest.raises(ValueError, match="straggler_probs"):
        optimal_coefficients([0.1, np.nan], allocation)
    with pytest.raises(ValueError, match="straggler_probs"):
        optimal_coefficients([0.1, 1.5], allocation)
    with pytest.raises(ValueError, match="straggler_probs"):
        optimal_coefficients([0.1, 0.2, 0.3], allocation)
    with pytest.raises(ValueError, match="allocation"):
        optimal_coefficients([0.1, 0.2], np.ones(2, dtype=bool))
