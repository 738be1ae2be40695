"""What every execution backend provides to the master."""

import numpy as np

__all__ = ["Backend", "iteration_outcome"]


class Backend:
    """Runs the workers of one fit.

    Usage: ``start(data, datafit, code)`` places the partitions on the workers once;
    ``gradient(coef, intercept)`` runs one iteration and returns a
    :class:`skgc.solver.GradientEstimate` of the mean data term; ``close()`` releases the
    workers. Backends are context managers.
    """

    name = None

    def start(self, data, datafit, code):
        raise NotImplementedError

    def gradient(self, coef, intercept):
        raise NotImplementedError

    def close(self):
        """Release the workers (nothing to release by default)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def iteration_outcome(times, deadline, waits_for_all):
    """Who the master hears from, and how long it waits.

    Parameters
    ----------
    times : ndarray of shape (n_workers,)
        Response times of the workers in this iteration (``inf``: never).
    deadline : float
        The master stops waiting at the deadline.
    waits_for_all : bool
        The code needs every worker (the master ignores the deadline).

    Returns
    -------
    alive : ndarray of bool, shape (n_workers,)
    duration : float
    """
    if waits_for_all:
        return np.ones(len(times), dtype=bool), float(times.max())
    alive = times <= deadline
    return alive, float(times[alive].max()) if alive.all() else float(deadline)
