"""What every execution backend provides to the master."""

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_random_state

from ..solver import GradientEstimate

__all__ = ["Backend", "CurvatureEstimate", "iteration_outcome"]


@dataclass
class CurvatureEstimate:
    """What one Hessian round brought back.

    Attributes
    ----------
    blocks : dict
        Partition index -> its Hessian sums, shape ``(n_blocks, size, size)``
        (:meth:`skgc.objective.Datafit.hessian_sums`), for every partition that at least
        one worker who answered holds.
    sums : dict
        Partition index -> its value and gradient sums at the same iterate, uncoded and
        packed (:func:`skgc.backends._decoding.pack`), for the same partitions.
    n_alive : int
    duration : float
    alive : ndarray of bool of shape (n_workers,)
    """

    blocks: dict
    sums: dict
    n_alive: int
    duration: float
    alive: np.ndarray


class Backend:
    """Runs the workers of one fit.

    Usage: ``start(data, datafit, code)`` places the partitions on the workers once;
    ``gradient(coef, intercept)`` runs one iteration and returns a
    :class:`skgc.solver.GradientEstimate` of the mean data term; ``close()`` releases the
    workers. Backends are context managers.

    An estimator builds one backend per fit: from a name, ``BACKENDS[name](stragglers,
    deadline, random_state)``; from a backend object (``backend=DaskBackend(client=c)``),
    ``backend.bind(stragglers, deadline, random_state)``, a fresh copy with the object's
    options.

    Parameters
    ----------
    stragglers : skgc.stragglers.StragglerModel or None
        Who is slow (None: nobody; fixed at ``start``).
    deadline : float, "auto" or None
        Seconds the master waits; None or "auto": the model's default deadline.
    random_state : int, RandomState instance or None
        Seeds the straggler draws.
    """

    name = None
    #: Keyword-only constructor options that :meth:`bind` carries over.
    _options = ()
    _draws_per_batch = 256

    def __init__(self, stragglers=None, deadline=None, random_state=None):
        from ..stragglers import StragglerModel

        if stragglers is not None and not isinstance(stragglers, StragglerModel):
            raise TypeError(
                "stragglers must be a skgc.stragglers model or None; got "
                f"{type(stragglers).__name__} {stragglers!r} (the estimators turn "
                "probabilities into a model with skgc.stragglers.check_stragglers)."
            )
        _check_deadline(deadline)
        self.stragglers = stragglers
        self.deadline = deadline
        if stragglers is not None:
            self.deadline = _resolve_deadline(stragglers, deadline)
        seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
        self._rng = np.random.default_rng(seed)
        self._times = np.empty((0, 0))

    @classmethod
    def straggler_probs(cls, stragglers, deadline):
        """The ``p_j`` a code for this backend is designed for (deadline None: default)."""
        return stragglers.straggler_probs(deadline)

    def bind(self, stragglers, deadline, random_state):
        """A fresh backend for one fit, with this object's options."""
        options = {name: getattr(self, name) for name in self._options}
        return type(self)(stragglers, deadline, random_state, **options)

    def _begin(self, code, master=None):
        """Fix the straggler model, the deadline and the master for a fit of ``code``."""
        from ._master import Master

        self.master = Master(code) if master is None else master
        if self.stragglers is None:
            from ..stragglers import check_stragglers

            self.stragglers = check_stragglers(None, code.n_workers)
            self.deadline = _resolve_deadline(self.stragglers, self.deadline)
        self.stragglers.resized(code.n_workers).rewind()
        self._times = np.empty((0, code.n_workers))
        self.n_iterations = self.n_silent = 0
        probs = code.straggler_probs
        self._p_silent = 0.0 if probs is None else float(np.prod(probs))

    def _next_times(self):
        """This iteration's response times (drawn in batches from the model)."""
        if not len(self._times):
            batch = max(1, min(self._draws_per_batch, 2 ** 20 // self.stragglers.n_workers))
            self._times = self.stragglers.sample(self._rng, batch)
        times, self._times = self._times[0], self._times[1:]
        return times

    @property
    def code(self):
        """The code in use (the master may re-optimise its coefficients during a fit)."""
        return self.master.code

    def start(self, data, datafit, code, master=None):
        """Place the partitions on the workers; ``master`` decodes (plain if None)."""
        raise NotImplementedError

    def _estimate(self, sums, alive, duration, fallback):
        """The solver's estimate from decoded sums; the master then learns who answered."""
        values, grad_coef, grad_intercept = sums
        scale = 1.0 / self.data.normaliser
        estimate = GradientEstimate(float(np.sum(values)) * scale, grad_coef * scale,
                                    grad_intercept * scale, int(alive.sum()), duration,
                                    bool(fallback), alive, np.asarray(values) * scale)
        self.master.observe(alive)
        self._count_round(alive)
        return estimate

    def _count_round(self, alive):
        """Record whether anybody answered in this round (see :meth:`_report_silence`)."""
        self.n_iterations += 1
        self.n_silent += not alive.any()

    def gradient(self, coef, intercept, smoothing=None):
        """One round: the decoded value and gradient of the mean data term at ``coef,
        intercept`` (the loss smoothed by ``smoothing`` if given)."""
        raise NotImplementedError

    def hessian(self, coef, intercept, smoothing=None, partitions=None):
        """One round: the Hessian sums of the partitions held by the workers who answered
        (a :class:`CurvatureEstimate`), only of ``partitions`` if given."""
        raise NotImplementedError

    def close(self):
        """Release the workers (nothing to release by default)."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc_info):
        self.close()
        if exc_type is None:
            self._report_silence()

    def _report_silence(self):
        """Raise if no worker answered in any round; warn if in more than the code's
        probabilities explain (``prod_j p_j`` of the rounds, with a 3-sigma margin).
        Gradient descent has one round per iteration; Newton iterations may have more
        (curvature, line search) or none (the master holds the exact objective).

        Such a round leaves the model unchanged: a deadline too short for the workers'
        response times (or workers that are all down) must not pass for a fit.
        """
        silent, total = getattr(self, "n_silent", 0), getattr(self, "n_iterations", 0)
        expected = getattr(self, "_p_silent", 0.0)
        explained = total * expected + 3.0 * np.sqrt(total * expected * (1 - expected)) + 1
        if not silent or (silent < total and silent <= explained):
            return
        message = (
            f"no worker answered in {silent} of {total} round"
            f"{'s' * (total != 1)}; the deadline ({self.deadline:.3g} s) is too short for the "
            "workers' response times, or the workers are down. Those rounds left the model "
            "unchanged: give a longer deadline (or deadline='auto') or check the workers."
        )
        if silent == total:
            raise RuntimeError(message)
        warnings.warn(message, UserWarning, stacklevel=3)


def _check_deadline(deadline):
    """A deadline is None, "auto" or a positive number of seconds."""
    if deadline is None or (isinstance(deadline, str) and deadline == "auto"):
        return
    if isinstance(deadline, (str, bool)) or not isinstance(deadline, numbers.Real) \
            or not 0 < deadline < np.inf:
        raise ValueError(
            'deadline must be a positive, finite number of seconds, "auto" or None; got '
            f"{deadline!r}."
        )


def _resolve_deadline(stragglers, deadline):
    if deadline is None or (isinstance(deadline, str) and deadline == "auto"):
        return float(stragglers.default_deadline())
    return float(deadline)


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
