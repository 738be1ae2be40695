"""The master's side of an iteration on workers that really run."""

import time

import numpy as np

from ._base import Backend, CurvatureEstimate
from ._decoding import pack, unpack
from ._worker import Work

__all__ = ["LiveBackend"]


class LiveBackend(Backend):
    """Common master loop of the real backends.

    Per round, every worker receives ``(tag, work, delay, C[j, S_j])`` (a :class:`Work`
    request; its coding coefficients travel with it: the master may re-optimise them) and
    answers ``f_j`` (or its partitions' Hessians); the master waits until the deadline, until every worker answered or, for exact
    codes (``code.decodable(alive)`` says when), until the
    alive set decodes exactly; then its :class:`Master` decodes the messages. Answers carry the iteration tag: a late answer
    is dropped, never mixed into a later iteration. A failed or lost worker is a
    straggler. A code that waits for all (``"full"``) waits at most ``patience`` seconds,
    then decodes what arrived and reports a fallback.

    Subclasses implement ``_launch(data, datafit, code)``, ``_post(tag, work, delays,
    weights)``, ``_collect(tag, timeout) -> [(j, message or None)]``, ``_settle(tag, alive)``
    and ``_shutdown()``.

    Attributes
    ----------
    bytes_sent, bytes_received : int
        Bytes the master shipped to and received from the workers since ``start``.
    n_replaced : int
        Workers replaced after a crash or loss since ``start``.
    """

    patience = 60.0

    @classmethod
    def straggler_probs(cls, stragglers, deadline):
        return stragglers.injected_straggler_probs(deadline)

    def start(self, data, datafit, code, master=None):
        self._begin(code, master)
        self.data, self.datafit = data, datafit
        self.supports = [np.flatnonzero(row) for row in code.allocation]
        self._tag = 0
        self.bytes_sent = self.bytes_received = self.n_replaced = 0
        try:
            self._launch(data, datafit, code)
        except BaseException:
            self.close()
            raise
        return self

    def gradient(self, coef, intercept, smoothing=None):
        code = self.code
        answers, alive, duration = self._round(Work("gradient", coef, intercept, smoothing),
                                               code.decodable)
        messages = np.zeros((code.n_workers, coef.size + 2 * intercept.size))
        for j in np.flatnonzero(alive):
            messages[j] = pack(*answers[j])
        fallback = code.falls_back(alive)
        decoded = self.master.decode(messages, alive, (coef, intercept))
        return self._estimate(unpack(decoded, coef.shape),
                              alive, duration, fallback)

    def hessian(self, coef, intercept, smoothing=None, partitions=None):
        allocation = self.code.allocation
        if partitions is not None:
            allocation = allocation[:, list(partitions)]
            partitions = tuple(int(k) for k in partitions)
        answers, alive, duration = self._round(
            Work("hessian", coef, intercept, smoothing, partitions),
            lambda alive: allocation[alive].any(axis=0).all())
        blocks, sums = {}, {}
        for j, message in answers.items():
            if message is None:
                continue
            for k, block, packed in zip(*message):
                blocks.setdefault(int(k), block)
                sums.setdefault(int(k), packed)
        self._count_round(alive)
        return CurvatureEstimate(blocks, sums, int(alive.sum()), duration, alive)

    def _round(self, work, done):
        """Post ``work`` to every worker and collect answers until the deadline, until
        everyone answered or until ``done(alive)``; return ``(answers, alive, seconds)``."""
        code = self.code
        self._tag += 1
        tag = self._tag
        delays = self.stragglers.injected_delays(self._next_times(), self.deadline)
        start = time.perf_counter()
        self._post(tag, work, delays, self._request_weights(code))
        limit = start + (self.patience if code.waits_for_all else self.deadline)
        answers = {}
        while len(answers) < code.n_workers:
            remaining = limit - time.perf_counter()
            if remaining <= 0:
                break
            for j, message in self._collect(tag, remaining):
                answers[j] = message
            if done is not None and done(self._alive(answers)):
                break
        alive = self._alive(answers)
        self._settle(tag, alive)
        return answers, alive, time.perf_counter() - start

    def _request_weights(self, code):
        """Each worker's coefficients ``C[j, S_j]``, rebuilt only when the code changes."""
        if getattr(self, "_weights_of", None) is not code:
            self._weights = [tuple(code.coefficients[j, support].tolist())
                             for j, support in enumerate(self.supports)]
            self._weights_of = code
        return self._weights

    def _alive(self, answers):
        alive = np.zeros(self.code.n_workers, dtype=bool)
        alive[[j for j, message in answers.items() if message is not None]] = True
        return alive

    def close(self):
        """Stop every worker and release the data; safe to call more than once."""
        self._shutdown()

    # -- what a real backend provides -------------------------------------------------

    def _launch(self, data, datafit, code):
        raise NotImplementedError

    def _post(self, tag, coef, intercept, delays, weights):
        raise NotImplementedError

    def _collect(self, tag, timeout):
        raise NotImplementedError

    def _settle(self, tag, alive):
        """After the iteration: cancel late work, replace lost workers."""

    def _shutdown(self):
        raise NotImplementedError
