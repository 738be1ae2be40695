"""Gradient-code objects: allocation, coefficients, decoder, residual error."""

import itertools

import numpy as np

from ._allocation import greedy_allocation, round_robin_allocation, cyclic_allocation
from ._min_load import min_load_allocation
from ._coefficients import PROXIES, optimal_coefficients, residual_error
from ._song_choi import song_choi_coefficients
from ._validation import (
    check_alive,
    check_allocation,
    check_n_partitions,
    check_n_workers,
    check_probabilities,
)

__all__ = [
    "CODE_NAMES",
    "GradientCode",
    "OptimalCode",
    "SongChoiCode",
    "FullCode",
    "IgnoreCode",
    "song_choi_code",
]

#: Allocation strategies of :class:`OptimalCode`.
ALLOCATIONS = ("greedy", "cyclic", "min_load")

CODE_NAMES = (
    "optimal", "song_choi", "full", "ignore", "ignore_unbiased", "frc", "cyclic",
    "erasurehead", "sgc", "bgc", "graph",
)

#: Largest number of workers for which alive-dependent decoders are
#: evaluated exactly by enumerating all ``2**N`` alive sets.
MAX_ENUMERATE_WORKERS = 12
#: Monte-Carlo draws (seeded) used above ``MAX_ENUMERATE_WORKERS``.
N_MONTE_CARLO = 20000


