"""L-BFGS on decoded gradients, for problems too wide for a dense curvature model.

scipy's L-BFGS-B drives the oracle: each function evaluation is one round of decoded
value and gradient. An l1 penalty is handled exactly by splitting the coefficients into
positive and negative parts with bounds (zeros are then exact). Non-smooth losses are
smoothed, with the width shrinking by 10 between runs down to ``tol`` times the
objective, as in :mod:`skgc.solver._newton`.

L-BFGS runs on one BLAS thread: its own products are vector operations of the problem's
size, which extra threads slow down (on a loaded machine, threads spinning for a core made
scipy's L-BFGS-B 10x slower on 10,000 coefficients).
"""

import warnings

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from .._blas import one_blas_thread
from ._gd import SolverResult, _check_finite, _History

__all__ = ["lbfgs_solver"]


class _Stop(Exception):
    """A callback asked to stop."""


def lbfgs_solver(oracle, coef, intercept, penalty, *, max_iter, tol, smoothing=None,
                 diagonal=None, callback=None):
    """Minimise ``mean data term + penalty`` with L-BFGS-B.

    Parameters
    ----------
    oracle : callable
        ``oracle(coef, intercept, smoothing) -> GradientEstimate``.
    coef : ndarray of shape (n_features, n_outputs)
    intercept : ndarray of shape (n_outputs,)
    penalty : skgc.objective.Penalty
    max_iter : int
        L-BFGS iterations at most, over all smoothing stages.
    tol : float or None
        Relative decrease of the objective per iteration below which L-BFGS stops
        (scipy's ``ftol``); None: 1e-12.
    smoothing : float or None, default=None
        Initial smoothing width of a non-smooth loss, relative to its mean value at the
        start.
    diagonal : tuple or None, default=None
        ``(coef_diagonal, intercept_diagonal)``: a diagonal bound on the data term's
        curvature, shapes ``(n_features,)`` and ``()`` (the same for every output). L-BFGS
        then runs on the coefficients scaled by the square root of this diagonal plus the
        l2 strength (Jacobi preconditioning): on sparse 8e4 x 1e4 data, 9 iterations
        instead of 39 for ridge and 6 instead of 20 for log-loss, to smaller gaps.
    callback : callable or None
        ``callback(iteration, coef, intercept)``; a true return value stops.

    Returns
    -------
    SolverResult
    """
    problem = _SplitProblem(oracle, coef.shape, intercept.shape, penalty, diagonal)
    x = problem.pack(coef, intercept)
    if smoothing is not None:
        smoothing *= max(oracle(coef, intercept, None).value, 1e-12)
    target = 1e-6 if tol is None else tol
    iterations, converged, stopped = 0, False, False
    while True:
        problem.smoothing = smoothing

        def on_iteration(xk):
            nonlocal iterations
            iterations += 1
            if callback is not None and callback(iterations, *problem.unpack(xk)):
                raise _Stop

        try:
            with one_blas_thread():
                result = minimize(problem, x, jac=True, method="L-BFGS-B",
                                  bounds=problem.bounds, callback=on_iteration,
                                  options={"maxiter": max(max_iter - iterations, 1),
                                           "ftol": 1e-12 if tol is None else tol,
                                           "gtol": 1e-10, "maxcor": 10})
            x, converged = result.x, bool(result.success)
        except _Stop:
            x, converged, stopped = problem.last_x, True, True
        if stopped or iterations >= max_iter or smoothing is None \
                or smoothing <= target * max(abs(problem.last_value), 1e-12):
            break
        smoothing /= 10.0
    if not converged and tol is not None:
        warnings.warn(
            "Maximum number of iteration reached before convergence. Consider increasing "
            "max_iter to improve the fit.", ConvergenceWarning,
        )
    coef, intercept = problem.unpack(x)
    return SolverResult(coef, intercept, max(iterations, 1), converged,
                        problem.history.as_arrays())


class _SplitProblem:
    """The objective as a function of one flat vector ``[coef+, coef-, intercept]``
    (``coef = coef+ - coef-``, both non-negative) when there is an l1 term, or
    ``[coef, intercept]`` otherwise, each entry multiplied by its :attr:`scale`."""

    def __init__(self, oracle, coef_shape, intercept_shape, penalty, diagonal=None):
        self.oracle, self.penalty = oracle, penalty
        self.coef_shape, self.intercept_shape = coef_shape, intercept_shape
        self.split = penalty.l1 > 0
        size = int(np.prod(coef_shape))
        self.size = size
        n_intercept = int(np.prod(intercept_shape))
        if self.split:
            self.bounds = [(0.0, None)] * (2 * size) + [(None, None)] * n_intercept
        else:
            self.bounds = None
        self.scale = self._scale(diagonal, coef_shape, n_intercept)
        self.smoothing = None
        self.history = _History()
        self.last_x, self.last_value = None, np.inf

    def _scale(self, diagonal, coef_shape, n_intercept):
        """Square roots of the diagonal curvature bound (plus the l2 strength), one per
        entry of the flat vector; ones without a diagonal."""
        n_features, n_outputs = coef_shape
        if diagonal is None:
            coef_scale, intercept_scale = np.ones(n_features), 1.0
        else:
            coef_scale = np.sqrt(np.asarray(diagonal[0], dtype=float) + self.penalty.l2)
            intercept_scale = np.sqrt(float(diagonal[1]))
        coef_scale = np.repeat(np.where(coef_scale > 0, coef_scale, 1.0), n_outputs)
        parts = [coef_scale] * (2 if self.split else 1)
        parts.append(np.full(n_intercept, intercept_scale if intercept_scale > 0 else 1.0))
        return np.concatenate(parts)

    def pack(self, coef, intercept):
        if self.split:
            flat = coef.ravel()
            x = np.concatenate([np.maximum(flat, 0), np.maximum(-flat, 0), intercept])
        else:
            x = np.concatenate([coef.ravel(), intercept])
        return x * self.scale

    def unpack(self, u):
        x = u / self.scale
        size = self.size
        if self.split:
            flat, intercept = x[:size] - x[size:2 * size], x[2 * size:]
        else:
            flat, intercept = x[:size], x[size:]
        return flat.reshape(self.coef_shape).copy(), intercept.reshape(self.intercept_shape)

    def __call__(self, u):
        x = u / self.scale
        coef, intercept = self.unpack(u)
        estimate = self.oracle(coef, intercept, self.smoothing)
        value = estimate.value + 0.5 * self.penalty.l2 * np.vdot(coef, coef)
        value += self.penalty.l1 * (x[:2 * self.size].sum() if self.split else 0.0)
        _check_finite(value, len(self.history.rows["objective"]) + 1)
        grad = (estimate.grad_coef + self.penalty.l2 * coef).ravel()
        if self.split:
            grad = np.concatenate([grad + self.penalty.l1, -grad + self.penalty.l1,
                                   estimate.grad_intercept])
        else:
            grad = np.concatenate([grad, estimate.grad_intercept])
        self.history.append(value, estimate, 1.0)
        self.last_x, self.last_value = u.copy(), value
        return value, grad / self.scale
