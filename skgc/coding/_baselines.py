"""The baselines without redundancy: wait for everyone, or drop the stragglers.

* "full": wait for every worker; exact, as slow as the slowest worker.
* "ignore": drop the stragglers and rescale by ``N / |alive|`` (biased if ``p`` varies).
* "ignore_unbiased": drop the stragglers, weight the others by ``1 / (1 - p_j)``.
"""

import numpy as np

from .._validation import check_n_workers, check_probabilities
from ._allocation import one_per_worker_allocation
from ._coefficients import equal_share, replication_weights
from ._gradient_code import GradientCode
from ._registry import register_code
from ._validation import check_alive, check_n_partitions, check_proxy

__all__ = ["FullCode", "IgnoreCode", "IgnoreUnbiasedCode"]


class FullCode(GradientCode):
    """Wait for every worker: exact gradient, slowest iteration.

    Allocation: :func:`round_robin_allocation` (identity when ``K == N``),
    or the cyclic allocation with ``load`` if given; coefficient
    ``1 / (number of holders)``; decode is all ones.

    Parameters
    ----------
    n_workers : int
        Number of workers.
    n_partitions : int, default=None
        Number of partitions; defaults to ``n_workers``.
    load : int or array-like of int, default=None
        If given, use ``cyclic_allocation(n_workers, n_partitions, load)``.
    straggler_probs : array-like of shape (n_workers,), default=None
        Straggling probabilities (they only cost time).
    """

    waits_for_all = True
    exact = True
    decoding_cost = "none (waits for all)"

    def __init__(self, n_workers, n_partitions=None, load=None, straggler_probs=None):
        super().__init__(*_one_holder_code(n_workers, n_partitions, load, straggler_probs),
                         name="full")

    def decode(self, alive):
        """All ones: the master waits for every worker.

        Parameters
        ----------
        alive : array-like of bool of shape (n_workers,)
            Validated, otherwise ignored.

        Returns
        -------
        weights : ndarray of shape (n_workers,)
        """
        check_alive(alive, self.n_workers)
        return np.ones(self.n_workers)

    def decodable(self, alive):
        """True once every worker has answered."""
        return bool(check_alive(alive, self.n_workers).all())

    def expected_weights(self, p=None):
        """All ones: the full gradient is always recovered."""
        if p is not None:
            self.resolve_probs(p)
        return np.ones(self.n_partitions)

    def residual_error(self, proxy="independent", p=None):
        """Zero: the full gradient is always recovered (see base class)."""
        check_proxy(proxy)
        if p is not None:
            self.resolve_probs(p)
        return 0.0


class IgnoreCode(GradientCode):
    """Drop stragglers and rescale by ``N / |alive|`` (biased if ``p`` varies).

    Same allocation and coefficients as :class:`FullCode`; decode is
    ``N / |alive|`` on alive workers, all zeros if nobody is alive.

    Parameters
    ----------
    n_workers : int
    n_partitions : int, default=None
        Defaults to ``n_workers``.
    load : int or array-like of int, default=None
        If given, use ``cyclic_allocation(n_workers, n_partitions, load)``.
    straggler_probs : array-like of shape (n_workers,), default=None

    Notes
    -----
    The residual error is computed exactly by enumerating the ``2**N`` alive
    sets when ``N <= 12``, otherwise by a Monte-Carlo average over 20000
    alive sets drawn with a fixed seed (0).
    """

    adaptive_decoder = True

    def __init__(self, n_workers, n_partitions=None, load=None, straggler_probs=None):
        super().__init__(*_one_holder_code(n_workers, n_partitions, load, straggler_probs),
                         name="ignore")

    def decode(self, alive):
        """``N / |alive|`` on alive workers, zero elsewhere.

        Parameters
        ----------
        alive : array-like of bool of shape (n_workers,)
            True for workers that answered in time.

        Returns
        -------
        weights : ndarray of shape (n_workers,)
        """
        alive = check_alive(alive, self.n_workers)
        return self.decode_many(alive[None, :])[0]

    def decode_many(self, alive_sets):
        """``N / |alive|`` on the alive workers of every set (rows)."""
        alive = np.asarray(alive_sets, dtype=bool)
        n_alive = alive.sum(axis=1, keepdims=True)
        scale = np.divide(alive.shape[1], n_alive, out=np.zeros(n_alive.shape),
                          where=n_alive > 0)
        return alive * scale


class IgnoreUnbiasedCode(GradientCode):
    """Drop stragglers, weight the others by ``1 / (1 - p_j)``: unbiased, high variance.

    Allocation of :class:`FullCode` (round robin, or cyclic with ``load``).

    Parameters
    ----------
    straggler_probs : array-like of shape (n_workers,)
    n_partitions : int
    load : int or array-like, default=None
    """

    def __init__(self, straggler_probs, n_partitions, load=None):
        p = check_probabilities(straggler_probs)
        allocation = one_per_worker_allocation(p.shape[0], n_partitions, load)
        super().__init__(allocation, replication_weights(allocation, p), p,
                         name="ignore_unbiased")


def _one_holder_code(n_workers, n_partitions, load, straggler_probs):
    """``(allocation, coefficients, p)`` of "full" and "ignore": one partition per worker
    (or ``load`` of them, cyclically), coefficient ``1 / (number of holders)``."""
    n_workers = check_n_workers(n_workers)
    n_partitions = n_workers if n_partitions is None else check_n_partitions(n_partitions)
    allocation = one_per_worker_allocation(n_workers, n_partitions, load)
    p = None if straggler_probs is None else check_probabilities(straggler_probs, n_workers)
    return allocation, equal_share(allocation), p


register_code("full", lambda n_workers, n_partitions, load, p, random_state:
              FullCode(n_workers, n_partitions, load, p))
register_code("ignore", lambda n_workers, n_partitions, load, p, random_state:
              IgnoreCode(n_workers, n_partitions, load, p))
register_code("ignore_unbiased", lambda n_workers, n_partitions, load, p, random_state:
              IgnoreUnbiasedCode(p, n_partitions, load))
