"""Input checks shared by the layers (codes, straggler models, objective, backends).

Every checker raises :class:`ValueError` whose message names the offending parameter, so
that estimator-level errors stay readable. Checks that concern one layer only (a code's
load or allocation, a delay model's parameters) stay in that layer.
"""

import numbers

import numpy as np

__all__ = ["check_positive_int", "check_n_workers", "check_probabilities", "check_random_state"]


def check_positive_int(value, name):
    """Validate a positive integer (``bool`` is refused).

    Parameters
    ----------
    value : int
    name : str
        Parameter name used in error messages.

    Returns
    -------
    value : int
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def check_n_workers(n_workers, name="n_workers"):
    """Validate a positive number of workers.

    Parameters
    ----------
    n_workers : int
        Number of workers.
    name : str, default="n_workers"
        Parameter name used in error messages.

    Returns
    -------
    n_workers : int
    """
    return check_positive_int(n_workers, name)


def check_probabilities(p, n_workers=None, name="straggler_probs"):
    """Validate per-worker straggling probabilities.

    Parameters
    ----------
    p : array-like of shape (n_workers,)
        Probability that each worker straggles in an iteration.
    n_workers : int, default=None
        Expected length; not checked when None.
    name : str, default="straggler_probs"
        Parameter name used in error messages.

    Returns
    -------
    p : ndarray of shape (n_workers,), dtype float64
        A fresh copy of the probabilities.

    Raises
    ------
    ValueError
        If ``p`` is not one-dimensional, has the wrong length, contains NaN or
        values outside ``[0, 1]``, or if every worker always straggles.
    """
    try:
        arr = np.array(p, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of floats in [0, 1].") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D array, got shape {arr.shape}."
        )
    if n_workers is not None and arr.shape[0] != n_workers:
        raise ValueError(
            f"{name} must have length n_workers={n_workers}, got {arr.shape[0]}."
        )
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not contain NaN.")
    if (arr < 0).any() or (arr > 1).any():
        raise ValueError(f"{name} must lie in [0, 1], got min={arr.min()}, max={arr.max()}.")
    if (arr == 1).all():
        raise ValueError(
            f"{name}: every worker always straggles (all probabilities are 1); "
            "no gradient can ever be recovered."
        )
    return arr



def check_random_state(seed):
    """numpy's legacy generator for ``seed`` (None, an int or a RandomState), as
    scikit-learn's ``check_random_state`` gives it, without importing scikit-learn (the
    worker processes use it and start lighter without)."""
    if seed is None:
        return np.random.mtrand._rand
    if isinstance(seed, np.random.RandomState):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_)):
        return np.random.RandomState(seed)
    raise ValueError(f"{seed!r} cannot be used to seed a numpy.random.RandomState instance.")
