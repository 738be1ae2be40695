"""scikit-learn's fit callbacks: one task per iteration, early stop on request."""

import numpy as np
import pytest

from skgc import CodedGradientClassifier, CodedGradientRegressor

pytest.importorskip("sklearn.callback", reason="fit callbacks need scikit-learn >= 1.9")


class Recorder:
    """A FitCallback that scores the iterate of every iteration, and may ask to stop."""

    def __init__(self, X, y, stop_after=None):
        self.X, self.y, self.stop_after = X, y, stop_after
        self.scores, self.events = [], []

    def setup(self, estimator, context):
        self.events.append("setup")

    def teardown(self, estimator, context):
        self.events.append("teardown")

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None,
                          fitted_estimator=None):
        self.events.append("begin")

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None,
                        fitted_estimator=None):
        self.events.append("end")
        self.scores.append(fitted_estimator.score(self.X, self.y))
        return self.stop_after is not None and len(self.scores) >= self.stop_after


def test_every_iteration_is_a_task_with_a_fitted_estimator(regression_data):
    X, y = regression_data
    recorder = Recorder(X, y)
    reg = CodedGradientRegressor(max_iter=30, tol=None, random_state=0)
    reg.set_callbacks(recorder).fit(X, y)
    assert recorder.events[0] == "setup" and recorder.events[-1] == "teardown"
    assert recorder.events.count("end") == 31  # 30 iterations and the fit itself
    assert recorder.scores[-1] == pytest.approx(reg.score(X, y))
    assert recorder.scores[-2] == pytest.approx(reg.score(X, y))
    assert recorder.scores[0] < recorder.scores[-2]


def test_a_callback_can_stop_the_fit(binary_data):
    X, y = binary_data
    clf = CodedGradientClassifier(loss="log_loss", max_iter=100, tol=None, random_state=0)
    clf.set_callbacks(Recorder(X, y, stop_after=5)).fit(X, y)
    assert clf.n_iter_ == 5
    assert len(clf.history_["objective"]) == 5
    assert np.isfinite(clf.coef_).all()
