"""Point-wise losses of the SGD family.

Every loss maps a target ``y`` and a prediction ``p`` (arrays of the same shape) to the
element-wise loss and its derivative with respect to ``p``. Classification losses take
targets in ``{-1, +1}``; multiclass problems use one column per class (one-versus-all),
so all classes are trained in one joint problem with a matrix-valued gradient.
"""

import numpy as np
from scipy.special import expit

from ._smoothing import (ActiveSet, BarrierDual, active_set_max, barrier_dual_max,
                         barrier_max)

__all__ = ["Loss", "LOSSES", "REGRESSION_LOSSES", "CLASSIFICATION_LOSSES", "get_loss"]


class Loss:
    """A point-wise loss ``l(y, p)``.

    Attributes
    ----------
    name : str
        The scikit-learn name of the loss.
    smoothness : float or None
        An upper bound on ``d^2 l / dp^2`` (the loss is ``smoothness``-smooth in ``p``),
        or None for a non-smooth loss.
    """

    name = None
    smoothness = None
    #: The second derivative is the same constant everywhere (the Hessian is a Gram matrix).
    constant_curvature = False

    def value(self, y, p):
        """Element-wise loss values."""
        raise NotImplementedError

    def derivative(self, y, p):
        """Element-wise derivative ``d l / d p``."""
        raise NotImplementedError

    def value_and_derivative(self, y, p):
        """``(value(y, p), derivative(y, p))``, for losses that share their work."""
        return self.value(y, p), self.derivative(y, p)

    def curvature(self, y, p):
        """Element-wise second derivative ``d^2 l / d p^2`` (a generalised one at kinks).

        Only smooth losses have one; a non-smooth loss is first replaced by
        :meth:`smoothed`.
        """
        raise NotImplementedError(f"{self.name} is not smooth; use loss.smoothed(mu)")

    def smoothed(self, mu):
        """A smooth, strictly convex stand-in whose minimiser is within ``mu / 2`` per
        sample of this loss's optimum (this loss itself if smooth); see
        :mod:`skgc.objective._smoothing`."""
        return self

    def __repr__(self):
        return f"{type(self).__name__}()"


class SquaredError(Loss):
    """``(p - y)^2 / 2``."""

    name, smoothness, constant_curvature = "squared_error", 1.0, True

    def value(self, y, p):
        return 0.5 * (p - y) ** 2

    def derivative(self, y, p):
        return p - y

    def curvature(self, y, p):
        return np.ones_like(p)


class Huber(Loss):
    """Quadratic within ``epsilon`` of the target, linear beyond."""

    name, smoothness = "huber", 1.0

    def __init__(self, epsilon=0.1):
        self.epsilon = epsilon

    def value(self, y, p):
        r = np.abs(p - y)
        return np.where(r <= self.epsilon, 0.5 * r**2, self.epsilon * (r - 0.5 * self.epsilon))

    def derivative(self, y, p):
        return np.clip(p - y, -self.epsilon, self.epsilon)

    def curvature(self, y, p):
        return (np.abs(p - y) <= self.epsilon).astype(float)


class EpsilonInsensitive(Loss):
    """``max(0, |y - p| - epsilon)`` (non-smooth)."""

    name, smoothness = "epsilon_insensitive", None

    def __init__(self, epsilon=0.1):
        self.epsilon = epsilon

    def value(self, y, p):
        return np.maximum(np.abs(p - y) - self.epsilon, 0.0)

    def derivative(self, y, p):
        r = p - y
        return np.sign(r) * (np.abs(r) > self.epsilon)

    def smoothed(self, mu):
        return BarrierEpsilonInsensitive(self.epsilon, mu)


class SquaredEpsilonInsensitive(Loss):
    """``max(0, |y - p| - epsilon)^2``."""

    name, smoothness = "squared_epsilon_insensitive", 2.0

    def __init__(self, epsilon=0.1):
        self.epsilon = epsilon

    def value(self, y, p):
        return np.maximum(np.abs(p - y) - self.epsilon, 0.0) ** 2

    def derivative(self, y, p):
        r = p - y
        return 2.0 * np.sign(r) * np.maximum(np.abs(r) - self.epsilon, 0.0)

    def curvature(self, y, p):
        return 2.0 * (np.abs(p - y) > self.epsilon)


class Hinge(Loss):
    """``max(0, threshold - y p)``; ``threshold=0`` is the perceptron (non-smooth)."""

    name, smoothness = "hinge", None

    def __init__(self, threshold=1.0):
        self.threshold = threshold

    def value(self, y, p):
        return np.maximum(self.threshold - y * p, 0.0)

    def derivative(self, y, p):
        return -y * (y * p <= self.threshold)

    def smoothed(self, mu):
        return BarrierHinge(self.threshold, mu)


class Perceptron(Hinge):
    """``max(0, -y p)``."""

    name = "perceptron"

    def __init__(self):
        super().__init__(threshold=0.0)


