"""What a Newton-type solver asks of the master: gradients and per-partition curvature."""

from dataclasses import replace

import numpy as np

from ..backends import unpack
from ._decoding import move_messages
from ._estimates import CurvatureEstimate, GradientEstimate

__all__ = ["CurvatureOracle"]


class CurvatureOracle:
    """What a Newton-type solver asks: decoded gradients and the Hessian of the mean data
    term, whatever the backend.

    Gradients are the master's decoded ones. The Hessian is kept per partition: each
    Hessian round delivers the blocks of every partition held by a worker who answered,
    and the estimate is the
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
    So the first curvature request asks again for the partitions whose holders all
    straggled (only they, each round cut at the deadline) until every one has been
    delivered, or :attr:`rounds` have passed.

    With ``partition_models=True`` (a curvature that changes with the iterate, under
    stragglers) every gradient request is a Hessian round: the master keeps each
    partition's value, gradient and Hessian at the last iterate where one of its holders
    answered, and estimates the data term at an iterate by the sum of these second-order
    models (exact for the partitions just delivered, and for all of them when the
    round covered every partition). A coded message mixes a worker's partitions and is
    refreshed only when that worker answers, whereas a partition is refreshed whenever
    any of its holders does; its Hessian moves it to the iterate, and a kinked loss's
    curvature (smoothed ever more finely) changes too fast for a coded message's moved
    copy to stay close.

    Parameters
    ----------
    master : skgc.master.Master
        The master of a started fit.
    quadratic : bool, default=False
        The data term is quadratic (its Hessian does not depend on the iterate).
    partition_models : bool, default=False
        Answer gradient requests from the partitions' second-order models, refreshed by
        a Hessian round at every request. Always on for a smooth loss whose curvature
        changes with the iterate when the code expects no stragglers: every partition
        then arrives at every request, so a gradient request (a line-search trial) is
        also the Hessian round of the next iteration, which needs no round of its own.
    kinked : bool, default=False
        The loss has no Hessian unless smoothed: requests without smoothing are decoded
        gradient rounds.
    """

    #: Probability, per partition, of a model left stale after the top-up rounds.
    stale_risk = 1e-3
    #: At most this many rounds at one iterate.
    max_rounds = 50

    def __init__(self, master, quadratic=False, partition_models=False, kinked=False):
        self.master = master
        self.partition_rows = master.partition_rows
        self.normaliser = master.normaliser
        self.quadratic = quadratic
        # Without stragglers a Hessian round delivers every partition's exact value,
        # gradient and Hessian: Newton's line-search trial is then also the next
        # iteration's curvature round (one round per iteration, as dask-ml's newton).
        fused = not (kinked or master.datafit.loss.constant_curvature
                     or master.code.expects_stragglers)
        self.partition_models = (partition_models or fused) and not quadratic
        self.kinked = kinked
        # top-up rounds: for partition models at every iterate; for a quadratic loss until
        # its constant curvature (and with it the objective) has been delivered once
        topped_up = self.partition_models or quadratic
        self.rounds = self._rounds_per_iterate(master.code) if topped_up else 1
        self.blocks, self.anchors, self._smoothing = {}, {}, None
        self._stacked = None  # the partitions' models stacked, built once when exact
        self._fresh = None  # (point, estimate) of the last Hessian round

    def gradient(self, coef, intercept, smoothing=None):
        """The :class:`GradientEstimate` at ``coef, intercept``: decoded from
        the workers' answers, or, once :attr:`exact` (or with ``partition_models``), from
        the partitions' models."""
        self._switch(smoothing)
        if self._gathers_first(smoothing):
            # the Hessian round brings the sums too: the master then holds the objective
            estimate = self._refresh(coef, intercept, smoothing)
            self._fresh = ((coef.copy(), intercept.copy()), estimate)
            if self.exact:
                return self._model_gradient(coef, intercept, estimate)
        if self.exact:
            return self._model_gradient(coef, intercept)
        if self.partition_models and (smoothing is not None or not self.kinked):
            estimate = self._refresh(coef, intercept, smoothing)
            if not self.anchors:  # nobody answered yet: nothing to estimate from
                return GradientEstimate(0.0, np.zeros_like(coef), np.zeros_like(intercept),
                                        0, estimate.duration, False, estimate.alive,
                                        np.zeros(coef.shape[1]))
            return self._model_gradient(coef, intercept, estimate)
        return self.master.gradient(coef, intercept, smoothing)

    def _gathers_first(self, smoothing):
        """Whether a gradient request is answered by the curvature round instead: a
        quadratic loss whose curvature has not arrived yet (the round, topped up under
        stragglers, delivers every partition's model, and with them the objective)."""
        return self.quadratic and smoothing is None and not self.blocks

    @property
    def exact(self):
        """Whether the master holds the quadratic objective itself (every partition's
        Hessian, value and gradient delivered)."""
        return self.quadratic and self._smoothing is None and self.curvature_complete

    def _model_gradient(self, coef, intercept, estimate=None):
        """Value and gradient from the partitions' second-order models (the mean over the
        partitions delivered so far); ``estimate``: the round that refreshed them (none:
        no round)."""
        if self._stacked is None:  # stacked once per change of the models
            self._stacked = self._models_by_anchor()
            self._rows = self.partition_rows[list(self.anchors)].sum()
        sums = move_messages(*self._stacked, (coef, intercept))
        values, grad_coef, grad_intercept = unpack(sums.sum(axis=0), coef.shape)
        scale = 1.0 / (self.normaliser * self._rows / self.partition_rows.sum())
        if estimate is None:
            alive = np.zeros(self.master.code.n_workers, dtype=bool)
            n_alive, duration = 0, 0.0
        else:
            alive, n_alive, duration = estimate.alive, estimate.n_alive, estimate.duration
        # a partition whose model was not renewed at this iterate makes the sums approximate
        fallback = estimate is not None and len(estimate.sums) < len(self.partition_rows)
        return GradientEstimate(float(values.sum()) * scale, grad_coef * scale,
                                grad_intercept * scale, n_alive, duration, fallback, alive,
                                values * scale)

    def _models_by_anchor(self):
        """``(messages, hessians, points)`` for :func:`move_messages`: one model per
        iterate the partitions were delivered at, the sum of theirs (second-order models
        at one point add up), so that a round that delivered every partition leaves
        one model to move instead of one per partition."""
        groups = {}
        for k in sorted(self.anchors):
            sums, point = self.anchors[k]
            groups.setdefault(id(point), (point, []))[1].append(k)
        members = [partitions for _, partitions in groups.values()]
        return (np.stack([sum(self.anchors[k][0] for k in group) for group in members]),
                np.stack([sum(self.blocks[k] for k in group) for group in members]),
                [point for point, _ in groups.values()])

    def _switch(self, smoothing):
        """A new smoothing is a new function: what was stored for the old one goes."""
        if smoothing != self._smoothing:
            self.blocks, self.anchors, self._smoothing = {}, {}, smoothing
            self._stacked = self._fresh = None
            self.master.forget()

    @property
    def curvature_complete(self):
        """Whether every partition's block has been delivered."""
        return len(self.blocks) == len(self.partition_rows)

    @property
    def settled(self):
        """Whether the gradients no longer carry straggling noise to first order (the
        objective held exactly, every partition's model held, or every partition's
        curvature held and every worker's message followed along it)."""
        if self.partition_models:
            return self.curvature_complete
        return self.exact or (self.curvature_complete
                              and self.master.decodes_exactly_nearby)

    def curvature(self, coef, intercept, smoothing=None):
        """``(hessian, estimate)``: the mean Hessian, shape ``(n_blocks, size, size)`` (None
        while no block has arrived), and the round's
        :class:`CurvatureEstimate`."""
        self._switch(smoothing)
        fresh = self._fresh
        if fresh is not None and _same_point(fresh[0], (coef, intercept)):
            estimate = replace(fresh[1], duration=0.0)  # that round is already counted
        else:
            estimate = self._refresh(coef, intercept, smoothing)
        if not self.blocks:  # nobody answered yet
            return None, estimate
        delivered = list(self.blocks)
        total = sum(self.blocks[k] for k in delivered)
        return total / self.partition_rows[delivered].sum(), estimate

    def _refresh(self, coef, intercept, smoothing):
        """Hessian rounds at ``coef, intercept``; store what they delivered.

        With ``partition_models`` (and for a quadratic loss, until its constant curvature
        has arrived), the partitions whose holders all straggled are asked again (only
        they), each round cut at the deadline, until every partition has been delivered at
        this iterate or :attr:`rounds` have passed (enough for a partition to stay out of
        reach with probability :attr:`stale_risk` at most): :meth:`Master.topped_up`.
        """
        missing = None  # a constant curvature already delivered is not asked for again
        if self.quadratic and smoothing is None:
            missing = [k for k in range(len(self.partition_rows)) if k not in self.blocks]
        point = (coef.copy(), intercept.copy())
        rounds = self.master.topped_up("hessian", coef, intercept, smoothing, missing,
                                       max_rounds=self.rounds)
        for estimate in rounds:
            self.blocks.update(estimate.blocks)
            self.anchors.update({k: (sums, point) for k, sums in estimate.sums.items()})
        self._stacked = None
        estimate = _combined(rounds)
        if estimate.blocks and not self.partition_models:
            self.master.use_curvature(self.blocks)
        self._fresh = (point, estimate) if self.partition_models else None
        return estimate

    def _rounds_per_iterate(self, code):
        """Rounds after which every partition has been delivered with probability
        ``1 - stale_risk`` (each holder answers independently of the others)."""
        probs = np.zeros(code.n_workers) if code.straggler_probs is None \
            else np.asarray(code.straggler_probs, dtype=float)
        unreached = np.prod(np.where(code.allocation, probs[:, None], 1.0), axis=0).max()
        if unreached <= 0.0:
            return 1
        if unreached >= 1.0:
            return self.max_rounds
        needed = np.log(self.stale_risk) / np.log(unreached)
        return int(min(self.max_rounds, max(1, np.ceil(needed))))


def _combined(rounds):
    """One :class:`CurvatureEstimate` for consecutive rounds at one iterate."""
    if len(rounds) == 1:
        return rounds[0]
    alive = np.logical_or.reduce([estimate.alive for estimate in rounds])
    blocks, sums = {}, {}
    for estimate in rounds:
        blocks.update(estimate.blocks)
        sums.update(estimate.sums)
    return CurvatureEstimate(blocks, sums, int(alive.sum()),
                             sum(estimate.duration for estimate in rounds), alive)


def _same_point(a, b):
    """Whether two iterates ``(coef, intercept)`` are equal."""
    return np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