class GradientCode:
    """A gradient code: who holds what, what they send, how the master decodes.

    Worker ``j`` sends ``f_j = sum_k C[j, k] g_k``; the master's estimate is
    ``sum_j w_j f_j`` with ``w = decode(alive)``. The base class decodes with
    the alive indicator (fixed decoder, ``w_j = 1`` if alive else 0).

    Parameters
    ----------
    allocation : array-like of bool of shape (n_workers, n_partitions)
        ``allocation[j, k]`` is True when worker ``j`` holds partition ``k``.
    coefficients : array-like of shape (n_workers, n_partitions)
        Encoding coefficients, zero off the allocation.
    straggler_probs : array-like of shape (n_workers,), default=None
        Straggling probabilities the code was designed for.
    name : str, default="custom"
        Name of the code.

    Attributes
    ----------
    name : str
    allocation : ndarray of shape (n_workers, n_partitions), dtype bool
    coefficients : ndarray of shape (n_workers, n_partitions)
    straggler_probs : ndarray of shape (n_workers,) or None
    """

    #: True when the master waits for every worker (straggling costs time only).
    waits_for_all = False
    #: "fixed" (weights do not depend on who answered beyond the alive mask) or "lstsq".
    decoding = "fixed"
    #: How the cost of one decoding grows.
    decoding_cost = "O(N)"

    def __init__(self, allocation, coefficients, straggler_probs=None, name="custom"):
        allocation = check_allocation(allocation)
        orphans = np.flatnonzero(~allocation.any(axis=0))
        if len(orphans):
            raise ValueError(
                f"allocation: partition(s) {orphans.tolist()} are held by no worker."
            )
        coefficients = np.array(coefficients, dtype=np.float64)
        if coefficients.shape != allocation.shape:
            raise ValueError(
                f"coefficients must have the shape of allocation {allocation.shape}, "
                f"got {coefficients.shape}."
            )
        if not np.isfinite(coefficients).all():
            raise ValueError("coefficients must be finite.")
        if (coefficients[~allocation] != 0).any():
            raise ValueError("coefficients must be zero off the allocation.")
        if straggler_probs is not None:
            straggler_probs = check_probabilities(straggler_probs, allocation.shape[0])
            straggler_probs.flags.writeable = False
        allocation = allocation.copy()
        allocation.flags.writeable = False
        coefficients.flags.writeable = False
        self.name = str(name)
        self.allocation = allocation
        self.coefficients = coefficients
        self.straggler_probs = straggler_probs

    @property
    def n_workers(self):
        """Number of workers ``N``."""
        return self.allocation.shape[0]

    @property
    def n_partitions(self):
        """Number of partitions ``K``."""
        return self.allocation.shape[1]

    @property
    def loads(self):
        """Non-zero coefficients per worker, ndarray of shape (n_workers,)."""
        return np.count_nonzero(self.coefficients, axis=1)

    def decode(self, alive):
        """Decoding weights for the workers that answered.

        Parameters
        ----------
        alive : array-like of bool of shape (n_workers,)
            True for workers that answered in time.

        Returns
        -------
        weights : ndarray of shape (n_workers,)
            Zero for workers not alive; the estimate is ``sum_j w_j f_j``.
        """
        return check_alive(alive, self.n_workers).astype(np.float64)

    def falls_back(self, alive):
        """Whether decoding ``alive`` falls back to an approximation (exact codes only)."""
        return False

    def partition_weights(self, alive):
        """Effective weight of each partition gradient in the estimate.

        Parameters
        ----------
        alive : array-like of bool of shape (n_workers,)
            True for workers that answered in time.

        Returns
        -------
        beta : ndarray of shape (n_partitions,)
            ``decode(alive) @ coefficients``.
        """
        return self.decode(alive) @ self.coefficients

    def residual_error(self, proxy="independent", p=None):
        """Expected squared error ``E ||g_hat - g||^2`` under an error proxy.

        Parameters
        ----------
        proxy : {"independent", "coherent"}, default="independent"
            ``"independent"``: partition gradients form an orthonormal basis,
            error ``E sum_k (beta_k - 1)^2``. ``"coherent"``: all partition
            gradients are the same unit vector, error ``E (sum_k beta_k - K)^2``.
        p : array-like of shape (n_workers,), default=None
            Straggling probabilities; defaults to ``straggler_probs``.

        Returns
        -------
        error : float
            Closed form for the alive-indicator decoder (variance plus squared
            bias, which is zero for unbiased codes).
        """
        _check_proxy(proxy)
        p = self._resolve_p(p)
        variance = residual_error(p, self.coefficients, proxy=proxy)
        bias = (1.0 - p) @ self.coefficients - 1.0
        bias2 = bias @ bias if proxy == "independent" else bias.sum() ** 2
        return float(variance + bias2)

    @property
    def expected_residual_error(self):
        """``residual_error("independent")`` at ``straggler_probs``."""
        return self.residual_error("independent")

    @property
    def relative_variance(self):
        """``E||g_hat - g||^2 / ||g||^2`` when all partition gradients are alike.

        The coherent residual error over ``K^2``: the factor ``1 + relative_variance`` by
        which the solver's "auto" step shrinks so that each step still descends in
        expectation.
        """
        return self.residual_error("coherent") / self.n_partitions**2

    def _resolve_p(self, p):
        if p is None:
            if self.straggler_probs is None:
                raise ValueError(
                    "p: no straggling probabilities given and the code has no "
                    "straggler_probs."
                )
            return np.asarray(self.straggler_probs, dtype=np.float64)
        return check_probabilities(p, self.n_workers, name="p")

    def __repr__(self):
        return (
            f"{type(self).__name__}(name={self.name!r}, n_workers={self.n_workers}, "
            f"n_partitions={self.n_partitions}, loads={self.loads.tolist()})"
        )


def one_per_worker_allocation(n_workers, n_partitions, load=None):
    """:func:`round_robin_allocation`, or the cyclic one with ``load`` if given."""
    if load is None:
        return round_robin_allocation(n_workers, n_partitions)
    return cyclic_allocation(n_workers, n_partitions, load)


def _check_proxy(proxy):
    if proxy not in PROXIES:
        raise ValueError(f"proxy must be one of {PROXIES}, got {proxy!r}.")


def _equal_share(allocation):
    """Coefficient ``1 / (number of holders)`` on the allocation."""
    return allocation / allocation.sum(axis=0, keepdims=True)


