"""The master's state during one fit: the code, its decoder, learned probabilities."""

import numpy as np

from ..stragglers._estimation import StragglerEstimator
from ..solver import GradientEstimate
from ._decoding import PlainDecoder, make_decoder, move_messages, unpack

__all__ = ["Master", "GramRefresh", "CurvatureOracle"]


class Master:
    """What the master knows and decides, whatever the backend.

    It decodes the workers' messages (plainly, or with the control variate), learns the
    straggling probabilities from who answered, and re-optimises the coding coefficients
    on the same allocation when the learned probabilities drift from those the code was
    built for (codes whose ``reoptimizable`` is True: "optimal").

    Parameters
    ----------
    code : skgc.coding.GradientCode
    variance_reduction : bool, default=False
        Decode with :class:`ControlVariateDecoder`.
    estimate_stragglers : bool, default=False
        Learn the probabilities online (:class:`skgc.stragglers.StragglerEstimator`).
    drift : float, default=0.05
        Re-optimise when a learned probability is this far from the code's.
    min_interval : int, default=20
        Iterations between two re-optimisations at least.
    random_state : int, default=0
        Seeds the decoder's Monte-Carlo expectations.
    delay_variance_reduction : bool, default=False
        Decode plainly (filling the control variate's memory) until
        ``decoder.activate()`` is called.
    """

    def __init__(self, code, variance_reduction=False, estimate_stragglers=False,
                 drift=0.05, min_interval=20, random_state=0, delay_variance_reduction=False):
        self.code = code
        self.decoder = make_decoder(code, variance_reduction, random_state,
                                    active=not delay_variance_reduction)
        self.estimator = None
        if estimate_stragglers:
            self.estimator = StragglerEstimator(code.n_workers, initial=code.straggler_probs)
        self.drift = drift
        self.min_interval = min_interval
        self.n_reoptimized = 0
        self._since = 0

    @property
    def variance_reduced(self):
        """Whether the estimate's variance vanishes at convergence (control variate)."""
        return self.decoder.variance_reduced

    @property
    def decodes_by_partition_weights(self):
        """Whether the estimate is ``sum_k beta_k g_k`` with ``beta = partition_weights``
        (the plain decoder): the simulated backend then needs one pass, no messages."""
        return type(self.decoder) is PlainDecoder

    def forget(self):
        """Drop the stored messages (the quantity being coded changed: a new smoothing of
        the loss); the control variate refills its memory from the next answers."""
        self.decoder.forget()

    def decode(self, messages, alive, point=None):
        """Decoded (packed) sums from the workers' packed messages, computed at ``point``
        (the iterate ``(coef, intercept)``)."""
        return self.decoder.combine(messages, alive, point)

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


class GramRefresh:
    """Gradient-aware coefficients: re-measure the partition gradients' Gram matrix.

    Wraps an oracle; every ``every`` iterations (and at the first) the master computes the
    partition gradients at the current iterate on its own copy of the data (one pass over
    the data, so ``1 / every`` of the training cost) and re-optimises the coefficients for
    the true residual error ``sum_j p_j (1 - p_j) c_j^T M c_j``.

    Parameters
    ----------
    oracle : callable
        ``oracle(coef, intercept) -> GradientEstimate`` (a backend's ``gradient``).
    master : Master
    data : skgc.objective.PartitionedData
    datafit : skgc.objective.Datafit
    every : int, default=50
    """

    def __init__(self, oracle, master, data, datafit, every=50):
        self.oracle, self.master, self.data, self.datafit = oracle, master, data, datafit
        self.every = every
        self.calls = 0

    def __call__(self, coef, intercept, smoothing=None):
        if self.calls % self.every == 0:
            sums = self.datafit.partition_sums(self.data, coef, intercept)
            gradients = sums[:, intercept.size:]
            gram = gradients @ gradients.T
            if np.trace(gram) > 0:
                self.master.reoptimize(proxy=gram)
        self.calls += 1
        return self.oracle(coef, intercept, smoothing)


