"""
==================================================
A custom straggler model, and real delays
==================================================

Real workers do not straggle independently at every iteration: a machine that is busy
stays busy for a while. This example writes such a model, a subclass of
:class:`skgc.stragglers.StragglerModel` in which every worker switches between a *fast*
and a *slow* state (a two-state Markov chain), designs a code for it, and runs the same
fit twice: on the simulated backend (virtual clock) and on the ``"loky"`` backend, where
every worker is a process that really sleeps its drawn delay and the master really stops
waiting at the deadline.
"""

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_regression
from sklearn.preprocessing import StandardScaler

from skgc import CodedGradientRegressor
from skgc.plotting import plot_history
from skgc.stragglers import StragglerModel

FAST = os.environ.get("SKGC_EXAMPLES_FAST") == "1"


# %%
# The model
# ---------
# A straggler model gives response times in seconds (``sample``), the deadline the master
# uses by default (``default_deadline``) and, for a deadline, the probability that each
# worker is late (``straggler_probs``), which is what the codes are designed for. Here a
# worker enters the slow state with probability ``p_enter`` per iteration and leaves it
# with probability ``p_leave``: in the long run it is slow a fraction
# ``p_enter / (p_enter + p_leave)`` of the time, in bursts of ``1 / p_leave`` iterations
# on average.
class BurstyStragglers(StragglerModel):
    """Each worker alternates between fast and slow spells (a two-state
    Markov chain).

    Parameters
    ----------
    p_enter : array-like of shape (n_workers,)
        Probability per iteration that a fast worker turns slow.
    p_leave : float
        Probability per iteration that a slow worker turns fast again.
    fast, slow : float
        Response times in seconds in the two states.
    """

    def __init__(self, p_enter, p_leave=0.2, fast=0.002, slow=0.1):
        self.p_enter = np.asarray(p_enter, dtype=float)
        self.p_leave, self.fast, self.slow = p_leave, fast, slow
        self.n_workers = len(self.p_enter)
        self.rewind()

    def rewind(self):
        # Every fit starts from the long-run state distribution, drawn at
        # the first sample.
        self._slow = None

    def sample(self, rng, n_iterations=1):
        if self._slow is None:
            self._slow = rng.random(self.n_workers) < self.straggler_probs()
        times = np.empty((n_iterations, self.n_workers))
        for t in range(n_iterations):
            u = rng.random(self.n_workers)
            stays_slow = self._slow & (u >= self.p_leave)
            turns_slow = ~self._slow & (u < self.p_enter)
            self._slow = stays_slow | turns_slow
            times[t] = np.where(self._slow, self.slow, self.fast)
        return times

    def default_deadline(self):
        return 0.5 * (self.fast + self.slow)

    def straggler_probs(self, deadline=None):
        deadline = self.default_deadline() if deadline is None else deadline
        if deadline < self.fast:
            return np.ones(self.n_workers)
        if deadline >= self.slow:
            return np.zeros(self.n_workers)
        return self.p_enter / (self.p_enter + self.p_leave)


stragglers = BurstyStragglers(p_enter=[0.005] * 4 + [0.05] * 2 + [0.2] * 2)
probs = stragglers.straggler_probs()
print("long-run straggling probabilities:", np.round(probs, 3))

# %%
# Who is slow, iteration after iteration: bursts, not coin flips.
times = stragglers.sample(np.random.default_rng(0), 80)
stragglers.rewind()
fig, ax = plt.subplots(figsize=(8, 2.6), layout="constrained")
ax.imshow(times.T > stragglers.default_deadline(), aspect="auto", cmap="Greys",
          interpolation="nearest")
ax.set_xlabel("iteration")
ax.set_ylabel("worker")
ax.set_title("late workers (black)")
plt.show()

# %%
# The same fit, simulated and real
# --------------------------------
# The estimator designs the optimal code for the model's probabilities. On the simulated
# backend, response times only advance a virtual clock. On ``backend="loky"``, eight
# worker processes each hold their partitions for the whole fit; in every iteration each
# sleeps the delay drawn for it before computing, and the master decodes whatever arrived
# by the deadline (51 ms here).
n_samples = 2_000 if FAST else 20_000
max_iter = 40 if FAST else 100
X, y = make_regression(n_samples=n_samples, n_features=20, noise=10.0,
                       random_state=0)
X = StandardScaler().fit_transform(X)
y = (y - y.mean()) / y.std()

fits = {}
for backend in ["simulated", "loky"]:
    start = time.perf_counter()
    fits[backend] = CodedGradientRegressor(
        n_workers=8, load=2, stragglers=stragglers, backend=backend,
        max_iter=max_iter, tol=None, random_state=0,
    ).fit(X, y)
    print(f"{backend:9}  R^2 = {fits[backend].score(X, y):.4f}  "
          f"wall clock {time.perf_counter() - start:5.2f} s  "
          f"clock in history_ {fits[backend].history_['time'][-1]:5.2f} s")

# %%
# The same seed draws the same delays for both backends, so the same workers are late.
# On the real backend the time also includes the messages and the computation, and a
# worker that is only just in time in the model can miss the real deadline, so the
# counts can differ now and then.
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
for backend, fit in fits.items():
    plot_history(fit, ax=axes, label=backend, alpha=0.8)
axes[0].set_yscale("log")
plt.show()
