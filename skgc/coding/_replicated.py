"""Replication codes with heterogeneity-unaware weights: SGC, BGC, graph.

Each worker sends the plain sum of its partitions scaled by
``1 / (n_k (1 - p))`` (``n_k`` the number of holders of partition ``k``):
unbiased under the alive-indicator decoder when ``p`` is the true straggling
probability. SGC, BGC and the graph code use one common ``p`` (the mean, as
in their homogeneous analyses).

* "sgc" (Bitar et al.): each partition on ``d`` workers, pair-wise balanced.
* "bgc" (Charles et al.): worker ``j`` holds partition ``k`` with probability
  ``load / K``; least-squares decoding by default.
* "graph" (Glasgow & Wootters): a random ``d``-regular assignment with
  least-squares ("optimal", pseudo-inverse) decoding.
"""

import numpy as np

from .._validation import check_probabilities
from ._allocation import default_load
from ._coefficients import replication_weights
from ._gradient_code import GradientCode
from ._lstsq import LstsqCode
from ._registry import register_code
from ._validation import check_load

__all__ = ["replicated_allocation", "bernoulli_allocation", "SgcCode", "BgcCode",
           "GraphCode"]


def replicated_allocation(n_workers, n_partitions, replication, rng, pairwise=False):
    """Each partition on ``d`` workers, loads as equal as possible.

    Partition by partition, the ``d`` holders are picked one at a time among
    the least loaded workers; with ``pairwise`` the next key is the number of
    partitions already shared with the holders picked so far (a pair-wise
    balanced design); remaining ties are broken at random.

    Parameters
    ----------
    n_workers, n_partitions : int
    replication : int
        ``d`` in ``[1, N]``.
    rng : numpy.random.Generator
    pairwise : bool, default=False

    Returns
    -------
    allocation : ndarray of shape (n_workers, n_partitions), dtype bool
    """
    allocation = np.zeros((n_workers, n_partitions), dtype=bool)
    shared = np.zeros((n_workers, n_workers))
    loads = np.zeros(n_workers)  # running row sums of ``allocation``
    for k in range(n_partitions):
        chosen = []
        taken = np.zeros(n_workers, dtype=bool)
        overlap = np.zeros(n_workers)  # partitions shared with the holders chosen so far
        for _ in range(replication):
            free = np.flatnonzero(~taken)  # sorted, as ``setdiff1d`` gives them
            draw = rng.random(free.size)
            # lexicographic minimum of (load, overlap, draw), as a lexsort would pick it
            best = loads[free] == loads[free].min()
            if pairwise:
                best &= overlap[free] == overlap[free][best].min()
            j = free[np.flatnonzero(best)[np.argmin(draw[best])]]
            chosen.append(j)
            taken[j] = True
            if pairwise:
                overlap += shared[j]
        allocation[chosen, k] = True
        loads[chosen] += 1.0
        if pairwise:
            shared[np.ix_(chosen, chosen)] += 1.0
    return allocation


def bernoulli_allocation(n_workers, n_partitions, probability, rng):
    """Worker ``j`` holds partition ``k`` independently with ``probability``.

    A partition nobody drew goes to one uniformly chosen worker, so every
    partition is held.

    Returns
    -------
    allocation : ndarray of shape (n_workers, n_partitions), dtype bool
    """
    allocation = rng.random((n_workers, n_partitions)) < probability
    for k in np.flatnonzero(~allocation.any(axis=0)):
        allocation[rng.integers(n_workers), k] = True
    return allocation


def _mean_load(load, n_workers, n_partitions):
    if load is None:
        return default_load(n_workers, n_partitions)
    return float(check_load(load, n_workers, n_partitions).mean())


def _replication(load, n_workers, n_partitions):
    """``d = round(load N / K)`` in ``[1, N]``: the replication that gives ``load``."""
    d = round(_mean_load(load, n_workers, n_partitions) * n_workers / n_partitions)
    return int(min(n_workers, max(1, d)))


def _homogeneous(p):
    return np.full(p.shape[0], p.mean())


class SgcCode(GradientCode):
    """Stochastic gradient coding: ``d`` holders per partition, weight ``1 / (d (1 - mean p))``.

    Parameters
    ----------
    straggler_probs : array-like of shape (n_workers,)
    n_partitions : int
    load : int or array-like, default=None
        Mean load; ``d = round(load N / K)``.
    random_state : None, int or Generator
        Breaks ties of the pair-wise balanced design.
    """

    def __init__(self, straggler_probs, n_partitions, load=None, random_state=None):
        p = check_probabilities(straggler_probs)
        d = _replication(load, p.shape[0], n_partitions)
        allocation = replicated_allocation(p.shape[0], n_partitions, d,
                                           np.random.default_rng(random_state), pairwise=True)
        super().__init__(allocation, replication_weights(allocation, _homogeneous(p)), p,
                         name="sgc")


class GraphCode(LstsqCode):
    """Random ``d``-regular assignment with least-squares (optimal) decoding.

    Parameters are those of :class:`SgcCode`; the coefficients (used by the
    ``decoding="fixed"`` variant) are those of SGC.
    """

    def __init__(self, straggler_probs, n_partitions, load=None, random_state=None):
        p = check_probabilities(straggler_probs)
        d = _replication(load, p.shape[0], n_partitions)
        allocation = replicated_allocation(p.shape[0], n_partitions, d,
                                           np.random.default_rng(random_state))
        super().__init__(allocation, replication_weights(allocation, _homogeneous(p)), p,
                         name="graph")


class BgcCode(LstsqCode):
    """Bernoulli gradient code: holdings drawn with probability ``load / K``; least squares.

    Parameters are those of :class:`SgcCode`.
    """

    def __init__(self, straggler_probs, n_partitions, load=None, random_state=None):
        p = check_probabilities(straggler_probs)
        probability = min(1.0, _mean_load(load, p.shape[0], n_partitions) / n_partitions)
        allocation = bernoulli_allocation(p.shape[0], n_partitions, probability,
                                          np.random.default_rng(random_state))
        super().__init__(allocation, replication_weights(allocation, _homogeneous(p)), p,
                         name="bgc")


def _build(cls):
    """The registry's builder of one of these codes."""
    return lambda n_workers, n_partitions, load, p, random_state: cls(
        p, n_partitions, load, random_state)


register_code("sgc", _build(SgcCode))
register_code("bgc", _build(BgcCode))
register_code("graph", _build(GraphCode))
