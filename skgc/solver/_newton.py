"""Newton-type steps on decoded sums: curvature from the workers, steps on the master.

Each iteration asks the oracle for the decoded gradient (and, when the curvature changes
with the iterate, the partitions' Hessian sums), builds the quadratic model

``m(v) = <g, v - w> + 1/2 (v - w)^T H (v - w) + l1 ||v||_1``

(``H`` the data term's Hessian plus the l2 penalty), and moves towards its minimiser:
a Cholesky solve without l1; with l1 (proximal Newton, as glmnet and skglm do) coordinate
descent on the ``size x size`` model, finished exactly by a feature-sign search
(:mod:`skgc.solver._quadratic_models`). The model's decrease ``m(w) - min m`` is the
Newton decrement; for a quadratic objective it equals the gap ``f(w) - f*``, so stopping
when it is below ``tol`` times the objective stops at a known distance from the optimum.
Decoding noise only makes it larger on average: a stop on it is never early.

Without stragglers the step is chosen by backtracking on the exact objective (Armijo), for
each output on its own, each shorter trial from the cubic that fits both ends' values and
slopes, with Levenberg-Marquardt damping where the model over-reaches. With stragglers the
objective is an estimate: the step is a fixed fraction (``damping``) until
the oracle has *settled* (its decoded gradient follows the iterate to first order: every
worker heard from, every partition's curvature held), whole after, and a step that raises
the estimated objective by more than the model's predicted decrease is taken back.
Non-smooth losses (hinge, perceptron, epsilon-insensitive) are smoothed by a width ``mu``
that shrinks by 10 each time the smoothed problem is solved, down to ``tol`` times the
objective. Within a stage (but the first and the last), the model's curvature is taken
at the previous stage's width, as a primal-dual interior-point
method's would be with the previous stage's duals: the barrier's own curvature at the new
width under-weights the margins that must shrink tenfold, and its Newton steps overshoot
them (line searches cut them to a tenth or less, stage after stage).
With an l2 penalty and exact sums, the end of each fine stage also tries a crossover: the
exact problem with the kinks near the iterate pinned to their kink, solved on the master,
and accepted only if its duality gap (one more round) is within ``tol``; a stage that ends
in a crossover is first centred on its own curvature (the kinks are identified by where
the iterate's margins lie). The barrier path's own last iterate is certified the same
way, the barrier's slopes read as dual variables: on a miss it is centred until the
decrement alone decides (near the kinks the decrement under-states the gap).
"""

import warnings
from dataclasses import dataclass, replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..objective._smoothing import ActiveSet, BarrierDual
from ._gd import SolverResult, _check_finite, _History, _report
from ._quadratic_models import constrained_step, model_step
from ._stopping import NoImprovement

__all__ = ["newton_solver", "NewtonSettings"]

_ARMIJO = 1e-4
_MAX_HALVINGS = 20
#: Levenberg-Marquardt damping, in mean curvatures, stops growing here (steps are then
#: 1e-10 of a Newton step: a model that keeps over-reaching on noisy estimates must not
#: overflow the damping into an infinite diagonal)
_MAX_LEVENBERG = 1e10
# A barrier-smoothed stage's line search starts at most this many times the last step.
_GROWTH = 3.0
# A smoothing stage is solved when the decrement is below these fractions of its width mu
# (an interior-point method's centring: 1/2 and 1/20 of the barrier weight mu / 4).
_CENTRED, _CENTRED_FINAL = 0.125, 0.0125
# Before a crossover, a stage stepped on the coarser curvature is centred on its own
# curvature to this fraction of its width (its margins then identify the kinks).
_CENTRED_CROSSOVER = 0.03
# A missed certificate at the end of the barrier path tightens its final centring to this
# fraction, where the decrement alone decides (tighter centrings in between rarely
# certified, and each try cost a round and an iteration).
_TIGHTEST_CENTRING = 1e-3
# Rounds at most at the start until someone answers (the first smoothing width's scale).
_START_ROUNDS = 50
# A crossover pins the kinks within this many widths mu of the barrier iterate (on the
# central path, a hinge's margin sample of dual weight 0.02 to 0.98 sits within 12 mu) ...
_CROSSOVER_BAND = 15.0
# ... by a penalty whose slack, per sample, is at most this fraction of tol (relative).
_CROSSOVER_SLACK = 0.1
# Crossovers are tried once mu is this fraction of the objective (coarser barrier iterates
# rarely identify the kinks).
_CROSSOVER_FROM = 1e-2


