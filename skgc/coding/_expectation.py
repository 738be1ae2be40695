"""Expectations over alive sets for decoders that depend on who answered.

With ``N <= MAX_ENUMERATE_WORKERS`` every one of the ``2**N`` alive sets is
enumerated with its probability (exact, zero standard error); above, the
expectation is a seeded Monte-Carlo average reported with its standard error.
"""

import itertools

import numpy as np

from ._validation import check_proxy

__all__ = ["MAX_ENUMERATE_WORKERS", "N_MONTE_CARLO", "alive_sets", "AliveStatistics",
           "alive_statistics"]

#: Largest number of workers for which alive-dependent decoders are
#: evaluated exactly by enumerating all ``2**N`` alive sets.
MAX_ENUMERATE_WORKERS = 12
#: Monte-Carlo draws (seeded) used above ``MAX_ENUMERATE_WORKERS``.
N_MONTE_CARLO = 20000


def alive_sets(p, n_draws=N_MONTE_CARLO, seed=0):
    """Alive sets with their probabilities: all of them, or ``n_draws`` seeded samples.

    Parameters
    ----------
    p : ndarray of shape (n_workers,)
        Validated straggling probabilities.
    n_draws : int, default=20000
        Draws when ``N > MAX_ENUMERATE_WORKERS``.
    seed : int, default=0

    Returns
    -------
    alive : ndarray of bool of shape (n_sets, n_workers)
    prob : ndarray of shape (n_sets,)
        Probability of each set (``1 / n_sets`` for Monte-Carlo draws).
    """
    n = p.shape[0]
    if n <= MAX_ENUMERATE_WORKERS:
        alive = np.array(list(itertools.product((False, True), repeat=n)))
        prob = np.prod(np.where(alive, 1.0 - p, p), axis=1)
        return alive, prob
    rng = np.random.default_rng(seed)
    alive = rng.random((n_draws, n)) >= p
    return alive, np.full(n_draws, 1.0 / n_draws)


class AliveStatistics:
    """Partition weights ``beta`` of a code over (enumerated or sampled) alive sets.

    Parameters
    ----------
    betas : ndarray of shape (n_sets, n_partitions)
    prob : ndarray of shape (n_sets,)
        Probability of each set (``1 / n_sets`` for Monte-Carlo draws).
    monte_carlo : bool
        True when the sets are seeded draws rather than all sets.
    decode_weights : ndarray of shape (n_workers,), default=None
        The mean decoding weights ``E[w]`` over the same sets.
    """

    def __init__(self, betas, prob, monte_carlo, decode_weights=None):
        self.betas, self.prob, self.monte_carlo = betas, prob, monte_carlo
        self.decode_weights = decode_weights

    def _mean_and_se(self, values):
        mean = self.prob @ values
        if not self.monte_carlo:
            return mean, np.zeros_like(mean)
        n = values.shape[0]
        return mean, values.std(axis=0, ddof=1) / np.sqrt(n)

    @property
    def weights(self):
        """``E[beta]``, ndarray of shape (n_partitions,)."""
        return self.prob @ self.betas

    def error(self, proxy="independent"):
        """``(E ||beta - 1||^2 or E (sum beta - K)^2, standard error)``."""
        check_proxy(proxy)
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
    alive, prob = alive_sets(p, n_draws, seed)
    weights = code.decode_many(alive)
    return AliveStatistics(weights @ code.coefficients, prob,
                           p.shape[0] > MAX_ENUMERATE_WORKERS, prob @ weights)
