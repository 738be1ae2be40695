"""The plan of one fit: stragglers, deadline, probabilities, code and partitions, resolved
once and handed, finished, to the master and the backend.

The estimators build one plan per fit; benchmarks and tests build the same with
:func:`make_plan` and run rounds through :meth:`FitPlan.run`::

    plan = make_plan(X, y, n_workers=10, stragglers=paper_model(10), random_state=0)
    with plan.run(variance_reduction=True) as master:
        estimate = master.gradient(coef, intercept)
"""

import numbers
import warnings
from contextlib import contextmanager
from functools import lru_cache
from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_random_state

from ._collections import dask_client, is_dask_collection
from .backends import Backend, make_backend
from .backends._dask_data import ClusterPartitions
from .coding import GradientCode, default_load, make_code
from .deadline import MeasuredDeadline, choose_deadline
from .master import Master
from .objective import Datafit, PartitionedData, get_loss
from .stragglers import BernoulliStragglers, StragglerModel, check_stragglers

__all__ = ["FitPlan", "make_plan"]


@dataclass(frozen=True)
class FitPlan:
    """Everything one fit needs, resolved.

    Attributes
    ----------
    code : skgc.coding.GradientCode
        Built for :attr:`straggler_probs`.
    stragglers : skgc.stragglers.StragglerModel
    deadline : float
        Seconds the master waits (virtual seconds on the simulated backend).
    data : skgc.objective.PartitionedData
    datafit : skgc.objective.Datafit
    backend : skgc.backends.Backend
        A fresh, not yet started, backend.
    random_state : int
        Seeds the master (straggler draws, decoder).
    solver_seed : int
        Seeds what the solver draws (the smoothness estimate of gradient descent).
    """

    code: GradientCode
    stragglers: StragglerModel
    deadline: float
    data: PartitionedData
    datafit: Datafit
    backend: Backend
    random_state: int
    solver_seed: int

    @property
    def straggler_probs(self):
        """The ``p_j`` the code is built for."""
        return self.code.straggler_probs

    @contextmanager
    def run(self, *, variance_reduction=False, estimate_stragglers=False,
            gradient_aware=False, delay_variance_reduction=False):
        """Start the backend on the data and yield the fit's :class:`~skgc.master.Master`.

        The backend is released on the way out, whatever happens; on a normal exit the
        master then checks that workers answered (:meth:`Master.report_silence`).
        Keyword arguments are the master's options.
        """
        with self.backend.start(self.data, self.datafit, self.code.allocation):
            master = Master(self.code, self.backend, self.stragglers, self.deadline,
                            self.data, self.datafit, variance_reduction=variance_reduction,
                            estimate_stragglers=estimate_stragglers,
                            gradient_aware=gradient_aware,
                            delay_variance_reduction=delay_variance_reduction,
                            random_state=self.random_state)
            yield master
        master.report_silence()


def make_plan(X, Y, sample_weight=None, *, loss="squared_error", epsilon=0.1,
              fit_intercept=True, n_workers=8, n_partitions=None, load=None, code="optimal",
              stragglers=None, deadline=None, backend="simulated", shuffle=True,
              random_state=None):
    """Resolve a fit's plan from the estimators' parameters (same names, same meaning).

    Parameters
    ----------
    X : ndarray, CSR matrix or dask array of shape (n_samples, n_features)
        A dask array (row blocks on the workers of ``backend``, a Dask backend) is cut into
        partitions of whole row blocks where they live, in order (``shuffle`` is ignored).
    Y : ndarray or dask array of shape (n_samples,) or (n_samples, n_outputs)
        Targets; one column per output (per class, -1 / +1, in classification).
    sample_weight : ndarray of shape (n_samples,) or None, default=None
    loss, epsilon, fit_intercept
        The data term (:func:`skgc.objective.get_loss`).
    n_workers, n_partitions, load, code, stragglers, deadline, backend
        As the estimators' parameters of the same names.
    shuffle : bool or callable, default=True
        Shuffle the samples into iid partitions; a callable is given the plan's code and
        says whether to. Skipped in any case, with its copy of the data, when every
        worker answers every round (see the estimators' ``shuffle``).
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    FitPlan
    """
    seeds = _plan_seeds(random_state)
    n_samples = X.shape[0]
    n_partitions = _n_partitions(n_partitions, n_workers, n_samples)
    stragglers = check_stragglers(stragglers, n_workers)
    backend = make_backend(backend)
    load = None if load is None else (load if np.isscalar(load) else np.asarray(load))
    if _measures_deadline(deadline, stragglers, backend):
        backend.deadline_rule = MeasuredDeadline()
    deadline = _resolve_deadline(deadline, stragglers, code, n_partitions, load,
                                 int(seeds[0]))
    probs = backend.straggler_probs(stragglers, deadline)
    code = make_code(code, n_workers, n_partitions, load=load, straggler_probs=probs,
                     random_state=int(seeds[0]))
    if is_dask_collection(X):  # data on the cluster: partitions of its row blocks
        data = ClusterPartitions(X, Y, sample_weight, code.n_partitions, dask_client(backend))
    else:
        Y = np.asarray(Y, dtype=np.float64)
        Y = Y[:, None] if Y.ndim == 1 else Y
        sample_weight = (np.ones(n_samples) if sample_weight is None
                         else np.asarray(sample_weight, dtype=np.float64))
        shuffle = not _every_worker_answers(backend, probs) and (
            shuffle(code) if callable(shuffle) else shuffle)
        data = PartitionedData(X, Y, sample_weight, code.n_partitions, shuffle, int(seeds[1]))
    datafit = Datafit(get_loss(loss, epsilon), fit_intercept)
    return FitPlan(code, stragglers, deadline, data, datafit, backend,
                   random_state=int(seeds[3]), solver_seed=int(seeds[2]))