@dataclass
class NewtonSettings:
    """How :func:`newton_solver` runs.

    Attributes
    ----------
    max_iter : int
        Newton iterations at most (line-search trials do not count).
    tol : float or None
        Stop when the Newton decrement (the model's predicted decrease) is at most
        ``tol * max(|f|, 1e-8 f_0)``: an estimate of the relative objective gap. None: run
        ``max_iter`` iterations.
    stochastic : bool
        Who answers is random: damped steps instead of a line search, and the stop needs
        ``patience`` consecutive small decrements.
    damping : float
        The step length when ``stochastic``, until the oracle has settled (1 after).
    patience : int
        Consecutive small decrements that stop a stochastic run before the oracle has
        settled (2 after).
    constant_curvature : bool
        The Hessian does not depend on the iterate (squared loss): it is gathered once
        (until every partition has been delivered).
    smoothing : float or None
        Initial smoothing width of a non-smooth loss, relative to its mean value at the
        start (2: every margin of a hinge at zero falls in the rounded band); None for a
        smooth loss.
    """

    max_iter: int
    tol: float = 1e-6
    stochastic: bool = False
    damping: float = 1.0
    patience: int = 1
    constant_curvature: bool = False
    smoothing: float = None


def newton_solver(oracle, coef, intercept, penalty, settings, *, validation_score=None,
                  n_iter_no_change=5, verbose=0, callback=None):
    """Minimise ``mean data term + penalty`` by (proximal, damped) Newton steps.

    Parameters
    ----------
    oracle : object
        ``oracle.gradient(coef, intercept, smoothing)`` returns a
        :class:`~skgc.master.GradientEstimate` of the mean data term (with ``values`` per
        output); ``oracle.curvature(coef, intercept, smoothing)`` returns ``(hessian,
        estimate)`` with ``hessian`` of shape ``(n_blocks, size, size)`` (or None while
        nothing arrived): the mean data term's Hessian with respect to
        ``[coef[:, c], intercept[c]]`` (``size = n_features + 1``, or ``n_features`` without
        an intercept), one block per output or one shared block. ``oracle.settled`` and
        ``oracle.curvature_complete`` say whether the decoded gradient follows the iterate
        and whether every partition's curvature is held; ``oracle.exact`` whether its
        values are the exact objective under stragglers too (a line search and one small
        decrement then suffice); ``oracle.partition_models`` whether its estimates are
        sums of per-partition models, exact unless flagged ``fallback`` (some partition's
        model not renewed at that iterate) (:class:`skgc.master.CurvatureOracle` provides
        all of this).
    coef : ndarray of shape (n_features, n_outputs)
    intercept : ndarray of shape (n_outputs,)
    penalty : skgc.objective.Penalty
    settings : NewtonSettings
    validation_score : callable or None
        ``validation_score(coef, intercept)`` (higher is better): also stop when it has
        not improved by ``tol`` for ``n_iter_no_change`` iterations (early stopping).
    n_iter_no_change : int, default=5
    verbose : int, default=0
    callback : callable or None
        ``callback(iteration, coef, intercept)``; a true return value stops the fit.

    Returns
    -------
    SolverResult
    """
    run = _NewtonRun(oracle, coef, intercept, penalty, settings)
    early = NoImprovement(settings.tol, n_iter_no_change, higher_is_better=True) \
        if validation_score is not None else None
    converged, iteration = False, 0
    for iteration in range(1, settings.max_iter + 1):
        status = run.iterate()
        if verbose:
            _report(iteration, run.objective, run.last, run.step)
        if callback is not None and callback(iteration, run.coef, run.intercept):
            converged = True
            break
        if status == "converged":
            converged = True
            break
        if early is not None and early.stalled(validation_score(run.coef, run.intercept)):
            converged = True
            break
    if not converged and settings.tol is not None:
        warnings.warn(
            "Maximum number of iteration reached before convergence. Consider increasing "
            f"max_iter to improve the fit (estimated relative gap {run.relative_gap:.1e}, "
            f"tol={settings.tol:g}).", ConvergenceWarning,
        )
    return SolverResult(run.coef, run.intercept, iteration, converged,
                        run.history.as_arrays())


