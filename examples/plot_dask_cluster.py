"""
==============================================
Training on a Dask cluster
==============================================

``backend="dask"`` runs the workers on a Dask ``distributed`` cluster. A
:class:`distributed.LocalCluster` on this machine stands in for a real one here: with a
real cluster only the line that creates the :class:`distributed.Client` changes (see
:doc:`/user_guide/dask_cluster`). Each logical worker's partitions are shipped to a Dask
worker once, at the start of the fit; each iteration ships only the coefficients out and
one coded gradient back per worker, and the master never waits past the deadline.
"""

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster
from sklearn.datasets import make_regression
from sklearn.preprocessing import StandardScaler

from skgc import CodedGradientRegressor
from skgc.backends import DaskBackend
from skgc.plotting import plot_history
from skgc.stragglers import ShiftedExponential

FAST = os.environ.get("SKGC_EXAMPLES_FAST") == "1"
n_samples = 2_000 if FAST else 20_000
max_iter = 15 if FAST else 40

X, y = make_regression(n_samples=n_samples, n_features=20, noise=10.0,
                       random_state=0)
X = StandardScaler().fit_transform(X)
y = (y - y.mean()) / y.std()

# %%
# Delays
# ------
# Six logical workers whose response times are 50 ms plus an exponential tail; the last
# two have a long tail (a mean of 250 ms more instead of 25 ms). The default deadline
# follows from the model; the code is designed for the probabilities of missing it.
# Dask adds a few milliseconds to every task: keep deadlines well above that.
stragglers = ShiftedExponential(shift=0.05, rate=[40] * 4 + [4] * 2)
deadline_ms = stragglers.default_deadline() * 1e3
print(f"deadline {deadline_ms:.1f} ms, straggling probabilities",
      np.round(stragglers.straggler_probs(), 3))

# %%
# The cluster
# -----------
# Two Dask workers with three threads each; the six logical workers are spread over them
# (worker ``j`` on Dask worker ``j mod 2``), one thread each, so that a sleeping worker
# does not hold up another. ``backend="dask"`` uses the current client;
# ``DaskBackend(client=client)`` names one explicitly.
#
# The workers run in this process (``processes=False``), which keeps the example quick
# and self-contained; the scheduler, the task placement and the deadline are the real
# ones. With ``processes=True`` (Dask's default) or a real cluster, put the code of a
# script under ``if __name__ == "__main__":``, since Dask starts its worker processes by
# re-importing the main script.
cluster = LocalCluster(n_workers=2, threads_per_worker=3, processes=False,
                       dashboard_address=None)
client = Client(cluster)

fits = {}
for code in ["ignore", "optimal"]:
    start = time.perf_counter()
    fits[code] = CodedGradientRegressor(
        n_workers=6, load=2, code=code, stragglers=stragglers,
        backend=DaskBackend(client=client), max_iter=max_iter, tol=None,
        random_state=0,
    ).fit(X, y)
    seconds = time.perf_counter() - start
    print(f"{code:8} R^2 = {fits[code].score(X, y):.4f}   {seconds:.2f} s "
          f"wall clock for {fits[code].n_iter_} iterations")

client.close()
cluster.close()

# %%
# What happened
# -------------
# ``history_["time"]`` is wall-clock time on a real backend: the deadline bounds every
# iteration, whatever the slow workers do. The same seed draws the same delays for both
# codes, so they hear from nearly the same workers (real scheduling adds some jitter); the
# optimal code weighs each answer by how reliable its worker is.
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
for code, fit in fits.items():
    plot_history(fit, ax=axes, label=code, alpha=0.8)
axes[0].set_yscale("log")
plt.show()
