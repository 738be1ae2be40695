"""
=========================================================
A drop-in replacement for SGDRegressor in a Pipeline
=========================================================

:class:`~skgc.CodedGradientRegressor` takes every parameter of
:class:`~sklearn.linear_model.SGDRegressor` and fits in the same places: here, after a
:class:`~sklearn.preprocessing.StandardScaler` in a
:class:`~sklearn.pipeline.Pipeline`. The only new parameters say how the gradient is
computed: by ``n_workers`` workers, each holding ``load`` partitions of the data, some of
which straggle.
"""

# %%
# Data and the two pipelines
# --------------------------
# The same pipeline twice, once with scikit-learn's stochastic gradient descent and once
# with coded gradient descent on 10 simulated workers, three of which miss the deadline
# half of the time.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_regression
from sklearn.linear_model import SGDRegressor
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgc import CodedGradientRegressor
from skgc.plotting import plot_history

FAST = os.environ.get("SKGC_EXAMPLES_FAST") == "1"
n_samples = 2_000 if FAST else 20_000

X, y = make_regression(n_samples=n_samples, n_features=30, n_informative=20,
                       noise=10.0, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# one straggling probability per worker
probs = np.r_[np.full(7, 0.05), np.full(3, 0.5)]
models = {
    "SGDRegressor": make_pipeline(
        StandardScaler(), SGDRegressor(random_state=0)),
    "CodedGradientRegressor": make_pipeline(
        StandardScaler(),
        CodedGradientRegressor(n_workers=10, load=2, stragglers=probs,
                               random_state=0),
    ),
}

# %%
# Fit and score, exactly as with any scikit-learn estimator
for name, model in models.items():
    model.fit(X_train, y_train)
    print(f"{name:24} test R^2 = {model.score(X_test, y_test):.4f}")

# %%
# The parameters are SGD's: ``get_params`` and ``set_params`` work through the pipeline,
# and the fitted attributes have the same names and shapes.
coded = models["CodedGradientRegressor"]
sgd = models["SGDRegressor"]
print(coded[-1].coef_.shape == sgd[-1].coef_.shape, coded[-1].intercept_.shape)
print(coded.get_params()["codedgradientregressor__loss"])

# %%
# What the fit did
# ----------------
# ``history_`` records every iteration: the master's estimate of the objective, how many
# of the 10 workers answered before the deadline, and the (virtual) time.
# :func:`skgc.plotting.plot_history` draws it; a pipeline is unwrapped to its last step.
axes = plot_history(coded, label="optimal code, load 2")
axes[0].set_yscale("log")
plt.show()

# %%
# And the code it used: who holds which partition, with which coefficient. The reliable
# workers (the first seven) carry most of the weight.
print(np.round(coded[-1].code_.coefficients, 2))
