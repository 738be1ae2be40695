"""Allocations of partitions to workers: boolean ``N x K`` matrices, and the fractional
layouts they are built from (north-west-corner staircases, virtual partitions)."""

import numpy as np

from .._validation import check_n_workers, check_probabilities
from ._validation import check_load, check_n_partitions

__all__ = ["greedy_allocation", "cyclic_allocation", "round_robin_allocation",
           "one_per_worker_allocation", "default_load", "northwest_corner",
           "virtual_partition_map"]


def greedy_allocation(p, n_partitions, load, random_state=None):
    """Heterogeneity-aware greedy allocation.

    Workers are visited from the most reliable (largest
    ``r_j = (1 - p_j) / p_j``; ``p = 0`` first, ``p = 1`` last, ties by
    index). Each of a worker's ``load_j`` slots goes to the partition it does
    not yet hold with the least reliability mass so far, ties broken by the
    lowest partition index. The mass compares, in order: the number of
    ``p = 0`` holders, the sum of ``r`` over the other holders, the number
    of holders (so unheld partitions are always filled first).

    Parameters
    ----------
    p : array-like of shape (n_workers,)
        Straggling probabilities in ``[0, 1]``.
    n_partitions : int
        Number of partitions ``K``.
    load : int or array-like of int of shape (n_workers,)
        Partitions per worker, each in ``[1, K]``, summing to at least ``K``.
    random_state : None
        Unused: the greedy is deterministic. Accepted for API symmetry.

    Returns
    -------
    allocation : ndarray of shape (n_workers, n_partitions), dtype bool
    """
    p = check_probabilities(p)
    n_workers = p.shape[0]
    n_partitions = check_n_partitions(n_partitions)
    load = check_load(load, n_workers, n_partitions)
    n_exact = p == 0
    with np.errstate(divide="ignore"):
        r = np.where(n_exact, 0.0, (1.0 - p) / p)
    order = np.lexsort((np.arange(n_workers), -r, ~n_exact))
    allocation = np.zeros((n_workers, n_partitions), dtype=bool)
    mass = np.zeros((3, n_partitions))  # exact holders, finite r mass, holders
    partitions = np.arange(n_partitions)
    for j in order:
        # A slot only changes the mass of the partition it fills, which the worker then
        # holds: its load_j slots go to the load_j partitions of least mass, taken at once.
        chosen = np.lexsort((partitions, mass[2], mass[1], mass[0]))[:load[j]]
        allocation[j, chosen] = True
        mass[:, chosen] += np.array([float(n_exact[j]), r[j], 1.0])[:, None]
    return allocation


def cyclic_allocation(n_workers, n_partitions, load):
    """Cyclic allocation: worker ``j`` holds ``s_j, s_j + 1, ..., s_j + load_j - 1``.

    Parameters
    ----------
    n_workers : int
        Number of workers ``N``.
    n_partitions : int
        Number of partitions ``K``.
    load : int or array-like of int of shape (n_workers,)
        Partitions per worker.

    Returns
    -------
    allocation : ndarray of shape (n_workers, n_partitions), dtype bool
        Start ``s_j = floor(j K / N)`` (``s_j = j`` when ``K == N``),
        indices taken modulo ``K``.

    Raises
    ------
    ValueError
        If the load is invalid or leaves a partition unheld.
    """
    n_workers = check_n_workers(n_workers)
    n_partitions = check_n_partitions(n_partitions)
    load = check_load(load, n_workers, n_partitions)
    allocation = np.zeros((n_workers, n_partitions), dtype=bool)
    for j in range(n_workers):
        start = (j * n_partitions) // n_workers
        allocation[j, (start + np.arange(load[j])) % n_partitions] = True
    _require_covered(allocation)
    return allocation


