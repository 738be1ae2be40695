"""The master: runs rounds on a backend, decodes, learns who straggles, re-optimises."""

import warnings

import numpy as np
import scipy.sparse as sp

from ..backends import Work, unpack
from ..objective import PartitionedData
from ..stragglers import StragglerEstimator
from ._decoding import make_decoder
from ._estimates import CurvatureEstimate, GradientEstimate

__all__ = ["Master"]


class Master:
    """The oracle every solver sees, the same whatever the backend.

    One round: draw each worker's delay from the straggler model, send the request through
    the backend, wait until the answers decode exactly (exact codes), until every worker
    answered or until the deadline, then decode what came (plainly, or with the control
    variate), and learn from who answered. The master also re-optimises the coding
    coefficients on the same allocation when the learned probabilities drift from those
    the code was built for (codes whose ``reoptimizable`` is True: "optimal"), or, with
    ``gradient_aware``, for the measured Gram matrix of the partition gradients.

    Parameters
    ----------
    code : skgc.coding.GradientCode
    backend : skgc.backends.Backend
        Started on ``data`` with ``code``'s allocation.
    stragglers : skgc.stragglers.StragglerModel
    deadline : float
        Seconds the master waits (virtual seconds on a simulated backend).
    data : skgc.objective.PartitionedData
        The partitions (sizes and normalisation; the rows only with ``gradient_aware``).
    datafit : skgc.objective.Datafit
    variance_reduction : bool, default=False
        Decode from every worker's latest message (:class:`LatestMessageDecoder`).
    estimate_stragglers : bool, default=False
        Learn the probabilities online (:class:`skgc.stragglers.StragglerEstimator`).
    gradient_aware : bool, default=False
        Every ``gram_every`` gradient rounds (and at the first), compute the partition
        gradients on the master's copy of the data (one pass, so ``1 / gram_every`` of the
        training cost) and re-optimise the coefficients for the true residual error
        ``sum_j p_j (1 - p_j) c_j^T M c_j`` with ``M`` their Gram matrix.
    delay_variance_reduction : bool, default=False
        Decode plainly (filling the control variate's memory) until :meth:`refine`.
    drift : float, default=0.05
        Re-optimise when a learned probability is this far from the code's.
    min_interval : int, default=20
        Rounds between two re-optimisations at least.
    gram_every : int, default=50
    random_state : int, default=0
        Seeds the straggler draws and the decoder's Monte-Carlo expectations.

    Attributes
    ----------
    n_rounds, n_silent : int
        Rounds run, and those in which no worker answered.
    n_reoptimized : int
    """

    _draws_per_batch = 256

    def __init__(self, code, backend, stragglers, deadline, data, datafit, *,
                 variance_reduction=False, estimate_stragglers=False, gradient_aware=False,
                 delay_variance_reduction=False, drift=0.05, min_interval=20, gram_every=50,
                 random_state=0):
        self.code, self.backend, self.deadline = code, backend, float(deadline)
        self.stragglers = stragglers.resized(code.n_workers)
        self.stragglers.rewind()
        self.data, self.datafit = data, datafit
        seeds = np.random.SeedSequence(random_state).generate_state(2)
        self.decoder = make_decoder(code, variance_reduction, int(seeds[0]),
                                    active=not delay_variance_reduction)
        self.estimator = None
        if estimate_stragglers:
            self.estimator = StragglerEstimator(code.n_workers, initial=code.straggler_probs)
        self.gradient_aware, self.gram_every = gradient_aware, gram_every
        self.drift, self.min_interval = drift, min_interval
        self.n_reoptimized = self.n_rounds = self.n_silent = self._since = 0
        self._gradient_rounds = 0
        self._rng = np.random.default_rng(seeds[1])
        # Answers decode early only if they can at all: with everyone's (a code without
        # decodable sets, "optimal" among them, leaves its rounds to the deadline).
        self._decodes_early = bool(code.decodable(np.ones(code.n_workers, dtype=bool)))
        self._times = np.empty((0, code.n_workers))

    # -- what the data look like to the solver ------------------------------------------

    @property
    def partition_rows(self):
        """Number of samples of each partition."""
        return self.data.sizes

    @property
    def normaliser(self):
        """What the loss sums are divided by (the number of samples)."""
        return self.data.normaliser

    def curvature_diagonal(self):
        """``(coef_diagonal, intercept_diagonal)``: the diagonal of a bound on the mean
        data term's Hessian, the loss's smoothness times the weighted mean square of each
        column (and of the intercept's column of ones), from the master's copy of the data
        (one pass). None for a loss without a smoothness bound, or data on a cluster."""
        smoothness = self.datafit.loss.smoothness
        if smoothness is None or not isinstance(self.data, PartitionedData):
            return None
        X, weight = self.data.X, self.data.sample_weight
        if sp.issparse(X):
            rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
            squares = np.bincount(X.indices, weights=np.square(X.data) * weight[rows],
                                  minlength=X.shape[1])
        else:
            squares = np.einsum("ij,ij,i->j", X, X, weight)
        scale = smoothness / self.normaliser
        intercept = scale * weight.sum() if self.datafit.fit_intercept else 0.0
        return scale * squares, intercept

    # -- rounds ---------------------------------------------------------------------

    def gradient(self, coef, intercept, smoothing=None):
        """One round: the decoded value and gradient of the mean data term at ``coef,
        intercept`` (the loss smoothed by ``smoothing`` if given), a
        :class:`GradientEstimate`."""
        if self.gradient_aware and self._gradient_rounds % self.gram_every == 0:
            self._measure_gradient_gram(coef, intercept, smoothing)
        self._gradient_rounds += 1
        code = self.code
        rnd = self._round(Work("gradient", coef, intercept, smoothing),
                          code.decodable if self._decodes_early else None)
        messages = np.zeros((code.n_workers, coef.size + 2 * intercept.size))
        for j, message in rnd.answers.items():
            messages[j] = message
        fallback = code.falls_back(rnd.alive)
        decoded = self.decoder.combine(messages, rnd.alive, (coef, intercept))
        values, grad_coef, grad_intercept = unpack(decoded, coef.shape)
        scale = 1.0 / self.normaliser
        estimate = GradientEstimate(float(np.sum(values)) * scale, grad_coef * scale,
                                    grad_intercept * scale, int(rnd.alive.sum()),
                                    rnd.duration, bool(fallback), rnd.alive, values * scale,
                                    self.decoder.noise)
        self.observe(rnd.alive)
        return estimate

    def hessian(self, coef, intercept, smoothing=None, partitions=None):
        """One round: the Hessian sums of the partitions held by the workers who answered,
        only of ``partitions`` if given (a :class:`CurvatureEstimate`). The round ends as
        soon as every wanted partition has a holder who answered."""
        return self._partition_round("hessian", coef, intercept, smoothing, partitions)

    def topped_up(self, kind, coef, intercept, smoothing=None, partitions=None,
                  max_rounds=1):
        """Rounds of per-partition answers ("hessian" or "sums") at one iterate: the
        wanted ``partitions`` (None: all) whose holders all straggled are asked for again,
        only they, each round cut at the deadline, until every one has been delivered or
        ``max_rounds`` have run. Returns the rounds' :class:`CurvatureEstimate` list."""
        rounds, missing = [], partitions
        while len(rounds) < max_rounds:
            estimate = self._partition_round(kind, coef, intercept, smoothing, missing)
            rounds.append(estimate)
            wanted = range(len(self.partition_rows)) if missing is None else missing
            missing = [k for k in wanted if k not in estimate.sums]
            if not missing:
                break
        return rounds

    def _partition_round(self, kind, coef, intercept, smoothing, partitions):
        """A round of per-partition answers ("hessian" or "sums")."""
        allocation = self.code.allocation
        if partitions is not None:
            partitions = tuple(int(k) for k in partitions)
            allocation = allocation[:, list(partitions)]
        rnd = self._round(Work(kind, coef, intercept, smoothing, partitions),
                          lambda alive: (alive @ allocation).all())
        blocks, sums = {}, {}
        for held, hessians, packed in rnd.answers.values():
            for k, block in zip(held, hessians):  # none in a "sums" round
                blocks.setdefault(int(k), block)
            for k, message in zip(held, packed):
                sums.setdefault(int(k), message)
        return CurvatureEstimate(blocks, sums, int(rnd.alive.sum()), rnd.duration, rnd.alive)

    def _round(self, work, done):
        """Send ``work`` to every worker; what came back before the round ended."""
        code = self.code
        deadline = self.backend.patience if code.waits_for_all else self.deadline
        rnd = self.backend.round(work, code.coefficients, self._next_delays(), deadline,
                                 None if code.waits_for_all else done)
        self.n_rounds += 1
        self.n_silent += not rnd.alive.any()
        return rnd

    def _next_delays(self):
        """This round's delays, drawn in batches from the straggler model: response times
        on a virtual clock, the seconds each worker sleeps on real ones."""
        if not len(self._times):
            batch = max(1, min(self._draws_per_batch, 2 ** 20 // self.code.n_workers))
            self._times = self.stragglers.sample(self._rng, batch)
        times, self._times = self._times[0], self._times[1:]
        if self.backend.virtual_clock:
            return times
        return self.stragglers.injected_delays(times, self.deadline)

    # -- decoding ------------------------------------------------------------------

    @property
    def variance_reduced(self):
        """Whether the estimate's variance vanishes at convergence (control variate)."""
        return self.decoder.variance_reduced

    def refine(self):
        """Switch the control variate on (its memory is already filled); no-op for a
        plain decoder."""
        if self.variance_reduced:
            self.decoder.activate()

    def forget(self):
        """Drop the stored messages (the quantity being coded changed: a new smoothing of
        the loss); the control variate refills its memory from the next answers."""
        self.decoder.forget()

    @property
    def decodes_exactly_nearby(self):
        """Whether the decoder's stored messages all follow the iterate along the curvature
        (control variate with every worker heard and Hessians held): the decoded gradient
        is then exact for a quadratic loss and exact to first order otherwise."""
        transport = getattr(self.decoder, "transport", None)
        return transport is not None and transport.complete

    def use_curvature(self, partition_hessians):
        """Hand the partitions' Hessians to the decoder (the control variate moves its
        stored messages along them)."""
        self.decoder.use_curvature(partition_hessians)

    # -- learning and re-optimising -----------------------------------------------------

    @property
    def straggler_probs(self):
        """The learned probabilities, or the code's when not learning."""
        if self.estimator is not None:
            return self.estimator.probs_
        return self.code.straggler_probs

    def observe(self, alive):
        """Record who answered; return True when the coefficients changed."""
        if self.estimator is None:
            return False
        self.estimator.update(alive)
        self._since += 1
        learned = self.estimator.probs_
        if (not self.code.reoptimizable or self._since < self.min_interval
                or np.abs(learned - self.code.straggler_probs).max() <= self.drift):
            return False
        return self.reoptimize(straggler_probs=np.clip(learned, 0.0, 1.0 - 1e-9))

    def reoptimize(self, straggler_probs=None, proxy=None):
        """Switch to coefficients optimal for new probabilities or a new proxy."""
        if not self.code.reoptimizable:
            return False
        self.code = self.code.reoptimized(straggler_probs=straggler_probs, proxy=proxy)
        self.decoder.reset_code(self.code)
        self.n_reoptimized += 1
        self._since = 0
        return True

    def _measure_gradient_gram(self, coef, intercept, smoothing=None):
        """Re-optimise for the Gram matrix of the partition gradients at this iterate, and
        hand the decoder every worker's message at this iterate under the new code (the
        measurement computed them all), so that re-coding costs it no stored messages."""
        sums = self.datafit.partition_sums(self.data, coef, intercept)
        gradients = sums[:, intercept.size:]
        gram = gradients @ gradients.T
        if np.trace(gram) > 0 and self.reoptimize(proxy=gram) and smoothing is None:
            self.decoder.refill(self.code.coefficients @ sums, (coef, intercept))

    # -- the end of a fit ----------------------------------------------------------

    def report_silence(self):
        """Raise if no worker answered in any round; warn if in more than the code's
        probabilities explain (``prod_j p_j`` of the rounds, with a 3-sigma margin).
        Gradient descent has one round per iteration; Newton iterations may have more
        (curvature, line search) or none (the master holds the exact objective).

        Such a round leaves the model unchanged: a deadline too short for the workers'
        response times (or workers that are all down) must not pass for a fit.
        """
        silent, total = self.n_silent, self.n_rounds
        probs = self.code.straggler_probs
        expected = 0.0 if probs is None else float(np.prod(probs))
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
