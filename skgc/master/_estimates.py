"""What the master hands the solver after a round: decoded estimates."""

from dataclasses import dataclass

import numpy as np

__all__ = ["GradientEstimate", "CurvatureEstimate"]


@dataclass
class GradientEstimate:
    """What an oracle returns for one iteration.

    Attributes
    ----------
    value : float
        Estimate of the mean data term.
    grad_coef, grad_intercept : ndarray
        Estimate of its gradient.
    n_alive : int
        Workers whose answer went into the estimate.
    duration : float
        Seconds the iteration took (virtual seconds in simulation).
    fallback : bool
        The code could not decode exactly and fell back to an approximate decoding.
    alive : ndarray of bool of shape (n_workers,) or None
        Which workers' answers went into the estimate (None: not recorded).
    values : ndarray of shape (n_outputs,) or None
        ``value`` split by output (their sum), when known.
    noise : float or None
        The estimate's relative variance when the decoder measured it (the latest-message
        decoder: its stored messages' staleness, which vanishes as the iterates converge);
        None: the code's ``relative_variance``.
    """

    value: float
    grad_coef: np.ndarray
    grad_intercept: np.ndarray
    n_alive: int
    duration: float
    fallback: bool = False
    alive: np.ndarray = None
    values: np.ndarray = None
    noise: float = None


@dataclass
class CurvatureEstimate:
    """What one Hessian round brought back.

    Attributes
    ----------
    blocks : dict
        Partition index -> its Hessian sums, shape ``(n_blocks, size, size)``
        (:meth:`skgc.objective.Datafit.hessian_sums`), for every partition that at least
        one worker who answered holds.
    sums : dict
        Partition index -> its value and gradient sums at the same iterate, uncoded and
        packed (:func:`skgc.backends.pack`), for the same partitions.
    n_alive : int
    duration : float
    alive : ndarray of bool of shape (n_workers,)
    """

    blocks: dict
    sums: dict
    n_alive: int
    duration: float
    alive: np.ndarray
