"""Minimisers of the quadratic models that Newton steps build on the master.

A model is ``g^T s + s^T M s / 2`` over the step ``s``, plus ``l1 ||coef + s||_1`` on the
coefficients (proximal Newton) or subject to the pinned kinks' constraints (a crossover).
Everything here works on the master's ``size x size`` matrices: no rounds.
"""

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

__all__ = ["model_step", "constrained_step"]


def model_step(matrix, gradient, coef, l1, n_features):
    """Minimiser of ``g^T s + s^T M s / 2 + l1 ||coef + s[:n_features]||_1``.

    Returns the step ``s`` and the model's decrease (non-negative).
    """
    # relative to each entry: an unpenalised intercept next to a huge l2 penalty keeps
    # its own scale (a ridge relative to the mean would move its step)
    diagonal = np.diag_indices_from(matrix)
    mean = max(np.trace(matrix) / len(matrix), 1e-300)
    matrix[diagonal] += 1e-12 * np.abs(matrix[diagonal]) + 1e-24 * mean
    if l1 == 0.0:
        step = -_solve(matrix, gradient)
        return step, max(-0.5 * float(gradient @ step), 0.0)
    step = _lasso_step(matrix, gradient, coef, l1, n_features)
    new, old = coef + step[:n_features], coef
    drop = -(gradient @ step + 0.5 * step @ matrix @ step
             + l1 * (np.abs(new).sum() - np.abs(old).sum()))
    return step, max(float(drop), 0.0)


def _solve(matrix, vector):
    """``M^-1 v`` for a symmetric positive (semi-)definite ``M``."""
    try:
        return cho_solve(cho_factor(matrix), vector)
    except LinAlgError:
        return np.linalg.lstsq(matrix, vector, rcond=None)[0]


def _lasso_step(matrix, gradient, coef, l1, n_features, max_sweeps=20):
    """The step to the minimiser of the proximal Newton model
    ``g^T s + s^T M s / 2 + l1 ||coef + s[:n_features]||_1``; the intercept (the entries
    from ``n_features`` on) is not penalised.

    A few sweeps of coordinate descent find the model's sparsity pattern roughly; the
    feature-sign search (:func:`_feature_sign`) then solves the model exactly. Coordinate
    descent alone crawls on an ill-conditioned model (a finely smoothed kink), and a step
    it leaves short under-states the model's decrease: a stop on that decrease would come
    far from the optimum.
    """
    size = len(gradient)
    target = np.zeros(size)
    target[:n_features] = coef
    value = target.copy()  # v = w + s
    moved = np.zeros(size)  # M (v - w)
    diagonal = np.diag(matrix)
    threshold = np.where(np.arange(size) < n_features, l1, 0.0)
    scale = max(np.abs(gradient).max(), 1e-300)
    for _ in range(max_sweeps):
        largest = 0.0
        for i in range(size):
            if diagonal[i] <= 0.0:
                continue
            z = value[i] - (gradient[i] + moved[i]) / diagonal[i]
            new = np.sign(z) * max(abs(z) - threshold[i] / diagonal[i], 0.0)
            delta = new - value[i]
            if delta != 0.0:
                value[i] = new
                moved += delta * matrix[:, i]
                largest = max(largest, abs(delta) * diagonal[i])
        if largest <= 1e-12 * scale:
            break
    return _feature_sign(matrix, gradient, target, threshold, value) - target


