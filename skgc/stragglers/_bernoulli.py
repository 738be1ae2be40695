"""Independent per-worker Bernoulli stragglers, and the paper's model."""

import numpy as np
from sklearn.utils import check_random_state

from .._validation import check_n_workers, check_probabilities
from ._base import StragglerModel

__all__ = ["BernoulliStragglers", "paper_model"]


class BernoulliStragglers(StragglerModel):
    """Worker ``j`` straggles in each iteration with probability ``p_j``, independently.

    A worker that does not straggle answers after ``time_per_iteration`` seconds; a straggler
    answers ``slowdown`` times later (``inf``: never). The default deadline sits between the
    two, so that exactly the non-stragglers are in time. On a real backend the times are not
    slept: a worker that does not straggle answers as fast as it computes, a straggler sleeps
    ``slowdown`` times the deadline.

    Parameters
    ----------
    probs : array-like of shape (n_workers,)
        Straggling probabilities in ``[0, 1]``.
    slowdown : float, default=10.0
        How many times slower a straggler is (> 1).
    time_per_iteration : float, default=1.0
        Response time of a worker that does not straggle (virtual seconds in simulation).
    """

    def __init__(self, probs, slowdown=10.0, time_per_iteration=1.0):
        self.probs = check_probabilities(probs, name="stragglers")
        if not slowdown > 1.0:
            raise ValueError(f"slowdown must be > 1; got {slowdown!r}.")
        if not time_per_iteration > 0.0:
            raise ValueError(f"time_per_iteration must be > 0; got {time_per_iteration!r}.")
        self.slowdown = float(slowdown)
        self.time_per_iteration = float(time_per_iteration)

    @property
    def n_workers(self):
        return len(self.probs)

    def sample(self, rng, n_iterations=1):
        straggles = rng.random((n_iterations, self.n_workers)) < self.probs
        return np.where(straggles, self.slowdown, 1.0) * self.time_per_iteration

    def default_deadline(self):
        return self.time_per_iteration

    def straggler_probs(self, deadline=None):
        deadline = self.default_deadline() if deadline is None else deadline
        if deadline < self.time_per_iteration:
            return np.ones(self.n_workers)
        if deadline >= self.slowdown * self.time_per_iteration:
            return np.zeros(self.n_workers)
        return self.probs.copy()

    def injected_delays(self, times, deadline):
        straggles = np.asarray(times) > self.time_per_iteration
        return np.where(straggles, self.slowdown * float(deadline), 0.0)

    def injected_straggler_probs(self, deadline=None):
        return self.probs.copy()

    def __repr__(self):
        return f"BernoulliStragglers(probs={np.array2string(self.probs, precision=3)})"


def paper_model(n_workers=10, low=0.01, high=2.0, z=1.1, random_state=None, **kwargs):
    """The straggler model of Song & Choi's experiments.

    ``p_j = exp(-mu_j (z - 1))`` with ``mu_j ~ U(low, high)``; with the defaults
    ``p_j`` lies in about ``[0.82, 0.999]``.

    Parameters
    ----------
    n_workers : int, default=10
    low, high : float, default=0.01, 2.0
        Range of the rates ``mu_j``.
    z : float, default=1.1
        Normalised deadline (> 1).
    random_state : int, RandomState instance or None
        Seeds the draw of the ``mu_j``.
    **kwargs
        Passed to :class:`BernoulliStragglers` (``slowdown``, ``time_per_iteration``).

    Returns
    -------
    BernoulliStragglers
    """
    if not 0 <= low <= high:
        raise ValueError(f"need 0 <= low <= high; got low={low!r}, high={high!r}.")
    if not z > 1:
        raise ValueError(f"z must be > 1; got {z!r}.")
    mu = check_random_state(random_state).uniform(low, high, size=check_n_workers(n_workers))
    return BernoulliStragglers(np.exp(-mu * (z - 1.0)), **kwargs)
