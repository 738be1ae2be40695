"""In-process simulation of the cluster, with a virtual clock."""

import numpy as np

from ._base import Backend, iteration_outcome
from ._messages import Round, pack

__all__ = ["SimulatedBackend"]


class SimulatedBackend(Backend):
    """Every worker in this process; response times are the drawn delays, on a virtual clock.

    A round costs one pass over the data whatever the load: every partition's sums are
    computed once (:meth:`skgc.objective.Datafit.partition_sums`) and each worker's
    message ``f_j = sum_k C[j, k] g_k`` is a row of ``C`` times them; a Hessian round
    computes each wanted partition's Hessian once, whoever holds it (a "sums" round, its
    value and gradient sums only).
    """

    name = "simulated"
    virtual_clock = True
    patience = np.inf

    def round(self, work, coefficients, delays, deadline, done=None):
        alive, duration = iteration_outcome(delays, deadline, done)
        if not alive.any():
            return Round({}, alive, duration)
        if work.kind in ("hessian", "sums"):
            answers = self._hessians(work, alive)
        else:
            answers = self._messages(work, coefficients, alive)
        return Round(answers, alive, duration)

    def _messages(self, work, coefficients, alive):
        """Every alive worker's coded value and gradient sums, packed."""
        datafit = self.datafit.smoothed(work.smoothing)
        sums = datafit.partition_sums(self.data, work.coef, work.intercept)
        return {int(j): coefficients[j] @ sums for j in np.flatnonzero(alive)}

    def _hessians(self, work, alive):
        """Each alive worker's ``(partitions, hessians, sums)``, every partition computed
        once."""
        wanted = set(range(self.data.n_partitions) if work.partitions is None
                     else work.partitions)
        held = {int(k) for j in np.flatnonzero(alive) for k in self.supports[j]} & wanted
        datafit = self.datafit.smoothed(work.smoothing)
        data, coef, intercept = self.data, work.coef, work.intercept
        hessians, sums = {}, {}
        for k in held:  # only the partitions asked for and reached, as a worker would
            X, Y, weight = data.partition(k)
            if work.kind == "hessian":
                hessians[k] = datafit.hessian_sums(X, Y, weight, coef, intercept)
            sums[k] = pack(*datafit.sums(X, Y, weight, coef, intercept))
        answers = {}
        for j in np.flatnonzero(alive):
            mine = [int(k) for k in self.supports[j] if k in held]
            answers[int(j)] = (mine, [hessians[k] for k in mine if k in hessians],
                               [sums[k] for k in mine])
        return answers
