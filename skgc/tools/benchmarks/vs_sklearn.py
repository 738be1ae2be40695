"""Against scikit-learn: fit time, test score, objective gap and peak memory of skgc's
estimators next to ``SGDRegressor`` / ``SGDClassifier`` and the exact solvers.

Synthetic dense data from small to 10^6 x 100 (regression; classification up to 10^5 x 100)
and a large sparse CSR case; the first 80% of the rows train, the last 20% test. Rows:
the exact solver with matched regularisation (``Ridge(alpha=n alpha)``,
``LogisticRegression(C=1/(n alpha))``), skgc with its defaults (8 simulated workers, no
stragglers), skgc under the paper's stragglers (10 workers, ``paper_model``), SGD with its
defaults, and both tuned on a small grid (alpha for skgc; alpha and learning rate for SGD)
chosen on a validation split of the training rows (for the 10^6 case, chosen on a
10^5-row subsample) and refitted. Classification uses ``loss="log_loss"`` everywhere so that
logistic regression is the exact reference. Gap: ``(f - f*) / f*`` of the training
objective ``mean loss + alpha/2 ||w||^2`` at alpha = 1e-4 (the defaults). Peak memory:
``tracemalloc``'s peak during a separate fit stopped after 20 iterations (epochs for SGD;
the peak is reached in the first ones; numpy's allocations included).
"""

import time
import tracemalloc
import warnings

import numpy as np
from scipy import sparse

from skgc.stragglers import paper_model
from ._common import Section, fmt, md_table, progress, ratio
from ._problems import Problem, classification_problem, regression_problem

NAME = "vs_sklearn"
TITLE = "Against scikit-learn: fit time, score, gap and memory"
ALPHA = 1e-4  # SGD's and skgc's default l2 strength
ROUNDING = 1e-12  # relative gaps below this are zero to rounding
SKGC_GRID = [{"alpha": a} for a in (1e-5, 1e-4, 1e-3)]
SGD_GRID = [{"alpha": a, "learning_rate": lr} for a in (1e-5, 1e-4, 1e-3)
            for lr in (None, "adaptive")]


def cases(quick):
    """(kind, label, n_samples, n_features, sparse density or None)."""
    if quick:
        dense = [("regression", 1_000, 20), ("regression", 10_000, 50),
                 ("classification", 1_000, 20), ("classification", 10_000, 50)]
        sparse_shape = (5_000, 1_000, 5e-3)
    else:
        dense = [("regression", 1_000, 20), ("regression", 10_000, 100),
                 ("regression", 100_000, 100), ("regression", 1_000_000, 100),
                 ("classification", 1_000, 20), ("classification", 10_000, 100),
                 ("classification", 100_000, 100)]
        sparse_shape = (100_000, 10_000, 1e-3)
    out = [(kind, f"dense {n:,} x {d}", n, d, None) for kind, n, d in dense]
    n, d, density = sparse_shape
    out += [(kind, f"sparse {n:,} x {d:,} ({density:g} dense)", n, d, density)
            for kind in ("regression", "classification")]
    return out


def make_data(kind, n, d, density, seed):
    """(X, y) of one case."""
    if density is None:
        maker = regression_problem if kind == "regression" else classification_problem
        problem = maker("synthetic", n, d, alpha=ALPHA, seed=seed, exact=False)
        return problem.X, problem.y
    rng = np.random.default_rng(seed)
    X = sparse.random(n, d, density, format="csr", random_state=seed,
                      data_rvs=rng.standard_normal)
    score = X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)
    return X, (score if kind == "regression" else (score > 0).astype(int))


