"""In-process simulation of the cluster, with a virtual clock."""

import numpy as np

from ._base import Backend, CurvatureEstimate, iteration_outcome
from ._decoding import unpack

__all__ = ["SimulatedBackend"]


class SimulatedBackend(Backend):
    """Every worker in this process; response times drawn from a straggler model.

    The estimate equals the sum of the decoded messages ``sum_j w_j f_j`` that the workers
    would send, but is computed in a single pass over the data: the decoded estimate weighs
    partition ``k``'s gradient by ``beta_k = sum_j w_j C[j, k]``, so one weighted gradient
    with row weights ``beta`` costs one full-gradient evaluation whatever the load.

    Parameters
    ----------
    stragglers : skgc.stragglers.StragglerModel or None
    deadline : float, "auto" or None
        Virtual seconds the master waits; None or "auto": the model's default deadline.
    random_state : int, RandomState instance or None
        Seeds the straggler draws.
    """

    name = "simulated"

    def start(self, data, datafit, code, master=None):
        self._begin(code, master)
        self.data, self.datafit = data, datafit
        return self

    def gradient(self, coef, intercept, smoothing=None):
        code = self.code
        datafit = self.datafit.smoothed(smoothing)
        alive, duration = self._outcome()
        if self.master.decodes_by_partition_weights:
            sums = self._weighted_pass(datafit, code.partition_weights(alive), coef, intercept)
        else:
            messages = code.coefficients @ datafit.partition_sums(self.data, coef, intercept)
            sums = unpack(self.master.decode(messages, alive, (coef, intercept)), coef.shape)
        return self._estimate(sums, alive, duration, code.falls_back(alive))

    def hessian(self, coef, intercept, smoothing=None, partitions=None):
        alive, duration = self._outcome()
        covered = np.flatnonzero(self.code.allocation[alive].any(axis=0))
        if partitions is not None:
            covered = np.intersect1d(covered, list(partitions))
        datafit = self.datafit.smoothed(smoothing)
        blocks = {int(k): datafit.partition_hessians(self.data, [k], coef, intercept)[0]
                  for k in covered}
        sums = datafit.partition_sums(self.data, coef, intercept) if len(covered) else None
        self._count_round(alive)
        return CurvatureEstimate(blocks, {int(k): sums[k] for k in covered},
                                 int(alive.sum()), duration, alive)

    def _outcome(self):
        return iteration_outcome(self._next_times(), self.deadline, self.code.waits_for_all)

    def _weighted_pass(self, datafit, partition_weights, coef, intercept):
        """``sum_k beta_k (value_k, grad_k)`` in one pass over the data."""
        data = self.data
        row_weight = data.sample_weight * partition_weights[data.partition_of_row]
        return datafit.sums(data.X, data.Y, row_weight, coef, intercept)
