"""In-process simulation of the cluster, with a virtual clock."""

import numpy as np

from .._blas import hold_one_blas_thread, release_blas_threads
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

    From :meth:`start` to :meth:`close` (the fit) BLAS runs on one thread, as one worker
    does (the process workers do too). The rounds' products are mostly matrix-vector ones,
    bound by memory, which extra threads do not speed up; on a machine busy with other
    processes, BLAS threads that spin while waiting for a core made them 10-100x slower.
    """

    name = "simulated"
    virtual_clock = True
    patience = np.inf
    _holds_blas = False  # between start and close: BLAS held on one thread

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
        pred = datafit.predict(self.data.X, work.coef, work.intercept)
        sums = datafit.partition_sums(self.data, work.coef, work.intercept, pred=pred)
        self._last_sums = (work.coef.copy(), work.intercept.copy(), work.smoothing, pred,
                           sums)
        return {int(j): coefficients[j] @ sums for j in np.flatnonzero(alive)}

    def _known_sums(self, work):
        """``(pred, sums)`` of the last gradient round if it was at ``work``'s iterate and
        smoothing (a Newton step's trial point is where its next curvature is asked for),
        else ``(None, None)``."""
        if self._last_sums is None:
            return None, None
        coef, intercept, smoothing, pred, sums = self._last_sums
        if smoothing != work.smoothing or not (np.array_equal(coef, work.coef)
                                               and np.array_equal(intercept, work.intercept)):
            return None, None
        return pred, sums

    def _launch(self, data, datafit):
        self._last_sums = None  # (coef, intercept, smoothing, pred, sums) of a gradient round
        hold_one_blas_thread()
        self._holds_blas = True

    def close(self):
        """Give BLAS its threads back."""
        if self._holds_blas:
            self._holds_blas = False
            release_blas_threads()

    def _hessians(self, work, alive):
        """Each alive worker's ``(partitions, hessians, sums)``, every partition computed
        once."""
        held = alive @ self.allocation  # the partitions reached...
        if work.partitions is not None:  # ...and wanted
            wanted = np.zeros_like(held)
            wanted[list(work.partitions)] = True
            held &= wanted
        datafit = self.datafit.smoothed(work.smoothing)
        data, coef, intercept = self.data, work.coef, work.intercept
        hessian = work.kind == "hessian"
        if held.all():  # every partition: predicted in one pass
            pred, sums = self._known_sums(work)
            if pred is None:
                pred = datafit.predict(data.X, coef, intercept)
                sums = datafit.partition_sums(data, coef, intercept, pred=pred)
            hessians = (datafit.partition_hessians(data, coef, intercept, pred=pred)
                        if hessian else {})
        else:  # only the partitions asked for and reached, as a worker would
            hessians, sums = {}, {}
            for k in np.flatnonzero(held).tolist():
                X, Y, weight = data.partition(k)
                if hessian:
                    hessians[k], *message = datafit.hessian_and_sums(X, Y, weight, coef,
                                                                     intercept)
                else:
                    message = datafit.sums(X, Y, weight, coef, intercept)
                sums[k] = pack(*message)
        answers = {}
        for j in np.flatnonzero(alive).tolist():
            support = self.supports[j]
            mine = support[held[support]].tolist()
            answers[j] = (mine, [hessians[k] for k in mine] if hessian else [],
                          [sums[k] for k in mine])
        return answers

