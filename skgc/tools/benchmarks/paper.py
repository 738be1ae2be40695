"""The paper's comparison: relative objective gap against iteration under Song & Choi's
stragglers, every scheme on the same data and the same straggler draws.

N = K = 10 workers and partitions; p_j = exp(-mu_j (Z - 1)), mu_j ~ U(0.01, 2), Z = 1.1
(``skgc.stragglers.paper_model``, drawn per seed), fresh Bernoulli stragglers each iteration.
Schemes: gradient descent without stragglers (code "full", no stragglers), sgc, bgc,
erasurehead, graph (optimal decoding), ignore, song_choi, optimal, and optimal with the
control-variate decoder (``variance_reduction=True``, the estimators' default); the paper's
schemes decode plainly. All of these run the paper's algorithm, coded gradient descent
(``solver="gd"``); the last row is the estimators' default, Newton steps on coded curvature
with the control variate (``solver="newton"``). Linear regression (diabetes, and a synthetic set) and logistic
regression (breast cancer, and a synthetic set), each with shuffled (iid) partitions and
non-iid ones (rows sorted by target / class, contiguous partitions). Each run is the
estimators' solver ("auto" step, noisy-mode averaging for gradient descent) on the simulated backend for a fixed
number of iterations; the true objective ``mean loss + alpha/2 ||w||^2`` of every iterate is
compared with the exact optimum (``Ridge(alpha=n alpha)``, ``LogisticRegression(C=1/(n
alpha))``). Reported per scheme, over the seeds (median [min, max]): iterations to a 1e-4
relative gap and their ratio to gradient descent's, and the gap at two fixed budgets.
"""

import numpy as np

from skgc.coding import make_code
from skgc.stragglers import paper_model
from ._common import Section, fmt, md_table, progress, pyplot, ratio, spread
from ._problems import classification_problem, regression_problem, trace_objective

NAME = "paper"
TITLE = "The paper's comparison: objective gap against iteration"
TARGET = 1e-4
N_WORKERS = 10
ALPHA = 1e-2
MULTIPLE = 6  # iterations run: this many times GD's iterations to the target
#: (label, code, with stragglers, variance reduction, solver): the paper's algorithm,
#: coded gradient descent, for every code; the last row is skgc's default solver
SCHEMES = [
    ("GD, no stragglers", "full", False, False, "gd"),
    ("sgc", "sgc", True, False, "gd"),
    ("bgc", "bgc", True, False, "gd"),
    ("erasurehead", "erasurehead", True, False, "gd"),
    ("graph", "graph", True, False, "gd"),
    ("ignore", "ignore", True, False, "gd"),
    ("song_choi", "song_choi", True, False, "gd"),
    ("optimal", "optimal", True, False, "gd"),
    ("optimal + variance_reduction", "optimal", True, True, "gd"),
    ("Newton + VR (skgc default)", "optimal", True, True, "newton"),
]
GD, OURS = SCHEMES[0][0], ("optimal", "optimal + variance_reduction")
NEWTON = SCHEMES[-1][0]


def problems(quick):
    """(label, factory) of the four problems; the synthetic ones smaller in a quick run."""
    n, d = (2_000, 20) if quick else (20_000, 50)
    return [
        ("diabetes (ridge)", lambda: regression_problem("diabetes", alpha=ALPHA)),
        (f"synthetic {n:,} x {d} (ridge)",
         lambda: regression_problem("synthetic", n, d, alpha=ALPHA)),
        ("breast cancer (logistic)",
         lambda: classification_problem("breast_cancer", alpha=ALPHA)),
        (f"synthetic {n:,} x {d} (logistic)",
         lambda: classification_problem("synthetic", n, d, alpha=ALPHA)),
    ]


def iterations_to(gaps, target=TARGET):
    """First iteration (1-based) whose gap is at most ``target``; inf if none."""
    hit = np.flatnonzero(gaps <= target)
    return float(hit[0] + 1) if len(hit) else np.inf


