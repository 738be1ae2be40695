"""Input validation shared by the coding layer.

Every checker raises :class:`ValueError` whose message names the offending
parameter, so that estimator-level errors stay readable.
"""

import numbers

import numpy as np

__all__ = [
    "check_probabilities",
    "check_load",
    "check_alive",
    "check_allocation",
    "check_n_workers",
    "check_n_partitions",
]


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
    return _check_positive_int(n_workers, name)


def check_n_partitions(n_partitions, name="n_partitions"):
    """Validate a positive number of data partitions.

    Parameters
    ----------
    n_partitions : int
        Number of partitions.
    name : str, default="n_partitions"
        Parameter name used in error messages.

    Returns
    -------
    n_partitions : int
    """
    return _check_positive_int(n_partitions, name)


def _check_positive_int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


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


def check_load(load, n_workers, n_partitions, name="load"):
    """Validate a per-worker load (number of partitions held).

    Parameters
    ----------
    load : int or array-like of int of shape (n_workers,)
        Partitions per worker; a scalar applies to every worker.
    n_workers : int
        Number of workers.
    n_partitions : int
        Number of partitions.
    name : str, default="load"
        Parameter name used in error messages.

    Returns
    -------
    load : ndarray of shape (n_workers,), dtype int64

    Raises
    ------
    ValueError
        If a load is not an integer in ``[1, n_partitions]``, the array has
        the wrong length, or the total number of slots cannot cover every
        partition.
    """
    arr = np.asarray(load)
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer)
        or (np.issubdtype(arr.dtype, np.floating) and np.all(np.mod(arr, 1) == 0))
    ):
        raise ValueError(f"{name} must be an integer or an array of integers, got {load!r}.")
    if arr.ndim == 0:
        arr = np.full(n_workers, int(arr), dtype=np.int64)
    elif arr.ndim != 1 or arr.shape[0] != n_workers:
        raise ValueError(
            f"{name} must be an int or have length n_workers={n_workers}, "
            f"got shape {arr.shape}."
        )
    arr = arr.astype(np.int64)
    if (arr < 1).any() or (arr > n_partitions).any():
        raise ValueError(
            f"{name} must lie in [1, n_partitions={n_partitions}], got "
            f"min={arr.min()}, max={arr.max()}."
        )
    if arr.sum() < n_partitions:
        raise ValueError(
            f"{name}: total number of slots {arr.sum()} cannot cover "
            f"n_partitions={n_partitions}."
        )
    return arr


def check_alive(alive, n_workers, name="alive"):
    """Validate a mask of the workers that answered in time.

    Parameters
    ----------
    alive : array-like of bool of shape (n_workers,)
        ``alive[j]`` is True when worker ``j`` answered. Integer arrays of
        zeros and ones are accepted.
    n_workers : int
        Number of workers.
    name : str, default="alive"
        Parameter name used in error messages.

    Returns
    -------
    alive : ndarray of shape (n_workers,), dtype bool
    """
    arr = np.asarray(alive)
    if arr.ndim != 1 or arr.shape[0] != n_workers:
        raise ValueError(
            f"{name} must be a 1-D boolean array of length n_workers={n_workers}, "
            f"got shape {arr.shape}."
        )
    if arr.dtype != bool:
        if not np.issubdtype(arr.dtype, np.number) or not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{name} must be a boolean array.")
        arr = arr.astype(bool)
    return arr


def check_allocation(allocation, name="allocation"):
    """Validate an allocation matrix.

    Parameters
    ----------
    allocation : array-like of bool of shape (n_workers, n_partitions)
        ``allocation[j, k]`` is True when worker ``j`` holds partition ``k``.
    name : str, default="allocation"
        Parameter name used in error messages.

    Returns
    -------
    allocation : ndarray of shape (n_workers, n_partitions), dtype bool
    """
    arr = np.asarray(allocation)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"{name} must be a non-empty 2-D array (n_workers, n_partitions), "
            f"got shape {arr.shape}."
        )
    if arr.dtype != bool:
        if not np.issubdtype(arr.dtype, np.number) or not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{name} must be a boolean array.")
        arr = arr.astype(bool)
    return arr
