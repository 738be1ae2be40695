"""Per-worker delay distributions and recorded traces, in seconds.

On the simulated backend the delays are the workers' response times on the virtual clock;
on a real backend (``"loky"``, ``"threading"``, ``"dask"``) each worker really sleeps its
drawn delay before computing, so that one machine emulates a heterogeneous cluster.
"""

import numpy as np

from ._base import StragglerModel

__all__ = ["DelayModel", "FixedDelays", "ShiftedExponential", "Pareto", "TraceDelays"]


class DelayModel(StragglerModel):
    """A response-time distribution per worker; subclasses give quantiles and survival.

    ``straggler_probs(deadline)`` is ``P(T_j > deadline)``. The default deadline (used for
    ``deadline=None`` or ``"auto"``) is ``deadline_factor`` times the median over workers of
    each worker's ``deadline_quantile``-quantile, plus ``deadline_slack`` seconds for the
    computation and the messages: with a minority of slow workers, the fast ones are nearly
    always in time and the slow ones nearly never.
    """

    deadline_quantile = 0.9
    deadline_factor = 1.25
    deadline_slack = 0.005

    def quantile(self, q):
        """Per-worker ``q``-quantile of the delay, ndarray of shape (n_workers,)."""
        raise NotImplementedError

    def survival(self, t):
        """Per-worker ``P(T_j > t)``, ndarray of shape (n_workers,)."""
        raise NotImplementedError

    def default_deadline(self):
        """Finite: workers that never answer (``inf``) are stragglers, not the typical
        worker; a model in which nobody ever answers has no default deadline."""
        quantiles = self.quantile(self.deadline_quantile)
        finite = quantiles[np.isfinite(quantiles)]
        if not finite.size:
            raise ValueError(
                f"{self!r}: no worker ever answers (every worker's "
                f"{self.deadline_quantile:g}-quantile delay is inf), so there is no "
                "automatic deadline and no fit can learn anything. Give finite delays."
            )
        return self.deadline_factor * float(np.median(finite)) + self.deadline_slack

    def straggler_probs(self, deadline=None):
        deadline = self.default_deadline() if deadline is None else float(deadline)
        return np.clip(self.survival(deadline), 0.0, 1.0)


def _per_worker(value, n_workers, name, low=0.0, strict=False, allow_inf=False):
    """Broadcast a scalar or per-worker array to shape (n_workers,) and check its range
    (finite unless ``allow_inf``)."""
    value = np.asarray(value, dtype=float)
    if value.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array; got shape {value.shape}.")
    if n_workers is None:
        if value.ndim == 0:
            raise ValueError(f"give n_workers when {name} is a scalar.")
        n_workers = len(value)
    try:
        value = np.broadcast_to(value, (n_workers,)).copy()
    except ValueError:
        raise ValueError(
            f"{name} has {value.size} entries but there are {n_workers} workers."
        ) from None
    bad = (value <= low) if strict else (value < low)
    if np.isnan(value).any() or bad.any():
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be {relation} {low}; got {value!r}.")
    if not allow_inf and np.isinf(value).any():
        raise ValueError(f"{name} must be finite; got {value!r}.")
    return value


def _n_workers(*arrays, n_workers=None):
    sizes = {np.size(a) for a in arrays if np.ndim(a) == 1}
    if len(sizes) > 1:
        raise ValueError(f"per-worker arrays of different lengths: {sorted(sizes)}.")
    if n_workers is None and sizes:
        n_workers = sizes.pop()
    return n_workers


class FixedDelays(DelayModel):
    """Worker ``j`` always takes ``seconds_per_worker[j]`` seconds (``inf``: never answers).

    Deterministic, for tests and demonstrations.

    Parameters
    ----------
    seconds_per_worker : array-like of shape (n_workers,)
    """

    def __init__(self, seconds_per_worker):
        self.seconds = _per_worker(np.atleast_1d(seconds_per_worker), None,
                                   "seconds_per_worker", allow_inf=True)

    @property
    def n_workers(self):
        return len(self.seconds)

    def sample(self, rng, n_iterations=1):
        return np.tile(self.seconds, (n_iterations, 1))

    def quantile(self, q):
        return self.seconds.copy()

    def survival(self, t):
        return (self.seconds > t).astype(float)

    def __repr__(self):
        return f"FixedDelays({np.array2string(self.seconds, precision=4)})"


