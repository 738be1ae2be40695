"""Unbiased encoding coefficients that are optimal for a given allocation.

With ``r_j = (1 - p_j) / p_j`` and ``R_k = sum_{j holds k} r_j`` the
minimiser of the independent proxy ``sum_j p_j (1 - p_j) ||C[j, :]||^2``
subject to unbiasedness ``sum_j (1 - p_j) C[j, k] = 1`` is
``C[j, k] = (1 / p_j) / R_k`` on the allocation (minimum ``sum_k 1 / R_k``).
"""

import numpy as np

from .._validation import check_probabilities
from ._validation import check_allocation, check_proxy

__all__ = ["optimal_coefficients", "residual_error", "replication_weights", "equal_share"]


def optimal_coefficients(p, allocation):
    """Unbiased coefficients minimising the independent residual error.

    Parameters
    ----------
    p : array-like of shape (n_workers,)
        Straggling probabilities in ``[0, 1]``.
    allocation : array-like of bool of shape (n_workers, n_partitions)
        ``allocation[j, k]`` is True when worker ``j`` holds partition ``k``.

    Returns
    -------
    coefficients : ndarray of shape (n_workers, n_partitions)
        ``C[j, k] = (1 / p_j) / R_k`` on the allocation, zero elsewhere.
        A partition with never-straggling holders (``p = 0``) is split
        equally among them; workers with ``p = 1`` get zero.

    Raises
    ------
    ValueError
        If a partition is held by nobody, or only by workers with ``p = 1``.

    Notes
    -----
    Computed as ``C[j, k] = w_j / ((1 - p_j) sum_i w_i)`` with
    ``w_j = delta_min / delta_j`` and ``delta_j = p_j / (1 - p_j)``: every
    ``w_j`` lies in ``[0, 1]`` so nothing overflows for ``p`` near 0 or 1.
    """
    allocation = check_allocation(allocation)
    p = check_probabilities(p, n_workers=allocation.shape[0])
    _check_coverage(p, allocation)
    with np.errstate(divide="ignore"):
        delta = p / (1.0 - p)  # inf for p == 1, 0 for p == 0
    D = np.where(allocation, delta[:, None], np.inf)
    dmin = D.min(axis=0)
    exact = dmin == 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        W = np.where(np.isfinite(D), dmin[None, :] / D, 0.0)
    W[:, exact] = 0.0
    denom = (1.0 - p)[:, None] * W.sum(axis=0)[None, :]
    C = np.divide(W, denom, out=np.zeros_like(W), where=W > 0)
    holders0 = allocation[:, exact] & (p == 0)[:, None]
    C[:, exact] = holders0 / holders0.sum(axis=0)
    return C


def _check_coverage(p, allocation):
    """Raise if a partition has no holder that ever answers."""
    useful = (allocation & (p < 1)[:, None]).any(axis=0)
    if not useful.all():
        bad = np.flatnonzero(~useful).tolist()
        raise ValueError(
            f"allocation: partition(s) {bad} are held by no worker with "
            "straggling probability below 1; their gradient can never be recovered."
        )


def residual_error(p, coefficients, proxy="independent"):
    """Expected squared error of an unbiased code with alive-indicator decoding.

    Parameters
    ----------
    p : array-like of shape (n_workers,)
        Straggling probabilities in ``[0, 1]``.
    coefficients : array-like of shape (n_workers, n_partitions)
        Encoding coefficients ``C``.
    proxy : {"independent", "coherent"}, default="independent"
        ``"independent"``: ``sum_j p_j (1 - p_j) ||C[j, :]||^2`` (partition
        gradients orthonormal). ``"coherent"``:
        ``sum_j p_j (1 - p_j) (sum_k C[j, k])^2`` (all partition gradients
        equal unit vectors).

    Returns
    -------
    error : float
    """
    C = np.asarray(coefficients, dtype=np.float64)
    if C.ndim != 2:
        raise ValueError(f"coefficients must be 2-D, got shape {C.shape}.")
    p = check_probabilities(p, n_workers=C.shape[0])
    var = p * (1.0 - p)
    if check_proxy(proxy) == "independent":
        row = np.einsum("jk,jk->j", C, C)
    else:
        row = C.sum(axis=1) ** 2
    return float(var @ row)


def replication_weights(allocation, p):
    """``C[j, k] = 1 / (n_k (1 - p_j))`` on the allocation (``1 / n_k`` if ``p_j = 1``).

    Parameters
    ----------
    allocation : ndarray of bool of shape (n_workers, n_partitions)
    p : ndarray of shape (n_workers,)

    Returns
    -------
    coefficients : ndarray of shape (n_workers, n_partitions)
        Unbiased under the alive-indicator decoder when ``p`` is the true straggling
        probability.
    """
    return equal_share(allocation) / np.where(p < 1, 1.0 - p, 1.0)[:, None]


def equal_share(allocation):
    """Coefficient ``1 / n_k`` on the allocation (``n_k`` the holders of partition ``k``).

    Parameters
    ----------
    allocation : ndarray of bool of shape (n_workers, n_partitions)

    Returns
    -------
    coefficients : ndarray of shape (n_workers, n_partitions)
    """
    return allocation / allocation.sum(axis=0, keepdims=True)
