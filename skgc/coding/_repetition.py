"""Fractional repetition (Tandon et al. 2017) and ErasureHead (Wang et al. 2019).

Workers are split into groups of at least ``s + 1``; every worker of a group
holds the same partitions and sends their plain sum. One reply per group
recovers ``g``, so any ``s`` stragglers are tolerated. ErasureHead uses the
same code but simply drops the groups nobody answered for (biased, cheap);
FRC falls back to least squares when a whole group straggles.

Partitions are laid out through ``N`` *virtual* partitions (see
:func:`virtual_partition_map`), so any ``K`` works, not only ``K = N``.
"""

import numpy as np

from ._codes import GradientCode, _check_proxy
from ._expectation import AliveDependentError
from ._lstsq import LstsqDecoder
from ._song_choi import northwest_corner
from ._validation import check_alive, check_load, check_probabilities

__all__ = ["virtual_partition_map", "check_replication", "frc_groups", "FrcCode",
           "ErasureHeadCode"]


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


def check_replication(load, n_workers):
    """The replication ``s + 1`` of an exact code from its ``load``.

    Parameters
    ----------
    load : int, array-like of equal ints, or None
        None means 2 (one straggler tolerated), capped at ``N``.
    n_workers : int

    Returns
    -------
    replication : int in ``[1, N]``
    """
    if load is None:
        return min(2, n_workers)
    loads = check_load(load, n_workers, n_workers)  # s + 1 in [1, N]
    if (loads != loads[0]).any():
        raise ValueError(f"load: this code needs the same load on every worker, got {load!r}.")
    return int(loads[0])


def frc_groups(n_workers, replication):
    """Worker groups of FRC: ``N // (s + 1)`` groups of consecutive workers.

    Parameters
    ----------
    n_workers : int
    replication : int
        ``s + 1``; every group gets at least this many workers.

    Returns
    -------
    groups : list of ndarray of int
    """
    return np.array_split(np.arange(n_workers), n_workers // replication)


class ErasureHeadCode(GradientCode):
    """FRC groups, one reply per group that answered, missing groups dropped.

    Parameters
    ----------
    n_workers : int
    n_partitions : int, default=None
        Defaults to ``n_workers``.
    load : int, default=None
        Group size ``s + 1`` (default 2).
    straggler_probs : array-like of shape (n_workers,), default=None

    Notes
    -----
    The residual error has a closed form: with ``m_g`` the coefficient row
    of group ``g`` (``sum_g m_g = 1``) and ``q_g = prod_{j in g} p_j``,
    ``E ||beta - 1||^2 = ||sum_g q_g m_g||^2 + sum_g q_g (1 - q_g) ||m_g||^2``
    (coherent proxy: the same with ``m_g`` replaced by its sum).
    """

    _name = "erasurehead"

    def __init__(self, n_workers, n_partitions=None, load=None, straggler_probs=None):
        n_partitions = n_workers if n_partitions is None else n_partitions
        replication = check_replication(load, n_workers)
        self.groups = frc_groups(n_workers, replication)
        member = np.zeros((n_workers, n_workers))
        for group in self.groups:
            member[np.ix_(group, group)] = 1.0
        coefficients = member @ virtual_partition_map(n_workers, n_partitions)
        p = None if straggler_probs is None else check_probabilities(straggler_probs, n_workers)
        super().__init__(coefficients > 0, coefficients, p, name=self._name)
        self.tolerated_stragglers = min(len(g) for g in self.groups) - 1

    def decode(self, alive):
        """Weight 1 on the first alive worker of every group, 0 elsewhere.

        Parameters
        ----------
        alive : array-like of bool of shape (n_workers,)

        Returns
        -------
        weights : ndarray of shape (n_workers,)
        """
        alive = check_alive(alive, self.n_workers)
        weights = np.zeros(self.n_workers)
        for group in self.groups:
            first = group[alive[group]]
            if first.size:
                weights[first[0]] = 1.0
        return weights

    def _group_rows_and_loss(self, p):
        rows = np.array([self.coefficients[g[0]] for g in self.groups])
        lost = np.array([np.prod(p[g]) for g in self.groups])
        return rows, lost

    def expected_weights(self, p=None):
        """``E[beta] = sum_g (1 - q_g) m_g`` (closed form)."""
        rows, lost = self._group_rows_and_loss(self._resolve_p(p))
        return (1.0 - lost) @ rows

    def residual_error(self, proxy="independent", p=None):
        """Closed form; see the class notes."""
        _check_proxy(proxy)
        rows, lost = self._group_rows_and_loss(self._resolve_p(p))
        if proxy == "coherent":
            rows = rows.sum(axis=1, keepdims=True)
        mean_loss = lost @ rows
        return float(mean_loss @ mean_loss + (lost * (1.0 - lost)) @ (rows**2).sum(axis=1))


class FrcCode(AliveDependentError, ErasureHeadCode):
    """Fractional repetition code: exact whenever every group has an alive worker.

    Same allocation as :class:`ErasureHeadCode`. When a whole group
    straggles the decoder falls back to least squares over the alive workers
    (:meth:`falls_back` is then True); the residual error is computed over
    alive sets (exact enumeration for ``N <= 12``).
    """

    _name = "frc"
    decoding_cost = "O(N); least squares (cached) when a group is lost"

    def __init__(self, n_workers, n_partitions=None, load=None, straggler_probs=None):
        super().__init__(n_workers, n_partitions, load, straggler_probs)
        self._fallback = LstsqDecoder(self.coefficients)

    def falls_back(self, alive):
        """True when some group has no alive worker (the decoding is then approximate)."""
        alive = check_alive(alive, self.n_workers)
        return not all(alive[g].any() for g in self.groups)

    def decode(self, alive):
        """One reply per group, or least squares if a group is lost (see class doc)."""
        if self.falls_back(alive):
            return self._fallback(check_alive(alive, self.n_workers))
        return super().decode(alive)

    expected_weights = None
