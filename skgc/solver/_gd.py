"""The coded gradient-descent loop.

The solver only sees an *oracle* that returns an estimate of the mean data term and of its
gradient at the current iterate; it knows nothing about workers, codes or stragglers.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._averaging import IterateAverage
from ._stopping import NoImprovement

__all__ = ["SolverResult", "coded_gradient_descent"]


@dataclass
class SolverResult:
    """Outcome of :func:`coded_gradient_descent`."""

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: int
    converged: bool
    history: dict = field(default_factory=dict)


class _History:
    """Per-iteration records, returned as a dict of arrays.

    Every entry is 1-D, one value per iteration, except "alive": a boolean array of shape
    (n_iterations, n_workers), row ``t`` telling who answered in iteration ``t`` (shape
    (n_iterations, 0) when the oracle did not say).
    """

    def __init__(self):
        self.rows = {"objective": [], "n_alive": [], "time": [], "step": [], "fallback": [],
                     "alive": []}
        self.clock = 0.0

    def append(self, objective, estimate, step):
        self.clock += estimate.duration
        alive = None if estimate.alive is None else np.array(estimate.alive, dtype=bool)
        values = (objective, estimate.n_alive, self.clock, step, estimate.fallback, alive)
        for key, value in zip(self.rows, values):
            self.rows[key].append(value)

    def as_arrays(self):
        arrays = {key: np.asarray(values) for key, values in self.rows.items()
                  if key != "alive"}
        alive = self.rows["alive"]
        if not alive or any(row is None for row in alive):
            arrays["alive"] = np.zeros((len(alive), 0), dtype=bool)
        else:
            arrays["alive"] = np.array(alive, dtype=bool)
        return arrays


def coded_gradient_descent(oracle, coef, intercept, penalty, schedule, *, max_iter, tol,
                           n_iter_no_change, average=False, noisy=False, stochastic=None,
                           refine=None, validation_score=None, t_start=0, verbose=0,
                           callback=None):
    """Minimise ``mean data term + penalty`` by (proximal) gradient descent on estimates.

    Parameters
    ----------
    oracle : callable
        ``oracle(coef, intercept) -> GradientEstimate``.
    coef : ndarray of shape (n_features, n_outputs)
        Initial coefficients (not modified).
    intercept : ndarray of shape (n_outputs,)
        Initial intercept (not modified).
    penalty : skgc.objective.Penalty
    schedule : StepSchedule
    max_iter : int
    tol : float or None
        Stop when the objective (or the validation score) has not improved by ``tol`` for
        ``n_iter_no_change`` iterations; None: run ``max_iter`` iterations.
    n_iter_no_change : int
    average : bool or int, default=False
        SGD's ``average``: uniform average of the iterates from iteration ``average``
        (``True``: from the first).
    noisy : bool, default=False
        The estimates keep a noise floor (stragglers with an inexact code and no control
        variate). With "auto" steps the first stall starts a linearly weighted average of
        the iterates that runs for as many iterations again.
    stochastic : bool or None, default=None
        Who answers is random, so the objective estimate fluctuates: it is smoothed (an
        exponential moving average) before the stall test. None: as ``noisy``.
    refine : callable or None, default=None
        In noisy "auto" mode, called at the first stall *instead of* starting to average:
        the oracle then removes its noise floor itself (the master switches on its
        control-variate decoder, whose memory is by then filled with recent messages),
        and SGD's stopping rule applies from there.
    validation_score : callable or None
        ``validation_score(coef, intercept) -> float`` (higher is better), for early stopping.
    t_start : int, default=0
        Iterations done before (``partial_fit`` and ``warm_start`` continue the schedule).
    verbose : int, default=0
    callback : callable or None
        ``callback(iteration, coef, intercept)`` after every iteration (the returned,
        possibly averaged, iterate); a true return value stops the descent.

    Returns
    -------
    SolverResult
    """
    coef, intercept = coef.copy(), intercept.copy()
    averager = _make_averager(average, schedule)
    rule = _StoppingRule(tol, n_iter_no_change, validation_score is not None,
                         noisy and schedule.learning_rate == "auto" and not averager.active,
                         noisy if stochastic is None else stochastic)
    history, converged, iteration = _History(), False, 0
    first = None  # the first (exact) objective: a run that grows past 1e10 times it diverges
    for iteration in range(1, max_iter + 1):
        estimate = oracle(coef, intercept)
        objective = estimate.value + penalty.value(coef)
        step = schedule(t_start + iteration, noise=estimate.noise)
        if estimate.n_alive > 0:
            if first is None and not rule.stopper.smoothing:  # exact estimates only
                first = objective
            _check_finite(objective, t_start + iteration, first)
            coef = penalty.proximal_step(coef, estimate.grad_coef, step)
            intercept = intercept - step * estimate.grad_intercept
        averager.update(iteration, coef, intercept)
        history.append(objective if estimate.n_alive else np.nan, estimate, step)
        if verbose:
            _report(iteration, objective, estimate, step)
        if callback is not None and callback(iteration, *averager.current(coef, intercept)):
            converged = True  # a callback asked to stop
            break
        if estimate.n_alive == 0:
            continue
        monitored = (validation_score(*averager.current(coef, intercept))
                     if validation_score is not None else objective)
        decision = rule.check(iteration, objective, monitored)
        if decision == "average" and refine is not None:
            refine()
            rule.resume()
        elif decision == "average":
            averager = IterateAverage(iteration + 1, "linear")
        elif decision == "stop" and not schedule.on_stall():
            # a rise from a zero start is the perceptron's steps leaving its (useless)
            # minimiser, zero; from anywhere else it is divergence
            converged = first is None or objective <= first or first == 0
            break
    if not converged and tol is not None and iteration < max_iter and (first or 0) > 0:
        warnings.warn(
            f"The objective rose from {first:.6g} to {objective:.6g} and stalled there: the "
            "steps diverge. A smaller eta0 (or learning_rate='auto') might help.",
            ConvergenceWarning,
        )
    elif not converged and tol is not None:
        warnings.warn(
            "Maximum number of iteration reached before convergence. Consider increasing "
            "max_iter to improve the fit.", ConvergenceWarning,
        )
    coef, intercept = averager.current(coef, intercept)
    return SolverResult(coef, intercept, iteration, converged, history.as_arrays())


class _StoppingRule:
    """When to stop, and (noisy "auto" mode) when to start averaging.

    SGD's rule: stop when the monitored quantity has not improved by ``tol`` for
    ``n_iter_no_change`` iterations. In noisy "auto" mode the first stall of the smoothed
    objective (checked even when ``tol`` is None) starts averaging instead; the run then
    goes on for as many iterations again and stops (only when ``tol`` is given).
    """

    def __init__(self, tol, n_iter_no_change, by_validation, averages_on_stall, smooth):
        self.tol, self.n_iter_no_change = tol, n_iter_no_change
        self.stopper = NoImprovement(tol, n_iter_no_change, higher_is_better=by_validation,
                                     smoothing=0.8 if smooth else 0.0)
        self.switch = NoImprovement(0.0 if tol is None else tol, n_iter_no_change,
                                    smoothing=0.8) if averages_on_stall else None
        self.extra_until = None

    def check(self, iteration, objective, monitored):
        """``"average"``, ``"stop"`` or ``"go"`` after ``iteration``."""
        if self.switch is not None:
            if not self.switch.stalled(objective):
                return "go"
            self.switch = None
            self.extra_until = iteration + max(iteration, 2 * self.n_iter_no_change)
            return "average"
        if self.extra_until is not None:
            done = self.tol is not None and iteration >= self.extra_until
            return "stop" if done else "go"
        return "stop" if self.stopper.stalled(monitored) else "go"

    def resume(self):
        """Back to SGD's rule, from a fresh start, after the noise floor was removed."""
        self.extra_until = None
        self.stopper.reset()


def _make_averager(average, schedule):
    if average is not False and average is not None and average != 0:
        return IterateAverage(1 if average is True else int(average), "uniform")
    if schedule.averages_from_start:
        return IterateAverage(1, "linear")
    return IterateAverage(None)


def _check_finite(objective, t, first=None):
    """SGD's overflow error when the objective is not finite, or (``first`` given) has
    grown to 1e10 times its first value: the steps diverge (SGD's "optimal" schedule starts
    with huge steps, hence the margin; estimates under stragglers are not compared)."""
    diverged = first is not None and first > 0 and objective > 1e10 * first
    if not np.isfinite(objective) or diverged:
        raise ValueError(
            f"Floating-point under-/overflow occurred at epoch #{t}. Scaling input data "
            "with StandardScaler or MinMaxScaler might help. A smaller eta0 (or "
            "learning_rate='auto') might too."
        )


def _report(iteration, objective, estimate, step):
    print(
        f"-- Iteration {iteration}\nObjective: {objective:.6g}, workers answered: "
        f"{estimate.n_alive}, step: {step:.4g}, time: {estimate.duration:.4g}s",
        flush=True,
    )
