"""skgc.plotting.plot_history: which lines it draws and with what data (not pixels)."""

import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import make_regression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skgc import CodedGradientRegressor  # noqa: E402
from skgc.plotting import plot_history  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted():
    X, y = make_regression(n_samples=120, n_features=4, noise=1.0, random_state=0)
    return CodedGradientRegressor(n_workers=6, stragglers=0.3, max_iter=30, tol=None,
                                  random_state=0).fit(X, y)


def _history(n=5):
    return {"objective": np.array([4.0, 3.0, np.nan, 2.0, 1.5])[:n],
            "n_alive": np.array([3, 2, 0, 3, 1])[:n],
            "time": np.cumsum(np.ones(n)),
            "step": np.ones(n)}


def test_three_panels_with_the_history_data(fitted):
    axes = plot_history(fitted)
    assert len(axes) == 3
    assert all(ax.figure is axes[0].figure for ax in axes)
    history = fitted.history_
    n = len(history["objective"])
    iterations = np.arange(1, n + 1)
    (obj,) = axes[0].get_lines()
    np.testing.assert_array_equal(obj.get_xdata(), iterations)
    # no optimum given: the gap to the best value seen, on a log scale
    objective = np.asarray(history["objective"])
    gap = objective - objective.min()
    drawn = obj.get_ydata()
    np.testing.assert_allclose(drawn[gap > 0], gap[gap > 0])
    assert np.isnan(drawn[gap == 0]).all() and (gap == 0).sum() >= 1
    assert axes[0].get_yscale() == "log"
    assert axes[0].get_ylabel() == "objective - best value seen"
    assert axes[2].get_ylabel() == "virtual time (simulation)"
    alive_lines = axes[1].get_lines()
    np.testing.assert_array_equal(alive_lines[0].get_ydata(), history["n_alive"])
    # the dotted line at the number of workers, taken from code_
    assert len(alive_lines) == 2
    np.testing.assert_array_equal(alive_lines[1].get_ydata(), [6, 6])
    (time,) = axes[2].get_lines()
    np.testing.assert_array_equal(time.get_xdata(), iterations)
    np.testing.assert_allclose(time.get_ydata(), history["time"])
    assert axes[1].get_ylabel() == "workers answering"


def test_accepts_a_history_dict_and_time_axis():
    history = _history()
    axes = plot_history(history, x="time")
    (obj,) = axes[0].get_lines()
    np.testing.assert_array_equal(obj.get_xdata(), history["time"])
    assert axes[0].get_xlabel() == "time"  # a bare history: the clock is not known
    # no estimator, no n_workers: no reference line
    assert len(axes[1].get_lines()) == 1
    axes = plot_history(history, n_workers=3)
    assert len(axes[1].get_lines()) == 2


def test_pipeline_is_unwrapped(fitted):
    X, y = make_regression(n_samples=60, n_features=3, random_state=1)
    pipe = make_pipeline(StandardScaler(), CodedGradientRegressor(
        n_workers=4, max_iter=10, tol=None, random_state=0)).fit(X, y)
    objective = pipe[-1].history_["objective"]
    axes = plot_history(pipe, optimum=objective.min() - 1.0)
    np.testing.assert_allclose(axes[0].get_lines()[0].get_ydata(),
                               objective - objective.min() + 1.0)


def test_optimum_gives_a_log_gap_and_drops_nonpositive_gaps():
    history = _history()
    axes = plot_history(history, optimum=2.0)
    assert axes[0].get_yscale() == "log"
    gap = axes[0].get_lines()[0].get_ydata()
    np.testing.assert_allclose(gap[:2], [2.0, 1.0])
    assert np.isnan(gap[2:]).all()  # NaN objective, zero gap, negative gap


def test_overlay_on_given_axes_with_labels_and_kwargs():
    _, ax = plt.subplots(1, 3)
    plot_history(_history(), ax=ax, label="first", color="C3")
    axes = plot_history(_history(4), ax=ax, label="second", linestyle="--")
    assert [len(a.get_lines()) for a in axes] == [2, 2, 2]
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == ["first", "second"]
    first, second = axes[0].get_lines()
    assert matplotlib.colors.same_color(first.get_color(), "C3")
    assert second.get_linestyle() == "--"


@pytest.mark.parametrize("kwargs, match", [
    ({"x": "epoch"}, "x must be"),
    ({"ax": None, "optimum": None}, None),
])
def test_x_validation(kwargs, match):
    if match is None:
        plot_history(_history(), **kwargs)
    else:
        with pytest.raises(ValueError, match=match):
            plot_history(_history(), **kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="fitted skgc estimator"):
        plot_history(CodedGradientRegressor())
    with pytest.raises(ValueError, match="'n_alive'"):
        plot_history({"objective": [1.0], "time": [1.0]})
    _, ax = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="three Axes"):
        plot_history(_history(), ax=ax)


def test_missing_matplotlib_names_the_plot_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skgc\[plot\]"):
        plot_history(_history())


def test_a_flat_history_draws_the_objective_itself():
    history = {"objective": np.array([2.0, 2.0]), "n_alive": np.array([1, 1]),
               "time": np.array([1.0, 2.0])}
    axes = plot_history(history)
    np.testing.assert_allclose(axes[0].get_lines()[0].get_ydata(), [2.0, 2.0])
    assert axes[0].get_yscale() == "linear" and axes[0].get_ylabel() == "objective"


def test_real_backends_count_seconds():
    X, y = make_regression(n_samples=60, n_features=3, random_state=1)
    fit = CodedGradientRegressor(n_workers=2, max_iter=3, tol=None, backend="threading",
                                 random_state=0).fit(X, y)
    axes = plot_history(fit, x="time")
    assert axes[0].get_xlabel() == axes[2].get_ylabel() == "wall-clock time (s)"
