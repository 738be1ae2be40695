"""Input validation of the coding layer: loads, alive masks, allocations, error proxies.

Every checker raises :class:`ValueError` whose message names the offending
parameter, so that estimator-level errors stay readable. The checks shared with other
layers (numbers of workers, straggling probabilities) live in :mod:`skgc._validation`.
"""

import numpy as np

from .._validation import check_positive_int

__all__ = [
    "PROXIES",
    "check_n_partitions",
    "check_load",
    "check_alive",
    "check_allocation",
    "check_proxy",
    "check_replication",
]

#: The error proxies of the residual error.
PROXIES = ("independent", "coherent")


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
    return check_positive_int(n_partitions, name)


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
    return _as_boolean(arr, name)


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
    return _as_boolean(arr, name)


def check_proxy(proxy):
    """Validate the name of an error proxy, one of :data:`PROXIES`."""
    if proxy not in PROXIES:
        raise ValueError(f"proxy must be one of {PROXIES}, got {proxy!r}.")
    return proxy


def check_replication(load, n_workers):
    """The replication ``s + 1`` of an exact code from its ``load``.

    Parameters
    ----------
    load : int, array-like of equal ints, or None
        None means 2 (one straggler tolerated), capped at ``N``.
    n_workers : int

    Returns
    -------
    replication : int in ``[1, N]``
    """
    if load is None:
        return min(2, n_workers)
    loads = check_load(load, n_workers, n_workers)  # s + 1 in [1, N]
    if (loads != loads[0]).any():
        raise ValueError(f"load: this code needs the same load on every worker, got {load!r}.")
    return int(loads[0])


def _as_boolean(arr, name):
    """Booleans as they are; numbers that are all 0 or 1 as booleans."""
    if arr.dtype == bool:
        return arr
    if not np.issubdtype(arr.dtype, np.number) or not np.isin(arr, (0, 1)).all():
        raise ValueError(f"{name} must be a boolean array.")
    return arr.astype(bool)
