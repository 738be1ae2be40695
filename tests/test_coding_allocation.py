"""Allocations and the Song & Choi construction."""

import numpy as np
import pytest

from skgc.coding import (
    cyclic_allocation,
    greedy_allocation,
    northwest_corner,
    optimal_coefficients,
    residual_error,
    round_robin_allocation,
    song_choi_alpha,
    song_choi_code,
    song_choi_coefficients,
    song_choi_loads,
)


def paper_probs(seed, n=10, z=1.1):
    """Straggler model of Song & Choi: p_j = exp(-mu_j (Z - 1)), mu_j ~ U(0.01, 2)."""
    rng = np.random.default_rng(seed)
    return np.exp(-rng.uniform(0.01, 2, n) * (z - 1))


def test_greedy_loads_and_coverage():
    p = np.array([0.5, 0.05, 0.2, 0.9, 0.05, 1.0])
    load = np.array([1, 3, 2, 2, 1, 1])
    A = greedy_allocation(p, 7, load)
    np.testing.assert_array_equal(A.sum(axis=1), load)
    assert A.any(axis=0).all()


def test_greedy_order_and_ties():
    # most reliable first (worker 1), ties to the lowest partition index
    p = np.array([0.5, 0.1, 0.5])
    A = greedy_allocation(p, 3, 1)
    np.testing.assert_array_equal(A, [[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    # deterministic
    np.testing.assert_array_equal(A, greedy_allocation(p, 3, 1, random_state=3))


def test_greedy_balances_mass():
    p = np.r_[np.full(10, 0.05), np.full(5, 0.2), np.full(5, 0.5)]
    A = greedy_allocation(p, 20, 2)
    R = ((1 - p) / p) @ A
    cyc = cyclic_allocation(20, 20, 2)
    assert residual_error(p, optimal_coefficients(p, A)) < residual_error(
        p, optimal_coefficients(p, cyc)
    )
    assert R.max() / R.min() < 2.5


def test_greedy_p_zero_and_one():
    p = np.array([1.0, 0.0, 0.3])
    A = greedy_allocation(p, 3, 1)
    np.testing.assert_array_equal(A, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])


def test_cyclic_square():
    A = cyclic_allocation(4, 4, 2)
    expected = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1]], bool)
    np.testing.assert_array_equal(A, expected)


def test_cyclic_rectangular_and_per_worker_load():
    A = cyclic_allocation(3, 6, [2, 2, 2])
    np.testing.assert_array_equal(np.flatnonzero(A[1]), [2, 3])
    A = cyclic_allocation(6, 3, 1)
    np.testing.assert_array_equal(A.sum(axis=0), [2, 2, 2])


def test_cyclic_unheld_raises():
    with pytest.raises(ValueError, match="load"):
        cyclic_allocation(2, 4, [1, 3])  # starts 0 and 2: partition 1 unheld


@pytest.mark.parametrize("n, k", [(4, 4), (3, 7), (5, 2)])
def test_round_robin(n, k):
    A = round_robin_allocation(n, k)
    assert A.any(axis=0).all()
    if k >= n:
        np.testing.assert_array_equal(A.sum(axis=0), 1)
    else:
        np.testing.assert_array_equal(A.sum(axis=1), 1)
    if n == k:
        np.testing.assert_array_equal(A, np.eye(n, dtype=bool))


@pytest.mark.parametrize("bad, match", [(0, "load"), (5, "load"), ([1, 2], "load"), (1.5, "load")])
def test_bad_load(bad, match):
    with pytest.raises(ValueError, match=match):
        greedy_allocation([0.1, 0.2, 0.3], 4, bad)


def test_too_few_slots():
    with pytest.raises(ValueError, match="load"):
        greedy_allocation([0.1, 0.2], 5, 2)