class SquaredHinge(Loss):
    """``max(0, 1 - y p)^2``."""

    name, smoothness = "squared_hinge", 2.0

    def value(self, y, p):
        return np.maximum(1.0 - y * p, 0.0) ** 2

    def derivative(self, y, p):
        return -2.0 * y * np.maximum(1.0 - y * p, 0.0)

    def curvature(self, y, p):
        return 2.0 * (y * p < 1.0)


class LogLoss(Loss):
    """Logistic loss ``log(1 + exp(-y p))``."""

    name, smoothness = "log_loss", 0.25

    def value(self, y, p):
        return np.logaddexp(0.0, -y * p)

    def derivative(self, y, p):
        return -y * expit(-y * p)

    def curvature(self, y, p):
        s = expit(p)
        return s * (1.0 - s)


class ModifiedHuber(Loss):
    """Smoothed hinge: ``(1 - z)^2`` on ``[-1, 1]``, ``-4 z`` below, 0 above (``z = y p``)."""

    name, smoothness = "modified_huber", 2.0

    def value(self, y, p):
        z = y * p
        return np.where(z >= 1.0, 0.0, np.where(z >= -1.0, (1.0 - z) ** 2, -4.0 * z))

    def derivative(self, y, p):
        z = y * p
        return y * np.where(z >= 1.0, 0.0, np.where(z >= -1.0, -2.0 * (1.0 - z), -4.0))

    def curvature(self, y, p):
        z = y * p
        return 2.0 * ((z >= -1.0) & (z < 1.0))


class BarrierHinge(Loss):
    """``max(0, threshold - y p)`` smoothed by a log barrier of weight ``t = mu / 4``
    (:func:`skgc.objective._smoothing.barrier_max`): strictly convex, its minimiser within
    ``mu / 2`` per sample of the hinge's optimum."""

    smoothness = None

    def __init__(self, threshold, mu):
        self.threshold, self.mu = threshold, mu
        self.name = "perceptron" if threshold == 0.0 else "hinge"

    def _parts(self, y, p):
        return _kink(self.threshold - y * p, self.mu, 4.0)

    def value(self, y, p):
        return self._parts(y, p)[0]

    def derivative(self, y, p):
        return -y * self._parts(y, p)[1]

    def value_and_derivative(self, y, p):
        value, slope, _ = self._parts(y, p)  # one barrier evaluation for both
        return value, -y * slope

    def curvature(self, y, p):
        return self._parts(y, p)[2]


class BarrierEpsilonInsensitive(Loss):
    """``max(0, |y - p| - epsilon)`` smoothed by a log barrier at each of its two kinks
    (weight ``t = mu / 8`` each): its minimiser within ``mu / 2`` per sample of the exact
    optimum."""

    name, smoothness = "epsilon_insensitive", None

    def __init__(self, epsilon, mu):
        self.epsilon, self.mu = epsilon, mu

    def _parts(self, y, p):
        r = p - y
        return _kink(r - self.epsilon, self.mu, 8.0), _kink(-r - self.epsilon, self.mu, 8.0)

    def value(self, y, p):
        above, below = self._parts(y, p)
        return above[0] + below[0]

    def derivative(self, y, p):
        above, below = self._parts(y, p)
        return above[1] - below[1]

    def value_and_derivative(self, y, p):
        above, below = self._parts(y, p)  # one barrier evaluation per kink for both
        return above[0] + below[0], above[1] - below[1]

    def curvature(self, y, p):
        above, below = self._parts(y, p)
        return above[2] + below[2]


def _kink(m, mu, kinks):
    """``max(0, m)`` smoothed by ``mu`` (a barrier of weight ``mu / kinks``) or taken on
    an :class:`~skgc.objective._smoothing.ActiveSet` or at the barrier's dual variables
    (:class:`~skgc.objective._smoothing.BarrierDual`): value, slope and curvature."""
    if isinstance(mu, ActiveSet):
        return active_set_max(m, mu)
    if isinstance(mu, BarrierDual):
        return barrier_dual_max(m, mu.mu / kinks)
    return barrier_max(m, mu / kinks)


REGRESSION_LOSSES = {
    cls.name: cls for cls in (SquaredError, Huber, EpsilonInsensitive, SquaredEpsilonInsensitive)
}
CLASSIFICATION_LOSSES = {
    cls.name: cls for cls in (Hinge, LogLoss, ModifiedHuber, SquaredHinge, Perceptron)
}
LOSSES = {**REGRESSION_LOSSES, **CLASSIFICATION_LOSSES}
_TAKES_EPSILON = ("huber", "epsilon_insensitive", "squared_epsilon_insensitive")


def get_loss(name, epsilon=0.1):
    """Build the loss called ``name`` (``epsilon`` is used by the epsilon-losses).

    Raises
    ------
    ValueError
        If ``name`` is not a known loss.
    """
    if name not in LOSSES:
        raise ValueError(f"loss={name!r} is not supported; allowed values: {sorted(LOSSES)}.")
    return LOSSES[name](epsilon) if name in _TAKES_EPSILON else LOSSES[name]()
