"""Penalties: l2 (smooth), l1 and elastic-net (through a proximal step)."""

import numpy as np

__all__ = ["Penalty"]


class Penalty:
    """``alpha * (l1_ratio * ||w||_1 + (1 - l1_ratio) / 2 * ||w||^2)``, SGD's convention.

    ``penalty="l2"`` is ``l1_ratio=0``, ``"l1"`` is ``l1_ratio=1`` and ``None`` is ``alpha=0``.
    :meth:`proximal_step` takes a gradient step on the data term and applies the whole
    penalty implicitly (its proximal operator): stable for any step size.

    Parameters
    ----------
    alpha : float
        Regularisation strength.
    l1_ratio : float
        Share of the l1 term, in ``[0, 1]``.
    """

    def __init__(self, alpha=0.0, l1_ratio=0.0):
        self.alpha = float(alpha)
        self.l1_ratio = float(l1_ratio)

    @classmethod
    def from_sgd_params(cls, penalty, alpha, l1_ratio):
        """The penalty that ``SGDRegressor(penalty=..., alpha=..., l1_ratio=...)`` means."""
        if penalty is None:
            return cls(0.0, 0.0)
        ratio = {"l2": 0.0, "l1": 1.0}.get(penalty, l1_ratio)
        return cls(alpha, ratio)

    @property
    def l2(self):
        """Coefficient of the quadratic term ``||w||^2 / 2`` (its curvature)."""
        return self.alpha * (1.0 - self.l1_ratio)

    @property
    def l1(self):
        """Coefficient of ``||w||_1``."""
        return self.alpha * self.l1_ratio

    def value(self, coef):
        """Penalty value at ``coef``."""
        return self.l1 * np.abs(coef).sum() + 0.5 * self.l2 * np.vdot(coef, coef)

    def smooth_gradient(self, coef):
        """Gradient of the quadratic part."""
        return self.l2 * coef

    def prox(self, coef, step):
        """Proximal operator of ``step`` times the l1 part (soft-thresholding)."""
        if self.l1 == 0.0:
            return coef
        return np.sign(coef) * np.maximum(np.abs(coef) - step * self.l1, 0.0)

    def proximal_step(self, coef, grad, step):
        """``argmin_v ||v - (coef - step * grad)||^2 / (2 step) + penalty(v)``.

        Soft-thresholding by ``step * l1`` then the l2 shrink ``1 / (1 + step * l2)``: the
        l2 part taken implicitly never overshoots zero, whatever the step (an explicit step
        ``(1 - step * l2) coef`` diverges once ``step * l2 > 2``). Its fixed points are
        those of gradient descent on the penalised objective.

        Parameters
        ----------
        coef : ndarray
            Current coefficients.
        grad : ndarray
            Gradient of the data term at ``coef``.
        step : float

        Returns
        -------
        ndarray
        """
        return self.prox(coef - step * grad, step) / (1.0 + step * self.l2)
