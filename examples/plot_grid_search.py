"""
=========================================
GridSearchCV over codes and loads
=========================================

``code`` and ``load`` are hyper-parameters like any other: cross-validation chooses them.
Here 8 workers of very unequal reliability train a linear regression, and the grid compares
ignoring the stragglers, Song & Choi's code and the optimal code at several loads, with
waiting for every worker (``"full"``) as the reference.

The data are not shuffled before they are cut into partitions (``shuffle=False``) and are
sorted by their first feature, so every partition covers a different region of the input
space, and the target is not quite linear: the partitions disagree on the best linear fit.
That is where ignoring stragglers hurts: the partitions of the unreliable workers are
under-represented in every iteration, and the fit is biased towards the others.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import make_regression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skgc import CodedGradientRegressor

FAST = os.environ.get("SKGC_EXAMPLES_FAST") == "1"
n_samples = 1_000 if FAST else 5_000

X, y = make_regression(n_samples=n_samples, n_features=20, noise=20.0,
                       random_state=0)
# a non-linear part the linear model cannot follow
y = y + 40 * np.sin(2 * X[:, 0])
order = np.argsort(X[:, 0])
X, y = X[order], y[order]
# Four reliable workers, four that are late most of the time.
probs = np.r_[np.full(4, 0.05), np.full(4, 0.8)]

pipe = Pipeline([
    ("scale", StandardScaler()),
    ("reg", CodedGradientRegressor(n_workers=8, stragglers=probs,
                                   shuffle=False, max_iter=50, tol=None,
                                   random_state=0)),
])

# %%
# The grid: ``load`` matters for "ignore" and "optimal"; "song_choi" chooses
# its own loads (proportional to reliability) and "full" uses one partition
# per worker.
param_grid = [
    {"reg__code": ["ignore", "optimal"], "reg__load": [1, 2, 3]},
    {"reg__code": ["song_choi", "full"]},
]
# Shuffled folds; each training set keeps the sorted order, so partitions
# stay non-iid.
folds = KFold(3, shuffle=True, random_state=0)
search = GridSearchCV(pipe, param_grid, cv=folds, scoring="r2")
search.fit(X, y)
print("best:", search.best_params_, f"R^2 = {search.best_score_:.4f}")

# %%
# The cross-validation results as a table
results = pd.DataFrame(search.cv_results_)
results["code"] = results["param_reg__code"]
results["load"] = [
    "own" if load is np.ma.masked or load != load else str(int(load))
    for load in search.cv_results_["param_reg__load"]
]
columns = ["code", "load", "mean_test_score", "std_test_score",
           "rank_test_score"]
print(results[columns].sort_values("rank_test_score").to_string(index=False))

# %%
# The unbiased codes ("optimal" at any load, "song_choi") reach exactly the
# score of waiting for every worker ("full"): under the stragglers skgc's
# Newton steps still solve the training problem to its optimum. Ignoring the
# stragglers does not, whatever its load: the partitions of the unreliable
# workers weigh too little in every iteration, and the fit is biased. The
# score does not see time: "full" waits for the slowest worker in every
# iteration, which ``history_["time"]`` of a fitted estimator shows (see
# :ref:`sphx_glr_auto_examples_plot_heterogeneous_stragglers.py`).
#
# As a picture: the cross-validated R² each setting loses against waiting for
# every worker (0 for the unbiased codes), on an axis that starts at 0.
full = results.loc[results["code"] == "full", "mean_test_score"].item()
lost = full - results["mean_test_score"]
labels = [f"{c}\nload {l}" for c, l in zip(results["code"], results["load"])]
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
bars = ax.bar(labels, lost, color=np.where(lost > 1e-9, "C3", "C0"))
ax.bar_label(bars, [f"{v:.4f}" if v > 1e-9 else "0" for v in lost],
             fontsize=7)
ax.set_ylim(bottom=0)
ax.set_ylabel("R² lost against 'full'")
ax.set_title("4 reliable and 4 unreliable workers, non-iid partitions")
ax.tick_params(axis="x", labelsize=8)
plt.show()
