"""Expectations over alive sets for decoders that depend on who answered.

With ``N <= MAX_ENUMERATE_WORKERS`` every one of the ``2**N`` alive sets is
enumerated with its probability (exact, zero standard error); above, the
expectation is a seeded Monte-Carlo average reported with its standard error.
"""

import numpy as np

from ._codes import MAX_ENUMERATE_WORKERS, N_MONTE_CARLO, _alive_sets, _check_proxy

__all__ = ["AliveStatistics", "alive_statistics", "AliveDependentError"]


class AliveStatistics:
    """Partition weights ``beta`` of a code over (enumerated or sampled) alive sets.

    Parameters
    ----------
    betas : ndarray of shape (n_sets, n_partitions)
    prob : ndarray of shape (n_sets,)
        Probability of each set (``1 / n_sets`` for Monte-Carlo draws).
    monte_carlo : bool
        True when the sets are seeded draws rather than all sets.
    """

    def __init__(self, betas, prob, monte_carlo):
        self.betas, self.prob, self.monte_carlo = betas, prob, monte_carlo

    def _mean_and_se(self, values):
        mean = self.prob @ values
        if not self.monte_carlo:
            return mean, np.zeros_like(mean)
        n = values.shape[0]
        return mean, values.std(axis=0, ddof=1) / np.sqrt(n)

    def error(self, proxy="independent"):
        """``(E ||beta - 1||^2 or E (sum beta - K)^2, standard error)``."""
        _check_proxy(proxy)
        dev = self.betas - 1.0
        per_set = (dev**2).sum(axis=1) if proxy == "independent" else dev.sum(axis=1) ** 2
        mean, se = self._mean_and_se(per_set)
        return float(mean), float(se)

    def bias(self):
        """``(max_k |E beta_k - 1|, standard error of that partition's mean)``."""
        mean, se = self._mean_and_se(self.betas)
        k = int(np.argmax(np.abs(mean - 1.0)))
        return float(abs(mean[k] - 1.0)), float(se[k])


def alive_statistics(code, p, n_draws=N_MONTE_CARLO, seed=0):
    """Partition weights of ``code`` over the alive sets of ``p``.

    Parameters
    ----------
    code : GradientCode
    p : ndarray of shape (n_workers,)
        Validated straggling probabilities.
    n_draws : int, default=20000
        Monte-Carlo draws when ``N > MAX_ENUMERATE_WORKERS``.
    seed : int, default=0
        Seed of the draws.

    Returns
    -------
    AliveStatistics
    """
    alive, prob = _alive_sets(p, n_draws, seed)
    betas = np.array([code.partition_weights(a) for a in alive])
    return AliveStatistics(betas, prob, p.shape[0] > MAX_ENUMERATE_WORKERS)


class AliveDependentError:
    """Mixin: ``residual_error`` by enumeration / seeded Monte Carlo.

    The statistics of the last ``p`` are kept, so asking for both proxies
    decodes each alive set once.
    """

    def residual_error(self, proxy="independent", p=None):
        """Expected squared error, exact for ``N <= 12``, seeded Monte Carlo above.

        Parameters
        ----------
        proxy : {"independent", "coherent"}, default="independent"
        p : array-like of shape (n_workers,), default=None
            Straggling probabilities; defaults to ``straggler_probs``.

        Returns
        -------
        error : float
        """
        _check_proxy(proxy)
        return self.alive_statistics(p).error(proxy)[0]

    def alive_statistics(self, p=None):
        """:class:`AliveStatistics` at ``p`` (default ``straggler_probs``), cached."""
        p = self._resolve_p(p)
        key = p.tobytes()
        cached = getattr(self, "_alive_stats", None)
        if cached is None or cached[0] != key:
            cached = (key, alive_statistics(self, p))
            self._alive_stats = cached
        return cached[1]
