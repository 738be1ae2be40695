"""The construction of Song & Choi (arXiv 2510.22539).

Loads proportional to reliability, ``Y_j = K delta_j^{-1} / sum_i delta_i^{-1}``
with ``delta_j = p_j / (1 - p_j)``, laid out as a north-west-corner staircase
``alpha`` (row sums ``Y``, unit column sums, at most ``N + K - 1``
non-zeros); coefficients ``C = alpha / (1 - p)``.

Workers keep their given index order, as in the authors' reference code
(``qeoakemd/neurips2025-repo``, ``util_param_.py``): worker 0 takes the
first partitions, worker ``N - 1`` the last ones; workers are not sorted by
reliability.
"""

import numpy as np

from ._validation import check_n_partitions, check_probabilities

__all__ = ["song_choi_loads", "northwest_corner", "song_choi_alpha", "song_choi_coefficients"]


def song_choi_loads(p, n_partitions):
    """Loads proportional to reliability, ``Y_j = K delta_j^-1 / sum_i delta_i^-1``.

    Parameters
    ----------
    p : array-like of shape (n_workers,)
        Straggling probabilities in ``[0, 1]``.
    n_partitions : int
        Number of partitions ``K``.

    Returns
    -------
    Y : ndarray of shape (n_workers,)
        Non-negative real loads summing to ``K``. If some workers never
        straggle (``p = 0``) they share the whole load equally; ``p = 1``
        workers get 0.
    """
    p = check_probabilities(p)
    n_partitions = check_n_partitions(n_partitions)
    exact = p == 0
    if exact.any():
        return n_partitions * exact / exact.sum()
    with np.errstate(divide="ignore"):
        delta = p / (1.0 - p)  # inf for p == 1
    weights = delta.min() / delta  # in [0, 1]: no overflow near p = 0
    return n_partitions * weights / weights.sum()


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


def song_choi_alpha(p, n_partitions):
    """The staircase ``alpha`` of Song & Choi (row sums ``song_choi_loads``).

    Parameters
    ----------
    p : array-like of shape (n_workers,)
        Straggling probabilities in ``[0, 1]``.
    n_partitions : int
        Number of partitions ``K``.

    Returns
    -------
    alpha : ndarray of shape (n_workers, n_partitions)
    """
    return northwest_corner(song_choi_loads(p, n_partitions), n_partitions)


def song_choi_coefficients(p, n_partitions):
    """Coefficients ``C = alpha / (1 - p)`` of Song & Choi.

    Parameters
    ----------
    p : array-like of shape (n_workers,)
        Straggling probabilities in ``[0, 1]``.
    n_partitions : int
        Number of partitions ``K``.

    Returns
    -------
    coefficients : ndarray of shape (n_workers, n_partitions)
        Zero off the staircase (and for ``p = 1`` workers).
    """
    p = check_probabilities(p)
    alpha = song_choi_alpha(p, n_partitions)
    denom = np.broadcast_to((1.0 - p)[:, None], alpha.shape)
    return np.divide(alpha, denom, out=np.zeros_like(alpha), where=alpha > 0)
