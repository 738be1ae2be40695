"""The interface every straggler model implements."""

import numbers

import numpy as np

__all__ = ["StragglerModel", "check_stragglers"]


class StragglerModel:
    """A model of the workers' response times in one iteration.

    Subclasses implement :meth:`sample` and :meth:`straggler_probs`.

    Attributes
    ----------
    n_workers : int
        Number of workers the model describes.
    """

    n_workers = None

    def sample(self, rng, n_iterations=1):
        """Draw response times (seconds; ``inf`` for a worker that never answers).

        Parameters
        ----------
        rng : numpy.random.Generator
            The source of randomness (the estimator's ``random_state``).
        n_iterations : int
            Number of iterations to draw at once.

        Returns
        -------
        times : ndarray of shape (n_iterations, n_workers)
        """
        raise NotImplementedError

    def default_deadline(self):
        """The deadline used when the user gives none."""
        raise NotImplementedError

    def straggler_probs(self, deadline=None):
        """``p_j = P(T_j > deadline)`` for every worker (the model's deadline if None)."""
        raise NotImplementedError

    def injected_delays(self, times, deadline):
        """Seconds each worker really sleeps on a real backend, given drawn ``times``.

        Delay models draw seconds, slept as they are; a model whose times are not seconds
        (Bernoulli) overrides this.
        """
        return np.asarray(times, dtype=float)

    def injected_straggler_probs(self, deadline=None):
        """``P(T_j > deadline)`` on a real backend, where :meth:`injected_delays` are slept."""
        return self.straggler_probs(deadline)

    def rewind(self):
        """Start again from the first iteration (for models that replay a record)."""

    def resized(self, n_workers):
        """Check the model describes ``n_workers`` workers and return it."""
        if self.n_workers != n_workers:
            raise ValueError(
                f"stragglers describes {self.n_workers} workers but n_workers={n_workers}."
            )
        return self


def check_stragglers(stragglers, n_workers):
    """Turn the estimators' ``stragglers`` parameter into a :class:`StragglerModel`.

    Parameters
    ----------
    stragglers : None, float, array-like of shape (n_workers,) or StragglerModel
        None: nobody straggles. A float: that probability for every worker. An array:
        one probability per worker. A model: used as it is.
    n_workers : int

    Returns
    -------
    StragglerModel
    """
    from ._bernoulli import BernoulliStragglers

    if isinstance(stragglers, StragglerModel):
        return stragglers.resized(n_workers)
    if stragglers is None:
        return BernoulliStragglers(np.zeros(n_workers))
    if isinstance(stragglers, numbers.Real) and not isinstance(stragglers, bool):
        return BernoulliStragglers(np.full(n_workers, float(stragglers)))
    if isinstance(stragglers, str) or not hasattr(stragglers, "__len__"):
        raise ValueError(
            "stragglers must be None, a probability, an array of per-worker probabilities "
            f"or a skgc.stragglers model; got {stragglers!r}."
        )
    probs = np.asarray(stragglers, dtype=float)
    if probs.shape != (n_workers,):
        raise ValueError(
            f"stragglers has shape {probs.shape} but n_workers={n_workers}: give one "
            "probability per worker."
        )
    return BernoulliStragglers(probs)
