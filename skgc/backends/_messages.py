"""What travels between the master and the workers: requests, packed messages, rounds."""

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = ["Work", "Round", "pack", "unpack"]


class Work(NamedTuple):
    """What the master asks of every worker in one round.

    Attributes
    ----------
    kind : {"gradient", "hessian", "sums"}
        "gradient": the coded value and gradient sums ``f_j``; "hessian": the Hessian sums
        of each partition the worker holds, uncoded (the master keeps, per partition, the
        latest one any holder delivered); "sums": the same answer without the Hessians
        (each partition's uncoded value and gradient sums), for data too wide for them.
    coef : ndarray of shape (n_features, n_outputs)
    intercept : ndarray of shape (n_outputs,)
    smoothing : float or None, default=None
        Smooth a non-smooth loss by this width (:meth:`skgc.objective.Loss.smoothed`).
    partitions : tuple of int or None, default=None
        For "hessian" and "sums": the partitions wanted (None: all the worker holds); the master
        does not ask again for a constant curvature it already holds.
    """

    kind: str
    coef: np.ndarray
    intercept: np.ndarray
    smoothing: float = None
    partitions: tuple = None


@dataclass
class Round:
    """What came back from one round, in time.

    Attributes
    ----------
    answers : dict
        Worker index -> its answer (:meth:`WorkerShard.answer`), for the workers who
        answered in time.
    alive : ndarray of bool of shape (n_workers,)
        Who answered in time.
    duration : float
        Seconds the master waited (virtual seconds in simulation).
    """

    answers: dict
    alive: np.ndarray
    duration: float


def pack(value, grad_coef, grad_intercept):
    """One flat vector from a message (``value``: one loss sum per output)."""
    return np.concatenate((np.ravel(value), np.ravel(grad_coef), np.ravel(grad_intercept)))


def unpack(vector, coef_shape):
    """``(value, grad_coef, grad_intercept)`` from :func:`pack`'s vector."""
    n_outputs, size = coef_shape[1], math.prod(coef_shape)
    return (vector[:n_outputs], vector[n_outputs:n_outputs + size].reshape(coef_shape),
            vector[n_outputs + size:])
