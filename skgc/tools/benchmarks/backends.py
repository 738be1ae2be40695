"""Real workers: time to a target objective gap under injected delays, backend overheads.

1. Time to gap. Ten workers on this machine (``loky`` processes; in a full run also a Dask
   ``LocalCluster``) sleep delays drawn from per-worker shifted exponentials; 30% of them
   are ten times slower. Plain gradient descent (step ``1 / L``) on a ridge regression runs
   until the objective gap ``f(w) - f*`` falls below ``target * (f(0) - f*)``, with three
   codes: "optimal" with the model's automatic deadline, "full" (waits for every worker)
   and "ignore" (drops the late workers and rescales, same deadline). Time is the
   wall-clock of the iterations (the benchmark's own objective evaluations are not
   counted).
2. Overhead. Mean wall-clock per iteration of each backend without delays, and its excess
   over the simulated backend (same data and code).
3. Bytes. What the master ships to and receives from the workers per iteration.
"""

import importlib.util
import logging
import time
from contextlib import contextmanager

import numpy as np

from skgc.backends import DaskBackend
from skgc.plan import make_plan
from skgc.stragglers import FixedDelays, ShiftedExponential

from ._common import Section, md_table, progress, ratio

NAME = "backends"
TITLE = "Real workers: wall clock under injected delays"
CODES = ("full", "optimal", "ignore")


def _problem(n_samples, n_features, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features)) * rng.uniform(0.2, 2.0, n_features)
    return X, X @ rng.standard_normal(n_features) + rng.standard_normal(n_samples)


def _plan(X, y, backend_name, code_name, stragglers, dask_client=None, seed=0, **options):
    """The plan of one run of ``code_name`` on a backend given by name."""
    backend = DaskBackend(client=dask_client) if backend_name == "dask" else backend_name
    return make_plan(X, y, n_workers=stragglers.n_workers, code=code_name,
                     stragglers=stragglers, backend=backend, random_state=seed, **options)


def _objective(data, datafit, coef, intercept, alpha):
    value, _, _ = datafit.sums(data.X, data.Y, data.sample_weight, coef, intercept)
    return value.sum() / data.normaliser + 0.5 * alpha * float((coef**2).sum())


def _optimum(data, alpha):
    """Exact ridge solution of ``mean 0.5 (y - Xw - b)^2 + alpha / 2 ||w||^2``."""
    X, y, n = data.X, data.Y[:, 0], data.X.shape[0]
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    coef = np.linalg.solve(Xc.T @ Xc / n + alpha * np.eye(X.shape[1]), Xc.T @ yc / n)
    return coef[:, None], np.array([y.mean() - X.mean(axis=0) @ coef])


def _delays(n_workers, fast, seed=0):
    """30% of the workers ten times slower (shift and exponential tail)."""
    slow = np.zeros(n_workers, bool)
    slow[np.random.default_rng(seed).permutation(n_workers)[: round(0.3 * n_workers)]] = True
    scale = np.where(slow, 10.0, 1.0)
    return ShiftedExponential(fast * scale, 1.0 / (0.2 * fast * scale)), slow


def time_to_gap(backend_name, code_name, X, y, stragglers, alpha, target, max_seconds,
                seed=0, dask_client=None):
    """(seconds, iterations, reached, per-iteration seconds) for one code."""
    plan = _plan(X, y, backend_name, code_name, stragglers, dask_client, seed)
    data, datafit = plan.data, plan.datafit
    step = 1.0 / (datafit.smoothness(data, random_state=seed) + alpha)
    coef_star, intercept_star = _optimum(data, alpha)
    f_star = _objective(data, datafit, coef_star, intercept_star, alpha)
    coef, intercept = np.zeros_like(coef_star), np.zeros(1)
    threshold = target * (_objective(data, datafit, coef, intercept, alpha) - f_star)
    clock, iterations, reached = 0.0, 0, False
    with plan.run() as master:
        while clock < max_seconds:
            start = time.perf_counter()
            estimate = master.gradient(coef, intercept)
            coef = coef - step * (estimate.grad_coef + alpha * coef)
            intercept = intercept - step * estimate.grad_intercept
            clock += time.perf_counter() - start
            iterations += 1
            if _objective(data, datafit, coef, intercept, alpha) - f_star <= threshold:
                reached = True
                break
    return clock, iterations, reached, clock / max(iterations, 1)


