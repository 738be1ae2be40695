"""Default fits on scikit-learn's standardised small data sets against SGD's defaults.

Diabetes (regression), breast cancer and digits (classification, with the default hinge
loss and with log-loss): fit time as a ratio to SGD's in the same process (each the fastest
of several fits: a single small fit varies by 2x on a shared machine), skgc's iterations,
whether it raised a ConvergenceWarning, and the training scores. On sets this small a fit
is a few milliseconds, so set-up cost and the cost of each round decide the ratio.
"""

import time
import warnings

from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.preprocessing import StandardScaler

from skgc import CodedGradientClassifier, CodedGradientRegressor

from ._common import Section, md_table, progress, ratio

NAME = "standard_sets"
TITLE = "Default fits on scikit-learn's small data sets"
#: (label, loader, loss or None for regression)
CASES = (("diabetes", load_diabetes, None),
         ("breast cancer, hinge", load_breast_cancer, "hinge"),
         ("breast cancer, log-loss", load_breast_cancer, "log_loss"),
         ("digits, hinge", load_digits, "hinge"),
         ("digits, log-loss", load_digits, "log_loss"))
MIN_REPEATS, MIN_SECONDS, MAX_REPEATS = 3, 1.0, 40


def fastest_fit(model, X, y, quick=False):
    """``(fitted model, fastest seconds, whether a ConvergenceWarning was raised)``: at
    least ``MIN_REPEATS`` fits (one in quick runs), more while they add up to less than
    ``MIN_SECONDS``."""
    seconds, warned = [], False
    repeats = 1 if quick else MIN_REPEATS
    while len(seconds) < repeats or (not quick and sum(seconds) < MIN_SECONDS
                                     and len(seconds) < MAX_REPEATS):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            model.fit(X, y)
            seconds.append(time.perf_counter() - start)
        warned |= any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return model, min(seconds), warned


def _models(loss):
    if loss is None:
        return CodedGradientRegressor(random_state=0), SGDRegressor(random_state=0)
    return (CodedGradientClassifier(loss=loss, random_state=0),
            SGDClassifier(loss=loss, random_state=0))


def run_case(loader, loss, quick=False):
    """``(skgc s, SGD s, skgc score, SGD score, iterations, warned)`` on one set."""
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ours, sgd = _models(loss)
    ours, seconds, warned = fastest_fit(ours, X, y, quick)
    sgd, sgd_seconds, _ = fastest_fit(sgd, X, y, quick)
    return (seconds, sgd_seconds, ours.score(X, y), sgd.score(X, y), ours.n_iter_, warned)


def run(settings):
    """Every set; return a :class:`Section`."""
    rows, ratios = [], []
    with progress(len(CASES), NAME, settings.show_progress) as bar:
        for label, loader, loss in CASES:
            seconds, sgd_seconds, score, sgd_score, n_iter, warned = run_case(
                loader, loss, settings.quick)
            ratios.append((seconds / sgd_seconds, label))
            rows.append([label, f"{seconds * 1e3:.1f}", f"{sgd_seconds * 1e3:.1f}",
                         ratio(seconds, sgd_seconds), str(n_iter), "yes" if warned else "no",
                         f"{score:.4f}", f"{sgd_score:.4f}"])
            bar.update()
    repeats = ("one fit each" if settings.quick else
               f"the fastest of at least {MIN_REPEATS} fits, more while they add up to "
               "under a second")
    lines = [f"## {TITLE}", "",
             "Standardised features, default parameters of both estimators (skgc: its "
             f"default simulated cluster, no stragglers). Fit: {repeats}. Score: on the "
             "training set (R^2 or accuracy).", "",
             md_table(["data set", "skgc (ms)", "SGD (ms)", "skgc / SGD", "iterations",
                       "ConvergenceWarning", "skgc score", "SGD score"], rows,
                      "lrrrrlrr"), ""]
    within = [label for value, label in ratios if value <= 1.0]
    headline = (f"Default fits on scikit-learn's small sets take {min(ratios)[0]:.2f} to "
                f"{max(ratios)[0]:.2f} of SGD's time (at or below it on "
                f"{len(within)} of {len(ratios)}).")
    return Section(NAME, "\n".join(lines), [], [headline])