class CurvatureOracle:
    """What a Newton-type solver asks: decoded gradients and the Hessian of the mean data
    term, whatever the backend.

    Gradients come from ``gradient`` (a backend's, possibly wrapped in
    :class:`GramRefresh`). The Hessian is kept per partition: each Hessian round delivers
    the blocks of every partition held by a worker who answered, and the estimate is the
    sum of the latest block of each partition, divided by the number of samples in the
    partitions delivered so far (the objective's normalisation, ``n_samples``: exact as soon
    as every partition has been delivered once;
    a partition whose holders straggled keeps its previous block). Curvature only shapes
    the step, not its fixed point: a stale or partial block slows convergence but does
    not bias it.

    A Hessian round also brings each delivered partition's value and gradient at the same
    iterate. For a quadratic loss (``quadratic=True``: the squared loss) the partitions'
    second-order models are then exact: once every partition has been delivered, the master
    holds the objective itself and answers gradient requests without asking the workers.

    Parameters
    ----------
    backend : skgc.backends.Backend
        A started backend.
    data : skgc.objective.PartitionedData
    gradient : callable or None, default=None
        ``gradient(coef, intercept, smoothing)``; None: ``backend.gradient``.
    quadratic : bool, default=False
        The data term is quadratic (its Hessian does not depend on the iterate).
    """

    def __init__(self, backend, data, gradient=None, quadratic=False):
        self.backend = backend
        self._gradient = backend.gradient if gradient is None else gradient
        self.partition_rows = data.sizes
        self.normaliser = data.normaliser
        self.quadratic = quadratic
        self.blocks, self.anchors, self._smoothing = {}, {}, None
        self._stacked = None  # the partitions' models stacked, built once when exact

    def gradient(self, coef, intercept, smoothing=None):
        """The :class:`~skgc.solver.GradientEstimate` at ``coef, intercept``: decoded from
        the workers' answers, or, once :attr:`exact`, from the partitions' models."""
        self._switch(smoothing)
        if self.exact:
            return self._model_gradient(coef, intercept)
        return self._gradient(coef, intercept, smoothing)

    @property
    def exact(self):
        """Whether the master holds the quadratic objective itself (every partition's
        Hessian, value and gradient delivered)."""
        return self.quadratic and self._smoothing is None and self.curvature_complete

    def _model_gradient(self, coef, intercept):
        """Value and gradient from each partition's exact quadratic model; no round."""
        if self._stacked is None:  # the models no longer change: stack them once
            partitions = sorted(self.anchors)
            self._stacked = (np.stack([self.anchors[k][0] for k in partitions]),
                             np.stack([self.blocks[k] for k in partitions]),
                             [self.anchors[k][1] for k in partitions])
        sums = move_messages(*self._stacked, (coef, intercept))
        values, grad_coef, grad_intercept = unpack(sums.sum(axis=0), coef.shape)
        scale = 1.0 / self.normaliser
        n_workers = self.backend.code.n_workers
        return GradientEstimate(float(values.sum()) * scale, grad_coef * scale,
                                grad_intercept * scale, 0, 0.0, False,
                                np.zeros(n_workers, dtype=bool), values * scale)

    def _switch(self, smoothing):
        """A new smoothing is a new function: what was stored for the old one goes."""
        if smoothing != self._smoothing:
            self.blocks, self.anchors, self._smoothing = {}, {}, smoothing
            self._stacked = None
            self.backend.master.forget()

    @property
    def curvature_complete(self):
        """Whether every partition's block has been delivered."""
        return len(self.blocks) == len(self.partition_rows)

    @property
    def settled(self):
        """Whether the gradients no longer carry straggling noise to first order (the
        objective held exactly, or every partition's curvature held and every worker's
        message followed along it)."""
        return self.exact or (self.curvature_complete
                              and self.backend.master.decodes_exactly_nearby)

    def curvature(self, coef, intercept, smoothing=None):
        """``(hessian, estimate)``: the mean Hessian, shape ``(n_blocks, size, size)`` (None
        while no block has arrived), and the round's
        :class:`~skgc.backends.CurvatureEstimate`."""
        self._switch(smoothing)
        missing = None  # a constant curvature already delivered is not asked for again
        if self.quadratic and smoothing is None:
            missing = [k for k in range(len(self.partition_rows)) if k not in self.blocks]
        estimate = self.backend.hessian(coef, intercept, smoothing, missing)
        self.blocks.update(estimate.blocks)
        self._stacked = None
        point = (coef.copy(), intercept.copy())
        self.anchors.update({k: (sums, point) for k, sums in estimate.sums.items()})
        if estimate.blocks:
            self.backend.master.use_curvature(self.blocks)
        if not self.blocks:  # nobody answered yet
            return None, estimate
        delivered = list(self.blocks)
        total = sum(self.blocks[k] for k in delivered)
        return total / self.partition_rows[delivered].sum(), estimate
