"""Exact values and gradients under stragglers: every partition delivered at every iterate."""

import numpy as np

from ..backends import unpack
from ._estimates import GradientEstimate

__all__ = ["CompleteGradientOracle"]


class CompleteGradientOracle:
    """Value and gradient of the mean data term, exact at every iterate under stragglers.

    A request is a round of per-partition value and gradient sums (uncoded; no Hessian, so
    it suits data too wide for a curvature model). The partitions whose holders all
    straggled are asked for again, only they, each round cut at the deadline, until every
    partition has been delivered at this iterate. The answer is then the exact value and
    gradient, whoever straggled: a solver that needs them (L-BFGS and its line search) runs
    unchanged under stragglers, at the cost of these top-up rounds. Each partition is
    computed about once per iterate (a round asks only for those still missing), so the
    computation is one pass over the data, as without stragglers.

    After :attr:`max_rounds` rounds at one iterate (holders that never answer), a
    partition still missing counts with its sums at the last iterate where one of its
    holders answered, and the estimate says ``fallback=True``; a partition never delivered
    is left out and the others' mean stands for the whole.

    Parameters
    ----------
    master : skgc.master.Master
        The master of a started fit.

    Attributes
    ----------
    n_requests, n_rounds : int
        Requests answered, and rounds run for them.
    """

    #: Rounds at one iterate at most.
    max_rounds = 200

    def __init__(self, master):
        self.master = master
        self.partition_rows = master.partition_rows
        self.latest = {}  # partition -> its packed sums at the last iterate it was delivered
        self._smoothing = None
        self.n_requests = self.n_rounds = 0

    def gradient(self, coef, intercept, smoothing=None):
        """The :class:`GradientEstimate` at ``coef, intercept`` (the loss smoothed by
        ``smoothing`` if given), from every partition's sums at this iterate."""
        if smoothing != self._smoothing:  # another function: the stored sums are not its
            self.latest, self._smoothing = {}, smoothing
        rounds = self.master.topped_up("sums", coef, intercept, smoothing,
                                       max_rounds=self.max_rounds)
        for estimate in rounds:
            self.latest.update(estimate.sums)
        delivered = set().union(*(estimate.sums for estimate in rounds))
        self.n_requests += 1
        self.n_rounds += len(rounds)
        return self._estimate(coef, intercept, rounds,
                              stale=len(delivered) < len(self.partition_rows))

    def _estimate(self, coef, intercept, rounds, stale):
        """The mean data term from the latest sums of every partition delivered so far."""
        alive = np.logical_or.reduce([estimate.alive for estimate in rounds])
        duration = sum(estimate.duration for estimate in rounds)
        if not self.latest:  # nobody answered yet: nothing to estimate from
            return GradientEstimate(0.0, np.zeros_like(coef), np.zeros_like(intercept), 0,
                                    duration, True, alive, np.zeros(coef.shape[1]))
        partitions = sorted(self.latest)
        total = np.sum([self.latest[k] for k in partitions], axis=0)
        rows = self.partition_rows[partitions].sum() / self.partition_rows.sum()
        scale = 1.0 / (self.master.normaliser * rows)
        values, grad_coef, grad_intercept = unpack(total, coef.shape)
        return GradientEstimate(float(values.sum()) * scale, grad_coef * scale,
                                grad_intercept * scale, int(alive.sum()), duration, stale,
                                alive, values * scale)
