"""Cyclic repetition code (Tandon et al. 2017) with an orthonormal null-space construction.

Worker ``i`` holds the virtual partitions ``i, ..., i + s (mod N)``. Let
``H`` (``s x N``) have orthonormal rows orthogonal to ``1``; row ``i`` of
``B`` is the unit null vector of ``H`` restricted to its support, so every
row lies in ``null(H)``, an ``(N - s)``-dimensional space containing ``1``.
Generically any ``N - s`` rows span it, so ``1`` is a combination of the rows
of any ``N - s`` workers: ``s`` stragglers are tolerated. Orthonormal ``H``
and unit rows keep the decoding systems well conditioned (a raw Gaussian
``H`` with the last column as minus the sum of the others does not).
"""

import numpy as np

from .._validation import check_n_workers, check_probabilities
from ._allocation import virtual_partition_map
from ._lstsq import LstsqCode, LstsqDecoder
from ._registry import register_code
from ._validation import check_alive, check_replication

__all__ = ["cyclic_null_space_matrix", "CyclicCode"]


def cyclic_null_space_matrix(n_workers, replication, rng):
    """The ``N x N`` matrix ``B`` of the cyclic repetition code.

    Parameters
    ----------
    n_workers : int
        ``N``.
    replication : int
        ``s + 1``, the number of (virtual) partitions per worker.
    rng : numpy.random.Generator
        Draws the null-space basis.

    Returns
    -------
    B : ndarray of shape (n_workers, n_workers)
        Row ``i`` is supported on ``i, ..., i + s (mod N)``, has unit norm and
        a positive sum; ``B H^T = 0``.
    """
    n, s = n_workers, replication - 1
    basis = rng.standard_normal((n, s + 1))
    basis[:, 0] = 1.0
    H = np.linalg.qr(basis)[0][:, 1:].T  # s x n, orthonormal rows, H @ 1 = 0
    B = np.zeros((n, n))
    for i in range(n):
        support = (i + np.arange(s + 1)) % n
        row = np.linalg.svd(H[:, support])[2][-1] if s else np.ones(1)
        B[i, support] = row if row.sum() >= 0 else -row
    return B


class CyclicCode(LstsqCode):
    """Cyclic repetition: exact for any ``s = load - 1`` stragglers.

    Decoding solves ``w^T C_alive = 1`` by least squares for the alive set
    (cached per alive pattern; a :class:`IllConditionedDecodingWarning` is
    issued for ill-conditioned systems). With more than ``s`` stragglers the
    same least-squares decoding is an approximation and :meth:`falls_back`
    returns True.

    Parameters
    ----------
    n_workers : int
    n_partitions : int, default=None
        Defaults to ``n_workers``; other values go through
        :func:`virtual_partition_map`.
    load : int, default=None
        ``s + 1`` (default 2).
    straggler_probs : array-like of shape (n_workers,), default=None
    random_state : None, int or Generator, default=None
        Seeds the null-space basis.

    Notes
    -----
    Rows are scaled by ``a_j / (1 - p_j)`` with ``a`` the all-alive decoding,
    so that the alive-indicator decoder (``decoding="fixed"``) is unbiased;
    least squares does not depend on this scaling.
    """

    exact = True

    def __init__(self, n_workers, n_partitions=None, load=None, straggler_probs=None,
                 random_state=None):
        n_workers = check_n_workers(n_workers)
        n_partitions = n_workers if n_partitions is None else n_partitions
        replication = check_replication(load, n_workers)
        rng = np.random.default_rng(random_state)
        raw = cyclic_null_space_matrix(n_workers, replication, rng) @ virtual_partition_map(
            n_workers, n_partitions)
        p = np.zeros(n_workers) if straggler_probs is None else check_probabilities(
            straggler_probs, n_workers)
        scale = LstsqDecoder(raw)(np.ones(n_workers, dtype=bool))
        scale = scale / np.where(p < 1, 1.0 - p, 1.0)
        coefficients = scale[:, None] * raw
        super().__init__(coefficients != 0, coefficients, p, name="cyclic")
        self.tolerated_stragglers = replication - 1

    def decodable(self, alive):
        """True when at most ``s`` workers straggle."""
        alive = check_alive(alive, self.n_workers)
        return int((~alive).sum()) <= self.tolerated_stragglers


register_code("cyclic", lambda n_workers, n_partitions, load, p, random_state:
              CyclicCode(n_workers, n_partitions, load, p, random_state))