def estimators(kind, seed):
    """name -> factory(**params) of the compared estimators (exact solver excluded)."""
    from sklearn.linear_model import SGDClassifier, SGDRegressor

    from skgc import CodedGradientClassifier, CodedGradientRegressor

    if kind == "regression":
        ours, sgd, extra = CodedGradientRegressor, SGDRegressor, {}
    else:
        ours, sgd, extra = CodedGradientClassifier, SGDClassifier, {"loss": "log_loss"}

    def skgc(**params):
        return ours(random_state=seed, **extra, **params)

    def skgc_paper(**params):
        return ours(n_workers=10, stragglers=paper_model(10, random_state=seed),
                    random_state=seed, **extra, **params)

    def sgd_model(**params):
        if params.get("learning_rate", 0) is None:
            params.pop("learning_rate")
        elif params.get("learning_rate") == "adaptive":
            params.setdefault("eta0", 0.01)
        return sgd(random_state=seed, **extra, **params)

    return {"skgc": skgc, "skgc, paper stragglers": skgc_paper, "SGD": sgd_model}


def _fit(model, X, y):
    """(fitted model, seconds)."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return model, time.perf_counter() - start


def _best_fit(factory, X, y, repeats, **params):
    """(fitted model, seconds): the fastest of ``repeats`` fresh fits (a single fit on a
    shared machine varies by 2x; the ratios compare best with best)."""
    fits = [_fit(factory(**params), X, y) for _ in range(repeats)]
    return fits[0][0], min(seconds for _, seconds in fits)


def _peak_memory(factory, X, y, **params):
    """Peak bytes traced during one fit with ``params``."""
    tracemalloc.start()
    try:
        _fit(factory(**params), X, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _tune(factory, grid, X, y, max_rows):
    """Parameters of ``grid`` with the best validation score (last 20% of ``X``'s first
    ``max_rows`` rows), and the seconds the search took."""
    rows = min(X.shape[0], max_rows)
    cut = int(0.8 * rows)
    start, best = time.perf_counter(), (-np.inf, grid[0])
    for params in grid:
        model, _ = _fit(factory(**params), X[:cut], y[:cut])
        best = max(best, (model.score(X[cut:rows], y[cut:rows]), params),
                   key=lambda item: item[0])
    return best[1], time.perf_counter() - start


def run_case(kind, n, d, density, seed, quick, bar=None):
    """Rows of one case: (name, seconds, score, gap, iterations, MB or None, note)."""
    X, y = make_data(kind, n, d, density, seed)
    cut = int(0.8 * n)
    X_train, y_train, X_test, y_test = X[:cut], y[:cut], X[cut:], y[cut:]
    problem = Problem("train", kind, X_train, y_train, ALPHA, f_star=0.0)
    start = time.perf_counter()
    coef, intercept = problem.exact()
    exact_seconds = time.perf_counter() - start
    problem.f_star = problem.objective(coef, intercept)
    exact_score = _exact_score(kind, coef, intercept, X_test, y_test)
    exact_mb = _peak_memory(lambda: _ExactFit(problem), X_train, y_train) / 2**20
    rows = [("exact (" + ("Ridge" if kind == "regression" else "LogisticRegression") + ")",
             exact_seconds, exact_score, 0.0, None, exact_mb, "")]
    if bar is not None:
        bar.update()
    factories = estimators(kind, seed)
    for name, factory in factories.items():
        model, seconds = _best_fit(factory, X_train, y_train, 1 if quick else REPEATS)
        memory = (_peak_memory(factory, X_train, y_train, max_iter=MEMORY_ITER) / 2**20
                  if name != "skgc, paper stragglers" else None)
        rows.append((f"{name} (defaults)", seconds, model.score(X_test, y_test),
                     problem.relative_gap(problem.objective(model.coef_, model.intercept_)),
                     _n_iter(model), memory, ""))
        if bar is not None:
            bar.update()
    for name, grid in (("skgc", SKGC_GRID), ("SGD", SGD_GRID)):
        factory = factories[name]
        params, search = _tune(factory, grid, X_train, y_train, 100_000)
        model, seconds = _best_fit(factory, X_train, y_train, 1 if quick else REPEATS,
                                   **params)
        gap = (problem.relative_gap(problem.objective(model.coef_, model.intercept_))
               if params["alpha"] == ALPHA else np.nan)
        shown = ", ".join(f"{k}={v}" for k, v in params.items() if v is not None)
        rows.append((f"{name} (tuned)", seconds, model.score(X_test, y_test), gap,
                     _n_iter(model), None, f"{shown}; search {search:.1f} s"))
        if bar is not None:
            bar.update()
    return rows


class _ExactFit:
    """The exact solve as a fit, for the memory measurement."""

    def __init__(self, problem):
        self.problem = problem

    def fit(self, X, y):
        self.problem.exact()
        return self


def _exact_score(kind, coef, intercept, X, y):
    pred = np.asarray(X @ np.ravel(coef)).reshape(-1) + float(np.ravel(intercept)[0])
    if kind == "regression":
        return 1.0 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)
    return float(np.mean((pred > 0) == (y == np.max(y))))


def _n_iter(model):
    n_iter = getattr(model, "n_iter_", None)
    return None if n_iter is None else int(np.max(n_iter))


MEMORY_ITER = 20  # the memory fits stop here: the peak is reached in the first iterations
REPEATS = 3  # fit times of skgc and SGD: the fastest of this many fits (one in --quick)
STEPS_PER_CASE = 6  # exact, three default fits, two tuned fits


def run(settings):
    """Every case; return a :class:`Section`."""
    chosen = cases(settings.quick)
    seed = settings.seeds[0]
    lines = [f"## {TITLE}", "",
             ("Fit (s): one fit each. " if settings.quick else
              f"Fit (s): the fastest of {REPEATS} fits of skgc and of SGD (one of the exact "
              "solvers). ") +
             "Score: R^2 (regression) or accuracy (classification) on the held-out 20%. "
             "Gap: relative to the exact optimum of the training objective at alpha = "
             f"{ALPHA:g} (n/a for models tuned to another alpha). Iterations: n/a for the "
             "exact solvers; peak MB: n/a where not measured. Grids: skgc alpha in "
             f"{[g['alpha'] for g in SKGC_GRID]}; SGD alpha in the same and learning rate "
             "in {default, adaptive (eta0 = 0.01)}. Peak MB: tracemalloc's peak during a "
             f"separate fit of at most {MEMORY_ITER} iterations (data copies included).", ""]
    headlines = []
    with progress(len(chosen) * STEPS_PER_CASE, NAME, settings.show_progress) as bar:
        for kind, label, n, d, density in chosen:
            rows = run_case(kind, n, d, density, seed, settings.quick, bar)
            sgd_seconds = next(r[1] for r in rows if r[0] == "SGD (defaults)")
            table = [[name, f"{seconds:.3f}", ratio(seconds, sgd_seconds),
                      f"{score:.4f}", fmt(gap, ".2e", zero=ROUNDING), fmt(n_iter, "d"),
                      fmt(memory, ".1f"), note]
                     for name, seconds, score, gap, n_iter, memory, note in rows]
            lines += [f"### {kind}, {label}", "",
                      md_table(["model", "fit (s)", "fit (s) / SGD's", "score", "gap", "iterations",
                                "peak MB", "note"], table, "lrrrrrrl"), ""]
            if density is None and n == max(c[2] for c in chosen if c[0] == kind
                                            and c[4] is None):
                ours = next(r for r in rows if r[0] == "skgc (defaults)")
                sgd = next(r for r in rows if r[0] == "SGD (defaults)")
                headlines.append(
                    f"Against SGD ({kind}, {label}): skgc's defaults fit in "
                    f"{ours[1] / sgd[1]:.2f} of SGD's time, at test score {ours[2]:.4f} "
                    f"against {sgd[2]:.4f}, with a training gap of "
                    f"{fmt(ours[3], '.1e', zero=ROUNDING)} against "
                    f"{fmt(sgd[3], '.1e', zero=ROUNDING)}.")
    return Section(NAME, "\n".join(lines), [], headlines)
