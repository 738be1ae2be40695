"""One round on workers that really run: post, collect until the deadline, settle."""

import time

import numpy as np

from ._base import Backend
from ._messages import Round, pack

__all__ = ["LiveBackend"]


class LiveBackend(Backend):
    """Common round of the real backends.

    Per round, every worker receives ``(tag, work, delay, C[j, S_j])`` (a :class:`Work`
    request; its coding coefficients travel with it: the master may re-optimise them),
    sleeps its injected delay and answers (:meth:`WorkerShard.answer`). The round ends at
    the deadline, when every worker answered, or as soon as ``done(alive)`` holds.
    Answers carry the round's tag: a late answer is dropped, never mixed into a later
    round. A failed or lost worker is a straggler.

    Subclasses implement ``_launch(data, datafit)``, ``_post(tag, work, delays,
    weights)``, ``_collect(tag, timeout) -> [(j, message or None)]``, ``_settle(tag,
    alive)`` and ``_shutdown()``.

    A backend given a ``deadline_rule`` (the plan sets
    :class:`skgc.deadline.MeasuredDeadline` for the default deadline of a model without
    seconds) waits up to ``patience`` and cuts each round by the rule, from the time at
    which its fast workers answered; the ``deadline`` passed to :meth:`round` is then
    nominal (the injected delays are drawn for it).

    Attributes
    ----------
    deadline_rule : object or None
        ``reference(n_busy)`` and ``cut(seconds)``, as :class:`skgc.deadline.MeasuredDeadline`.
    bytes_sent, bytes_received : int
        Bytes the master shipped to and received from the workers since ``start``.
    n_replaced : int
        Workers replaced after a crash or loss since ``start``.
    """

    deadline_rule = None

    def start(self, data, datafit, allocation):
        self._tag = 0
        self.bytes_sent = self.bytes_received = self.n_replaced = 0
        self._weights_of = None
        return super().start(data, datafit, allocation)

    def round(self, work, coefficients, delays, deadline, done=None):
        self._tag += 1
        tag = self._tag
        start = time.perf_counter()
        weights = self._request_weights(coefficients)
        self._post(tag, work, delays, weights)
        rule = self.deadline_rule if done is not None else None
        limit = start + (deadline if rule is None else max(deadline, self.patience))
        if rule is not None:
            busy = self._busy(work, weights)
            needed, heard = rule.reference(int(busy.sum())), 0
        answers = {}
        while len(answers) < self.n_workers:
            remaining = limit - time.perf_counter()
            if remaining <= 0:
                break
            for j, message in self._collect(tag, remaining):
                answers[j] = message
                if rule is not None and message is not None and busy[j]:
                    heard += 1
                    if heard == needed:  # the fast workers' time sets the cut
                        limit = min(limit, start + rule.cut(time.perf_counter() - start))
            if done is not None and done(self._alive(answers)):
                break
        alive = self._alive(answers)
        self._settle(tag, alive)
        answers = {j: message for j, message in answers.items() if message is not None}
        if work.kind == "gradient":
            answers = {j: pack(*message) for j, message in answers.items()}
        return Round(answers, alive, time.perf_counter() - start)

    def _request_weights(self, coefficients):
        """Each worker's coefficients ``C[j, S_j]``, rebuilt only when they change."""
        if self._weights_of is not coefficients:
            self._weights = [tuple(coefficients[j, support].tolist())
                             for j, support in enumerate(self.supports)]
            self._weights_of = coefficients
        return self._weights

    def _busy(self, work, weights):
        """Which workers have something to compute in this round (a worker holding none of
        the wanted partitions, or with zero coefficients, answers at once)."""
        if work.kind == "hessian":
            if work.partitions is None:
                return np.array([len(support) > 0 for support in self.supports])
            wanted = list(work.partitions)
            return np.array([np.isin(support, wanted).any() for support in self.supports])
        return np.array([any(weight != 0.0 for weight in row) for row in weights])

    def _alive(self, answers):
        alive = np.zeros(self.n_workers, dtype=bool)
        alive[[j for j, message in answers.items() if message is not None]] = True
        return alive

    def close(self):
        """Stop every worker and release the data; safe to call more than once."""
        self._shutdown()

    # -- what a real backend provides -------------------------------------------------

    def _launch(self, data, datafit):
        raise NotImplementedError

    def _post(self, tag, work, delays, weights):
        raise NotImplementedError

    def _collect(self, tag, timeout):
        raise NotImplementedError

    def _settle(self, tag, alive):
        """After the round: cancel late work, replace lost workers."""

    def _shutdown(self):
        raise NotImplementedError