def budget(problem, seed, cap):
    """(GD's iterations to the target, iterations to run): ``MULTIPLE`` times GD's, at most
    ``cap`` (``cap`` when GD does not reach the target within it)."""
    gd = trace_objective(problem, "full", None, shuffle=True, seed=seed, max_iter=cap,
                         n_workers=N_WORKERS)
    t_gd = iterations_to(gd)
    return t_gd, (int(min(cap, MULTIPLE * t_gd)) if np.isfinite(t_gd) else cap)


def run_problem(problem, seeds, max_iter, bar=None):
    """Gaps of shape (schemes, seeds, max_iter) for iid and non-iid partitions."""
    out = {}
    for partitions, shuffle, prob in (("iid", True, problem), ("non-iid", False,
                                                                  problem.sorted())):
        gaps = np.empty((len(SCHEMES), len(seeds), max_iter))
        for i, (_, code, straggling, vr, solver) in enumerate(SCHEMES):
            for j, seed in enumerate(seeds):
                model = paper_model(N_WORKERS, random_state=seed) if straggling else None
                gaps[i, j] = trace_objective(prob, code, model, shuffle=shuffle, seed=seed,
                                             max_iter=max_iter, n_workers=N_WORKERS,
                                             variance_reduction=vr, solver=solver)
                if bar is not None:
                    bar.update()
        out[partitions] = gaps
    return out


def mean_loads(seed):
    """Mean load (partitions per worker) of each scheme's code under seed's model."""
    probs = paper_model(N_WORKERS, random_state=seed).probs
    return {label: make_code(code, N_WORKERS, straggler_probs=probs,
                             random_state=seed).loads.mean()
            for label, code, *_ in SCHEMES}


def scheme_table(gaps, budgets, loads):
    """Markdown rows of one (problem, partitioning)."""
    iters = np.array([[iterations_to(g) for g in per_seed] for per_seed in gaps])
    gd_iters = np.median(iters[0])
    final = np.median(gaps[:, :, budgets[-1] - 1], axis=1)
    optimal = final[[s[0] for s in SCHEMES].index("optimal")]
    rows = []
    for i, (label, *_rest) in enumerate(SCHEMES):
        med = np.median(iters[i]) if np.isfinite(iters[i]).all() else np.inf
        rows.append([label, f"{loads[label]:.2f}", spread(iters[i], ".0f"),
                     ratio(med, gd_iters)]
                    + [spread(gaps[i, :, b - 1]) for b in budgets]
                    + [ratio(optimal, final[i]) if i and final[i] > 0 else "—"])
    header = (["scheme", "load", f"iterations to {TARGET:g}", "/ GD"]
              + [f"gap at {b}" for b in budgets] + [f"optimal / this at {budgets[-1]}"])
    return md_table(header, rows)


def summary(results, all_budgets):
    """One row per (problem, partitioning): the headline ratios."""
    labels = [s[0] for s in SCHEMES]
    baselines = [i for i, lab in enumerate(labels) if lab not in OURS + (GD, NEWTON)]
    rows, headlines, worst = [], [], {}
    for name, by_partition in results.items():
        budgets = all_budgets[name]
        for partitions, gaps in by_partition.items():
            iters = np.array([[iterations_to(g) for g in per_seed] for per_seed in gaps])
            med = [np.median(it) if np.isfinite(it).all() else np.inf for it in iters]
            final = np.median(gaps[:, :, budgets[-1] - 1], axis=1)
            best = min(baselines, key=lambda i: final[i])
            opt, vr, newton = (labels.index(OURS[0]), labels.index(OURS[1]),
                               labels.index(NEWTON))
            verdict = "yes" if final[opt] <= final[best] else f"no ({labels[best]})"
            rows.append([name, partitions, fmt(med[0], ".0f"), ratio(med[opt], med[0]),
                         ratio(med[vr], med[0]), ratio(med[newton], med[0]), budgets[-1],
                         f"{labels[best]} {final[best]:.2e}",
                         f"{final[opt]:.2e}", f"{final[vr]:.2e}",
                         ratio(final[opt], final[best]), ratio(final[vr], final[best]),
                         verdict])
            for key, index in (("optimal", opt), ("optimal+VR", vr)):
                worst.setdefault(key, []).append(med[index] / med[0])
                worst.setdefault(key + " gap", []).append(final[index] / final[best])
    header = ["problem", "partitions", f"GD iterations to {TARGET:g}", "optimal / GD",
              "optimal+VR / GD", "Newton+VR / GD", "budget", "best baseline: gap at budget", "optimal",
              "optimal+VR", "optimal / best", "optimal+VR / best", "optimal best?"]
    for key in ("optimal", "optimal+VR"):
        its = np.array(worst[key])
        gaps = np.array(worst[key + " gap"])
        finite = its[np.isfinite(its)]
        headlines.append(
            f"paper comparison, {key}: iterations to {TARGET:g} / GD's "
            + (f"median {np.median(finite):.2f}, range {finite.min():.2f}-"
               f"{finite.max():.2f} over {len(finite)} of {len(its)} problem x partitioning"
               " cases where both reached it" if len(finite) else "target not reached")
            + f"; gap at the budget / best baseline's: median {np.median(gaps):.2f}, "
            f"at or below it in {int(np.sum(gaps <= 1))} of {len(gaps)} cases")
    return md_table(header, rows), headlines


