"""In-process simulation of the cluster, with a virtual clock."""

from ._base import Backend, iteration_outcome
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

    def gradient(self, coef, intercept):
        code = self.code
        alive, duration = iteration_outcome(self._next_times(), self.deadline,
                                            code.waits_for_all)
        if self.master.decodes_by_partition_weights:
            sums = self._weighted_pass(code.partition_weights(alive), coef, intercept)
        else:
            messages = code.coefficients @ self._partition_sums(coef, intercept)
            sums = unpack(self.master.decode(messages, alive), coef.shape)
        return self._estimate(sums, alive, duration, code.falls_back(alive))

    def _weighted_pass(self, partition_weights, coef, intercept):
        """``sum_k beta_k (value_k, grad_k)`` in one pass over the data."""
        data = self.data
        row_weight = data.sample_weight * partition_weights[data.partition_of_row]
        return self.datafit.sums(data.X, data.Y, row_weight, coef, intercept)

    def _partition_sums(self, coef, intercept):
        """Packed ``(value_k, grad_k)`` of every partition, shape (n_partitions, m)."""
        return self.datafit.partition_sums(self.data, coef, intercept)