def _feature_sign(matrix, gradient, target, threshold, start):
    """The minimiser ``v`` of ``q(v) = g^T (v - w) + (v - w)^T M (v - w) / 2
    + sum_i threshold_i |v_i|`` (``w`` the ``target``) by the feature-sign search (Lee,
    Battle, Raina and Ng, 2007), an active-set method: solve ``q`` exactly on the
    non-zero entries with their signs (one linear solve), move towards that solution as
    far as ``q`` decreases, stopping where an entry crosses zero, and activate the zero
    entry whose slope breaks optimality the most. Entries with a zero threshold (the
    intercept) are always active. Each move decreases ``q``; it ends in finitely many.
    """
    free = threshold == 0.0
    base = matrix @ target - gradient  # M v = base - threshold * signs on the active set
    value = start.copy()

    def q(v):
        s = v - target
        return gradient @ s + 0.5 * s @ matrix @ s + threshold @ np.abs(v)

    tolerance = 1e-10 * max(np.abs(gradient).max(), threshold.max(), 1e-300)
    signs, settled = np.sign(value), False
    for _ in range(10 * len(value) + 10):
        slope = gradient + matrix @ (value - target)
        active = (value != 0.0) | free
        residual = np.abs(slope + threshold * signs)[active]
        # the active entries are optimal (to the tolerance, or as far as the linear
        # solve can tell on an ill-conditioned model): activate the worst zero entry
        settled = settled or residual.size == 0 or residual.max() <= tolerance
        j = None
        if settled:
            violation = np.where(active, -np.inf, np.abs(slope) - threshold)
            j = int(np.argmax(violation))
            if violation[j] <= tolerance:
                return value
            signs[j], active[j] = -np.sign(slope[j]), True
        try:
            solution = _solve(matrix[np.ix_(active, active)],
                              base[active] - threshold[active] * signs[active])
        except (ValueError, LinAlgError):
            return value
        proposal = np.zeros_like(value)
        proposal[active] = solution
        moved = _best_on_segment(value, proposal, active & ~free, q)
        if q(moved) >= q(value) - 1e-15 * abs(q(value)):  # no progress
            if j is None:
                settled = True
                continue
            moved = _coordinate_step(matrix, slope, threshold, value, j)
            if q(moved) >= q(value):
                return value
        value, signs, settled = moved, np.sign(moved), False
    return value


def _coordinate_step(matrix, slope, threshold, value, j):
    """``value`` with entry ``j`` moved to the minimiser of ``q`` along it (a
    soft-thresholded Newton step: it decreases ``q`` when ``|slope_j| > threshold_j``)."""
    moved = value.copy()
    z = value[j] - slope[j] / matrix[j, j]
    moved[j] = np.sign(z) * max(abs(z) - threshold[j] / matrix[j, j], 0.0)
    return moved


def _best_on_segment(value, proposal, penalised, q):
    """The point of lowest ``q`` among ``proposal`` and the points of the segment from
    ``value`` where a penalised entry crosses zero (set exactly to zero there)."""
    crossing = penalised & (value != 0.0) & (np.sign(proposal) != np.sign(value))
    candidates = [proposal]
    for i in np.flatnonzero(crossing):
        t = value[i] / (value[i] - proposal[i])
        point = value + t * (proposal - value)
        point[i] = 0.0
        candidates.append(point)
    return min(candidates, key=q)


def constrained_step(gram, regulariser, gradient, residual):
    """The step ``d`` minimising ``gradient @ d + d @ diag(regulariser) @ d / 2`` subject
    to ``gram @ d = -residual``, and the multiplier ``mu`` (in the range of ``gram``)
    with ``gram @ mu = gradient + regulariser * d``.

    The range and null space of the (positive semi-definite) ``gram`` come from its
    eigendecomposition: the constraints fix the step's range part, the objective its
    null-space part.
    """
    values, vectors = np.linalg.eigh(gram)
    keep = values > 1e-10 * max(values.max(initial=0.0), 1e-300)
    rng, null = vectors[:, keep], vectors[:, ~keep]
    step = -rng @ ((rng.T @ residual) / values[keep])
    if null.shape[1]:
        reduced = null.T @ (regulariser[:, None] * null)
        rhs = -null.T @ (gradient + regulariser * step)
        step = step + null @ np.linalg.lstsq(reduced, rhs, rcond=None)[0]
    multiplier = rng @ ((rng.T @ (gradient + regulariser * step)) / values[keep])
    return step, multiplier