def plot(name, by_partition, path):
    plt = pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    colors = plt.get_cmap("tab10")
    for ax, (partitions, gaps) in zip(axes, by_partition.items()):
        x = np.arange(1, gaps.shape[2] + 1)
        for i, (label, *_rest) in enumerate(SCHEMES):
            g = np.maximum(gaps[i], 1e-14)
            style = "-" if label in OURS or label == GD else "--"
            ax.plot(x, np.median(g, axis=0), style, color=colors(i), label=label, lw=1.3)
            ax.fill_between(x, g.min(axis=0), g.max(axis=0), color=colors(i), alpha=0.12)
        ax.axhline(TARGET, color="grey", lw=0.8, ls=":")
        ax.set_yscale("log")
        ax.set_xlabel("iteration")
        ax.set_title(f"{name}, {partitions} partitions")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("relative objective gap (median, min-max over seeds)")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def run(settings):
    """Run the comparison; return a :class:`Section`."""
    seeds = settings.seeds[:2] if settings.quick else settings.seeds
    cap = 600 if settings.quick else 2500
    loads = mean_loads(seeds[0])
    chosen = problems(settings.quick)
    total = len(chosen) * 2 * len(SCHEMES) * len(seeds)
    results, budgets = {}, {}
    with progress(total, NAME, settings.show_progress) as bar:
        for name, factory in chosen:
            problem = factory()
            t_gd, max_iter = budget(problem, seeds[0], cap)
            budgets[name] = ((int(t_gd),) if np.isfinite(t_gd) else ()) + (max_iter,)
            results[name] = run_problem(problem, seeds, max_iter, bar)
    probs = paper_model(N_WORKERS, random_state=seeds[0]).probs
    lines = [f"## {TITLE}", "",
             f"N = K = {N_WORKERS}, Song & Choi's straggler model drawn per seed (seed "
             f"{seeds[0]}: p = {np.array2string(probs, precision=3, max_line_width=200)}), "
             f"l2 strength alpha = {ALPHA:g}; each problem runs {MULTIPLE} times the "
             f"iterations gradient descent needs to reach a {TARGET:g} gap (at most {cap}), "
             "and gaps are reported at GD's iterations and at that budget; seeds "
             f"{', '.join(map(str, seeds))}; cells are median [min, max] over the seeds. "
             "Gap: (f - f_min) / f_min, f_min the exact optimum. Load: mean partitions per "
             f"worker (seed {seeds[0]}). Same seed, same straggler draws for every scheme.",
             "",
             "### Summary", ""]
    table, headlines = summary(results, budgets)
    lines += [table, ""]
    plots = []
    for name, by_partition in results.items():
        for partitions, gaps in by_partition.items():
            lines += [f"### {name}, {partitions} partitions", "",
                      scheme_table(gaps, budgets[name], loads), ""]
        if settings.out is not None:
            stem = "".join(c if c.isalnum() else "_" for c in name.split(" (")[0]).strip("_")
            kind = "ridge" if "ridge" in name else "logistic"
            path = plot(name, by_partition, settings.out / f"paper_{stem}_{kind}.png")
            if path:
                plots.append(path)
    return Section(NAME, "\n".join(lines), plots, headlines)