def _default_probs(straggler_probs, n_workers):
    if straggler_probs is None:
        return np.zeros(n_workers)
    return check_probabilities(straggler_probs, n_workers)


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

    def __init__(self, straggler_probs, n_partitions=None, load=None, random_state=None,
                 allocation="greedy", target_error=None, proxy="independent"):
        p = check_probabilities(straggler_probs)
        n_partitions = p.shape[0] if n_partitions is None else check_n_partitions(n_partitions)
        if load is None:
            load = default_load(p.shape[0], n_partitions)
        allocation = _optimal_allocation(allocation, p, n_partitions, load, target_error)
        super().__init__(allocation, _proxy_coefficients(p, allocation, proxy), p,
                         name="optimal")
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


def _proxy_coefficients(p, allocation, proxy):
    """Optimal unbiased coefficients for the named proxy or a Gram matrix."""
    from ._gradient_aware import gradient_aware_coefficients

    if isinstance(proxy, str):
        if proxy == "independent":
            return optimal_coefficients(p, allocation)
        if proxy == "coherent":
            n_partitions = allocation.shape[1]
            return gradient_aware_coefficients(p, allocation, np.ones((n_partitions,) * 2))
        raise ValueError(f"proxy must be one of {PROXIES} or a Gram matrix; got {proxy!r}.")
    return gradient_aware_coefficients(p, allocation, proxy)


def default_load(n_workers, n_partitions):
    """Default partitions per worker, ``min(K, max(2, ceil(K / N)))``."""
    return min(n_partitions, max(2, -(-n_partitions // n_workers)))


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
    _name = "full"

    def __init__(self, n_workers, n_partitions=None, load=None, straggler_probs=None):
        n_workers = check_n_workers(n_workers)
        n_partitions = n_workers if n_partitions is None else check_n_partitions(n_partitions)
        allocation = one_per_worker_allocation(n_workers, n_partitions, load)
        p = None if straggler_probs is None else check_probabilities(straggler_probs, n_workers)
        super().__init__(allocation, _equal_share(allocation), p, name=self._name)

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

    def residual_error(self, proxy="independent", p=None):
        """Zero: the full gradient is always recovered (see base class)."""
        _check_proxy(proxy)
        if p is not None:
            check_probabilities(p, self.n_workers, name="p")
        return 0.0


class IgnoreCode(FullCode):
    """Drop stragglers and rescale by ``N / |alive|`` (biased if ``p`` varies).

    Same allocation and coefficients as :class:`FullCode`; decode is
    ``N / |alive|`` on alive workers, all zeros if nobody is alive.

    Notes
    -----
    The residual error is computed exactly by enumerating the ``2**N`` alive
    sets when ``N <= 12``, otherwise by a Monte-Carlo average over 20000
    alive sets drawn with a fixed seed (0).
    """

    waits_for_all = False
    _name = "ignore"

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
        return _ignore_weights(alive[None, :])[0]

    def residual_error(self, proxy="independent", p=None):
        """Exact (``N <= 12``) or seeded Monte-Carlo residual error; see base class."""
        _check_proxy(proxy)
        p = self._resolve_p(p)
        alive, prob = _alive_sets(p)
        beta = _ignore_weights(alive) @ self.coefficients
        if proxy == "independent":
            err = ((beta - 1.0) ** 2).sum(axis=1)
        else:
            err = (beta.sum(axis=1) - self.n_partitions) ** 2
        return float(prob @ err)


def _ignore_weights(alive):
    """Rows of ``N / |alive|`` decoding weights for a (n_sets, N) alive matrix."""
    n_alive = alive.sum(axis=1, keepdims=True)
    scale = np.divide(alive.shape[1], n_alive, out=np.zeros(n_alive.shape), where=n_alive > 0)
    return alive * scale


def _alive_sets(p, n_draws=N_MONTE_CARLO, seed=0):
    """Alive sets with their probabilities: all of them, or ``n_draws`` seeded samples."""
    n = p.shape[0]
    if n <= MAX_ENUMERATE_WORKERS:
        alive = np.array(list(itertools.product((False, True), repeat=n)))
        prob = np.prod(np.where(alive, 1.0 - p, p), axis=1)
        return alive, prob
    rng = np.random.default_rng(seed)
    alive = rng.random((n_draws, n)) >= p
    return alive, np.full(n_draws, 1.0 / n_draws)
