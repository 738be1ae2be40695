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

from .._validation import check_probabilities
from ._allocation import virtual_partition_map
from ._gradient_code import GradientCode
from ._lstsq import LstsqDecoder
from ._registry import register_code
from ._validation import check_alive, check_proxy, check_replication

__all__ = ["frc_groups", "FrcCode", "ErasureHeadCode"]


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


class _GroupRepetition(GradientCode):
    """FRC's layout: groups of workers, each worker of a group sending the same sum.

    The decoder takes one reply per group; an alive set where every group answered is
    decoded exactly.
    """

    adaptive_decoder = True

    def __init__(self, n_workers, n_partitions, load, straggler_probs, name):
        n_partitions = n_workers if n_partitions is None else n_partitions
        replication = check_replication(load, n_workers)
        self.groups = frc_groups(n_workers, replication)
        member = np.zeros((n_workers, n_workers))
        for group in self.groups:
            member[np.ix_(group, group)] = 1.0
        coefficients = member @ virtual_partition_map(n_workers, n_partitions)
        p = None if straggler_probs is None else check_probabilities(straggler_probs, n_workers)
        super().__init__(coefficients > 0, coefficients, p, name=name)
        self.tolerated_stragglers = min(len(g) for g in self.groups) - 1

    def decodable(self, alive):
        """True when every group has an alive worker."""
        alive = check_alive(alive, self.n_workers)
        return all(alive[g].any() for g in self.groups)

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


class ErasureHeadCode(_GroupRepetition):
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

    closed_form = True

    def __init__(self, n_workers, n_partitions=None, load=None, straggler_probs=None):
        super().__init__(n_workers, n_partitions, load, straggler_probs, "erasurehead")

    def _group_rows_and_loss(self, p):
        rows = np.array([self.coefficients[g[0]] for g in self.groups])
        lost = np.array([np.prod(p[g]) for g in self.groups])
        return rows, lost

    def expected_weights(self, p=None):
        """``E[beta] = sum_g (1 - q_g) m_g`` (closed form)."""
        rows, lost = self._group_rows_and_loss(self.resolve_probs(p))
        return (1.0 - lost) @ rows

    def residual_error(self, proxy="independent", p=None):
        """Closed form; see the class notes."""
        check_proxy(proxy)
        rows, lost = self._group_rows_and_loss(self.resolve_probs(p))
        if proxy == "coherent":
            rows = rows.sum(axis=1, keepdims=True)
        mean_loss = lost @ rows
        return float(mean_loss @ mean_loss + (lost * (1.0 - lost)) @ (rows**2).sum(axis=1))


class FrcCode(_GroupRepetition):
    """Fractional repetition code: exact whenever every group has an alive worker.

    Same allocation as :class:`ErasureHeadCode`. When a whole group
    straggles the decoder falls back to least squares over the alive workers
    (:meth:`falls_back` is then True); the residual error is computed over
    alive sets (exact enumeration for ``N <= 12``). Parameters are those of
    :class:`ErasureHeadCode`.
    """

    exact = True
    decoding_cost = "O(N); least squares (cached) when a group is lost"

    def __init__(self, n_workers, n_partitions=None, load=None, straggler_probs=None):
        super().__init__(n_workers, n_partitions, load, straggler_probs, "frc")
        self._fallback = LstsqDecoder(self.coefficients)

    def decode(self, alive):
        """One reply per group, or least squares if a group is lost (see class doc)."""
        alive = check_alive(alive, self.n_workers)
        if self.falls_back(alive):
            return self._fallback(alive)
        return super().decode(alive)

    def clear_cache(self):
        """Forget the cached least-squares decodings (for timing)."""
        self._fallback.clear_cache()


register_code("frc", lambda n_workers, n_partitions, load, p, random_state:
              FrcCode(n_workers, n_partitions, load, p))
register_code("erasurehead", lambda n_workers, n_partitions, load, p, random_state:
              ErasureHeadCode(n_workers, n_partitions, load, p))