class _NewtonRun:
    """The state of one Newton run: iterate, last estimate, curvature, smoothing.

    The outputs (classes, one-versus-all) are separate problems that share the rounds:
    each has its own model, step and damping, and their values come back separately.
    """

    def __init__(self, oracle, coef, intercept, penalty, settings):
        self.oracle, self.penalty, self.settings = oracle, penalty, settings
        self.coef, self.intercept = coef.copy(), intercept.copy()
        n_outputs = coef.shape[1]
        self.settled = None  # whether the last estimate came from a settled oracle
        self.small = 0  # consecutive small decrements
        self.smoothing = None
        self.coarser_smoothing = None  # the previous stage's width
        self.coarse_curvature = False  # the held Hessian is at the coarser width
        self.recentring = False  # centring a stage on its own curvature before a crossover
        self.accepted_steps = None  # each output's last line-search step
        self.crossover = None  # the identification a crossover tries next
        self.crossover_spacing, self.stages = 1, 0  # stages between tries; stages done
        self.optimal = False  # the start is a minimiser (a zero objective)
        self.history = _History()
        if settings.smoothing is not None:
            start = self._answered_start()
            self.smoothing = settings.smoothing * max(start.value / n_outputs, 1e-12)
            # every loss and penalty is non-negative: a zero objective is the minimum
            # (the perceptron's at zero coefficients), which no stage would certify
            self.optimal = (start.value == 0.0 and penalty.value(self.coef) == 0.0
                            and bool(np.all(start.alive)))
        self.levenberg = np.zeros(n_outputs)  # damping where Newton steps over-reached
        self.curvature_scale = 0.0  # the largest mean curvature seen: floors flat models
        self.stale = False  # a rejected damped step left an estimate to renew
        self.hessian = None
        self.floored = False  # the last model's diagonal was floored somewhere
        self.centring = 1.0  # the final stage's centring, tightened by a missed certificate
        self.step = 0.0
        self.relative_gap = np.inf
        self.scale = None
        self.iteration = 0
        self.last = self._gradient(self.coef, self.intercept)

    def _answered_start(self):
        """The estimate at the start that sets the first smoothing width, asked again
        while nobody answered (at most ``_START_ROUNDS`` times): an empty estimate says
        nothing of the loss's scale, and a width set from its zero value starts the barrier
        path at its finest, where Newton steps crawl."""
        for _ in range(_START_ROUNDS):
            start = self._gradient(self.coef, self.intercept)
            self.history.clock += start.duration
            if start.n_alive > 0:
                break
        return start

    # -- one iteration -----------------------------------------------------------------

    def iterate(self):
        """One Newton iteration; ``"converged"`` or ``"go"``."""
        self.iteration += 1
        if self.optimal:
            self.relative_gap = 0.0
            self.history.append(0.0, self.last, 0.0)
            return "converged"
        if self.crossover is not None:
            return self._cross_over()
        self._renew()
        estimate = self.last
        objective = self.objective
        _check_finite(objective, self.iteration)
        if self.scale is None:
            self.scale = max(abs(objective), 1e-300)
        if self.hessian is None or (estimate.n_alive == 0 and not self.settled):
            # nothing to step on (an estimate that follows the iterate needs no answers)
            self.last = self._gradient(self.coef, self.intercept)
            self.history.append(np.nan, estimate, 0.0)
            return "go"
        self.floored = False
        direction, decrease = self._direction(estimate, self.levenberg)
        exact = decrease.sum()
        final = self._smoothing_done()
        small = self._small(exact, objective, final)
        if small and self.levenberg.any():  # a damped model under-estimates: check undamped
            exact = self._direction(estimate, 0.0 * self.levenberg)[1].sum()
            small = self._small(exact, objective, final)
        self.relative_gap = exact / max(abs(objective), 1e-8 * self.scale)
        self.small = self.small + 1 if small else 0
        # a stop needs the decrement of the loss's own curvature, at an estimate that
        # renewed every partition (a stale partition's model may hide what is left to gain)
        done = (final and small and self.small >= self._patience
                and not (self.coarse_curvature or estimate.fallback))
        if not done and self.settings.tol is not None and self._step_is_exact():
            done, self.relative_gap = True, 0.0
        if done:
            done = self._last_step(direction, estimate)
        else:
            self._move(direction, decrease)
        self.history.append(objective, estimate, self.step)
        if done:
            return "converged"
        if small and self.small >= self._patience:
            if self.coarse_curvature and self._can_cross_over(estimate):
                self.recentring, self.small = True, 0
            else:
                self._next_stage(final, estimate)
        return "go"

    def _renew(self):
        """The curvature when the model needs it, and the estimate when it went stale."""
        if self._needs_curvature():
            width = self._curvature_smoothing()
            self.coarse_curvature = width != self.smoothing
            self.hessian, estimate = self.oracle.curvature(self.coef, self.intercept, width)
            self.history.clock += estimate.duration
            if self.hessian is not None and not np.isfinite(self.hessian).all():
                _check_finite(np.inf, self.iteration)
            if self.oracle.exact and not self.settled:
                # the round completed the exact quadratic: the decoded estimate gives way
                # to the master's exact one (no round; who answered stays on record)
                exact = self._gradient(self.coef, self.intercept)
                self.last = replace(exact, n_alive=self.last.n_alive, alive=self.last.alive)
        if self.stale:
            self.last, self.stale = self._gradient(self.coef, self.intercept), False
            self.history.clock += self.last.duration

    def _last_step(self, direction, estimate):
        """Take the last Newton step (within tol already: it needs no trial round); for a
        smoothed loss, whether its duality gap certifies it. A step whose certificate
        missed is taken back: untried, it may have left the smoothed minimiser (a flat
        direction of a finely smoothed kink), and the centring goes on from where it was."""
        _, scale = self._output_scales()  # the objectives the step started from
        start = self.coef, self.intercept
        self.coef, self.intercept = self.coef + direction[0], self.intercept + direction[1]
        self.step = 1.0
        if (self.smoothing is not None and self.centring > _TIGHTEST_CENTRING
                and self._certifiable(estimate)):
            if self._barrier_certified(scale):
                return True
            (self.coef, self.intercept), self.step = start, 0.0
            return False
        return True

    def _next_stage(self, final, estimate):
        """After a solved smoothing stage: a final one whose certificate missed is centred
        until the decrement decides (near the kinks the quadratic model over-states the
        curvature, and its decrement under-states the gap; the certificate's bound is
        loose there too); any other shrinks the smoothing tenfold, with a crossover first
        when one can be tried."""
        if final:
            self.centring = _TIGHTEST_CENTRING
        else:
            self.stages += 1
            if self._can_cross_over(estimate):
                self.crossover = ActiveSet(1.0, _CROSSOVER_BAND * self.smoothing)
            self.coarser_smoothing, self.recentring = self.smoothing, False
            self.smoothing /= 10.0
            self.hessian = None
        self.small = 0
        self.last = self._gradient(self.coef, self.intercept)

    # -- crossover ---------------------------------------------------------------------

    def _can_cross_over(self, estimate):
        """Whether to try a crossover at the end of this stage: the barrier iterate is
        fine enough to identify the kinks, no try is due to be skipped, and the result
        can be certified."""
        fine = self.smoothing <= _CROSSOVER_FROM * abs(self.objective) / self.coef.shape[1]
        due = self.stages % self.crossover_spacing == 0
        return fine and due and self._certifiable(estimate)

    def _certifiable(self, estimate):
        """Whether a point's duality gap can be bounded: an l2 penalty (the gap has a
        closed form), exact sums (every worker answered, or every partition's model
        renewed at the point) and a ``tol`` to compare it with."""
        penalty = self.penalty
        exact = bool(np.all(estimate.alive)) or (self.oracle.partition_models
                                                 and not estimate.fallback)
        return (penalty.l1 == 0.0 and penalty.l2 > 0.0 and self.settings.tol is not None
                and not self.settings.stochastic and exact)

    def _barrier_certified(self, scale):
        """Whether the barrier path's last iterate is within ``tol`` of every output's
        exact optimum (relative to ``scale``): one round at the barrier's slopes read as
        dual variables (:class:`BarrierDual`) bounds its duality gap."""
        dual = self.oracle.gradient(self.coef, self.intercept, BarrierDual(self.smoothing))
        self.history.clock += dual.duration
        certified, self.relative_gap = self._gap_within_tol(dual, self.coef, self.intercept,
                                                            scale)
        return certified

    def _output_scales(self):
        """Each output's objective at the iterate, and the same floored away from zero
        (what relative gaps are relative to)."""
        objectives = self._objectives(self.last, self.coef)
        return objectives, np.maximum(np.abs(objectives), 1e-8 * self.scale)

    def _gap_within_tol(self, dual, coef, intercept, scale):
        """Whether the duality gap that the round ``dual`` bounds at ``coef, intercept``
        is within ``tol`` of every output's ``scale`` (on exact sums), and the largest
        relative gap."""
        gap = self._duality_gap(dual, coef, intercept)
        certified = bool(np.all(np.isfinite(gap)) and self._certifiable(dual)
                         and np.all(gap <= self.settings.tol * scale))
        return certified, float(np.max(gap / scale))

    def _cross_over(self):
        """One crossover iteration: the exact problem restricted to the kinks'
        identification at the barrier iterate (:class:`ActiveSet`), solved on the master,
        then a round at the result that bounds its duality gap. Within ``tol`` of every
        output's objective, the fit has converged; otherwise the barrier path goes on from
        where it was (the attempt cost a Hessian round and three gradient rounds)."""
        pinned, self.crossover = self.crossover, None
        objectives, scale = self._output_scales()
        hessian, estimate = self.oracle.curvature(self.coef, self.intercept, pinned)
        free = self.oracle.gradient(self.coef, self.intercept, replace(pinned, penalty=0.0))
        pull = self.oracle.gradient(self.coef, self.intercept, pinned)
        self.history.clock += estimate.duration + free.duration + pull.duration
        penalty = 1.0 / (4.0 * _CROSSOVER_SLACK * self.settings.tol * scale.min())
        coef, intercept = self._identified_optimum(hessian, free, pull, penalty)
        dual = self.oracle.gradient(coef, intercept,
                                    replace(pinned, penalty=penalty, dual=True))
        self.history.clock += dual.duration
        certified, relative_gap = self._gap_within_tol(dual, coef, intercept, scale)
        self.history.append(objectives.sum(), free, 1.0 if certified else 0.0)
        if certified:
            self.relative_gap = relative_gap
            self.coef, self.intercept, self.step = coef, intercept, 1.0
            return "converged"
        self.crossover_spacing *= 2  # a miss: the next tries come further apart
        return "go"

    def _identified_optimum(self, hessian, free, pull, penalty):
        """Each output's minimiser of the l2-penalised loss with the pinned kinks on
        their kink (an equality-constrained quadratic program), moved off the kinks by
        ``1 / penalty`` times their multipliers (so that a round on
        ``ActiveSet(penalty, dual=True)`` reads the multipliers back as slopes).

        ``hessian`` holds the pinned kinks' Gram matrix ``G``, and the difference of the
        two rounds (pinned kinks' slope ``m`` and 0) is ``r = G u - c``: the constraints
        ``m = 0`` read ``G d = -r`` for the step ``d``.
        """
        n_features, n_outputs = self.coef.shape
        with_intercept = hessian.shape[-1] > n_features
        regulariser = np.zeros(hessian.shape[-1])
        regulariser[:n_features] = self.penalty.l2
        coef, intercept = self.coef.copy(), self.intercept.copy()
        for c in range(n_outputs):
            def stacked(on_coef, on_intercept):
                return np.append(on_coef[:, c], on_intercept[c]) if with_intercept \
                    else on_coef[:, c]
            point = stacked(self.coef, self.intercept)
            gradient = stacked(free.grad_coef, free.grad_intercept) + regulariser * point
            residual = (stacked(pull.grad_coef, pull.grad_intercept)
                        - stacked(free.grad_coef, free.grad_intercept))
            step, multiplier = constrained_step(hessian[c if len(hessian) > 1 else 0],
                                                regulariser, gradient, residual)
            moved = point + step - multiplier / penalty
            coef[:, c] = moved[:n_features]
            if with_intercept:
                intercept[c] = moved[-1]
        return coef, intercept

    def _duality_gap(self, dual, coef, intercept):
        """Each output's duality gap at ``coef, intercept`` from a round on the
        :class:`ActiveSet` with ``dual=True``: the kinks' Fenchel-Young gaps, the
        coefficients' stationarity ``|g + alpha w|^2 / (2 alpha)`` (both a bound by weak
        duality), and the intercept gradient (the dual's equality constraint, zero to
        rounding at a right identification) times a guess of the intercept's reach."""
        alpha = self.penalty.l2
        values = dual.values if dual.values is not None else np.array([dual.value])
        stationarity = ((dual.grad_coef + alpha * coef) ** 2).sum(axis=0) / (2.0 * alpha)
        balance = np.abs(dual.grad_intercept) * (2.0 * np.abs(intercept) + 1.0)
        return values + stationarity + balance

    @property
    def _patience(self):
        """Consecutive small decrements that stop: ``patience`` while the decoded gradient
        may still carry straggling noise, 2 once the oracle has settled (the decoded
        gradient is then exact to first order)."""
        if not self._noisy:
            return 1
        if self.settled:
            return min(2, self.settings.patience)
        return self.settings.patience

    @property
    def objective(self):
        """The objective at the current iterate (its estimate under stragglers)."""
        return self.last.value + self.penalty.value(self.coef)

    def _objectives(self, estimate, coef):
        """The objective of each output."""
        values = estimate.values if estimate.values is not None else np.array([estimate.value])
        return values + np.array([self.penalty.value(column) for column in coef.T])

    def _gradient(self, coef, intercept):
        estimate = self.oracle.gradient(coef, intercept, self.smoothing)
        settled = self.oracle.settled
        if settled != self.settled:
            self.small = 0  # small decrements count from estimates of one kind only
        self.settled = settled
        return estimate

    def _curvature_smoothing(self):
        """The width the model's curvature is taken at: the previous stage's while a
        stage (but the first and the final one) is centred, the loss's own otherwise: the
        final stage's decrement decides the stop, and a crossover's identification needs
        the centring on the loss's own curvature. Under stragglers the coarser Hessian
        round also costs the partitions' models at the stage's width (a new width starts
        them afresh), and pays all the same: on each stage's own curvature, fits took
        more rounds, and epsilon-insensitive + l1 converged to a vertex 3e-6 above the
        optimum."""
        if (self.coarser_smoothing is None or self.recentring
                or self._smoothing_done()):
            return self.smoothing
        return self.coarser_smoothing

    def _needs_curvature(self):
        if self.hessian is None:
            return True
        return not self.settings.constant_curvature or not self.oracle.curvature_complete

    def _step_is_exact(self):
        """Whether the Newton step lands on the minimiser itself: the master holds the
        exact quadratic objective (its Hessian and gradient are exact, not decoded
        estimates), without l1 (solved by a Cholesky factorisation, not by coordinate
        descent), Levenberg-Marquardt damping or a floor under a flat direction."""
        return (self.settings.constant_curvature and self.smoothing is None
                and self.oracle.exact and self.penalty.l1 == 0.0
                and not self.levenberg.any() and not self.floored)

    def _small(self, decrease, objective, final):
        """Whether the decrement says this stage is solved: to ``tol`` relative to the
        objective; for a smoothed loss, also centred on its smoothing (close enough to
        the smoothed minimiser that its accuracy ``mu / 2`` holds, and that the next,
        ten times finer, stage starts within Newton's fast reach)."""
        scale = max(abs(objective), 1e-8 * self.scale)
        if self.smoothing is not None:
            if final:
                centring = _CENTRED_FINAL * self.centring
            else:
                centring = _CENTRED_CROSSOVER if self.recentring else _CENTRED
            centred = centring * self.smoothing
            if not final:
                return decrease <= centred
            return self.settings.tol is not None and decrease <= min(
                centred, self.settings.tol * scale)
        return self.settings.tol is not None and decrease <= self.settings.tol * scale

    @property
    def _target(self):
        """Relative accuracy aimed at (``tol``; 1e-6 when ``tol`` is None)."""
        return 1e-6 if self.settings.tol is None else self.settings.tol

    def _smoothing_done(self):
        """True when the loss is smooth or smoothed finely enough for ``tol``."""
        if self.smoothing is None:
            return True
        per_output = abs(self.objective) / self.coef.shape[1]
        return self.smoothing <= self._target * max(per_output, 1e-8 * self.scale)

    # -- the step ----------------------------------------------------------------------

    def _direction(self, estimate, levenberg):
        """Newton direction ``(d_coef, d_intercept)`` and each output's model decrease,
        with ``levenberg[c]`` times the mean curvature added to output ``c``'s diagonal."""
        penalty, coef = self.penalty, self.coef
        n_features, n_outputs = coef.shape
        size = self.hessian.shape[-1]
        with_intercept = size == n_features + 1
        gradient = estimate.grad_coef + penalty.l2 * coef
        d_coef, d_intercept = np.zeros_like(coef), np.zeros_like(self.intercept)
        decrease = np.zeros(n_outputs)
        for c in range(n_outputs):
            matrix = self.hessian[c if len(self.hessian) > 1 else 0].copy()
            self._floor(matrix, levenberg[c])
            matrix[np.arange(n_features), np.arange(n_features)] += penalty.l2
            g = gradient[:, c]
            if with_intercept:
                g = np.append(g, estimate.grad_intercept[c])
            step, decrease[c] = model_step(matrix, g, coef[:, c], penalty.l1, n_features)
            d_coef[:, c] = step[:n_features]
            if with_intercept:
                d_intercept[c] = step[-1]
        return (d_coef, d_intercept), decrease

    def _floor(self, matrix, levenberg):
        """Add ``levenberg`` times the data term's mean curvature to the diagonal of its
        Hessian ``matrix``; for a smoothed loss, also keep every diagonal entry above 1e-9
        of the largest mean curvature seen in the run (a finely smoothed hinge can be flat
        in every direction, and a flat model has no minimiser). A smooth loss needs no
        floor: a direction without curvature has no gradient either (a constant or
        duplicated feature), and a floor would slow a badly scaled feature to a crawl."""
        diagonal = np.diag_indices_from(matrix)
        mean = np.trace(matrix) / len(matrix)
        self.curvature_scale = max(self.curvature_scale, mean)
        floor = 0.0 if self.smoothing is None else 1e-9 * self.curvature_scale
        damped = matrix[diagonal] + levenberg * max(mean, floor)
        self.floored |= bool((damped < floor).any())
        matrix[diagonal] = np.maximum(damped, floor)

    @property
    def _noisy(self):
        """Whether the objective is an estimate: under stragglers, until the oracle holds
        the exact objective itself (a quadratic whose every partition has arrived)."""
        return self.settings.stochastic and not self.oracle.exact

    def _move(self, direction, decrease):
        """Step along ``direction``: by backtracking on the exact objective, or, under
        stragglers, one damped step checked against the objective's estimate."""
        if self._noisy:
            self._damped_step(*direction, decrease)
        else:
            self._line_search(*direction, decrease)

    def _line_search(self, d_coef, d_intercept, decrease):
        """Backtracking (Armijo) on each output's exact objective, all outputs' trials in
        one round; an output that finds no decrease stays put, with more damping."""
        before = self._objectives(self.last, self.coef)
        slack = 1e-12 * np.abs(before)  # rounding of an exact objective
        steps = self._first_trial(len(before))
        accepted = np.zeros(len(before), dtype=bool)
        halvings = np.zeros(len(before), dtype=int)
        slope = self._slopes(self.last, self.coef, d_coef, d_intercept)
        for _ in range(_MAX_HALVINGS):
            trial, after = self._trial(steps, d_coef, d_intercept)
            accepted = np.isfinite(after) & (after <= before - _ARMIJO * steps * decrease
                                             + slack)
            if accepted.all():
                break
            shorter = self._shorter(steps, before, slope, after, trial, d_coef, d_intercept)
            steps = np.where(accepted, steps, shorter)
            halvings += ~accepted
        self._trust(halvings, accepted, before - after, decrease)
        self._accept(accepted, steps, d_coef, d_intercept, trial)
        self.accepted_steps = np.where(accepted, steps, 1.0)  # none found: from 1 again
        # an objective that nothing could improve on, from a round where some partition
        # was not renewed (its stale model, or none, stood for it), is asked for again
        self.stale |= not accepted.any() and self.last.fallback

    def _slopes(self, estimate, coef, d_coef, d_intercept):
        """Each output's directional derivative of its objective along the direction, at
        ``coef`` (where ``estimate`` was taken); the l2 penalty included, l1 not."""
        gradient = estimate.grad_coef + self.penalty.l2 * coef
        return (gradient * d_coef).sum(axis=0) + estimate.grad_intercept * d_intercept

    def _shorter(self, steps, before, slope, after, trial, d_coef, d_intercept):
        """The next, shorter, trial steps after rejected ones: the minimiser of the cubic
        that matches each output's objective and slope at 0 and at the step (the trial
        round brought the gradient too), kept within a tenth and a half of the step;
        halving where the cubic has no minimiser there, or with l1 (not smooth)."""
        halved = steps / 2.0
        if self.penalty.l1 > 0.0:
            return halved
        coef = self.coef + steps * d_coef
        end_slope = self._slopes(trial, coef, d_coef, d_intercept)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            d1 = slope + end_slope - 3.0 * (after - before) / steps
            d2 = np.sqrt(d1 * d1 - slope * end_slope)
            cubic = steps * (1.0 - (end_slope + d2 - d1) / (end_slope - slope + 2.0 * d2))
        usable = np.isfinite(cubic) & np.isfinite(after)
        return np.where(usable, np.clip(cubic, 0.1 * steps, 0.5 * steps), halved)

    def _first_trial(self, n_outputs):
        """The line search's first trial step: 1, or, for a barrier-smoothed loss, at most
        ``_GROWTH`` times the step last accepted (centring steps stay short for whole
        stages, and each halving from 1 is a round)."""
        if self.smoothing is None or self.accepted_steps is None:
            return np.ones(n_outputs)
        return np.minimum(1.0, _GROWTH * self.accepted_steps)

    def _damped_step(self, d_coef, d_intercept, decrease):
        """One step of length ``damping`` (1 once the oracle has ``settled``), divided by
        ``1 + lambda`` (``lambda`` the Newton decrement) for a smooth non-quadratic loss,
        and at most the iterate's norm plus one. An output whose estimated objective rose
        by more than the decrease its model predicted stays put, with more damping (the
        estimate is noisy, so only a clear rise counts)."""
        before = self._objectives(self.last, self.coef)
        damping = 1.0 if self.oracle.settled else self.settings.damping
        steps = np.full(len(before), damping)
        if not self.settings.constant_curvature and self.smoothing is None:
            # damped Newton (self-concordant analysis): 1 / (1 + Newton decrement); a
            # smoothed loss is flat in places, where Levenberg-Marquardt damping acts
            steps = steps / (1.0 + np.sqrt(2.0 * decrease))
        # stored messages are only good near where they were computed: no leaps
        length = np.sqrt((d_coef**2).sum(axis=0) + d_intercept**2) * steps
        reach = np.sqrt((self.coef**2).sum(axis=0) + self.intercept**2) + 1.0
        steps = steps * np.minimum(1.0, reach / np.maximum(length, 1e-300))
        trial, after = self._trial(steps, d_coef, d_intercept)
        slack = 1e-12 * np.abs(before)  # rounding, once at the optimum
        accepted = np.isfinite(after) & (after <= before + steps * decrease + slack)
        self._trust((~accepted).astype(int) * 2, accepted, before - after, steps * decrease)
        self._accept(accepted, steps, d_coef, d_intercept, trial)
        # the kept estimate may be a lucky draw that no step can beat: renew it
        self.stale |= not accepted.all()

    def _trial(self, steps, d_coef, d_intercept):
        """The estimate at the iterate moved by ``steps`` (one per output), and each
        output's objective there."""
        coef = self.coef + steps * d_coef
        trial = self._gradient(coef, self.intercept + steps * d_intercept)
        self.history.clock += trial.duration
        return trial, self._objectives(trial, coef)

    def _accept(self, accepted, steps, d_coef, d_intercept, trial):
        """Move the accepted outputs; the others keep their iterate and their estimate
        (outputs are separate problems: a column's gradient depends on its column only)."""
        steps = np.where(accepted, steps, 0.0)
        self.coef = self.coef + steps * d_coef
        self.intercept = self.intercept + steps * d_intercept
        self.step = float(steps.max())
        self.history.clock -= trial.duration  # the trial's round is the next estimate's
        self.last = trial if accepted.all() else _merge(self.last, trial, accepted)
        # a step taken on a partition's stale model: the next iterate asks again, so that
        # the model's error does not stand for the objective
        self.stale |= bool(trial.fallback and accepted.any())

    def _trust(self, halvings, accepted, actual, predicted):
        """Levenberg-Marquardt damping from how well each model predicted its decrease.

        A model that over-reaches (the line search had to halve the step, where the
        curvature is flat, e.g. nearly separable classes) is damped in proportion; one that
        predicts well is trusted more, back to the undamped Newton model. A
        barrier-smoothed loss (self-concordant) needs no damping with an exact line search.
        """
        if self.smoothing is not None and not self._noisy:
            return
        over = halvings > 0
        self.levenberg[over] = np.minimum(
            np.maximum(self.levenberg[over], 1e-3) * 2.0**halvings[over], _MAX_LEVENBERG)
        good = ~over & accepted & (actual >= 0.75 * predicted)
        self.levenberg[good] = np.where(self.levenberg[good] > 1e-8,
                                        self.levenberg[good] / 4.0, 0.0)


def _merge(old, new, take_new):
    """``new`` in the outputs where ``take_new``, ``old`` elsewhere."""
    values = np.where(take_new, new.values, old.values)
    fallback = old.fallback or (new.fallback and bool(np.any(take_new)))
    return replace(new, value=float(values.sum()), values=values, fallback=fallback,
                   grad_coef=np.where(take_new, new.grad_coef, old.grad_coef),
                   grad_intercept=np.where(take_new, new.grad_intercept, old.grad_intercept))
