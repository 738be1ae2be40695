"""The estimators' ``stragglers`` parameter, turned into a straggler model."""

import numbers

import numpy as np

from ._base import StragglerModel
from ._bernoulli import BernoulliStragglers

__all__ = ["check_stragglers"]


def check_stragglers(stragglers, n_workers):
    """Turn the estimators' ``stragglers`` parameter into a :class:`StragglerModel`.

    Parameters
    ----------
    stragglers : None, float, array-like of shape (n_workers,) or StragglerModel
        None: nobody straggles. A float: that probability for every worker. An array:
        one probability per worker. A model: used as it is.
    n_workers : int

    Returns
    -------
    StragglerModel
    """
    if isinstance(stragglers, StragglerModel):
        return stragglers.resized(n_workers)
    if stragglers is None:
        return BernoulliStragglers(np.zeros(n_workers))
    if isinstance(stragglers, numbers.Real) and not isinstance(stragglers, bool):
        return BernoulliStragglers(np.full(n_workers, float(stragglers)))
    if isinstance(stragglers, str) or not hasattr(stragglers, "__len__"):
        raise ValueError(
            "stragglers must be None, a probability, an array of per-worker probabilities "
            f"or a skgc.stragglers model; got {stragglers!r}."
        )
    probs = np.asarray(stragglers, dtype=float)
    if probs.shape != (n_workers,):
        raise ValueError(
            f"stragglers has shape {probs.shape} but n_workers={n_workers}: give one "
            "probability per worker."
        )
    return BernoulliStragglers(probs)
