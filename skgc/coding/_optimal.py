"""The paper's code: a heterogeneity-aware allocation with optimal unbiased coefficients."""

from functools import lru_cache

import numpy as np

from .._validation import check_probabilities
from ._allocation import cyclic_allocation, default_load, greedy_allocation
from ._coefficients import optimal_coefficients
from ._gradient_aware import gradient_aware_coefficients
from ._gradient_code import GradientCode
from ._min_load import min_load_allocation
from ._registry import register_code
from ._validation import PROXIES, check_allocation, check_n_partitions

__all__ = ["ALLOCATIONS", "OptimalCode"]

#: Allocation strategies of :class:`OptimalCode`.
ALLOCATIONS = ("greedy", "cyclic", "min_load")


class OptimalCode(GradientCode):
    """Greedy heterogeneity-aware allocation with optimal unbiased coefficients.

    Parameters
    ----------
    straggler_probs : array-like of shape (n_workers,)
        Straggling probabilities.
    n_partitions : int, default=None
        Number of partitions; defaults to ``n_workers``.
    load : int or array-like of int, default=None
        Partitions per worker; defaults to ``min(K, max(2, ceil(K / N)))``.
        Ignored by ``allocation="min_load"``.
    random_state : None
        Unused (every allocation strategy is deterministic).
    allocation : {"greedy", "cyclic", "min_load"} or array-like of bool, default="greedy"
        ``"greedy"``: :func:`greedy_allocation`; ``"cyclic"``:
        :func:`cyclic_allocation`; ``"min_load"``: :func:`min_load_allocation`,
        the smallest total load whose error reaches ``target_error`` (per-worker
        loads differ); an ``(N, K)`` boolean array is used as given.
    target_error : float, default=None
        Independent-proxy error to reach; required by ``"min_load"`` only.
    proxy : {"independent", "coherent"} or array-like of shape (K, K), default="independent"
        The error the coefficients minimise: the independent proxy (closed form), the
        coherent one, or the true error for a measured Gram matrix of the partition
        gradients (see :func:`gradient_aware_coefficients`).
    """

    reoptimizable = True

    def __init__(self, straggler_probs, n_partitions=None, load=None, random_state=None,
                 allocation="greedy", target_error=None, proxy="independent"):
        p = check_probabilities(straggler_probs)
        n_partitions = p.shape[0] if n_partitions is None else check_n_partitions(n_partitions)
        if load is None:
            load = default_load(p.shape[0], n_partitions)
        allocation = _optimal_allocation(allocation, p, n_partitions, load, target_error)
        coefficients = _proxy_coefficients(p, allocation, proxy)
        super().__init__(allocation, coefficients, p, name="optimal")
        self.proxy = proxy

    def reoptimized(self, straggler_probs=None, proxy=None):
        """The same allocation with coefficients optimal for new probabilities or proxy.

        Parameters
        ----------
        straggler_probs : array-like of shape (n_workers,), default=None
            New probabilities (e.g. estimated during a fit); None keeps the current ones.
        proxy : {"independent", "coherent"} or array-like of shape (K, K), default=None
            New error to minimise (e.g. a freshly measured Gram matrix); None keeps it.

        Returns
        -------
        OptimalCode
        """
        p = self.straggler_probs if straggler_probs is None else straggler_probs
        return OptimalCode(p, self.n_partitions, allocation=self.allocation,
                           proxy=self.proxy if proxy is None else proxy)


def _is_default_design(allocation, load):
    """Whether the code is the default design (greedy allocation of one load for every
    worker, independent-proxy coefficients), which :func:`_default_code` caches."""
    return (isinstance(allocation, str) and allocation == "greedy"
            and isinstance(load, (int, np.integer)) and not isinstance(load, bool))


@lru_cache(maxsize=128)
def _default_code(probability_bytes, n_partitions, load):
    """The default design for probabilities given as the bytes of a float array: built
    once per cluster shape (a grid search or a cross-validation builds the same code for
    every fit) and shared, since a code cannot change (its arrays are read-only); what
    it computes of itself (:attr:`~GradientCode.relative_variance`, ...) is then
    computed once too."""
    return OptimalCode(np.frombuffer(probability_bytes, dtype=float), n_partitions, load)


def _proxy_coefficients(p, allocation, proxy):
    """Optimal unbiased coefficients for the named proxy or a Gram matrix."""
    if isinstance(proxy, str):
        if proxy == "independent":
            return optimal_coefficients(p, allocation)
        if proxy == "coherent":
            n_partitions = allocation.shape[1]
            return gradient_aware_coefficients(p, allocation, np.ones((n_partitions,) * 2))
        raise ValueError(f"proxy must be one of {PROXIES} or a Gram matrix; got {proxy!r}.")
    return gradient_aware_coefficients(p, allocation, proxy)


def _optimal_allocation(strategy, p, n_partitions, load, target_error):
    """The allocation of :class:`OptimalCode` for a strategy name or an array."""
    if isinstance(strategy, str):
        if strategy == "greedy":
            return greedy_allocation(p, n_partitions, load)
        if strategy == "cyclic":
            return cyclic_allocation(p.shape[0], n_partitions, load)
        if strategy == "min_load":
            if target_error is None:
                raise ValueError('target_error is required by allocation="min_load".')
            return min_load_allocation(p, n_partitions, target_error)
        raise ValueError(
            f"allocation must be one of {ALLOCATIONS} or a boolean array, got {strategy!r}."
        )
    allocation = check_allocation(strategy)
    if allocation.shape != (p.shape[0], n_partitions):
        raise ValueError(
            f"allocation must have shape {(p.shape[0], n_partitions)}, got {allocation.shape}."
        )
    return allocation


def _build_optimal(n_workers, n_partitions, load, p, random_state, allocation="greedy",
                   target_error=None):
    if load is None:
        load = default_load(n_workers, n_partitions)
    if _is_default_design(allocation, load):
        return _default_code(p.tobytes(), n_partitions, int(load))
    return OptimalCode(p, n_partitions, load, random_state=random_state,
                       allocation=allocation, target_error=target_error)


register_code("optimal", _build_optimal, options=("allocation", "target_error"))
