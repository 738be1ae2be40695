"""Residual error against computation load for every gradient code, and the load to reach
a target error.

Two straggler models: the paper's (N = K = 10, p_j = exp(-mu_j (Z - 1)), mu_j ~ U(0.01, 2),
Z = 1.1) and a mixed one (20 workers: 10 at p = 0.05, 5 at 0.2, 5 at 0.5). Every code is
built at each uniform load L; Song & Choi's loads follow reliability (one point); "ours" is
`optimal` (greedy allocation, unbiased optimal coefficients), its `min_load` allocation for a
target, and its least-squares decoded variants (uniform load, and the `min_load` allocations
decoded by least squares). Errors are the independent and coherent proxies (closed form,
exact enumeration for N <= 12, or seeded Monte Carlo with its standard error). The load
needed for a target error is compared with the best unbiased baseline and with the best
biased (adaptively decoded) one; targets are fractions of Song & Choi's error and of the
least error any code has at load 1 (where the biased decoders lead).
"""

import numpy as np

from skgc.coding import CODE_NAMES, code_report, make_code
from skgc.stragglers import paper_model
from ._common import Section, fmt, progress, pyplot, ratio, save_with_caption

NAME = "codes"
TITLE = "Gradient codes: residual error against computation load"

# (label, code name, decoding); "full" waits for every worker (zero error, slowest) and is
# left out of the curves.
CODES = [(name, name, None) for name in CODE_NAMES if name != "full"] + [
    ("optimal/lstsq", "optimal", "lstsq")]
OURS = ("optimal", "optimal/lstsq")
MIN_LOAD = ("optimal (min_load)", "optimal/lstsq (min_load)")
UNBIASED_BASELINES = ("song_choi", "sgc", "ignore_unbiased")
TARGET_FRACTIONS = (1.0, 0.5, 0.2)  # targets: these fractions of Song & Choi's error
LOAD_ONE_FRACTIONS = (0.8, 0.6)  # and these of the least error of any code at load 1
#: Independent-proxy targets of the min_load allocations scanned for least-squares decoding
MIN_LOAD_SCAN = np.geomspace(1e-3, 1e3, 49)
ROUNDING = 1e-12  # errors below this are zero to rounding (exact decodings give ~1e-30)


def scenarios(seed):
    """(name, straggling probabilities) of the two straggler models."""
    mixed = np.r_[np.full(10, 0.05), np.full(5, 0.2), np.full(5, 0.5)]
    return [("paper model (N = K = 10)", paper_model(10, random_state=seed).probs),
            ("mixed model (N = K = 20)", mixed)]


def curves(p, loads, n_draws, seed, bar=None):
    """{label: [(total load, independent error, se, coherent error), ...]} per code."""
    out = {}
    for label, name, decoding in CODES:
        points = []
        for load in (loads if name != "song_choi" else [None]):
            code = make_code(name, len(p), load=load, straggler_probs=p, random_state=seed,
                             decoding=decoding)
            rep = code_report(code, n_draws=n_draws, random_state=seed, n_decodes=5)
            points.append((rep.total_load, rep.error_independent, rep.se_independent,
                           rep.error_coherent))
        out[label] = points
        if bar is not None:
            bar.update()
    return out


def min_total_load(points, target):
    """Smallest total load among ``points`` whose independent error reaches ``target``."""
    reached = [load for load, err, _, _ in points if err <= target]
    return min(reached) if reached else np.inf


def lstsq_min_load_points(p, n_draws, seed):
    """(total load, independent error) of ``min_load`` allocations decoded by least
    squares, one per distinct allocation among those for :data:`MIN_LOAD_SCAN`."""
    points, seen = [], set()
    for target in MIN_LOAD_SCAN:
        if not np.isfinite(_min_load(p, target)):
            continue
        code = make_code("optimal", len(p), straggler_probs=p, allocation="min_load",
                         target_error=target, decoding="lstsq")
        key = code.allocation.tobytes()
        if key in seen:
            continue
        seen.add(key)
        rep = code_report(code, n_draws=n_draws, random_state=seed, n_decodes=1)
        points.append((rep.total_load, rep.error_independent, rep.se_independent, np.nan))
    return points


def targets(curve):
    """Target errors: fractions of Song & Choi's, then of the least error at load 1."""
    song_choi = curve["song_choi"][0][1]
    load_one = min(points[0][1] for label, points in curve.items() if label != "song_choi")
    return ([fraction * song_choi for fraction in TARGET_FRACTIONS]
            + [fraction * load_one for fraction in LOAD_ONE_FRACTIONS])


def _min_load(p, target):
    """Total load of the unbiased ``min_load`` allocation for ``target`` (inf if none)."""
    try:
        return make_code("optimal", len(p), straggler_probs=p, allocation="min_load",
                         target_error=target).loads.sum()
    except ValueError:  # below the error of every worker holding every partition
        return np.inf


