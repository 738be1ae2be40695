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

from .._validation import check_probabilities
from ._allocation import northwest_corner
from ._gradient_code import GradientCode
from ._registry import register_code
from ._validation import check_n_partitions

__all__ = ["song_choi_loads", "song_choi_alpha", "song_choi_coefficients", "SongChoiCode",
           "song_choi_code"]


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


class SongChoiCode(GradientCode):
    """Song & Choi: loads proportional to reliability on a staircase support.

    Parameters
    ----------
    straggler_probs : array-like of shape (n_workers,)
        Straggling probabilities.
    n_partitions : int, default=None
        Number of partitions; defaults to ``n_workers``.

    Notes
    -----
    Workers keep their index order along the staircase, as in the authors'
    reference code. The allocation is the support of ``alpha``.
    """

    def __init__(self, straggler_probs, n_partitions=None):
        p = check_probabilities(straggler_probs)
        n_partitions = p.shape[0] if n_partitions is None else check_n_partitions(n_partitions)
        coefficients = song_choi_coefficients(p, n_partitions)
        super().__init__(coefficients > 0, coefficients, p, name="song_choi")


def song_choi_code(straggler_probs, n_partitions=None):
    """Build the Song & Choi code; see :class:`SongChoiCode`."""
    return SongChoiCode(straggler_probs, n_partitions)


register_code("song_choi", lambda n_workers, n_partitions, load, p, random_state:
              SongChoiCode(p, n_partitions))
