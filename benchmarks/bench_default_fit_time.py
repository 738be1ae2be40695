"""Fit time of default fits against SGD's: standardised scikit-learn data sets and the dense
cases of ``skgc bench --only vs_sklearn`` (train on the first 80% of the rows).

Each fit time is the fastest of ``--repeats`` fits (at least that many, more while the
repeats add up to less than a second): on a shared machine a single fit varies by 2x, and
ratios are taken between the fastest fits of skgc and SGD in the same process. Also
printed: the test score (training score for the data sets), skgc's iterations and whether
skgc raised a ConvergenceWarning.

Run: ``python benchmarks/bench_default_fit_time.py [--repeats 3] [--max-rows 1000000]``
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.preprocessing import StandardScaler

from skgc import CodedGradientClassifier, CodedGradientRegressor
from skgc.tools.benchmarks.vs_sklearn import make_data

DATA_SETS = (("diabetes", load_diabetes, "regression"),
             ("breast_cancer (log_loss)", load_breast_cancer, "classification"),
             ("digits (log_loss)", load_digits, "classification"))
DENSE = (("regression", 1_000, 20), ("regression", 10_000, 100),
         ("regression", 100_000, 100), ("regression", 1_000_000, 100),
         ("classification", 1_000, 20), ("classification", 10_000, 100),
         ("classification", 100_000, 100))


def models(kind):
    """(skgc, SGD) default estimators of a kind, log-loss for classification."""
    if kind == "regression":
        return CodedGradientRegressor(random_state=0), SGDRegressor(random_state=0)
    return (CodedGradientClassifier(loss="log_loss", random_state=0),
            SGDClassifier(loss="log_loss", random_state=0))


def fastest_fit(model, X, y, repeats):
    """(fitted model, fastest seconds, whether a ConvergenceWarning was raised)."""
    seconds = []
    while len(seconds) < repeats or (sum(seconds) < 1.0 and len(seconds) < 40):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            model.fit(X, y)
            seconds.append(time.perf_counter() - start)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return model, min(seconds), warned


def compare(label, kind, X_train, y_train, X_test, y_test, repeats):
    """One row: label, skgc s, SGD s, ratio, scores, iterations, warning."""
    ours, sgd = models(kind)
    ours, seconds, warned = fastest_fit(ours, X_train, y_train, repeats)
    sgd, sgd_seconds, _ = fastest_fit(sgd, X_train, y_train, repeats)
    return (label, seconds, sgd_seconds, seconds / sgd_seconds,
            ours.score(X_test, y_test), sgd.score(X_test, y_test),
            int(np.max(ours.n_iter_)), "yes" if warned else "no")


def rows(repeats, max_rows):
    """Every case's row."""
    for label, loader, kind in DATA_SETS:
        X, y = loader(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        yield compare(label, kind, X, y, X, y, repeats)
    for kind, n, d in DENSE:
        if n <= max_rows:
            X, y = make_data(kind, n, d, None, 0)
            cut = int(0.8 * n)
            yield compare(f"{kind}, dense {n:,} x {d}", kind, X[:cut], y[:cut], X[cut:],
                          y[cut:], repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print("| case | skgc (s) | SGD (s) | skgc / SGD | skgc score | SGD score | skgc "
          "iterations | ConvergenceWarning |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for label, ours, sgd, ratio, score, sgd_score, n_iter, warned in rows(args.repeats,
                                                                         args.max_rows):
        print(f"| {label} | {ours:.4f} | {sgd:.4f} | {ratio:.2f} | {score:.4f} | "
              f"{sgd_score:.4f} | {n_iter} | {warned} |")


if __name__ == "__main__":
    main()
