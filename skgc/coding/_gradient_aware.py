"""Unbiased coefficients optimal for a measured Gram matrix of partition gradients.

The true residual error of a fixed-decoder code is
``E||g_hat - g||^2 = sum_j p_j (1 - p_j) c_j^T M c_j`` where ``c_j = C[j, :]`` and
``M[k, l] = <g_k, g_l>`` is the Gram matrix of the partition gradients. ``M = I`` is the
independent proxy, ``M = 1 1^T`` the coherent one; a measured ``M`` contains both.

With one Lagrange multiplier per partition, the minimiser under unbiasedness
``sum_j (1 - p_j) C[j, k] = 1`` is ``c_j = (1 / p_j) M_j^{-1} mu_{S_j}`` on worker ``j``'s
support ``S_j`` (``M_j = M[S_j, S_j]``), where ``mu`` solves the ``K x K`` system
``(sum_j r_j E_j M_j^{-1} E_j^T) mu = 1`` with ``r_j = (1 - p_j) / p_j``. For ``M = I`` this
is the closed form of :func:`optimal_coefficients`.
"""

import numpy as np

from .._validation import check_probabilities
from ._validation import check_allocation

__all__ = ["gradient_aware_coefficients", "gram_residual_error"]

# Probabilities are kept this far from 0 and 1: a never-straggling holder then takes
# (almost) all of its partitions' weight, as in the closed form's limit.
_P_FLOOR = 1e-9


def gradient_aware_coefficients(p, allocation, gram, regularization=1e-8):
    """Unbiased coefficients minimising ``sum_j p_j (1 - p_j) c_j^T M c_j``.

    Parameters
    ----------
    p : array-like of shape (n_workers,)
        Straggling probabilities.
    allocation : array-like of bool of shape (n_workers, n_partitions)
    gram : array-like of shape (n_partitions, n_partitions)
        Gram matrix ``M`` of the partition gradients (symmetric, positive semi-definite).
    regularization : float, default=1e-8
        ``M + regularization * mean(diag(M)) * I`` is used, so that a singular ``M`` (the
        coherent proxy, or fewer gradient dimensions than partitions) has a unique
        minimiser: the one of least independent error among the minimisers.

    Returns
    -------
    coefficients : ndarray of shape (n_workers, n_partitions)
    """
    allocation = check_allocation(allocation)
    p = check_probabilities(p, n_workers=allocation.shape[0])
    gram = _check_gram(gram, allocation.shape[1], regularization)
    p_safe = np.clip(p, _P_FLOOR, 1.0 - _P_FLOOR)
    reliability = (1.0 - p_safe) / p_safe
    inverses = [np.linalg.inv(gram[np.ix_(support, support)])
                for support in map(np.flatnonzero, allocation)]
    system = np.zeros_like(gram)
    for j, support in enumerate(map(np.flatnonzero, allocation)):
        if p[j] < 1.0:
            system[np.ix_(support, support)] += reliability[j] * inverses[j]
    mu = np.linalg.solve(system, np.ones(len(gram)))
    coefficients = np.zeros(allocation.shape)
    for j, support in enumerate(map(np.flatnonzero, allocation)):
        if p[j] < 1.0:
            coefficients[j, support] = inverses[j] @ mu[support] / p_safe[j]
    return coefficients


def gram_residual_error(p, coefficients, gram):
    """``sum_j p_j (1 - p_j) c_j^T M c_j``: the true residual error for Gram matrix ``M``."""
    p = check_probabilities(p)
    C = np.asarray(coefficients, dtype=np.float64)
    return float(np.einsum("j,jk,kl,jl->", p * (1.0 - p), C, np.asarray(gram), C))


def _check_gram(gram, n_partitions, regularization):
    gram = np.asarray(gram, dtype=np.float64)
    if gram.shape != (n_partitions, n_partitions):
        raise ValueError(
            f"gram must have shape ({n_partitions}, {n_partitions}); got {gram.shape}."
        )
    if not np.isfinite(gram).all() or not np.allclose(gram, gram.T, rtol=1e-8, atol=0.0):
        raise ValueError("gram must be a finite symmetric matrix.")
    scale = np.mean(np.diag(gram))
    if not scale > 0:
        raise ValueError("gram must have a positive diagonal (non-zero partition gradients).")
    return gram + regularization * scale * np.eye(n_partitions)
