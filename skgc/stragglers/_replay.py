"""Replaying a fit's record of who answered, to reproduce it in simulation."""

import numpy as np

from .._validation import check_n_workers, check_probabilities
from ._delays import TraceDelays

__all__ = ["AliveTrace", "alive_matrix", "replay_from_history"]


def alive_matrix(history, n_workers):
    """The boolean record of who answered, checked, from a fit's history.

    Parameters
    ----------
    history : dict or array-like
        A fitted estimator's ``history_`` (or its ``"alive"`` entry): a boolean (or 0/1)
        array of shape (n_iterations, n_workers), ``alive[t, j]`` True when worker ``j``
        answered in iteration ``t``. The older record, one integer bitmask per iteration
        (bit ``j`` for worker ``j``), is accepted too.
    n_workers : int

    Returns
    -------
    alive : ndarray of bool of shape (n_iterations, n_workers)
    """
    record = history["alive"] if isinstance(history, dict) else history
    record = np.asarray(record)
    n_workers = check_n_workers(n_workers)
    if record.size == 0 and not (record.ndim == 2 and len(record)):
        raise ValueError("history has no iterations to replay (history['alive'] is empty).")
    if record.ndim == 2:
        return _checked_matrix(record, n_workers)
    return _decoded_bitmasks(record.ravel(), n_workers)


def _checked_matrix(record, n_workers):
    """A 2-D record: booleans, or integers 0/1, one column per worker."""
    if record.shape[1] == 0:
        raise ValueError(
            "history['alive'] has no column: this fit's backend did not record who answered, "
            "so it cannot be replayed."
        )
    if record.shape[1] != n_workers:
        raise ValueError(
            f"history['alive'] records {record.shape[1]} workers but n_workers={n_workers}; "
            "give the n_workers of the recorded fit."
        )
    if record.dtype != bool and not np.isin(record, (0, 1)).all():
        raise ValueError(
            "history['alive'] must hold booleans (or 0 and 1); got values such as "
            f"{record[~np.isin(record, (0, 1))].ravel()[0]!r}."
        )
    return record.astype(bool)


def _decoded_bitmasks(masks, n_workers):
    """The older record: one non-negative integer bitmask per iteration."""
    if masks.dtype == object:
        integral = all(isinstance(m, (int, np.integer)) and not isinstance(m, bool)
                       for m in masks)
    else:
        integral = np.issubdtype(masks.dtype, np.integer)
    if not integral:
        raise ValueError(
            "history['alive'] must be a boolean (n_iterations, n_workers) array (or integer "
            f"bitmasks); got {masks.dtype} values such as {masks[0]!r}."
        )
    masks = [int(m) for m in masks]
    if min(masks) < 0:
        raise ValueError(
            "history['alive'] holds -1: this fit's backend did not record who answered, so "
            "it cannot be replayed."
        )
    if max(masks) >> n_workers:
        raise ValueError(
            f"history['alive'] names workers beyond n_workers={n_workers}; give the "
            "n_workers of the recorded fit."
        )
    return np.array([[(m >> j) & 1 for j in range(n_workers)] for m in masks], dtype=bool)


class AliveTrace(TraceDelays):
    """A recorded pattern of who answered, as a straggler model.

    Iteration ``t`` of a fit has worker ``j`` answer at once when ``alive[t, j]`` and never
    otherwise, so that any finite deadline reproduces the recorded alive sets (the default
    deadline is 1 second). Replaying restarts at every fit, as for :class:`TraceDelays`.

    Parameters
    ----------
    alive : array-like of bool of shape (n_iterations, n_workers)
    straggler_probs : array-like of shape (n_workers,), default=None
        The probabilities the model reports (and the estimators design their code for):
        those of the recorded fit's code, to rebuild the same code; None: the recorded
        frequencies of not answering.
    """

    def __init__(self, alive, straggler_probs=None):
        alive = np.asarray(alive)
        if alive.ndim != 2 or alive.size == 0 or alive.dtype != bool:
            raise ValueError(
                "alive must be a non-empty boolean (n_iterations, n_workers) array; got "
                f"dtype {alive.dtype} and shape {alive.shape}."
            )
        super().__init__(np.where(alive.T, 0.0, np.inf))
        self.alive = alive.copy()
        self.probs = None if straggler_probs is None else check_probabilities(
            straggler_probs, self.n_workers, name="straggler_probs")

    def default_deadline(self):
        return 1.0

    def straggler_probs(self, deadline=None):
        if self.probs is not None:
            return self.probs.copy()
        return (~self.alive).mean(axis=0)

    def __repr__(self):
        return f"AliveTrace(n_workers={self.n_workers}, n_iterations={len(self.alive)})"


def replay_from_history(history, n_workers, straggler_probs=None):
    """A straggler model that reproduces a fit's recorded alive sets.

    Real backends record in ``history_["alive"]`` who answered in every iteration. Fitting
    again on the simulated backend, with the same data, parameters and ``random_state``,
    with this model as ``stragglers`` (and the recorded code, ``code=est.code_``, or its
    probabilities, ``straggler_probs=est.code_.straggler_probs``) gives the same model up
    to floating-point rounding: the master's decoding depends only on the alive sets.
    This holds for ``solver="gd"``, which has one round per iteration; Newton-type and
    L-BFGS iterations may take several rounds (curvature, line search), of which the
    history records one.

    Parameters
    ----------
    history : dict or array-like
        The fitted estimator's ``history_`` or its ``"alive"`` entry.
    n_workers : int
    straggler_probs : array-like of shape (n_workers,), default=None
        See :class:`AliveTrace`.

    Returns
    -------
    AliveTrace

    Examples
    --------
    >>> import numpy as np
    >>> from skgc.stragglers import replay_from_history
    >>> model = replay_from_history({"alive": np.array([[1, 1, 0], [1, 1, 1]], bool)}, 3)
    >>> model.alive.astype(int)
    array([[1, 1, 0],
           [1, 1, 1]])
    """
    return AliveTrace(alive_matrix(history, n_workers), straggler_probs)