# ---------------------------------------------------------------- Song & Choi


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [10, 7, 23])
def test_song_choi_staircase(seed, k):
    p = paper_probs(seed)
    alpha = song_choi_alpha(p, k)
    Y = song_choi_loads(p, k)
    assert np.count_nonzero(alpha) <= len(p) + k - 1
    np.testing.assert_allclose(alpha.sum(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(alpha.sum(axis=1), Y, rtol=1e-10, atol=1e-12)
    delta_inv = (1 - p) / p
    np.testing.assert_allclose(Y / delta_inv, k / delta_inv.sum(), rtol=1e-12)
    C = song_choi_coefficients(p, k)
    np.testing.assert_allclose((1 - p) @ C, 1.0, rtol=1e-12)


def test_song_choi_worker_order_is_index_order():
    p = np.array([0.5, 0.1, 0.9, 0.3])
    alpha = song_choi_alpha(p, 4)
    first = [np.flatnonzero(row)[0] for row in alpha]
    assert first == sorted(first)
    assert alpha[0, 0] > 0 and alpha[-1, -1] > 0


def test_northwest_corner_exact_integers():
    alpha = northwest_corner([2.0, 0.5, 1.5], 4)
    np.testing.assert_allclose(alpha, [[1, 1, 0, 0], [0, 0, 0.5, 0], [0, 0, 0.5, 1]])


def test_song_choi_limits():
    p = np.array([0.0, 0.3, 0.0, 1.0])
    np.testing.assert_allclose(song_choi_loads(p, 4), [2, 0, 2, 0])
    C = song_choi_coefficients(p, 4)
    np.testing.assert_allclose(C, [[1, 1, 0, 0], [0] * 4, [0, 0, 1, 1], [0] * 4])
    p = np.array([0.5, 1.0, 0.2])
    C = song_choi_coefficients(p, 3)
    np.testing.assert_array_equal(C[1], 0)
    np.testing.assert_allclose((1 - p) @ C, 1.0)


def test_song_choi_extreme():
    p = np.array([1e-12, 1 - 1e-12, 0.5, 1 - 1e-12])
    C = song_choi_coefficients(p, 4)
    assert np.isfinite(C).all()
    np.testing.assert_allclose((1 - p) @ C, 1.0, rtol=1e-9)
    assert residual_error(p, C) < 1e-9


@pytest.mark.parametrize("seed", range(8))
def test_optimal_beats_song_choi_on_paper_model(seed):
    p = paper_probs(seed)
    sc = song_choi_code(p)
    assert sc.loads.sum() <= 19
    # same per-worker loads, greedy allocation + optimal coefficients
    A = greedy_allocation(p, 10, sc.loads)
    ours = residual_error(p, optimal_coefficients(p, A))
    theirs = residual_error(p, sc.coefficients)
    assert ours <= theirs
    # optimal coefficients on their own allocation are never worse
    same_support = residual_error(p, optimal_coefficients(p, sc.allocation))
    assert same_support <= theirs * (1 + 1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_song_choi_minimises_coherent_over_loads(seed):
    # any unbiased alpha with the same (reliability-proportional) row sums has the
    # same coherent error; optimal loads give sum_k ... = K^2 / sum delta^-1
    p = paper_probs(seed)
    sc = song_choi_code(p)
    delta_inv = (1 - p) / p
    assert sc.residual_error("coherent") == pytest.approx(100 / delta_inv.sum(), rel=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_greedy_pairs_refresh_every_partition_as_often_as_reliability_sorted_pairs(seed):
    """Under the latest-message decoder a partition is as fresh as its most recent holder:
    at load 2 on the paper's model (N = K = 10) the greedy allocation's least often
    refreshed partition (some holder answers with probability ``1 - prod p``) is refreshed
    at least as often as with pairs of workers sharing two partitions, the most reliable
    with the least reliable."""
    from skgc.stragglers import paper_model

    p = paper_model(10, random_state=seed).probs
    greedy = greedy_allocation(p, 10, 2)
    order = np.argsort(p)
    paired = np.zeros_like(greedy)
    for i in range(5):
        paired[[order[i], order[9 - i]], 2 * i:2 * i + 2] = True

    def least_refresh(allocation):
        return (1.0 - np.prod(np.where(allocation, p[:, None], 1.0), axis=0)).min()

    assert least_refresh(greedy) >= least_refresh(paired) - 1e-12
