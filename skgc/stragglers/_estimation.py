"""Online estimation of straggling probabilities from the answers the master observes."""

import numpy as np

__all__ = ["StragglerEstimator"]


class StragglerEstimator:
    """Per-worker straggling probabilities learned from who answered in time.

    Two running counts per worker: a *long* memory (all iterations since the last detected
    change) gives accurate estimates; a *short* exponentially forgetting memory notices a
    worker whose behaviour changes. When the two disagree by more than a few standard
    errors, the long memory restarts from the short one, so that a worker turning slow
    mid-fit is noticed within tens of iterations while a steady worker's estimate keeps
    sharpening (posterior mean of a Beta(``prior``, ``prior``) prior).

    Parameters
    ----------
    n_workers : int
    initial : array-like of shape (n_workers,) or None, default=None
        Prior guess of the probabilities (0.5 where None), worth ``prior_strength``
        iterations of observation.
    prior_strength : float, default=2.0
    short_memory : float, default=20.0
        Effective window (iterations) of the forgetting memory.
    threshold : float, default=4.0
        Standard errors of disagreement that count as a change.

    Attributes
    ----------
    probs_ : ndarray of shape (n_workers,)
        Current estimates.
    n_changes_ : int
        Changes detected so far.
    """

    def __init__(self, n_workers, initial=None, prior_strength=2.0, short_memory=20.0,
                 threshold=4.0):
        guess = np.full(n_workers, 0.5) if initial is None else np.asarray(initial, float)
        self.prior = np.clip(guess, 0.0, 1.0)
        self.prior_strength = float(prior_strength)
        self.decay = 1.0 - 1.0 / float(short_memory)
        self.threshold = float(threshold)
        self.late = np.zeros(n_workers)  # long memory: iterations late, iterations seen
        self.seen = np.zeros(n_workers)
        self.short_late = np.zeros(n_workers)
        self.short_seen = np.zeros(n_workers)
        self.n_changes_ = 0

    def update(self, alive):
        """Record one iteration's answers (``alive[j]``: worker ``j`` was in time)."""
        late = ~np.asarray(alive, dtype=bool)
        self.late += late
        self.seen += 1.0
        self.short_late = self.decay * self.short_late + late
        self.short_seen = self.decay * self.short_seen + 1.0
        self._detect_changes()
        return self

    @property
    def probs_(self):
        return self._posterior(self.late, self.seen)

    def _posterior(self, late, seen):
        return (late + self.prior_strength * self.prior) / (seen + self.prior_strength)

    def _detect_changes(self):
        long, short = self.probs_, self._posterior(self.short_late, self.short_seen)
        spread = np.sqrt(np.maximum(long * (1.0 - long), 0.01) / self.short_seen)
        changed = (np.abs(short - long) > self.threshold * spread) & (self.seen > 2 *
                                                                      (1 / (1 - self.decay)))
        if changed.any():
            self.late[changed] = self.short_late[changed]
            self.seen[changed] = self.short_seen[changed]
            self.n_changes_ += int(changed.sum())
