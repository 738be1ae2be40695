"""The interface every straggler model implements."""

import numpy as np

__all__ = ["StragglerModel"]


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

