"""Residual error against computation load for every gradient code, and the load to reach
a target error.

Two straggler models: the paper's (N = K = 10, p_j = exp(-mu_j (Z - 1)), mu_j ~ U(0.01, 2),
Z = 1.1) and a mixed one (20 workers: 10 at p = 0.05, 5 at 0.2, 5 at 0.5). Every code is
built at each uniform load L; Song & Choi's loads follow reliability (one point); "ours" is
`optimal` (greedy allocation, unbiased optimal coefficients), its `min_load` allocation for a
target, and its least-squares decoded variant. Errors are the independent and coherent
proxies (closed form, exact enumeration for N <= 12, or seeded Monte Carlo with its standard
error).
"""

import numpy as np

from skgc.coding import CODE_NAMES, code_report, make_code
from skgc.stragglers import paper_model
from ._common import Section, progress, pyplot

NAME = "codes"
TITLE = "Gradient codes: residual error against computation load"

# (label, code name, decoding); "full" waits for every worker (zero error, slowest) and is
# left out of the curves.
CODES = [(name, name, None) for name in CODE_NAMES if name != "full"] + [
    ("optimal/lstsq", "optimal", "lstsq")]
OURS = ("optimal", "optimal/lstsq")
UNBIASED_BASELINES = ("song_choi", "sgc", "ignore_unbiased")
TARGET_FRACTIONS = (1.0, 0.5, 0.2)  # targets: these fractions of Song & Choi's error
ERROR_FLOOR = 1e-6  # plotted errors are clipped here (exact decodings give ~1e-30)


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


def load_table(p, curve):
    """Rows (target, ours min_load, ours per code..., best baseline, ratios)."""
    song_choi = curve["song_choi"][0][1]
    rows = []
    for fraction in TARGET_FRACTIONS:
        target = fraction * song_choi
        needed = {label: min_total_load(points, target) for label, points in curve.items()}
        needed["optimal (min_load)"] = make_code(
            "optimal", len(p), straggler_probs=p, allocation="min_load",
            target_error=target).loads.sum()
        ours = min(needed["optimal (min_load)"], needed["optimal"], needed["optimal/lstsq"])
        baselines = {k: v for k, v in needed.items() if k not in OURS + ("optimal (min_load)",)}
        best = min(baselines, key=baselines.get)
        best_unbiased = min(UNBIASED_BASELINES, key=baselines.get)
        rows.append((target, needed, ours, best, baselines[best], best_unbiased,
                     baselines[best_unbiased]))
    return rows


def _fmt_load(value):
    return "—" if not np.isfinite(value) else f"{value:.0f}"


def _ratio(ours, theirs):
    return "—" if not np.isfinite(theirs) or not np.isfinite(ours) else f"{ours / theirs:.2f}"


def markdown(results, loads_by_scenario):
    lines = [f"## {TITLE}", ""]
    for (title, p), curve, rows in results:
        loads = loads_by_scenario[title]
        lines += [f"### {title}", "",
                  f"p = {np.array2string(p, precision=3, max_line_width=200)}", "",
                  "Independent-proxy residual error (coherent in brackets) at uniform "
                  "load L (partitions per worker); song_choi at its own loads.", "",
                  "| code | " + " | ".join(f"L={load}" for load in loads) + " |",
                  "|---|" + "---|" * len(loads)]
        for label, points in curve.items():
            cells = [f"{err:.3g}" + (f"±{se:.1g}" if se else "") + f" ({coh:.3g})"
                     for _, err, se, coh in points]
            if label == "song_choi":
                cells = [f"{cells[0]} at total load {points[0][0]:.0f}"] + [""] * (
                    len(loads) - 1)
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines += ["", "Total load (non-zeros) needed to reach a target independent error "
                  "(targets: fractions of Song & Choi's error). Ratio: ours / baseline.", "",
                  "| target | ours: optimal (min_load) | optimal (greedy, uniform L) | "
                  "optimal/lstsq | best unbiased baseline | ratio (unbiased ours) | "
                  "best baseline (any) | ratio (best ours) |",
                  "|---|---|---|---|---|---|---|---|"]
        for target, needed, ours, best, best_load, best_u, best_u_load in rows:
            lines.append(
                f"| {target:.3g} | {_fmt_load(needed['optimal (min_load)'])} | "
                f"{_fmt_load(needed['optimal'])} | {_fmt_load(needed['optimal/lstsq'])} | "
                f"{best_u} {_fmt_load(best_u_load)} | "
                f"{_ratio(min(needed['optimal (min_load)'], needed['optimal']), best_u_load)} | "
                f"{best} {_fmt_load(best_load)} | {_ratio(ours, best_load)} |")
        lines.append("")
    return "\n".join(lines)


def plot(results, path):
    plt = pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.5))
    for ax, ((title, p), curve, _) in zip(np.atleast_1d(axes), results):
        for label, points in curve.items():
            load = np.array([pt[0] for pt in points]) / len(p)
            err = np.maximum([pt[1] for pt in points], ERROR_FLOOR)
            style = {"optimal": "-o", "optimal/lstsq": "-s", "song_choi": "*"}.get(label, "--.")
            color = "black" if label == "optimal/lstsq" else None
            ax.plot(load, err, style, label=label, color=color,
                    markersize=8 if label == "song_choi" else 4)
        ax.set_yscale("log")
        ax.set_xlabel("mean load (partitions per worker)")
        ax.set_ylabel("residual error (independent proxy)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
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
            results.append(((title, p), curve, load_table(p, curve)))
    text = markdown(results, loads_by_scenario)
    plots = []
    if settings.out is not None:
        png = plot(results, settings.out / "codes.png")
        if png:
            plots.append(png)
    headlines = []
    for (title, _), _, rows in results:
        target, needed, ours, best, best_load, *_ = rows[-1]
        headlines.append(f"codes, {title}: total load for error {target:.3g}: ours "
                         f"{ours:.0f} vs best baseline {best} {best_load:.0f}")
    return Section(NAME, text, plots, headlines)
