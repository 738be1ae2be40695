"""Simulated per-iteration cost against one plain numpy full gradient on the same data.

The floor: an iteration must read the data once (``X @ w`` and ``X.T @ r``). The simulated
cluster computes every partition's sums in one pass and each worker's coded message from
them, so its cost should stay near that floor whatever the load and the decoder. Workers
straggle with probability 0.3 (a round where nobody answers computes nothing, and would
flatter the figure). Best of several interleaved repeats of both, in the same run.
"""

import time

import numpy as np

from skgc.plan import make_plan

from ._common import Section, md_table, progress

NAME = "iteration_cost"
TITLE = "Simulated iteration cost against one numpy full gradient"
LOADS = (1, 3, 5)


def _best_times(funcs, repeats):
    """Best time of each function, the functions interleaved so that both see the same
    machine load."""
    best = [np.inf] * len(funcs)
    for _ in range(repeats):
        for i, func in enumerate(funcs):
            start = time.perf_counter()
            func()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def measure(n_samples, n_features, n_workers, load, repeats, seed=0, variance_reduction=False):
    """Seconds per iteration: (numpy full gradient, simulated coded iteration)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    y = X @ rng.standard_normal(n_features) + rng.standard_normal(n_samples)
    w = rng.standard_normal(n_features)

    def numpy_gradient():
        return X.T @ (X @ w - y)

    plan = make_plan(X, y, n_workers=n_workers, load=load,
                     stragglers=0.3, random_state=seed)
    coef, intercept = w[:, None], np.zeros(1)
    with plan.run(variance_reduction=variance_reduction) as master:
        numpy_gradient(), master.gradient(coef, intercept)  # warm up
        floor, ours = _best_times([numpy_gradient, lambda: master.gradient(coef, intercept)],
                                  repeats)
    return floor, ours


def run(settings):
    """Time each load with plain and control-variate decoding; return a :class:`Section`."""
    n_samples, repeats = (20_000, 5) if settings.quick else (200_000, 15)
    rows, ratios = [], {}
    with progress(2 * len(LOADS), NAME, settings.show_progress) as bar:
        for vr in (False, True):
            for load in LOADS:
                floor, ours = measure(n_samples, 100, 20, load, repeats,
                                      seed=settings.seeds[0], variance_reduction=vr)
                ratios[vr, load] = ours / floor
                rows.append([f"{n_samples:,} x 100", 20, load,
                             "control variate" if vr else "plain", f"{floor * 1e3:.1f}",
                             f"{ours * 1e3:.1f}", f"{ours / floor:.2f}"])
                bar.update()
    text = "\n".join([
        f"## {TITLE}", "",
        f"Workers straggle with probability 0.3, code optimal, best of {repeats} "
        "repeats.", "",
        md_table(["n x d", "workers", "load", "decoding", "numpy gradient (ms)",
                  "simulated iteration (ms)", "simulated / numpy"], rows)])
    plain = max(ratios[False, load] for load in LOADS)
    vr = max(ratios[True, load] for load in LOADS)
    headlines = [f"Simulation cost: one simulated iteration costs at most {plain:.2f} "
                 f"plain numpy full gradients with plain decoding, {vr:.2f} with the control "
                 f"variate (loads {', '.join(map(str, LOADS))}; 1 is the floor of reading "
                 "the data once)."]
    return Section(NAME, text, [], headlines)
