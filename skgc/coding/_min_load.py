"""The smallest total load that reaches a target residual error.

With optimal coefficients the independent-proxy error of an allocation is
``sum_k 1 / R_k`` (``R_k`` the reliability mass ``sum r_j`` of partition
``k``'s holders, ``r_j = (1 - p_j) / p_j``; a partition with a ``p = 0``
holder contributes 0). Slots are added one at a time, each where it lowers
that error the most, until the target is reached.
"""

import numpy as np

from .._validation import check_probabilities
from ._validation import check_n_partitions

__all__ = ["min_load_allocation", "allocation_error"]


def _reliability(p):
    """``r_j = (1 - p_j) / p_j`` (``inf`` for ``p = 0``, 0 for ``p = 1``)."""
    with np.errstate(divide="ignore"):
        return np.where(p == 0, np.inf, (1.0 - p) / np.where(p == 0, 1.0, p))


def _partition_errors(mass):
    """``1 / R_k`` per partition (0 for exact partitions, ``inf`` if unheld)."""
    with np.errstate(divide="ignore"):
        return np.where(np.isinf(mass), 0.0, 1.0 / mass)


def allocation_error(p, allocation):
    """Independent-proxy error ``sum_k 1 / R_k`` of an allocation with optimal coefficients.

    Parameters
    ----------
    p : array-like of shape (n_workers,)
    allocation : ndarray of bool of shape (n_workers, n_partitions)

    Returns
    -------
    error : float
        ``inf`` if a partition has no holder that ever answers.
    """
    r = _reliability(check_probabilities(p, allocation.shape[0], name="p"))
    mass = np.where(allocation, r[:, None], 0.0).sum(axis=0)
    return float(_partition_errors(mass).sum())


def min_load_allocation(p, n_partitions, target_error):
    """Greedy allocation with the smallest total load reaching ``target_error``.

    Each step adds the slot (worker ``j``, partition ``k`` it does not hold)
    that lowers ``sum_k 1 / R_k`` the most; ties go to the more reliable
    worker, then to the lower partition index. Unheld partitions are filled
    first, by the most reliable workers, so loads differ between workers and
    unreliable workers may hold nothing.

    Parameters
    ----------
    p : array-like of shape (n_workers,)
        Straggling probabilities in ``[0, 1]``.
    n_partitions : int
        Number of partitions ``K``.
    target_error : float
        Independent-proxy error to reach (``>= 0``).

    Returns
    -------
    allocation : ndarray of shape (n_workers, n_partitions), dtype bool

    Raises
    ------
    ValueError
        If the target cannot be reached even when every worker holds every
        partition.
    """
    p = check_probabilities(p)
    n_partitions = check_n_partitions(n_partitions)
    if not np.isfinite(target_error) or target_error < 0:
        raise ValueError(f"target_error must be a finite number >= 0, got {target_error!r}.")
    r = _reliability(p)
    allocation = np.zeros((p.shape[0], n_partitions), dtype=bool)
    mass = np.zeros(n_partitions)
    while _partition_errors(mass).sum() > target_error:
        j, k = _best_slot(r, allocation, mass)
        if j is None:
            best = allocation_error(p, np.ones_like(allocation))
            raise ValueError(
                f"target_error={target_error!r} cannot be reached: the smallest error, "
                f"with every worker holding every partition, is {best:.4g}."
            )
        allocation[j, k] = True
        mass[k] += r[j]
    return allocation


def _best_slot(r, allocation, mass):
    """The (worker, partition) slot with the largest error reduction, or (None, None)."""
    current = _partition_errors(mass)
    free_r = np.where(allocation, -1.0, r[:, None])  # -1: already held
    j_best = np.argmax(free_r, axis=0)  # most reliable free worker (lowest index on ties)
    r_best = free_r[j_best, np.arange(mass.size)]
    with np.errstate(invalid="ignore"):
        gain = np.where(r_best > 0, current - _partition_errors(mass + r_best), 0.0)
    gain = np.where(np.isnan(gain), np.inf, gain)  # unheld partition: inf - finite
    order = np.lexsort((np.arange(mass.size), -r_best, -gain))
    k = order[0]
    if not gain[k] > 0:
        return None, None
    return j_best[k], k
