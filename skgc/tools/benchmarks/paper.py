"""The paper's comparison: relative objective gap against iteration under Song & Choi's
stragglers, every scheme on the same data and the same straggler draws.

N = K = 10 workers and partitions; p_j = exp(-mu_j (Z - 1)), mu_j ~ U(0.01, 2), Z = 1.1
(``skgc.stragglers.paper_model``, drawn per seed), fresh Bernoulli stragglers each iteration.
Schemes: gradient descent without stragglers (code "full", no stragglers), sgc, bgc,
erasurehead, graph (optimal decoding), ignore, song_choi, optimal, and optimal with variance
reduction (``variance_reduction=True``, the estimators' default: the master decodes the
latest message of every worker once the plain estimate is mostly noise); the paper's schemes
decode plainly. All of these run the paper's algorithm, coded gradient descent
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
from ._common import (Section, fmt, md_table, progress, pyplot, ratio, save_with_caption,
                      spread)
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
LABELS = [scheme[0] for scheme in SCHEMES]
GD, OURS = LABELS[0], ("optimal", "optimal + variance_reduction")
NEWTON = LABELS[-1]
BASELINES = [LABELS.index(label) for label in
             ("sgc", "bgc", "erasurehead", "graph", "ignore", "song_choi")]
NOT_REACHED = "not reached"
ROUNDING = 1e-12  # relative gaps below this are zero to rounding


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


def _iterations(gaps):
    """Iterations to the target of every (scheme, seed)."""
    return np.array([[iterations_to(g) for g in per_seed] for per_seed in gaps])


def _median_reached(iters):
    """Median iterations of one scheme over the seeds; inf unless every seed reached."""
    return np.median(iters) if np.isfinite(iters).all() else np.inf


def scheme_table(gaps, budgets, loads):
    """Markdown rows of one (problem, partitioning)."""
    iters = _iterations(gaps)
    gd_iters = _median_reached(iters[0])
    final = np.median(gaps[:, :, budgets[-1] - 1], axis=1)
    paper = final[LABELS.index("song_choi")]
    rows = []
    for i, label in enumerate(LABELS):
        rows.append([label, f"{loads[label]:.2f}", spread(iters[i], ".0f", NOT_REACHED),
                     ratio(_median_reached(iters[i]), gd_iters, missing=NOT_REACHED)]
                    + [spread(gaps[i, :, b - 1], zero=ROUNDING) for b in budgets]
                    + [ratio(final[i], paper, zero=ROUNDING)])
    header = (["scheme", "load", f"iterations to {TARGET:g}", "iterations / GD's"]
              + [f"gap at {b}" for b in budgets] + [f"gap at {budgets[-1]} / song_choi's"])
    return md_table(header, rows)


def _cases(results, all_budgets):
    """(problem, partitioning, budget, median iterations per scheme, median final gap per
    scheme) of every case."""
    for name, by_partition in results.items():
        budget = all_budgets[name][-1]
        for partitions, gaps in by_partition.items():
            iters = _iterations(gaps)
            yield (name, partitions, budget, [_median_reached(it) for it in iters],
                   np.median(gaps[:, :, budget - 1], axis=1))


def summary(results, all_budgets):
    """Two tables (gap at the budget; iterations to the target) and the headlines."""
    gap_rows, iteration_rows = [], []
    ratios = {label: [] for label in OURS}
    newton_iters, gd_iters, first = [], [], []
    for name, partitions, budget, med, final in _cases(results, all_budgets):
        best = min(BASELINES, key=lambda i: final[i])
        gap_rows.append([name, partitions, budget, _gap(final[0]),
                         f"{_gap(final[best])} ({LABELS[best]})"]
                        + [_gap(final[LABELS.index(label)]) for label in OURS + (NEWTON,)]
                        + [ratio(final[LABELS.index(label)], final[best], zero=ROUNDING)
                           for label in OURS])
        for label in OURS:
            ratios[label].append(final[LABELS.index(label)] / final[best])
        reached = [med[LABELS.index(label)] for label in (GD, OURS[1], NEWTON)]
        fastest = min(BASELINES, key=lambda i: med[i])
        iteration_rows.append([name, partitions, budget]
                              + [fmt(value, ".0f", NOT_REACHED) for value in reached]
                              + [fmt(med[fastest], ".0f", NOT_REACHED)
                                 + (f" ({LABELS[fastest]})" if np.isfinite(med[fastest])
                                    else "")])
        gd_iters.append(reached[0])
        newton_iters.append(reached[2])
        if np.isfinite(min(reached[1], med[fastest])):
            first.append(reached[1] <= med[fastest])
    gap_table = md_table(
        ["problem", "partitions", "iterations run", "GD, no stragglers",
         "best paper scheme", "optimal", "optimal + VR", "Newton + VR",
         "optimal / best paper scheme", "optimal + VR / best paper scheme"], gap_rows)
    iteration_table = md_table(
        ["problem", "partitions", "iterations run", "GD, no stragglers", "optimal + VR",
         "Newton + VR (skgc default)", "fastest paper scheme"], iteration_rows)
    return gap_table, iteration_table, _headlines(ratios, newton_iters, gd_iters, first)


def _gap(value):
    return fmt(value, ".2e", zero=ROUNDING)


def _headlines(ratios, newton_iters, gd_iters, first):
    """The paper comparison in four sentences."""
    n = len(newton_iters)
    lines = []
    for label, name in ((OURS[0], "coded GD with the optimal code"),
                        (OURS[1], "the same with variance reduction")):
        values = np.array(ratios[label])
        lines.append(
            f"Paper comparison, {n} cases: {name} ends with a smaller gap than the best of "
            f"the paper's schemes in {int(np.sum(values < 1))} of {n} cases (median ratio "
            f"{np.median(values):.2f}).")
    lines.append(
        f"Paper comparison: coded GD with the optimal code and variance reduction reaches a "
        f"{TARGET:g} gap in no more iterations than every paper scheme in "
        f"{int(np.sum(first))} of the {len(first)} cases where it or one of them does; "
        f"none does in {n - len(first)} of {n} cases.")
    newton = np.array(newton_iters)
    reached = newton[np.isfinite(newton)]
    gd = np.array(gd_iters)
    lines.append(
        f"Paper comparison: skgc's default (Newton + VR, under the stragglers) reaches a "
        f"{TARGET:g} gap in {len(reached)} of {n} cases, in a median of "
        f"{fmt(np.median(reached) if len(reached) else np.nan, '.0f', 'no')} iterations; "
        f"gradient descent without stragglers reaches it in {int(np.isfinite(gd).sum())} "
        f"of {n}" + (f", in a median of {np.median(gd[np.isfinite(gd)]):.0f}"
                     if np.isfinite(gd).any() else "") + ".")
    return lines


PLOT_GROUPS = (  # panel title, schemes drawn next to GD without stragglers and optimal
    ("the paper's code", ("song_choi",)),
    ("replicating codes", ("sgc", "bgc", "graph")),
    ("codes that drop stragglers", ("ignore", "erasurehead")),
    ("beyond the paper", ("optimal + variance_reduction", "Newton + VR (skgc default)")),
)
GAP_FLOOR = 1e-15  # gaps at or below rounding are drawn here
CAPTION = ("Median over seeds of the relative gap of each iterate. Each panel compares "
           "skgc's optimal code (black) and gradient descent without stragglers (grey) "
           "with a few schemes; lower is better. Gaps zero to rounding are drawn at 1e-15.")


def plot(name, by_partition, path):
    """Small multiples: one row per partitioning, one panel per group of schemes."""
    plt = pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(2, len(PLOT_GROUPS), figsize=(4 * len(PLOT_GROUPS), 6.6),
                             sharex=True, sharey=True, squeeze=False)
    markers, colors = "os^D", ("tab:red", "tab:blue", "tab:green", "tab:purple")
    for row, (partitions, gaps) in zip(axes, by_partition.items()):
        x = np.arange(1, gaps.shape[2] + 1)
        every = max(1, len(x) // 8)
        median = {label: np.maximum(np.median(gaps[i], axis=0), GAP_FLOOR)
                  for i, label in enumerate(LABELS)}
        for ax, (title, labels) in zip(row, PLOT_GROUPS):
            ax.plot(x, median[GD], color="0.6", lw=1.5, label="GD, no stragglers")
            ax.plot(x, median[OURS[0]], color="black", lw=1.2, label="optimal")
            for k, label in enumerate(labels):
                ax.plot(x, median[label], color=colors[k], lw=1.0, marker=markers[k],
                        markevery=(k * every // len(labels), every), markersize=5,
                        label=label.replace("variance_reduction", "VR"))
            ax.axhline(TARGET, color="0.4", lw=0.8, ls=":")
            ax.set_yscale("log")
            ax.set_title(f"{title}, {partitions}", fontsize=10)
            ax.grid(alpha=0.3)
        row[0].set_ylabel("relative gap to the optimum")
    for ax in axes[0]:
        ax.legend(fontsize=7, loc="lower left")
    for ax in axes[-1]:
        ax.set_xlabel("iteration")
    fig.suptitle(name)
    save_with_caption(fig, path, CAPTION)
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
             "### Summary", "",
             "Gap at the end of the budget (median over the seeds); the best paper scheme "
             "is the best of sgc, bgc, erasurehead, graph, ignore and song_choi in that "
             "case; VR: variance reduction.", ""]
    gap_table, iteration_table, headlines = summary(results, budgets)
    lines += [gap_table, "", f"Iterations to a {TARGET:g} gap (median over the seeds; "
              "'not reached' when a seed did not reach it in the budget); the fastest paper "
              "scheme is the one of fewest among the six.", "",
              iteration_table, ""]
    plots, captions = [], {}
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
                captions[path] = CAPTION
    return Section(NAME, "\n".join(lines), plots, headlines, captions=captions)
