"""Against dask-ml on one Dask cluster: fit time at equal R^2.

A ``LocalCluster`` of 4 single-thread worker processes; correlated dense ridge regression
(the suite's synthetic data: condition number about 1e5 after standardising). dask-ml's
``LinearRegression`` with its solvers "newton", "lbfgs" and "gradient_descent" fits a
dask array persisted on the workers, after one warm-up fit on 1,000 rows (its "admm"
takes minutes here and is left out);
skgc fits with ``backend=DaskBackend(client=...)`` and its defaults (4 logical workers,
no stragglers), first fit and second fit (imports and worker warm-up excluded from the
second). Matched regularisation: dask-ml's ``C = 1 / (n alpha)``. Ratios: seconds / dask-ml
"newton" seconds, in the same run (below 1 is faster).
"""

import logging
import time
import warnings

import numpy as np

from ._common import Section, md_table, progress, ratio
from ._problems import regression_problem

NAME = "vs_dask_ml"
TITLE = "Against dask-ml on the same Dask cluster"
ALPHA = 1e-4
DASK_ML_SOLVERS = ("newton", "lbfgs", "gradient_descent")


def _r2(y, pred):
    return 1.0 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)


def _dask_ml_rows(X, y, client, bar):
    import dask.array as da
    from dask_ml.linear_model import LinearRegression

    chunk = -(-X.shape[0] // 4)
    Xd = client.persist(da.from_array(X, chunks=(chunk, X.shape[1])))
    yd = client.persist(da.from_array(y, chunks=chunk))
    LinearRegression(solver="newton").fit(Xd[:1000], yd[:1000])  # imports, warm-up
    rows = []
    for solver in DASK_ML_SOLVERS:
        model = LinearRegression(solver=solver, C=1.0 / (ALPHA * len(y)), max_iter=100)
        start = time.perf_counter()
        model.fit(Xd, yd)
        seconds = time.perf_counter() - start
        rows.append((f"dask-ml {solver}", seconds, _r2(y, X @ model.coef_ + model.intercept_),
                     getattr(model, "n_iter_", None)))
        bar.update()
    return rows


def _skgc_rows(X, y, client, bar):
    from skgc import CodedGradientRegressor
    from skgc.backends import DaskBackend

    rows = []
    for label in ("skgc, first fit", "skgc, second fit"):
        model = CodedGradientRegressor(alpha=ALPHA, n_workers=4, random_state=0,
                                       backend=DaskBackend(client=client))
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        rows.append((f"{label} ({model.solver_})", seconds, model.score(X, y),
                     model.n_iter_))
        bar.update()
    return rows


def skipped_without_dask_ml(name, title):
    """The :class:`Section` of a benchmark skipped because distributed or dask-ml is not
    installed; None when both are."""
    import importlib.util

    missing = [module for module in ("distributed", "dask_ml")
               if importlib.util.find_spec(module) is None]
    if not missing:
        return None
    return Section(name, f"## {title}\n\nSkipped: {', '.join(missing)} not installed "
                   '(pip install "skgc[bench]").', [], [])


def run(settings):
    """skgc on Dask against dask-ml's solvers; return a :class:`Section`."""
    skipped = skipped_without_dask_ml(NAME, TITLE)
    if skipped is not None:
        return skipped
    from distributed import Client, LocalCluster

    n_samples, n_features = (20_000, 20) if settings.quick else (200_000, 50)
    problem = regression_problem("synthetic", n_samples, n_features, alpha=ALPHA,
                                 seed=settings.seeds[0], exact=False)
    with progress(len(DASK_ML_SOLVERS) + 2, NAME, settings.show_progress) as bar, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = LocalCluster(n_workers=4, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL)
        try:
            with Client(cluster) as client:
                rows = _dask_ml_rows(problem.X, problem.y, client, bar)
                rows += _skgc_rows(problem.X, problem.y, client, bar)
        finally:
            cluster.close()
    base = rows[0][1]
    table = [[name, f"{seconds:.2f}", ratio(seconds, base), f"{r2:.5f}",
              "n/a" if n_iter is None else str(int(np.max(n_iter)))]
             for name, seconds, r2, n_iter in rows]
    best = min(rows[-2:], key=lambda row: row[1])
    lines = [f"## {TITLE}", "",
             f"Ridge regression {n_samples:,} x {n_features} (correlated features), "
             f"alpha = {ALPHA:g}; LocalCluster of 4 single-thread worker processes. "
             "R^2 on the training data.", "",
             md_table(["model", "fit (s)", "fit (s) / dask-ml newton's", "R^2", "iterations"], table,
                      "lrrrr")]
    headlines = [f"Against dask-ml on one Dask cluster ({n_samples:,} x {n_features} ridge): "
                 f"skgc fits in {best[1] / base:.2f} of dask-ml newton's time, at R^2 "
                 f"{best[2]:.5f} against {rows[0][2]:.5f}."]
    return Section(NAME, "\n".join(lines), [], headlines)
