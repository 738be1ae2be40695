"""What a Newton-type solver asks of the master: gradients and per-partition curvature."""

import numpy as np

from ..backends import unpack
from ._decoding import move_messages
from ._estimates import GradientEstimate

__all__ = ["CurvatureOracle"]


class CurvatureOracle:
    """What a Newton-type solver asks: decoded gradients and the Hessian of the mean data
    term, whatever the backend.

    Gradients are the master's decoded ones. The Hessian is kept per partition: each Hessian round delivers
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
    master : skgc.master.Master
        The master of a started fit.
    quadratic : bool, default=False
        The data term is quadratic (its Hessian does not depend on the iterate).
    """

    def __init__(self, master, quadratic=False):
        self.master = master
        self.partition_rows = master.partition_rows
        self.normaliser = master.normaliser
        self.quadratic = quadratic
        self.blocks, self.anchors, self._smoothing = {}, {}, None
        self._stacked = None  # the partitions' models stacked, built once when exact

    def gradient(self, coef, intercept, smoothing=None):
        """The :class:`GradientEstimate` at ``coef, intercept``: decoded from
        the workers' answers, or, once :attr:`exact`, from the partitions' models."""
        self._switch(smoothing)
        if self.exact:
            return self._model_gradient(coef, intercept)
        return self.master.gradient(coef, intercept, smoothing)

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
        n_workers = self.master.code.n_workers
        return GradientEstimate(float(values.sum()) * scale, grad_coef * scale,
                                grad_intercept * scale, 0, 0.0, False,
                                np.zeros(n_workers, dtype=bool), values * scale)

    def _switch(self, smoothing):
        """A new smoothing is a new function: what was stored for the old one goes."""
        if smoothing != self._smoothing:
            self.blocks, self.anchors, self._smoothing = {}, {}, smoothing
            self._stacked = None
            self.master.forget()

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
                              and self.master.decodes_exactly_nearby)

    def curvature(self, coef, intercept, smoothing=None):
        """``(hessian, estimate)``: the mean Hessian, shape ``(n_blocks, size, size)`` (None
        while no block has arrived), and the round's
        :class:`CurvatureEstimate`."""
        self._switch(smoothing)
        missing = None  # a constant curvature already delivered is not asked for again
        if self.quadratic and smoothing is None:
            missing = [k for k in range(len(self.partition_rows)) if k not in self.blocks]
        estimate = self.master.hessian(coef, intercept, smoothing, missing)
        self.blocks.update(estimate.blocks)
        self._stacked = None
        point = (coef.copy(), intercept.copy())
        self.anchors.update({k: (sums, point) for k, sums in estimate.sums.items()})
        if estimate.blocks:
            self.master.use_curvature(self.blocks)
        if not self.blocks:  # nobody answered yet
            return None, estimate
        delivered = list(self.blocks)
        total = sum(self.blocks[k] for k in delivered)
        return total / self.partition_rows[delivered].sum(), estimate
