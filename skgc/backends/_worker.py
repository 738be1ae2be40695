"""What a real worker runs: hold its partitions, sleep its injected delay, send f_j.

Kept light (numpy only at import) so that worker processes start fast.
"""

import os
import pickle
import queue
import signal
import threading
from multiprocessing.connection import Client

import numpy as np

from ._messages import Work, pack

__all__ = ["Work", "WorkerShard", "serve", "serve_connection"]

_NOTHING = object()


class WorkerShard:
    """The partitions worker ``j`` holds (its support ``S_j``).

    ``answer(work, weights)`` computes what a :class:`Work` request asks: for gradients,
    ``f_j = sum_k C[j, k] g_k`` with the coding coefficients ``weights = C[j, S_j]`` sent
    with the request (the master may re-optimise them during a fit); for Hessians, one
    block per partition held.
    """

    def __init__(self, datafit, blocks, support=None):
        self.datafit = datafit
        self.blocks = blocks  # [(X_k, Y_k, sample_weight_k), ...] for k in S_j
        self.support = list(range(len(blocks))) if support is None else [int(k) for k in
                                                                          support]

    @classmethod
    def from_arrays(cls, datafit, X, Y, sample_weight, bounds, support):
        blocks = []
        for k in support:
            rows = slice(int(bounds[k]), int(bounds[k + 1]))
            blocks.append((X[rows], Y[rows], np.asarray(sample_weight[rows],
                                                        dtype=np.float64)))
        return cls(datafit, blocks, support)

    def answer(self, work, weights):
        """The message for ``work``: ``(value, grad_coef, grad_intercept)`` for a gradient;
        for a Hessian ``(partitions, hessians, sums)``: the wanted partitions it holds,
        each one's Hessian sums (``(n_blocks, size, size)``) and its uncoded packed value
        and gradient sums at the same iterate (for "sums", the same without the Hessians:
        an empty list)."""
        datafit = self.datafit.smoothed(work.smoothing)
        if work.kind in ("hessian", "sums"):
            return self._hessians(datafit, work)
        return self.message(work.coef, work.intercept, weights, datafit)

    def _hessians(self, datafit, work):
        """``(partitions, hessians, sums)`` of the wanted partitions this worker holds."""
        wanted = [i for i, k in enumerate(self.support)
                  if work.partitions is None or k in work.partitions]
        hessians, sums = [], []
        for i in wanted:
            X, Y, sample_weight = self.blocks[i]
            if work.kind == "hessian":
                hessians.append(datafit.hessian_sums(X, Y, sample_weight, work.coef,
                                                     work.intercept))
            sums.append(pack(*datafit.sums(X, Y, sample_weight, work.coef, work.intercept)))
        return [int(self.support[i]) for i in wanted], hessians, sums

    def message(self, coef, intercept, weights, datafit=None):
        """``f_j``: the coded value and gradient sums."""
        datafit = self.datafit if datafit is None else datafit
        value = np.zeros(intercept.shape)
        grad_coef = np.zeros(coef.shape)
        grad_intercept = np.zeros(intercept.shape)
        for (X, Y, sample_weight), weight in zip(self.blocks, weights):
            if weight == 0.0:
                continue
            v, gc, gi = datafit.sums(X, Y, sample_weight * weight, coef, intercept)
            value += v
            grad_coef += gc
            grad_intercept += gi
        return value, grad_coef, grad_intercept


def _sleep(inbox, delay):
    """Sleep ``delay`` seconds unless a newer request (or the stop) arrives first."""
    try:
        if delay <= 0:
            return inbox.get_nowait()
        if not np.isfinite(delay):
            return inbox.get()
        return inbox.get(timeout=delay)
    except queue.Empty:
        return _NOTHING


def serve(inbox, reply, shard):
    """Answer requests ``(tag, work, delay, weights)`` from ``inbox`` until ``None``.

    A request superseded while its worker sleeps is dropped unanswered: the master has moved
    on, and its tag would not match anyway. Answers are ``(tag, *shard.answer(work,
    weights))``, or ``(tag, None, error)`` when the computation failed.
    """
    request = inbox.get()
    while request is not None:
        tag, work, delay, weights = request
        work = Work(*work)  # travels as a plain tuple: no class path in every request
        newer = _sleep(inbox, delay)
        if newer is not _NOTHING:
            request = newer
            continue
        try:
            reply((tag, *shard.answer(work, weights)))
        except Exception as exc:  # the master treats this worker as a straggler
            reply((tag, None, repr(exc)))
        request = inbox.get()


def serve_connection(address, authkey, hello, path, bounds, support, datafit):
    """A loky task that is one worker for the length of a fit.

    Maps the rows of its partitions from the fit's data file, connects back to the master
    (``multiprocessing.connection``), sends ``hello`` with its process id (it is then
    ready) and answers the master's requests (:func:`serve`) until told to stop. It then
    returns and its process stays, idle, for the next fit.
    """
    import joblib

    arrays = joblib.load(path, mmap_mode="r")
    shard = WorkerShard.from_arrays(datafit, arrays["X"], arrays["Y"], arrays["sample_weight"],
                                    bounds, support)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the master stops its workers
    try:
        with Client(address, authkey=authkey) as conn:
            conn.send((*hello, os.getpid()))
            inbox = queue.Queue()
            threading.Thread(target=_read, args=(conn, inbox), daemon=True).start()

            def reply(message):
                conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

            serve(inbox, reply, shard)
    except (BrokenPipeError, EOFError, OSError):
        pass  # the master is gone
    finally:
        signal.signal(signal.SIGINT, previous)


def _read(conn, inbox):
    """Move the master's requests into ``inbox`` as they come, so that the master never
    blocks on a send; stop after the stop request (``None``) or when the master is gone."""
    request = True
    while request is not None:
        try:
            request = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            request = None
        inbox.put(request)
