"""Simulated per-iteration cost against one plain numpy full gradient on the same data.

The floor: an iteration must read the data once (``X @ w`` and ``X.T @ r``). The simulated
cluster computes the decoded estimate of ``n_workers`` workers with ``load`` partitions each
in one weighted pass, so its cost should stay near that floor whatever the load.

Run: ``python benchmarks/bench_iteration_cost.py [--quick] [--out DIR]``.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from skgc.backends import SimulatedBackend
from skgc.coding import make_code
from skgc.objective import Datafit, PartitionedData, get_loss
from skgc.stragglers import paper_model


def _best_time(func, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(n_samples, n_features, n_workers, load, repeats, seed=0):
    """Seconds per iteration: (numpy full gradient, simulated coded iteration)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    y = X @ rng.standard_normal(n_features) + rng.standard_normal(n_samples)
    w = rng.standard_normal(n_features)

    def numpy_gradient():
        return X.T @ (X @ w - y)

    model = paper_model(n_workers, random_state=seed)
    code = make_code("optimal", n_workers, load=load, straggler_probs=model.probs,
                     random_state=seed)
    data = PartitionedData(X, y[:, None], np.ones(n_samples), n_workers, random_state=seed)
    backend = SimulatedBackend(model, random_state=seed).start(
        data, Datafit(get_loss("squared_error")), code)
    coef, intercept = w[:, None], np.zeros(1)
    numpy_gradient(), backend.gradient(coef, intercept)  # warm up
    floor = _best_time(numpy_gradient, repeats)
    ours = _best_time(lambda: backend.gradient(coef, intercept), repeats)
    return floor, ours


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, few repeats")
    parser.add_argument("--out", type=Path, help="directory for results_iteration_cost.md")
    args = parser.parse_args(argv)
    n_samples, repeats = (20_000, 5) if args.quick else (200_000, 15)
    lines = ["| n x d | workers | load | numpy gradient (ms) | simulated iteration (ms) | ratio |",
             "|---|---|---|---|---|---|"]
    for load in (1, 3, 5):
        floor, ours = measure(n_samples, 100, 20, load, repeats)
        lines.append(f"| {n_samples:,} x 100 | 20 | {load} | {floor * 1e3:.1f} | "
                     f"{ours * 1e3:.1f} | {ours / floor:.2f} |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results_iteration_cost.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
