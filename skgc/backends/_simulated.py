"""In-process simulation of the cluster, with a virtual clock."""

import numpy as np

from ..solver import GradientEstimate
from ._base import Backend, iteration_outcome

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

    def start(self, data, datafit, code):
        self._begin(code)
        self.data, self.datafit, self.code = data, datafit, code
        self._partition_of_row = np.repeat(np.arange(data.n_partitions), data.sizes)
        return self

    def gradient(self, coef, intercept):
        alive, duration = iteration_outcome(self._next_times(), self.deadline,
                                            self.code.waits_for_all)
        weights = self.code.partition_weights(alive)
        data = self.data
        row_weight = data.sample_weight * weights[self._partition_of_row]
        value, grad_coef, grad_intercept = self.datafit.sums(data.X, data.Y, row_weight, coef,
                                                             intercept)
        scale = 1.0 / data.total_weight
        return GradientEstimate(value * scale, grad_coef * scale, grad_intercept * scale,
                                int(alive.sum()), duration, self.code.falls_back(alive), alive)