class ShiftedExponential(DelayModel):
    """``T_j = shift_j + Exp(rate_j)``: a minimum time plus an exponential tail.

    Parameters
    ----------
    shift : float or array-like of shape (n_workers,)
        Minimum response time in seconds (>= 0).
    rate : float or array-like of shape (n_workers,)
        Rate of the exponential part (> 0; its mean is ``1 / rate`` seconds).
    n_workers : int, default=None
        Needed when both ``shift`` and ``rate`` are scalars.
    """

    def __init__(self, shift, rate, n_workers=None):
        n_workers = _n_workers(shift, rate, n_workers=n_workers)
        self.shift = _per_worker(shift, n_workers, "shift")
        self.rate = _per_worker(rate, n_workers, "rate", strict=True)

    @property
    def n_workers(self):
        return len(self.shift)

    def sample(self, rng, n_iterations=1):
        return self.shift + rng.exponential(size=(n_iterations, self.n_workers)) / self.rate

    def quantile(self, q):
        return self.shift - np.log1p(-q) / self.rate

    def survival(self, t):
        return np.where(t < self.shift, 1.0, np.exp(-self.rate * (t - self.shift)))

    def __repr__(self):
        return (f"ShiftedExponential(shift={np.array2string(self.shift, precision=4)}, "
                f"rate={np.array2string(self.rate, precision=4)})")


class Pareto(DelayModel):
    """Heavy-tailed delays: ``P(T_j > t) = (scale_j / t) ** shape_j`` for ``t >= scale_j``.

    Parameters
    ----------
    scale : float or array-like of shape (n_workers,)
        Minimum response time in seconds (> 0).
    shape : float or array-like of shape (n_workers,)
        Tail index (> 0; the mean is finite for ``shape > 1``).
    n_workers : int, default=None
        Needed when both ``scale`` and ``shape`` are scalars.
    """

    def __init__(self, scale, shape, n_workers=None):
        n_workers = _n_workers(scale, shape, n_workers=n_workers)
        self.scale = _per_worker(scale, n_workers, "scale", strict=True)
        self.shape = _per_worker(shape, n_workers, "shape", strict=True)

    @property
    def n_workers(self):
        return len(self.scale)

    def sample(self, rng, n_iterations=1):
        u = 1.0 - rng.random((n_iterations, self.n_workers))  # in (0, 1]
        return self.scale * u ** (-1.0 / self.shape)

    def quantile(self, q):
        return self.scale * (1.0 - q) ** (-1.0 / self.shape)

    def survival(self, t):
        t = max(float(t), 1e-300)
        return np.where(t < self.scale, 1.0, (self.scale / t) ** self.shape)

    def __repr__(self):
        return (f"Pareto(scale={np.array2string(self.scale, precision=4)}, "
                f"shape={np.array2string(self.shape, precision=4)})")


class TraceDelays(DelayModel):
    """Replay recorded delays: iteration ``t`` of a fit uses column ``t`` of the trace.

    The replay restarts at every fit (backends call :meth:`rewind`) and wraps around when
    a fit runs more iterations than the trace has. ``straggler_probs`` are the empirical
    frequencies. Replaying the same trace on the simulated and on a real backend gives both
    the same straggling pattern.

    Parameters
    ----------
    trace : array-like of shape (n_workers, n_iterations)
        Delays in seconds (``inf``: the worker never answers in that iteration).
    """

    def __init__(self, trace):
        trace = np.array(trace, dtype=float)
        if trace.ndim != 2 or trace.size == 0:
            raise ValueError(
                f"trace must be a non-empty (n_workers, n_iterations) array; got shape "
                f"{trace.shape}."
            )
        if np.isnan(trace).any() or (trace < 0).any():
            raise ValueError("trace must hold delays >= 0 (inf allowed).")
        self.trace = trace
        self._cursor = 0

    @property
    def n_workers(self):
        return self.trace.shape[0]

    def rewind(self):
        self._cursor = 0

    def sample(self, rng, n_iterations=1):
        columns = (self._cursor + np.arange(n_iterations)) % self.trace.shape[1]
        self._cursor += n_iterations
        return self.trace[:, columns].T.copy()

    def quantile(self, q):
        return np.quantile(self.trace, q, axis=1, method="inverted_cdf")

    def survival(self, t):
        return (self.trace > t).mean(axis=1)

    def __repr__(self):
        return f"TraceDelays(n_workers={self.trace.shape[0]}, n_iterations={self.trace.shape[1]})"