def overheads(X, y, n_workers, n_iterations, dask_client=None):
    """Seconds per iteration and bytes per iteration of each backend, no delays."""
    coef, intercept = np.zeros((X.shape[1], 1)), np.zeros(1)
    rows = {}
    for name in ("simulated", "threading", "loky", "dask"):
        if name == "dask" and dask_client is None:
            continue
        plan = _plan(X, y, name, "optimal", FixedDelays(np.zeros(n_workers)), dask_client,
                     deadline=10.0)
        backend = plan.backend
        with plan.run() as master:
            master.gradient(coef, intercept)  # warm-up
            sent0 = getattr(backend, "bytes_sent", 0)
            received0 = getattr(backend, "bytes_received", 0)
            start = time.perf_counter()
            for _ in range(n_iterations):
                master.gradient(coef, intercept)
            seconds = (time.perf_counter() - start) / n_iterations
            sent = (getattr(backend, "bytes_sent", 0) - sent0) / n_iterations
            received = (getattr(backend, "bytes_received", 0) - received0) / n_iterations
        rows[name] = (seconds, sent, received)
    return rows


def run(settings):
    """Time to gap on loky (and Dask in a full run), overheads; return a :class:`Section`."""
    n_workers, alpha, target = 10, 1e-2, 1e-3
    quick = settings.quick
    n_samples, n_features = (4000, 20) if quick else (40000, 50)
    X, y = _problem(n_samples, n_features, settings.seeds[0])
    backends = ["loky"] + ([] if quick or importlib.util.find_spec("distributed") is None
                           else ["dask"])
    # Dask's in-process scheduling costs tens of ms per iteration: its delays are longer
    # so that the deadline, not the overhead, decides who straggles.
    fast = {"loky": 0.01 if quick else 0.02, "dask": 0.1}
    lines = [
        f"## {TITLE}", "",
        "### Time to gap with 30% of the workers 10x slower", "",
        f"{n_workers} workers, ridge regression {n_samples}x{n_features}; slow workers "
        f"{np.flatnonzero(_delays(n_workers, 1.0, settings.seeds[0])[1]).tolist()} are 10x "
        "slower; fast workers: delay d + Exp(mean 0.2 d) with d = "
        + ", ".join(f"{fast[name]:g} s ({name})" for name in backends)
        + "; automatic deadline; target gap "
        f"{target:g} of the initial gap. Dask: an in-process LocalCluster ({n_workers} "
        "workers, one thread each).", "",
    ]
    rows, headlines = [], []
    with progress(len(backends) * len(CODES) + 1, NAME, settings.show_progress) as bar:
        for backend_name in backends:
            results = {}
            stragglers, _ = _delays(n_workers, fast[backend_name], settings.seeds[0])
            with _dask_client(n_workers if backend_name == "dask" else 0) as client:
                for code_name in CODES:
                    results[code_name] = time_to_gap(
                        backend_name, code_name, X, y, stragglers, alpha, target,
                        max_seconds=30 if quick else 120, seed=settings.seeds[0],
                        dask_client=client)
                    bar.update()
            full = results["full"]
            for code_name, (seconds, iterations, reached, per) in results.items():
                relative = (ratio(seconds, full[0]) if reached and full[2]
                            else "not reached")
                rows.append([backend_name, code_name, f"{seconds:.2f}", iterations,
                             f"{per:.4f}", "yes" if reached else "no", relative])
            opt = results["optimal"]
            if opt[2] and full[2]:
                headlines.append(
                    f"Real workers ({backend_name}, {n_workers} workers, 30% of them ten "
                    f"times slower): the optimal code with a deadline reaches the target gap "
                    f"in {opt[0] / full[0]:.2f} of the time of waiting for every worker.")
        with _dask_client(2) as client:
            overhead = overheads(X, y, 4, 20 if quick else 100, client)
        bar.update()
    lines += [md_table(["backend", "code", "seconds to gap", "iterations", "s / iteration",
                        "reached", "seconds / full's"], rows, "llrrrcr"), ""]
    coef_bytes = 8 * (n_features + 1)
    lines += [
        "### Per-iteration overhead and bytes, no delays", "",
        f"4 workers, {n_samples}x{n_features}; the model is {coef_bytes} bytes of floats. "
        "Dask: its bytes are pickled sizes of the task arguments and results.", "",
    ]
    base = overhead["simulated"][0]
    lines.append(md_table(
        ["backend", "ms / iteration", "overhead vs simulated (ms)", "bytes out / iteration",
         "bytes back / iteration"],
        [[name, f"{1e3 * seconds:.2f}", f"{1e3 * (seconds - base):+.2f}", f"{sent:.0f}",
          f"{received:.0f}"] for name, (seconds, sent, received) in overhead.items()]))
    return Section(NAME, "\n".join(lines), [], headlines)


@contextmanager
def _dask_client(n_workers):
    """A client of an in-process LocalCluster with ``n_workers`` one-thread workers, or None
    (``n_workers`` 0, or distributed not installed)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        n_workers = 0
    if not n_workers:
        yield None
        return
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=False,
                           dashboard_address=None, silence_logs=logging.CRITICAL)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
