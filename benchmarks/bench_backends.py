"""Real workers: time to a target objective gap under injected delays, backend overheads.

1. Time to gap. Ten workers on this machine (``loky`` processes) sleep delays drawn from
   per-worker shifted exponentials; 30% of them are ten times slower. Plain gradient descent
   (step ``1 / L``) on a ridge regression runs until the objective gap
   ``f(w) - f*`` falls below ``target * (f(0) - f*)``, with three codes: "optimal" with the
   model's automatic deadline, "full" (waits for every worker) and "ignore" (drops the
   late workers and rescales, same deadline). Time is the wall-clock of the iterations
   (the benchmark's own objective evaluations are not counted).
2. Overhead. Mean wall-clock per iteration of each backend without delays, and its excess
   over the simulated backend (same data and code).
3. Bytes. What the master ships to and receives from the workers per iteration.

Run: ``python benchmarks/bench_backends.py [--quick] [--out DIR]``.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from skgc.backends import BACKENDS, DaskBackend
from skgc.coding import make_code
from skgc.objective import Datafit, PartitionedData, get_loss
from skgc.stragglers import ShiftedExponential, check_stragglers


def _problem(n_samples, n_features, n_partitions, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features)) * rng.uniform(0.2, 2.0, n_features)
    y = X @ rng.standard_normal(n_features) + rng.standard_normal(n_samples)
    data = PartitionedData(X, y[:, None], np.ones(n_samples), n_partitions, random_state=seed)
    return data, Datafit(get_loss("squared_error"), fit_intercept=True)


def _objective(data, datafit, coef, intercept, alpha):
    value, _, _ = datafit.sums(data.X, data.Y, data.sample_weight, coef, intercept)
    return value / data.total_weight + 0.5 * alpha * float((coef**2).sum())


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


def time_to_gap(backend_name, code_name, data, datafit, stragglers, alpha, target,
                max_seconds, seed=0):
    """(seconds, iterations, reached, per-iteration seconds) for one code."""
    deadline = stragglers.default_deadline()
    backend_cls = BACKENDS[backend_name]
    probs = backend_cls.straggler_probs(stragglers, deadline)
    code = make_code(code_name, stragglers.n_workers, data.n_partitions,
                     straggler_probs=probs, random_state=seed)
    step = 1.0 / (datafit.smoothness(data, random_state=seed) + alpha)
    coef_star, intercept_star = _optimum(data, alpha)
    f_star = _objective(data, datafit, coef_star, intercept_star, alpha)
    coef, intercept = np.zeros_like(coef_star), np.zeros(1)
    threshold = target * (_objective(data, datafit, coef, intercept, alpha) - f_star)
    clock, iterations, reached = 0.0, 0, False
    with backend_cls(stragglers, deadline, seed).start(data, datafit, code) as backend:
        while clock < max_seconds:
            start = time.perf_counter()
            estimate = backend.gradient(coef, intercept)
            coef = coef - step * (estimate.grad_coef + alpha * coef)
            intercept = intercept - step * estimate.grad_intercept
            clock += time.perf_counter() - start
            iterations += 1
            if _objective(data, datafit, coef, intercept, alpha) - f_star <= threshold:
                reached = True
                break
    return clock, iterations, reached, clock / max(iterations, 1)


def overheads(data, datafit, n_iterations, dask_client=None):
    """Seconds per iteration and bytes per iteration of each backend, no delays."""
    n_workers = data.n_partitions
    code = make_code("optimal", n_workers, straggler_probs=np.full(n_workers, 0.1))
    coef, intercept = np.zeros((data.X.shape[1], 1)), np.zeros(1)
    rows = {}
    for name in ("simulated", "threading", "loky", "dask"):
        if name == "dask" and dask_client is None:
            continue
        stragglers = check_stragglers(None, n_workers)
        backend = (DaskBackend(stragglers, 10.0, 0, client=dask_client) if name == "dask"
                   else BACKENDS[name](stragglers, 10.0, 0))
        with backend.start(data, datafit, code):
            backend.gradient(coef, intercept)  # warm-up
            sent0 = getattr(backend, "bytes_sent", 0)
            received0 = getattr(backend, "bytes_received", 0)
            start = time.perf_counter()
            for _ in range(n_iterations):
                backend.gradient(coef, intercept)
            seconds = (time.perf_counter() - start) / n_iterations
            sent = (getattr(backend, "bytes_sent", 0) - sent0) / n_iterations
            received = (getattr(backend, "bytes_received", 0) - received0) / n_iterations
        rows[name] = (seconds, sent, received)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller problem, fewer runs")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    parser.add_argument("--backend", default="loky", choices=["loky", "threading"])
    args = parser.parse_args(argv)
    n_workers, alpha, target = 10, 1e-2, 1e-3
    n_samples, n_features = (4000, 20) if args.quick else (40000, 50)
    fast = 0.01 if args.quick else 0.02
    data, datafit = _problem(n_samples, n_features, n_workers)
    stragglers, slow = _delays(n_workers, fast)
    lines = [
        "## Time to gap with 30% of the workers 10x slower",
        "",
        f"{args.backend} backend, {n_workers} workers, ridge regression {n_samples}x"
        f"{n_features}, fast workers: delay {fast:g} s + Exp(mean {0.2 * fast:g} s), "
        f"slow workers {np.flatnonzero(slow).tolist()}: 10x; automatic deadline "
        f"{stragglers.default_deadline():.3f} s; target gap {target:g} of the initial gap.",
        "",
        "| code | seconds to gap | iterations | s / iteration | reached | vs full |",
        "| --- | ---: | ---: | ---: | :---: | ---: |",
    ]
    results = {}
    for code_name in ("full", "optimal", "ignore"):
        results[code_name] = time_to_gap(args.backend, code_name, data, datafit, stragglers,
                                         alpha, target, max_seconds=30 if args.quick else 120)
    full = results["full"][0]
    for code_name, (seconds, iterations, reached, per) in results.items():
        ratio = f"{full / seconds:.1f}x faster" if reached and results["full"][2] else "-"
        lines.append(f"| {code_name} | {seconds:.2f} | {iterations} | {per:.4f} | "
                     f"{'yes' if reached else 'no'} | {ratio} |")
    client, cluster = _dask_client()
    try:
        rows = overheads(_problem(n_samples, n_features, 4)[0], datafit,
                         20 if args.quick else 100, client)
    finally:
        if client is not None:
            client.close()
            cluster.close()
    coef_bytes = 8 * (n_features + 1)
    lines += [
        "",
        "## Per-iteration overhead and bytes, no delays",
        "",
        f"4 workers, {n_samples}x{n_features}; the model is {coef_bytes} bytes of floats. "
        "Dask: an in-process LocalCluster (2 workers); its bytes are pickled sizes of the "
        "task arguments and results.",
        "",
        "| backend | ms / iteration | overhead vs simulated (ms) | bytes out / iteration "
        "| bytes back / iteration |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    base = rows["simulated"][0]
    for name, (seconds, sent, received) in rows.items():
        lines.append(f"| {name} | {1e3 * seconds:.2f} | {1e3 * (seconds - base):+.2f} | "
                     f"{sent:.0f} | {received:.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bench_backends.md").write_text(text)


def _dask_client():
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        return None, None
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                           dashboard_address=None)
    return Client(cluster), cluster


if __name__ == "__main__":
    main()
