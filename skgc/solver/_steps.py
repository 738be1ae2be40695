"""Step-size schedules for coded gradient descent.

``t`` counts gradient-descent iterations from 1. scikit-learn's schedules keep their
formulas (one iteration of full-batch gradient descent plays the part of one SGD update);
``"auto"`` is the schedule designed for coded gradient descent:

* smooth loss: the constant step ``1 / (L (1 + eps))``, where ``L`` is the smoothness of
  the objective and ``eps`` the relative variance of the decoded gradient (its expected
  residual error divided by ``||g||^2`` when all partition gradients are alike; 0 for an
  exact code or no stragglers). With an exact gradient this is plain gradient descent with
  step ``1/L``, which converges linearly to the optimum. With a noisy gradient the
  ``1 + eps`` factor keeps every step a descent step in expectation; the solver then
  averages iterates once progress stalls, which removes the noise floor. An estimate that
  measured its own relative variance (the latest-message decoder, once switched on: its
  error is the stored messages' staleness, which vanishes at convergence) uses that
  instead when it is smaller: the step grows towards ``1/L``.
* non-smooth loss: ``1 / (L (1 + eps) + lambda t)`` (``lambda`` the l2 curvature: the
  strongly convex subgradient schedule, started at the smooth step) with linearly weighted
  iterate averaging from the start.
"""

__all__ = ["StepSchedule", "SCHEDULES"]

SCHEDULES = ("auto", "constant", "optimal", "invscaling", "adaptive")


class StepSchedule:
    """The step size of iteration ``t``.

    Parameters
    ----------
    learning_rate : {"auto", "constant", "optimal", "invscaling", "adaptive"}
    eta0 : float
        Initial step of "constant", "invscaling" and "adaptive".
    power_t : float
        Exponent of "invscaling".
    smoothness : float
        ``L``, the smoothness constant of the objective (data term plus l2 penalty).
    strong_convexity : float
        Curvature of the l2 penalty (used by "optimal").
    smooth : bool
        Whether the loss is smooth.
    noise : float, default=0.0
        ``eps``, the decoded gradient's relative variance.
    optimal_init : float, default=1.0
        ``t0`` of scikit-learn's "optimal" schedule.
    alpha : float or None, default=None
        ``alpha`` of scikit-learn's "optimal" schedule ``1 / (alpha (t0 + t - 1))``: the
        estimator's ``alpha`` whatever the penalty, as in SGD (an l1 or no penalty has no
        l2 curvature). None: ``strong_convexity``.
    """

    def __init__(self, learning_rate, eta0, power_t, smoothness, strong_convexity, smooth,
                 noise=0.0, optimal_init=1.0, alpha=None):
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.smoothness = smoothness
        self.strong_convexity = strong_convexity
        self.smooth = smooth
        self.noise = noise
        self.optimal_init = optimal_init
        self.alpha = strong_convexity if alpha is None else alpha
        self._adaptive_eta = eta0

    @property
    def base_step(self):
        """``1 / (L (1 + eps))``, the step "auto" starts from."""
        return self._smooth_step(self.noise)

    def _smooth_step(self, noise):
        """``1 / (L (1 + noise))``: a descent step in expectation for an estimate of
        relative variance ``noise``."""
        return 1.0 / (self.smoothness * (1.0 + noise))

    def __call__(self, t, noise=None):
        """Step of iteration ``t >= 1``; ``noise``: the relative variance the iteration's
        gradient estimate measured, if any (the smooth "auto" step then uses it in place
        of ``eps`` when it is smaller)."""
        rate = self.learning_rate
        if rate == "auto":
            if self.smooth:
                return self._smooth_step(self.noise if noise is None
                                         else min(self.noise, noise))
            return 1.0 / (1.0 / self.base_step + self.strong_convexity * t)
        if rate == "constant":
            return self.eta0
        if rate == "invscaling":
            return self.eta0 / t**self.power_t
        if rate == "adaptive":
            return self._adaptive_eta
        return 1.0 / (self.alpha * (self.optimal_init + t - 1))

    def on_stall(self):
        """React to a stall; return True if training should go on.

        "adaptive" divides its step by 5 and goes on while the step is above 1e-6.
        """
        if self.learning_rate != "adaptive":
            return False
        self._adaptive_eta /= 5.0
        return self._adaptive_eta > 1e-6

    @property
    def averages_from_start(self):
        """"auto" averages the subgradient method's iterates from the start."""
        return self.learning_rate == "auto" and not self.smooth
