"""Exact convergence under stragglers: iterations and time to a 1e-8 relative gap.

Variance reduction (the control-variate decoder, skgc's default) against gradient descent
without stragglers, the paper's scheme (song_choi), our optimal code without variance
reduction, and ignoring stragglers; under the paper's straggler model (N = K = 10) and the
mixed model (20 workers: 10 at p = 0.05, 5 at 0.2, 5 at 0.5), with iid (shuffled) and
non-iid (contiguous blocks of sorted targets) partitions. Every scheme of a row sees the
same data, partitions and straggler draws; ratios are against GD in the same run.
Simulated time is the virtual clock (an iteration with a straggler lasts the deadline, one
without it lasts the slowest answer; "full" waits for the stragglers, 10x slower); real time
is measured on ``backend="loky"`` with injected delays (full run only).

Run: ``python benchmarks/bench_convergence.py [--quick] [--out DIR]``.
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge

from skgc import CodedGradientClassifier, CodedGradientRegressor
from skgc.stragglers import BernoulliStragglers, paper_model

TARGET = 1e-8
ALPHA = 1e-3
ALPHA_LOGISTIC = 5e-2  # breast_cancer is ill-conditioned: GD needs thousands of iterations below
SCHEMES = (  # label, code, stragglers on, variance reduction
    ("GD, no stragglers", "full", False, False),
    ("GD, waits for stragglers", "full", True, False),
    ("optimal + VR (skgc)", "optimal", True, True),
    ("optimal", "optimal", True, False),
    ("song_choi (paper)", "song_choi", True, False),
    ("ignore", "ignore", True, False),
)


class GapRecorder:
    """scikit-learn fit callback: the relative objective gap of every iterate."""

    def __init__(self, objective, best):
        self.objective, self.best, self.gaps = objective, best, []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, **kwargs):
        if context.task_name == "iteration":
            gap = self.objective(fitted_estimator) / self.best - 1.0
            self.gaps.append(gap)
            return gap < TARGET  # stop once the target is reached
        return False


def _regression(n_samples, seed):
    X, y = make_regression(n_samples=n_samples, n_features=30, effective_rank=10,
                           noise=5.0, random_state=seed)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = (y - y.mean()) / y.std()
    ridge = Ridge(alpha=ALPHA * len(y), solver="cholesky").fit(X, y)

    def objective(est):
        coef, b = est.coef_.ravel(), np.ravel(est.intercept_)[0]
        return 0.5 * np.mean((X @ coef + b - y) ** 2) + 0.5 * ALPHA * coef @ coef

    return "synthetic regression", CodedGradientRegressor, X, y, objective(ridge), objective


def _logistic(_n_samples, _seed):
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    exact = LogisticRegression(C=1 / (ALPHA_LOGISTIC * len(y)), tol=1e-14,
                               max_iter=100000).fit(X, y)

    def objective(est):
        coef, b = est.coef_.ravel(), np.ravel(est.intercept_)[0]
        margin = (2.0 * y - 1.0) * (X @ coef + b)
        return np.mean(np.logaddexp(0.0, -margin)) + 0.5 * ALPHA_LOGISTIC * coef @ coef

    return ("breast_cancer logistic", CodedGradientClassifier, X, y, objective(exact),
            objective)


def _models():
    mixed = BernoulliStragglers(np.r_[np.full(10, 0.05), np.full(5, 0.2), np.full(5, 0.5)])
    return (("paper (N=K=10)", 10, paper_model(10, random_state=0)), ("mixed (N=K=20)", 20, mixed))


def run_scheme(problem, n_workers, model, code, straggling, vr, iid, max_iter, seed,
               backend="simulated"):
    """Iterations and time (history_'s clock) to the target; None if not reached."""
    _, cls, X, y, best, objective = problem
    order = np.arange(len(y)) if iid else np.argsort(y, kind="stable")
    recorder = GapRecorder(objective, best)
    alpha = ALPHA if cls is CodedGradientRegressor else ALPHA_LOGISTIC
    est = cls(alpha=alpha, n_workers=n_workers, code=code, tol=None, max_iter=max_iter,
              stragglers=model if straggling else None, variance_reduction=vr,
              shuffle=iid, random_state=seed, backend=backend,
              **({"loss": "log_loss"} if cls is CodedGradientClassifier else {}))
    if backend != "simulated":
        est.set_params(deadline=0.02, estimate_stragglers=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        est.set_callbacks(recorder).fit(X[order], y[order])
        wall = time.perf_counter() - start
    reached = recorder.gaps[-1] < TARGET
    iterations = len(recorder.gaps) if reached else None
    return iterations, (est.history_["time"][-1] if reached else None), wall


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations, no real time")
    parser.add_argument("--out", type=Path, help="directory for results_convergence.md")
    args = parser.parse_args(argv)
    max_iter = 1500 if args.quick else 4000
    problems = [_regression(2000 if args.quick else 20000, 0), _logistic(None, 0)]
    lines = [f"Iterations (and simulated seconds) to a {TARGET:g} relative objective gap; "
             f"ratio = iterations / GD's; '—': not reached in {max_iter} iterations.", ""]
    header = "| problem | model | partitions | " + " | ".join(s[0] for s in SCHEMES) + " |"
    lines += [header, "|" + "---|" * (3 + len(SCHEMES))]
    for problem in problems:
        for model_name, n_workers, model in _models():
            for iid in (True, False):
                cells = []
                gd = None
                for label, code, straggling, vr in SCHEMES:
                    iters, clock, _ = run_scheme(problem, n_workers, model, code, straggling,
                                                 vr, iid, max_iter, seed=0)
                    gd = iters if gd is None else gd
                    cells.append("—" if iters is None else
                                 f"{iters} ({clock:.0f} s, x{iters / gd:.2f})")
                lines.append(f"| {problem[0]} | {model_name} | {'iid' if iid else 'non-iid'} | "
                             + " | ".join(cells) + " |")
                print(lines[-1], flush=True)
    if not args.quick:
        lines += ["", "Real wall-clock seconds on backend='loky' (deadline 20 ms, a straggler "
                  "sleeps 10x the deadline), mixed model, non-iid, synthetic regression:", "",
                  "| scheme | iterations | wall seconds | ratio to GD waiting for all |",
                  "|---|---|---|---|"]
        real = []
        for label, code, straggling, vr in SCHEMES[1:3] + SCHEMES[4:]:
            iters, _, wall = run_scheme(problems[0], 20, _models()[1][2], code, True, vr,
                                        False, 600, seed=0, backend="loky")
            real.append((label, iters, wall))
        for label, iters, wall in real:
            lines.append(f"| {label} | "
                         f"{iters or '—'} | {wall:.1f} | {wall / real[0][2]:.2f} |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results_convergence.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
