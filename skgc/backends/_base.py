"""What every execution backend provides: place the data, run one round, release."""

import numpy as np

__all__ = ["Backend", "iteration_outcome"]


class Backend:
    """Where the workers' code runs, and nothing else.

    Usage: ``start(data, datafit, allocation)`` places the partitions on the workers once
    (worker ``j`` holds the partitions ``k`` with ``allocation[j, k]``);
    ``round(work, coefficients, delays, deadline, done)`` sends one request to every
    worker and returns what came back in time (a :class:`Round`); ``close()`` releases
    the workers. Backends are context managers. Decoding, straggler draws and everything
    else the master decides happen in :class:`skgc.master.Master`.

    A fit uses its own backend: from a name, ``BACKENDS[name]()``; from a backend object
    (``backend=DaskBackend(client=c)``), ``backend.bind()``, a fresh copy with the
    object's options.
    """

    name = None
    #: Whether round durations are virtual seconds (simulation) or measured ones.
    virtual_clock = False
    #: Seconds a code that waits for every worker waits at most (then decodes what came).
    patience = 60.0
    #: Keyword-only constructor options that :meth:`bind` carries over.
    _options = ()

    def bind(self):
        """A fresh backend for one fit, with this object's options."""
        return type(self)(**{name: getattr(self, name) for name in self._options})

    def straggler_probs(self, stragglers, deadline):
        """The ``p_j`` a code for this backend is designed for: on a virtual clock the
        model's own; on real workers those of the delays really slept."""
        if self.virtual_clock:
            return stragglers.straggler_probs(deadline)
        return stragglers.injected_straggler_probs(deadline)

    def start(self, data, datafit, allocation):
        """Place the partitions on the workers (``allocation``: boolean, workers x
        partitions) and return self."""
        self.data, self.datafit = data, datafit
        self.allocation = allocation = np.asarray(allocation, dtype=bool)
        ends = np.cumsum(allocation.sum(axis=1))
        held = np.nonzero(allocation)[1]  # each worker's partitions, worker after worker
        self.supports = [held[a:b] for a, b in zip([0, *ends[:-1].tolist()], ends.tolist())]
        self.n_workers = len(self.supports)
        try:
            self._launch(data, datafit)
        except BaseException:
            self.close()
            raise
        return self

    def round(self, work, coefficients, delays, deadline, done=None):
        """One round: every worker answers ``work`` after its ``delays[j]`` seconds.

        Parameters
        ----------
        work : Work
        coefficients : ndarray of shape (n_workers, n_partitions)
            The coding coefficients; worker ``j`` uses ``coefficients[j, S_j]``.
        delays : ndarray of shape (n_workers,)
            Seconds each worker takes (simulated) or sleeps before answering.
        deadline : float
            Seconds the master waits at most.
        done : callable or None, default=None
            ``done(alive) -> bool``: the master stops waiting as soon as it is True.

        Returns
        -------
        Round
        """
        raise NotImplementedError

    def _launch(self, data, datafit):
        """Place ``data`` on the workers (``self.supports`` say who holds what)."""

    def close(self):
        """Release the workers (nothing to release by default)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def iteration_outcome(times, deadline, done=None):
    """Who the master hears from, and how long it waits, on a virtual clock.

    Workers answer at ``times``; the master stops at the deadline, when everyone has
    answered, or as soon as ``done(alive)`` holds.

    Parameters
    ----------
    times : ndarray of shape (n_workers,)
        Response times of the workers in this iteration (``inf``: never).
    deadline : float
        The master stops waiting at the deadline (``inf``: waits for everyone).
    done : callable or None, default=None

    Returns
    -------
    alive : ndarray of bool, shape (n_workers,)
    duration : float
    """
    times = np.asarray(times, dtype=float)
    alive = times <= deadline
    if done is not None:
        order = np.argsort(times, kind="stable")
        answered = np.zeros(len(times), dtype=bool)
        for j in order[:alive.sum()]:
            answered[j] = True
            if done(answered):
                return answered, float(times[j])
    if alive.all():
        return alive, float(times.max()) if len(times) else 0.0
    return alive, float(deadline)
