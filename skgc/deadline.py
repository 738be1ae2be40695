"""Choosing the deadline (and the loads) from a delay model.

A longer deadline hears from more workers, so the decoded gradient is less noisy and the
solver's "auto" step ``1 / (L (1 + eps))`` is longer; but every iteration that waits for a
straggler lasts longer. With a response time ``T_j + load * time_per_partition`` for worker
``j`` and deadline ``tau``:

* the code is built for ``p_j = P(T_j + load * c > tau)``;
* the iterations needed scale with ``1 + eps(tau, load)``, ``eps`` the code's relative
  variance (coherent residual error over ``K^2``; the step shrinks by that factor);
* an iteration lasts ``E[max_j response]`` when everyone answers in time, ``tau`` otherwise.

:func:`choose_deadline` minimises the product, the expected time to a given accuracy up
to a constant: a coarse scan of the deadline over quantiles of the response times, then a
bounded scalar refinement around the best point, for every candidate load.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from .coding import make_code
from .stragglers import DelayModel

__all__ = ["DeadlineChoice", "MeasuredDeadline", "choose_deadline", "iteration_cost"]


@dataclass(frozen=True)
class MeasuredDeadline:
    """The default deadline on real workers when the straggler model has no seconds.

    A Bernoulli model (``stragglers=None``, a probability or one per worker) says who
    straggles, not how long a round takes, and a round's length depends on the partitions'
    size, the kind of request (a Hessian costs more than a gradient) and the machine. So
    each round measures its own reference: the time at which the fast part of the
    workers (``quantile`` of those with work in the round) have answered. The master
    stops waiting ``factor`` times that reference plus ``slack`` seconds after the round
    started, or earlier when the answers decode or everyone answered: a worker 10 times
    slower than its peers is cut, a machine's usual jitter is not. Before the reference
    the master waits up to the backend's ``patience``. A round that waits for every
    worker (a code with ``waits_for_all``) is not cut.

    Attributes
    ----------
    factor : float, default=3.0
    slack : float, default=0.5
        Seconds added to the cut: a loaded machine may pause a worker for that long.
    quantile : float, default=0.5
        Fraction of the busy workers whose answers set the reference.
    """

    factor: float = 3.0
    slack: float = 0.5
    quantile: float = 0.5

    def reference(self, n_busy):
        """How many busy workers must have answered before the round is cut."""
        return max(1, int(np.ceil(self.quantile * n_busy)))

    def cut(self, reference_seconds):
        """Seconds after the start of the round at which the master stops waiting."""
        return self.factor * reference_seconds + self.slack


@dataclass
class DeadlineChoice:
    """Outcome of :func:`choose_deadline`.

    Attributes
    ----------
    deadline : float
    load : int
    cost : float
        Expected seconds per iteration times ``1 + eps`` (relative time to accuracy).
    straggler_probs : ndarray of shape (n_workers,)
    """

    deadline: float
    load: int
    cost: float
    straggler_probs: np.ndarray


def iteration_cost(model, times, deadline, load, code="optimal", n_partitions=None,
                   time_per_partition=0.0, random_state=0):
    """Expected time to accuracy (up to a constant) for one deadline and load.

    Parameters
    ----------
    model : skgc.stragglers.DelayModel
    times : ndarray of shape (n_draws, n_workers)
        Response-time draws of ``model`` (common random numbers across candidates).
    deadline : float
    load : int
    code : str, default="optimal"
    n_partitions : int or None
    time_per_partition : float, default=0.0
        Computation seconds per partition a worker holds.
    random_state : int, default=0

    Returns
    -------
    cost : float
    probs : ndarray of shape (n_workers,)
    """
    compute = load * time_per_partition
    probs = np.clip(model.straggler_probs(deadline - compute), 0.0, 1.0)
    try:
        built = make_code(code, model.n_workers, n_partitions, load=load,
                          straggler_probs=probs, random_state=random_state)
    except ValueError:  # some partition can never be recovered at this deadline
        return np.inf, probs
    response = times + compute
    everyone = (response <= deadline).all(axis=1)
    duration = np.where(everyone, response.max(axis=1), deadline).mean()
    return float(duration * (1.0 + built.relative_variance)), probs


def choose_deadline(model, loads=(2,), code="optimal", n_partitions=None,
                    time_per_partition=0.0, n_draws=2000, n_scan=40, random_state=0):
    """The deadline (and load) minimising the expected time to accuracy.

    Parameters
    ----------
    model : skgc.stragglers.DelayModel
        Per-worker response-time distributions.
    loads : sequence of int, default=(2,)
        Candidate loads (partitions per worker).
    code : str, default="optimal"
    n_partitions : int or None
        Default: the number of workers.
    time_per_partition : float, default=0.0
        Computation seconds per partition: with 0, a higher load costs no time.
    n_draws : int, default=2000
        Response-time draws for the expected duration.
    n_scan : int, default=40
        Deadlines of the coarse scan (quantiles of all response times).
    random_state : int, default=0

    Returns
    -------
    DeadlineChoice
    """
    if not isinstance(model, DelayModel):
        raise ValueError(
            "deadline='optimal' needs a delay model from skgc.stragglers (FixedDelays, "
            f"ShiftedExponential, Pareto, TraceDelays); got {model!r}."
        )
    times = model.sample(np.random.default_rng(random_state), n_draws)
    finite = times[np.isfinite(times)]
    if finite.size == 0:
        raise ValueError("the delay model never answers: no deadline can help.")
    best = None
    for load in loads:
        def cost(deadline, load=load):
            return iteration_cost(model, times, deadline, load, code, n_partitions,
                                  time_per_partition, random_state)[0]

        scan = np.unique(np.quantile(finite, np.linspace(0.02, 1.0, n_scan))
                         + load * time_per_partition)
        values = [cost(t) for t in scan]
        i = int(np.argmin(values))
        deadline, value = scan[i], values[i]
        bounds = (scan[max(i - 1, 0)], scan[min(i + 1, len(scan) - 1)])
        if bounds[1] > bounds[0]:
            refined = minimize_scalar(cost, bounds=bounds, method="bounded",
                                      options={"xatol": 1e-6 * bounds[1]})
            if refined.fun < value:
                deadline, value = float(refined.x), float(refined.fun)
        if best is None or value < best.cost:
            probs = iteration_cost(model, times, deadline, load, code, n_partitions,
                                   time_per_partition, random_state)[1]
            best = DeadlineChoice(float(deadline), int(load), float(value), probs)
    return best
