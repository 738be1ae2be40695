"""Benchmark problems: data, the exact optimum, and the true objective of any iterate.

The objective is skgc's (and SGD's): ``mean loss + alpha / 2 ||w||^2`` with an unpenalised
intercept, so the exact solvers are ``Ridge(alpha=n * alpha)`` and
``LogisticRegression(C=1 / (n * alpha))``.
"""

from dataclasses import dataclass

import numpy as np

from skgc.objective import get_loss

__all__ = ["Problem", "regression_problem", "classification_problem", "trace_objective",
           "GapRecorder", "estimator_for"]


@dataclass
class Problem:
    """A training set, its objective and the objective's exact minimum.

    ``Y`` holds the targets as the solver sees them (one column; ``{-1, +1}`` in
    classification). ``sorted_`` tells whether the rows are sorted by target / class
    (contiguous partitions are then non-iid).
    """

    name: str
    kind: str  # "regression" or "classification"
    X: np.ndarray
    y: np.ndarray
    alpha: float
    f_star: float = None

    def __post_init__(self):
        self.loss = get_loss("squared_error" if self.kind == "regression" else "log_loss")
        if self.kind == "regression":
            self.Y = np.asarray(self.y, dtype=float)[:, None]
        else:
            classes = np.unique(self.y)
            self.Y = np.where(self.y == classes[-1], 1.0, -1.0)[:, None]
        if self.f_star is None:
            self.f_star = self.objective(*self.exact())

    @property
    def n_samples(self):
        return self.X.shape[0]

    def objective(self, coef, intercept):
        """``mean loss + alpha / 2 ||coef||^2`` at ``(coef, intercept)`` (least squares:
        from the Gram matrix, without a pass over the data)."""
        coef = np.asarray(coef, dtype=float).reshape(-1)
        if self.kind == "regression" and isinstance(self.X, np.ndarray) \
                and self.X.shape[1] <= 2000:
            w = np.r_[coef, np.ravel(intercept)[0]]
            gram, xty, yty = self._moments()
            return float(0.5 * (w @ gram @ w - 2.0 * xty @ w + yty)
                         + 0.5 * self.alpha * coef @ coef)
        pred = np.asarray(self.X @ coef).reshape(-1) + float(np.ravel(intercept)[0])
        return float(np.mean(self.loss.value(self.Y[:, 0], pred))
                     + 0.5 * self.alpha * coef @ coef)

    def _moments(self):
        """``([X, 1]^T [X, 1] / n, [X, 1]^T y / n, y^T y / n)``, computed once."""
        if getattr(self, "_gram", None) is None:
            Z = np.column_stack([self.X, np.ones(self.n_samples)])
            y = self.Y[:, 0]
            self._gram = (Z.T @ Z / self.n_samples, Z.T @ y / self.n_samples,
                          float(y @ y) / self.n_samples)
        return self._gram

    def exact(self):
        """``(coef, intercept)`` of the exact solver with matched regularisation."""
        n = self.n_samples
        if self.kind == "regression":
            from sklearn.linear_model import Ridge

            model = Ridge(alpha=self.alpha * n, tol=1e-12).fit(self.X, self.y)
            return model.coef_, model.intercept_
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1.0 / (n * self.alpha), tol=1e-12, max_iter=10_000)
        model.fit(self.X, self.Y[:, 0])
        return model.coef_[0], model.intercept_[0]

    def relative_gap(self, value):
        """``(f - f*) / |f*|``."""
        return (value - self.f_star) / abs(self.f_star)

    def sorted(self):
        """The same problem with its rows sorted by target (class): contiguous
        partitions are then non-iid."""
        order = np.argsort(self.Y[:, 0], kind="stable")
        return Problem(self.name, self.kind, self.X[order], self.y[order], self.alpha,
                       self.f_star)


def _standardize(X):
    X = np.asarray(X, dtype=float)
    return (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)


def regression_problem(name, n_samples=None, n_features=None, alpha=1e-3, seed=0,
                       exact=True):
    """``"diabetes"`` (ships with scikit-learn) or ``"synthetic"`` (``n_samples`` x
    ``n_features``, correlated features of varied scales, noisy linear target); features
    standardised, target scaled to unit variance. ``exact=False``: skip the exact solve
    (``f_star`` is then nan)."""
    if name == "diabetes":
        from sklearn.datasets import load_diabetes

        X, y = load_diabetes(return_X_y=True)
    else:
        rng = np.random.default_rng(seed)
        mix = rng.standard_normal((n_features, n_features)) / np.sqrt(n_features)
        X = rng.standard_normal((n_samples, n_features)) @ (np.eye(n_features) + mix)
        y = X @ rng.standard_normal(n_features) + 2.0 * rng.standard_normal(n_samples)
    y = np.asarray(y, dtype=float)
    return Problem(name, "regression", _standardize(X), (y - y.mean()) / y.std(), alpha,
                   None if exact else np.nan)


def classification_problem(name, n_samples=None, n_features=None, alpha=1e-3, seed=0,
                           exact=True):
    """``"breast_cancer"`` (ships with scikit-learn) or ``"synthetic"``
    (``make_classification``, balanced, 10% label noise); features standardised.
    ``exact=False``: skip the exact solve (``f_star`` is then nan)."""
    if name == "breast_cancer":
        from sklearn.datasets import load_breast_cancer

        X, y = load_breast_cancer(return_X_y=True)
    else:
        from sklearn.datasets import make_classification

        X, y = make_classification(n_samples, n_features, n_informative=n_features // 2,
                                   flip_y=0.1, class_sep=0.8, random_state=seed)
    return Problem(name, "classification", _standardize(X), y, alpha,
                   None if exact else np.nan)


class GapRecorder:
    """scikit-learn fit callback: the relative gap of every iterate of a fit.

    Parameters
    ----------
    problem : Problem
    target : float or None, default=None
        Stop the fit once the gap is below ``target``.
    """

    def __init__(self, problem, target=None):
        self.problem, self.target, self.gaps = problem, target, []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, **kwargs):
        if context.task_name != "iteration":
            return False
        value = self.problem.objective(fitted_estimator.coef_, fitted_estimator.intercept_)
        self.gaps.append(self.problem.relative_gap(value))
        return self.target is not None and self.gaps[-1] < self.target


def estimator_for(problem, **params):
    """The skgc estimator of ``problem``'s kind, with its loss and alpha."""
    from skgc import CodedGradientClassifier, CodedGradientRegressor

    cls = CodedGradientRegressor if problem.kind == "regression" else CodedGradientClassifier
    return cls(loss=problem.loss.name, alpha=problem.alpha, **params)


def trace_objective(problem, code_name, stragglers, *, shuffle, seed, max_iter,
                    n_workers=10, variance_reduction=False, solver="gd"):
    """Relative objective gap of every iterate of one fit (``tol=None``: ``max_iter``).

    ``solver="gd"`` (the default) runs the paper's algorithm, coded gradient descent.

    The estimator itself runs (simulated backend), its iterates read through scikit-learn's
    fit callbacks. The seed fixes the code's construction, the partition shuffle and the
    straggler draws: the same seed gives every scheme the same draws.

    Returns
    -------
    gaps : ndarray of shape (max_iter,)
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    est = estimator_for(problem, n_workers=n_workers, code=code_name, stragglers=stragglers,
                        shuffle=shuffle, random_state=seed, tol=None, max_iter=max_iter,
                        variance_reduction=variance_reduction, solver=solver)
    recorder = GapRecorder(problem)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.set_callbacks(recorder).fit(problem.X, problem.y)
    return np.asarray(recorder.gaps)