def round_robin_allocation(n_workers, n_partitions):
    """One-holder-per-partition style allocation used by "full" and "ignore".

    Parameters
    ----------
    n_workers : int
        Number of workers ``N``.
    n_partitions : int
        Number of partitions ``K``.

    Returns
    -------
    allocation : ndarray of shape (n_workers, n_partitions), dtype bool
        If ``K >= N``, partition ``k`` is on worker ``k mod N`` (identity when
        ``K == N``). If ``K < N``, the cyclic allocation with load 1: worker
        ``j`` holds partition ``floor(j K / N)``, so every worker is busy and
        each partition has ``N / K`` holders (up to rounding).
    """
    n_workers = check_n_workers(n_workers)
    n_partitions = check_n_partitions(n_partitions)
    if n_partitions < n_workers:
        return cyclic_allocation(n_workers, n_partitions, 1)
    allocation = np.zeros((n_workers, n_partitions), dtype=bool)
    k = np.arange(n_partitions)
    allocation[k % n_workers, k] = True
    return allocation


def one_per_worker_allocation(n_workers, n_partitions, load=None):
    """:func:`round_robin_allocation`, or the cyclic one with ``load`` if given."""
    if load is None:
        return round_robin_allocation(n_workers, n_partitions)
    return cyclic_allocation(n_workers, n_partitions, load)


def default_load(n_workers, n_partitions):
    """Default partitions per worker, ``min(K, max(2, ceil(K / N)))``."""
    return min(n_partitions, max(2, -(-n_partitions // n_workers)))


def northwest_corner(row_sums, n_partitions):
    """North-west-corner solution with given row sums and unit column sums.

    Worker ``j`` covers the interval ``[S_{j-1}, S_j)`` of ``[0, K)``, with
    ``S`` the cumulative row sums; ``alpha[j, k]`` is the length of its
    overlap with ``[k, k + 1)``. Cumulative sums within rounding error of an
    integer are snapped to it, so no spurious ``1e-16`` entries appear.

    Parameters
    ----------
    row_sums : array-like of shape (n_workers,)
        Non-negative row sums adding up to ``n_partitions``.
    n_partitions : int
        Number of columns ``K``.

    Returns
    -------
    alpha : ndarray of shape (n_workers, n_partitions)
        A staircase with at most ``n_workers + n_partitions - 1`` non-zeros.
    """
    row_sums = np.asarray(row_sums, dtype=np.float64)
    ends = np.cumsum(row_sums)
    ends *= n_partitions / ends[-1]
    nearest = np.round(ends)
    tol = 4.0 * row_sums.size * np.finfo(np.float64).eps * n_partitions
    snap = np.abs(ends - nearest) <= tol
    ends[snap] = nearest[snap]
    ends[-1] = n_partitions
    starts = np.concatenate(([0.0], ends[:-1]))
    k = np.arange(n_partitions)
    lo = np.maximum(starts[:, None], k[None, :])
    hi = np.minimum(ends[:, None], k[None, :] + 1.0)
    return np.clip(hi - lo, 0.0, None)


def virtual_partition_map(n_workers, n_partitions):
    """Spread ``K`` partitions over ``N`` virtual ones, ``M`` of shape (N, K).

    Virtual partition ``v`` covers ``[v K / N, (v + 1) K / N)`` of the
    partition line (:func:`northwest_corner` with equal row sums); columns sum
    to one, so a code recovering the sum of the virtual gradients
    (``w^T B = 1_N``) recovers ``g`` with coefficients ``C = B M``.

    Parameters
    ----------
    n_workers, n_partitions : int

    Returns
    -------
    M : ndarray of shape (n_workers, n_partitions)
        The identity when ``K == N``.
    """
    return northwest_corner(np.full(n_workers, n_partitions / n_workers), n_partitions)


def _require_covered(allocation):
    unheld = np.flatnonzero(~allocation.any(axis=0))
    if unheld.size:
        raise ValueError(
            f"load: the allocation leaves partition(s) {unheld.tolist()} unheld; "
            "increase the load."
        )