def load_table(p, curve, lstsq_points):
    """Rows (target, loads needed per code, ours, best unbiased baseline, best biased
    baseline, best baseline) for every target."""
    rows = []
    for target in targets(curve):
        needed = {label: min_total_load(points, target) for label, points in curve.items()}
        needed[MIN_LOAD[0]] = _min_load(p, target)
        needed[MIN_LOAD[1]] = min_total_load(lstsq_points, target)
        ours = min(needed[label] for label in OURS + MIN_LOAD)
        unbiased_ours = min(needed["optimal"], needed[MIN_LOAD[0]])
        baselines = {k: v for k, v in needed.items() if k not in OURS + MIN_LOAD}
        best = min(baselines, key=baselines.get)
        best_unbiased = min(UNBIASED_BASELINES, key=baselines.get)
        biased = [k for k in baselines if k not in UNBIASED_BASELINES]
        best_biased = min(biased, key=baselines.get)
        rows.append({"target": target, "needed": needed, "ours": ours,
                     "unbiased_ours": unbiased_ours, "best": best,
                     "best_unbiased": best_unbiased, "best_biased": best_biased})
    return rows


def _fmt_load(value):
    return fmt(value, ".0f", "not reached")


def _ratio(ours, theirs):
    return ratio(ours, theirs, missing="not reached")


