"""Plots of a fit's history: objective, workers answering, time.

matplotlib is optional: install it with ``pip install "skgc[plot]"``.
"""

import numpy as np

__all__ = ["plot_history"]

_PANELS = ("objective", "n_alive", "time")


def _history_of(estimator_or_history):
    """The history dict, the number of workers (None if unknown) and the label of its
    clock."""
    history = estimator_or_history
    n_workers, clock = None, "time"
    if hasattr(estimator_or_history, "steps"):  # a Pipeline: its final estimator
        history = estimator_or_history[-1]
    if not isinstance(history, dict):
        fitted = history
        if not hasattr(fitted, "history_"):
            raise ValueError(
                "plot_history needs a fitted skgc estimator (or a Pipeline ending in one) "
                f"or its history_ dict; got {type(estimator_or_history).__name__} without "
                "history_."
            )
        history = fitted.history_
        code = getattr(fitted, "code_", None)
        n_workers = getattr(code, "n_workers", None)
        clock = _clock_label(getattr(fitted, "backend", None))
    missing = [key for key in _PANELS if key not in history]
    if missing:
        raise ValueError(f"the history has no {', '.join(map(repr, missing))} entry.")
    return history, n_workers, clock


def _clock_label(backend):
    """The simulated backend keeps a virtual clock; the others, seconds."""
    name = backend if isinstance(backend, str) else getattr(backend, "name", None)
    if name is None:
        return "time"
    return "virtual time (simulation)" if name == "simulated" else "wall-clock time (s)"


def _gap_to(objective, optimum):
    """``objective - optimum`` where positive, NaN elsewhere (a log scale cannot draw
    them)."""
    gap = objective - optimum
    return np.where(gap > 0, gap, np.nan)


def plot_history(estimator_or_history, ax=None, *, x="iteration", optimum=None, label=None,
                 n_workers=None, **plot_kwargs):
    """Draw a fit's history: objective, workers answering and elapsed time.

    Call it several times on the same axes (with a ``label`` each) to compare fits.

    Parameters
    ----------
    estimator_or_history : estimator, Pipeline or dict
        A fitted :class:`~skgc.CodedGradientRegressor` or
        :class:`~skgc.CodedGradientClassifier`, a Pipeline ending in one, or a
        ``history_`` dict (with at least "objective", "n_alive" and "time").
    ax : sequence of three matplotlib Axes or None, default=None
        Where to draw the objective, the workers answering and the time, in that order.
        None: a new figure with three panels side by side.
    x : {"iteration", "time"}, default="iteration"
        The horizontal axis of the objective and workers panels: the iteration number or
        the cumulative time (a virtual clock on the simulated backend, seconds on the
        others). The time panel always plots time against iterations.
    optimum : float or None, default=None
        The optimal objective value, if known (for instance from an exact solver). The
        first panel shows the gap ``objective - optimum`` on a log scale. None: the gap to
        the best value the history holds (a linear scale of the objective itself goes
        flat after a few iterations and hides the rest of the convergence); the best
        iterate is then not drawn (its gap is zero). If no value is above the best, the
        objective itself is drawn.
    label : str or None, default=None
        Legend label of this fit's lines.
    n_workers : int or None, default=None
        Draws a dotted line at this many workers on the second panel. Taken from the
        estimator's ``code_`` when an estimator is given.
    **plot_kwargs
        Passed to every ``Axes.plot`` call (``color``, ``linestyle``, ...).

    Returns
    -------
    axes : ndarray of three matplotlib Axes
        The objective, workers and time panels.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    ValueError
        If the input has no history or ``x`` is not one of the accepted values.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_regression
    >>> from skgc import CodedGradientRegressor
    >>> from skgc.plotting import plot_history
    >>> X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    >>> reg = CodedGradientRegressor(stragglers=0.3, random_state=0).fit(X, y)
    >>> axes = plot_history(reg, label="p = 0.3")
    >>> len(axes)
    3
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "skgc.plotting.plot_history needs matplotlib; install it with "
            "pip install \"skgc[plot]\" (or pip install matplotlib)."
        ) from exc

    if x not in ("iteration", "time"):
        raise ValueError(f'x must be "iteration" or "time"; got {x!r}.')
    history, fitted_workers, clock = _history_of(estimator_or_history)
    if n_workers is None:
        n_workers = fitted_workers

    if ax is None:
        _, ax = plt.subplots(1, 3, figsize=(12, 3.5), layout="constrained")
    axes = np.asarray(ax, dtype=object).ravel()
    if len(axes) != 3:
        raise ValueError(f"ax must hold three Axes; got {len(axes)}.")
    ax_obj, ax_alive, ax_time = axes

    objective = np.asarray(history["objective"], dtype=float)
    n_alive = np.asarray(history["n_alive"], dtype=float)
    time = np.asarray(history["time"], dtype=float)
    iterations = np.arange(1, len(objective) + 1)
    horizontal = iterations if x == "iteration" else time
    xlabel = "iteration" if x == "iteration" else clock

    reference = optimum
    if reference is None and np.isfinite(objective).any():
        reference = np.nanmin(objective)
    gap = None if reference is None else _gap_to(objective, float(reference))
    if gap is not None and np.isfinite(gap).any():
        ax_obj.plot(horizontal, gap, label=label, **plot_kwargs)
        ax_obj.set_yscale("log")
        ax_obj.set_ylabel("objective - optimum" if optimum is not None
                          else "objective - best value seen")
    else:
        ax_obj.plot(horizontal, objective, label=label, **plot_kwargs)
        ax_obj.set_ylabel("objective")
    ax_obj.set_xlabel(xlabel)
    ax_obj.set_title("training objective")

    ax_alive.plot(horizontal, n_alive, label=label, **plot_kwargs)
    if n_workers is not None:
        ax_alive.axhline(n_workers, color="0.5", linestyle=":", linewidth=1)
    ax_alive.set_ylim(bottom=0)
    ax_alive.set_xlabel(xlabel)
    ax_alive.set_ylabel("workers answering")
    ax_alive.set_title("workers that answered in time")

    ax_time.plot(iterations, time, label=label, **plot_kwargs)
    ax_time.set_xlabel("iteration")
    ax_time.set_ylabel(clock)
    ax_time.set_title("elapsed time")

    if label is not None:
        ax_obj.legend()
    return axes
