"""``skgc demo``: the paper's straggler model on a dataset that ships with scikit-learn."""

import time
import warnings

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skgc import CodedGradientRegressor
from skgc.stragglers import paper_model

ROWS = (  # label, code, with stragglers, variance reduction, solver
    ("GD, no stragglers", "full", False, False, "gd"),
    ("GD, ignore stragglers", "ignore", True, False, "gd"),
    ("GD, song_choi (paper)", "song_choi", True, False, "gd"),
    ("GD, optimal", "optimal", True, False, "gd"),
    ("GD, optimal + VR", "optimal", True, True, "gd"),
    ("skgc defaults", "optimal", True, True, "auto"),
)


def add_arguments(parser):
    parser.add_argument("--workers", type=int, default=10, help="number of workers (10)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument("--alpha", type=float, default=1e-3, help="l2 strength (1e-3)")
    parser.add_argument("--iterations", type=int, default=3000,
                        help="iteration budget, the same for every scheme (3000)")


def run(args):
    X_train, X_test, y_train, y_test = _data(args.seed)
    optimum = _objective(*_exact(X_train, y_train, args.alpha), X_train, y_train, args.alpha)
    model = paper_model(args.workers, random_state=args.seed)
    print(f"Diabetes regression, {len(y_train)} training samples; {args.workers} workers, "
          f"straggling probabilities {model.probs.min():.3f} .. {model.probs.max():.3f} "
          f"(Song & Choi's model). Coded gradient descent (GD, the paper's algorithm) runs "
          f"{args.iterations} iterations; skgc's defaults (Newton steps on coded curvature) "
          "stop at their tol\n")
    print(f"{'scheme':<22} {'rel. gap':>10} {'test R2':>8} {'iters':>6} {'load/worker':>12}"
          f" {'time (s)':>9}")
    for label, code, straggling, variance_reduction, solver in ROWS:
        budget = {"tol": None, "max_iter": args.iterations} if solver == "gd" else {}
        reg = CodedGradientRegressor(
            alpha=args.alpha, n_workers=args.workers, code=code,
            stragglers=model if straggling else None, solver=solver,
            variance_reduction=variance_reduction, random_state=args.seed, **budget,
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reg.fit(X_train, y_train)
        elapsed = time.perf_counter() - start
        gap = _objective(reg.coef_, reg.intercept_[0], X_train, y_train, args.alpha)
        gap = gap / optimum - 1.0
        print(f"{label:<22} {gap:>10.2e} {reg.score(X_test, y_test):>8.4f} "
              f"{reg.n_iter_:>6d} {reg.code_.loads.mean():>12.2f} {elapsed:>9.2f}")
    return 0


def _data(seed):
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=seed)
    scaler = StandardScaler().fit(X_train)
    y_scale = y_train.std()
    return scaler.transform(X_train), scaler.transform(X_test), y_train / y_scale, \
        y_test / y_scale


def _exact(X, y, alpha):
    ridge = Ridge(alpha=alpha * len(y), tol=1e-12).fit(X, y)
    return ridge.coef_, ridge.intercept_


def _objective(coef, intercept, X, y, alpha):
    return 0.5 * np.mean((X @ coef + intercept - y) ** 2) + 0.5 * alpha * coef @ coef