def markdown(results, loads_by_scenario):
    lines = [f"## {TITLE}", ""]
    for (title, p), curve, rows in results:
        loads = loads_by_scenario[title]
        lines += [f"### {title}", "",
                  f"p = {np.array2string(p, precision=3, max_line_width=200)}", "",
                  "Expected error of the decoded gradient when the partition gradients "
                  "are unrelated ('independent'; in brackets when they are all equal, "
                  "'coherent'), in units of one partition gradient's squared norm, at "
                  "uniform load L (partitions per worker); song_choi at its own loads. "
                  "± a Monte-Carlo standard error.", "",
                  "| code | " + " | ".join(f"L={load}" for load in loads) + " |",
                  "|---|" + "---|" * len(loads)]
        for label, points in curve.items():
            cells = [fmt(err, ".3g", zero=ROUNDING) + (f" ± {se:.1g}" if se else "")
                     + f" ({fmt(coh, '.3g', zero=ROUNDING)})" for _, err, se, coh in points]
            if label == "song_choi":
                cells = [f"{cells[0]} at total load {points[0][0]:.0f}"] + [""] * (
                    len(loads) - 1)
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines += ["", "Total load (partitions summed over the workers) needed to reach a "
                  "target independent error (targets: fractions of Song & Choi's error, then "
                  "of the least error of any code at load 1). Ours: the optimal code, "
                  "unbiased (min_load allocation, or greedy at uniform L) or decoded by "
                  "least squares (uniform L, or min_load allocations); 'ours / it': the "
                  "least load of ours over the baseline's.", "",
                  "| target | optimal (min_load) | optimal (greedy, uniform L) | "
                  "optimal/lstsq | optimal/lstsq (min_load) | best unbiased baseline | "
                  "unbiased ours / it | best biased baseline | ours / it | "
                  "best baseline (any) | ours / it |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for row in rows:
            needed = row["needed"]
            cells = [f"{row['target']:.3g}"] + [
                _fmt_load(needed[label]) for label in
                (MIN_LOAD[0], "optimal", "optimal/lstsq", MIN_LOAD[1])]
            cells += [f"{row['best_unbiased']} {_fmt_load(needed[row['best_unbiased']])}",
                      _ratio(row["unbiased_ours"], needed[row["best_unbiased"]])]
            for key in ("best_biased", "best"):
                cells += [f"{row[key]} {_fmt_load(needed[row[key]])}",
                          _ratio(row["ours"], needed[row[key]])]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


PLOT_GROUPS = (  # panel title, codes drawn next to optimal
    ("unbiased codes", ("song_choi", "sgc", "ignore_unbiased")),
    ("least-squares decoding", ("optimal/lstsq", "bgc", "graph", "cyclic")),
    ("groups, or dropping stragglers", ("frc", "erasurehead", "ignore")),
)
CAPTION = ("Expected error of the decoded gradient (partition gradients unrelated: the "
           "'independent' column of skgc codes) against the work per worker; lower is "
           "better. Each panel compares skgc's optimal code (black) with a few others; "
           "curves that coincide share one legend entry; 0 marks exact decoding.")


def _same(a, b):
    """Two curves at the same loads with the same errors (to 1%)."""
    return len(a) == len(b) and all(
        np.isclose(x[0], y[0]) and np.isclose(x[1], y[1], rtol=1e-2, atol=ROUNDING)
        for x, y in zip(a, b))


def _merged(curve, labels):
    """(label, points) of ``labels``, curves that coincide with an earlier one (or with
    optimal) folded into its label."""
    out = [["optimal", curve["optimal"]]]
    for label in labels:
        twin = next((entry for entry in out if _same(entry[1], curve[label])), None)
        if twin is None:
            out.append([label, curve[label]])
        else:
            twin[0] += f" = {label}"
    return out


def _floor(curve):
    """Where errors zero to rounding are drawn (a decade below the smallest other), or
    None when no error is zero."""
    errors = [pt[1] for points in curve.values() for pt in points]
    if min(errors) >= ROUNDING:
        return None
    return 10.0 ** np.floor(np.log10(min(e for e in errors if e >= ROUNDING)) - 1)


def plot(results, path):
    """Small multiples: one row per straggler model, one panel per group of codes."""
    plt = pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(len(results), len(PLOT_GROUPS),
                             figsize=(4.3 * len(PLOT_GROUPS), 3.6 * len(results)),
                             sharey="row", squeeze=False)
    markers, colors = "s^Dv", ("tab:red", "tab:blue", "tab:green", "tab:purple")
    for row, ((title, p), curve, _) in zip(axes, results):
        floor = _floor(curve)
        for ax, (group, labels) in zip(row, PLOT_GROUPS):
            for k, (label, points) in enumerate(_merged(curve, labels)):
                load = np.array([pt[0] for pt in points]) / len(p)
                err = np.array([pt[1] for pt in points])
                if floor is not None:
                    err = np.where(err < ROUNDING, floor, err)
                style = ({"color": "black", "marker": "o", "lw": 1.6, "markersize": 4}
                         if k == 0 else
                         {"color": colors[(k - 1) % 4], "marker": markers[(k - 1) % 4],
                          "lw": 1.0, "ls": "--", "markersize": 9 if len(load) == 1 else 5,
                          "markerfacecolor": "none"})
                ax.plot(load, err, label=label, **style)
            if floor is not None:
                ax.axhline(floor, color="0.7", lw=0.8, ls=":")
            ax.set_yscale("log")
            ax.set_title(f"{group}: {title}", fontsize=9)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        row[0].set_ylabel("expected error of the\ndecoded gradient")
        if floor is not None:  # a tick "0" for exact decodings
            top = max(pt[1] for pts in curve.values() for pt in pts) * 2
            ticks = [tick for tick in row[0].get_yticks() if floor < tick <= top]
            row[0].set_yticks([floor] + ticks, ["0"] + [f"$10^{{{np.log10(tick):.0f}}}$"
                                                       for tick in ticks])
            row[0].set_ylim(floor / 2, top)
    for ax in axes[-1]:
        ax.set_xlabel("partitions per worker (mean load)")
    save_with_caption(fig, path, CAPTION)
    plt.close(fig)
    return path


def run(settings):
    """Curves and load table for both straggler models; return a :class:`Section`."""
    seed = settings.seeds[0]
    n_draws = 1000 if settings.quick else 5000
    results, loads_by_scenario = [], {}
    chosen = scenarios(seed)
    with progress(len(chosen) * len(CODES), NAME, settings.show_progress) as bar:
        for title, p in chosen:
            loads = list(range(1, (5 if settings.quick else len(p) // 2 + 1) + 1))
            if len(p) <= 10 and not settings.quick:
                loads = list(range(1, len(p) + 1))
            loads_by_scenario[title] = loads
            curve = curves(p, loads, n_draws, seed, bar)
            lstsq_points = lstsq_min_load_points(p, n_draws, seed)
            results.append(((title, p), curve, load_table(p, curve, lstsq_points)))
    text = markdown(results, loads_by_scenario)
    plots, captions = [], {}
    if settings.out is not None:
        png = plot(results, settings.out / "codes.png")
        if png:
            plots.append(png)
            captions[png] = CAPTION
    headlines = []
    for (title, _), _, rows in results:
        row = rows[len(TARGET_FRACTIONS) - 1]
        needed = row["needed"]
        headlines.append(
            f"Codes, {title}: to reach an expected error of {row['target']:.3g} "
            f"({TARGET_FRACTIONS[-1]:.0%} of Song & Choi's), skgc's unbiased codes need a "
            f"total load of {_fmt_load(row['unbiased_ours'])} partitions, the best unbiased "
            f"baseline ({row['best_unbiased']}) {_fmt_load(needed[row['best_unbiased']])}; "
            f"with least-squares decoding {_fmt_load(row['ours'])}, the best biased "
            f"baseline ({row['best_biased']}) {_fmt_load(needed[row['best_biased']])}.")
    return Section(NAME, text, plots, headlines, captions=captions)
