"""SGD's stopping rule: no improvement by ``tol`` for ``n_iter_no_change`` iterations."""

import numpy as np

__all__ = ["NoImprovement"]


class NoImprovement:
    """Counts iterations without improvement of a monitored quantity.

    Parameters
    ----------
    tol : float or None
        Improvement that counts; None never stalls.
    n_iter_no_change : int
    higher_is_better : bool, default=False
        True for a validation score, False for an objective.
    smoothing : float, default=0.0
        Weight of the past in an exponential moving average of the monitored quantity
        (0: no smoothing). A noisy estimate of the objective is smoothed so that one lucky
        draw does not set a best value that later iterations cannot beat.
    """

    def __init__(self, tol, n_iter_no_change, higher_is_better=False, smoothing=0.0):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.sign = -1.0 if higher_is_better else 1.0
        self.smoothing = smoothing
        self.reset()

    def reset(self):
        """Forget the best value and the count."""
        self.best = np.inf
        self.count = 0
        self._smoothed = None

    def stalled(self, value):
        """Record ``value``; return True when the rule fires (and reset the count)."""
        if self.tol is None:
            return False
        value = self.sign * value
        if self._smoothed is not None:
            value = self.smoothing * self._smoothed + (1.0 - self.smoothing) * value
        self._smoothed = value
        self.count = self.count + 1 if value > self.best - self.tol else 0
        self.best = min(self.best, value)
        if self.count >= self.n_iter_no_change:
            self.count = 0
            return True
        return False
