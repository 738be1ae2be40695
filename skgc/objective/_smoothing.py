"""Smooth stand-ins for the kinked losses: the log-barrier smoothing of ``max(0, m)``.

The hinge ``max(0, m)`` is the smallest slack ``xi`` with ``xi >= m`` and ``xi >= 0``.
Replacing the two constraints by the barrier ``-t log(xi - m) - t log(xi)`` and minimising
over ``xi`` in closed form gives

``phi_t(m) = xi - t log(xi - m) - t log(xi)``, ``xi = (m + 2t + sqrt(m^2 + 4t^2)) / 2``,

smooth and strictly convex in ``m``, with slope ``t / (xi - m)`` in ``(0, 1)`` and a
curvature that is positive everywhere and decays like ``t / m^2`` away from the kink.
Minimising ``mean phi_t + penalty`` is the central path of an interior-point method for
the exact problem: its minimiser is within ``2 t`` (per kink and sample) of the exact
optimum, and Newton's method converges on it in a few steps from the minimiser for a
``t`` ten times larger (the barrier is self-concordant). A rounded kink (the Huber-type
``m^2 / 2mu`` band) has zero curvature outside the band instead, and Newton steps on it
need several times as many iterations.

The smoothed losses (:meth:`skgc.objective.Loss.smoothed`) take ``mu``, the accuracy of
the smoothed optimum: ``t = mu / 4`` per kink, so that their minimiser is within ``mu / 2``
per sample of the exact optimum.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["barrier_max", "ActiveSet", "active_set_max", "BarrierDual", "barrier_dual_max"]


def barrier_max(m, t):
    """The barrier smoothing of ``max(0, m)``, its slope and its curvature.

    Parameters
    ----------
    m : ndarray
    t : float
        The barrier's weight (the kink's rounding).

    Returns
    -------
    value, slope, curvature : ndarray
        ``phi_t(m)`` and its first and second derivatives in ``m``.
    """
    root = np.sqrt(m * m + 4.0 * t * t)
    # root - m and root + m without cancellation
    root_minus_m = np.where(m > 0, 4.0 * t * t / (root + np.abs(m)), root - m)
    root_plus_m = np.where(m < 0, 4.0 * t * t / (root + np.abs(m)), root + m)
    slack = 0.5 * (2.0 * t + root_plus_m)  # xi
    excess = 0.5 * (2.0 * t + root_minus_m)  # xi - m
    value = slack - t * np.log(excess) - t * np.log(slack)
    slope = t / excess
    curvature = t * root_minus_m / (2.0 * root * excess * excess)
    return value, slope, curvature


@dataclass(frozen=True)
class ActiveSet:
    """The exact problem on a guessed identification of the kinks (a crossover).

    A loss smoothed by an ``ActiveSet`` (instead of a width ``mu``) treats each kink
    ``max(0, m)`` by where ``m`` lies at the iterate it is evaluated at: within ``band``
    of the kink, as the penalty ``penalty * m^2 / 2`` that pins ``m`` to the kink (one
    Newton step then solves the exact problem on that identification: an
    equality-constrained quadratic program for an l2 penalty); beyond, as ``m`` (slope 1)
    or 0.

    With ``dual=True`` the slope is clipped to ``[0, 1]`` (a feasible dual variable of the
    kink) and the value is the kink's Fenchel-Young gap ``max(0, m) - slope * m >= 0``:
    with an l2 penalty ``alpha``, the mean of these values plus
    ``|grad_coef + alpha coef|^2 / (2 alpha)`` bounds the objective's distance to the
    exact optimum (weak duality), once the decoded intercept gradient vanishes.

    Attributes
    ----------
    penalty, band : float
    dual : bool
    """

    penalty: float
    band: float
    dual: bool = False


def active_set_max(m, spec):
    """``max(0, m)`` on the identification ``spec`` (an :class:`ActiveSet`): value, slope
    and curvature (see there)."""
    pinned = np.abs(m) <= spec.band
    slope = np.where(pinned, spec.penalty * m, (m > 0.0).astype(float))
    dual = np.clip(slope, 0.0, 1.0)
    value = np.maximum(m, 0.0) - dual * m
    curvature = np.where(pinned, spec.penalty, 0.0)
    return value, (dual if spec.dual else slope), curvature


@dataclass(frozen=True)
class BarrierDual:
    """The barrier's slopes of width ``mu`` read as the kinks' dual variables: a loss
    smoothed by a ``BarrierDual`` has the barrier's slope and curvature, and as value each
    kink's Fenchel-Young gap ``max(0, m) - slope * m >= 0`` (the slope lies in ``(0, 1)``,
    a feasible dual variable). As for :class:`ActiveSet` with ``dual=True``, the mean of
    these values plus ``|grad_coef + alpha coef|^2 / (2 alpha)`` bounds the objective's
    distance to the exact optimum under an l2 penalty ``alpha``: a certificate for any
    point of the barrier path.

    Attributes
    ----------
    mu : float
    """

    mu: float


def barrier_dual_max(m, t):
    """``max(0, m)`` on :class:`BarrierDual` of barrier weight ``t``: value, slope and
    curvature (see there)."""
    _, slope, curvature = barrier_max(m, t)
    return np.maximum(m, 0.0) - slope * m, slope, curvature