def _plan_seeds(random_state):
    """Five seeds for the plan's parts, drawn from ``random_state``."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return _seeds_of(int(random_state))
    return check_random_state(random_state).randint(np.iinfo(np.int32).max, size=5)


@lru_cache(maxsize=256)
def _seeds_of(seed):
    """:func:`_plan_seeds` of an integer, remembered: seeding numpy's legacy generator
    costs about 0.25 ms, a tenth of a small fit."""
    seeds = check_random_state(seed).randint(np.iinfo(np.int32).max, size=5)
    seeds.flags.writeable = False
    return seeds


def _every_worker_answers(backend, probs):
    """Whether every worker answers every round: on a virtual clock, with no worker ever
    late. Every round then sums every partition, whatever each holds, so shuffling the
    samples into iid partitions cannot change the fit, and its copy of the data is
    skipped."""
    return backend.virtual_clock and probs is not None and not np.any(np.asarray(probs) > 0)


def _n_partitions(n_partitions, n_workers, n_samples):
    """The number of partitions: ``n_workers`` by default, at most one per sample."""
    if n_partitions is None:
        if n_workers > n_samples:
            warnings.warn(
                f"n_workers={n_workers} is more than the number of samples ({n_samples}): "
                f"the data are cut into {n_samples} partitions (one sample each) that the "
                f"{n_workers} workers share, and code_ describes {n_workers} workers. Set "
                "n_partitions to choose the partitions and silence this warning.",
                UserWarning,
            )
        return min(n_workers, n_samples)
    if n_partitions > n_samples:
        raise ValueError(
            f"n_partitions={n_partitions} is more than the number of samples "
            f"({n_samples} sample{'' if n_samples == 1 else 's'}); use at most "
            f"{n_samples} partitions."
        )
    return n_partitions


def _measures_deadline(deadline, stragglers, backend):
    """Whether the rounds are cut by a :class:`~skgc.deadline.MeasuredDeadline`: the
    default deadline (None, "auto") of real workers under a Bernoulli model, whose
    nominal deadline (one iteration) is not seconds."""
    default = deadline is None or (isinstance(deadline, str) and deadline == "auto")
    return (default and not backend.virtual_clock
            and isinstance(stragglers, BernoulliStragglers))


def _resolve_deadline(deadline, stragglers, code, n_partitions, load, seed):
    """Seconds the master waits: the model's default (None, "auto"), the deadline of least
    expected time to accuracy ("optimal"), or the number given."""
    if deadline is None or (isinstance(deadline, str) and deadline == "auto"):
        return float(stragglers.default_deadline())
    if isinstance(deadline, str) and deadline == "optimal":
        if not isinstance(code, str) or load is not None and not np.isscalar(load):
            raise ValueError(
                "deadline='optimal' needs a code given by name and a single integer load."
            )
        loads = (load if load is not None else default_load(stragglers.n_workers,
                                                            n_partitions),)
        return float(choose_deadline(stragglers, loads=loads, code=code,
                                     n_partitions=n_partitions, random_state=seed).deadline)
    if isinstance(deadline, (str, bool)) or not isinstance(deadline, numbers.Real) \
            or not 0 < deadline < np.inf:
        raise ValueError(
            'deadline must be a positive, finite number of seconds, "auto", "optimal" or '
            f"None; got {deadline!r}."
        )
    return float(deadline)
