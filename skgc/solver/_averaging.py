"""Running averages of the iterates."""

__all__ = ["IterateAverage"]


class IterateAverage:
    """Average of the iterates from iteration ``start`` on.

    Parameters
    ----------
    start : int or None
        First iteration that enters the average; None: not averaging (yet).
    weighting : {"uniform", "linear"}
        "uniform" is SGD's ``average``; "linear" weighs iterate ``t`` by ``t - start + 1``
        (polynomial-decay averaging), which forgets the early, far-off iterates faster.
    """

    def __init__(self, start=None, weighting="uniform"):
        self.start = start
        self.weighting = weighting
        self.coef = self.intercept = None

    @property
    def active(self):
        return self.start is not None

    def begin(self, iteration):
        """Start averaging at ``iteration``."""
        self.start = iteration
        self.coef = self.intercept = None

    def update(self, iteration, coef, intercept):
        """Fold the iterate of ``iteration`` into the average."""
        if not self.active or iteration < self.start:
            return
        count = iteration - self.start + 1
        rate = 1.0 / count if self.weighting == "uniform" else 2.0 / (count + 1)
        if self.coef is None:
            self.coef, self.intercept = coef.copy(), intercept.copy()
        else:
            self.coef += rate * (coef - self.coef)
            self.intercept += rate * (intercept - self.intercept)

    def current(self, coef, intercept):
        """The averaged iterate, or ``(coef, intercept)`` before averaging has begun."""
        if self.coef is None:
            return coef, intercept
        return self.coef, self.intercept
