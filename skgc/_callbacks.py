"""scikit-learn's fit callbacks (1.9+): one task per fit, one sub-task per iteration.

With scikit-learn 1.9 or later, ``estimator.set_callbacks(...)`` accepts any
:class:`sklearn.callback.FitCallback` (e.g. ``sklearn.callback.ProgressBar()``, which needs
``rich``); a callback's ``on_fit_task_end`` returning True stops the fit after that
iteration. With older versions the estimators simply have no ``set_callbacks``.
"""

try:
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # scikit-learn < 1.9
    class CallbackSupportMixin:  # noqa: D101 - nothing to support
        pass

    def with_callbacks(method):
        return method

__all__ = ["CallbackSupportMixin", "with_callbacks", "IterationCallbacks"]


class IterationCallbacks:
    """Forwards the solver's per-iteration callback to scikit-learn's callback hooks.

    Parameters
    ----------
    estimator : BaseCodedGradient
        The estimator being fitted.
    X : array-like
        The training data.
    max_iter : int
    to_public : callable
        ``to_public(coef, intercept) -> (coef_, intercept_)``: the solver's iterate as the
        estimator's fitted attributes.
    """

    def __init__(self, estimator, X, max_iter, to_public):
        self.estimator, self.X, self.to_public = estimator, X, to_public
        self.context = None
        if hasattr(estimator, "_init_callback_context"):
            self.context = estimator._init_callback_context(max_subtasks=max_iter)
            self.context.call_on_fit_task_begin(estimator=estimator, X=X)

    def _attributes(self, coef, intercept):
        coef_, intercept_ = self.to_public(coef, intercept)
        return {"coef_": coef_, "intercept_": intercept_}

    def on_iteration(self, iteration, coef, intercept):
        """Run the hooks of one iteration; True when a callback asks to stop."""
        if self.context is None:
            return False
        task = self.context.subcontext(task_name="iteration")
        task.call_on_fit_task_begin(estimator=self.estimator)
        return bool(task.call_on_fit_task_end(
            estimator=self.estimator, reconstruction_attributes=self._attributes(
                coef, intercept)))

    def close(self, coef, intercept):
        """The end of the fit task."""
        if self.context is not None:
            self.context.call_on_fit_task_end(
                estimator=self.estimator, X=self.X,
                reconstruction_attributes=self._attributes(coef, intercept))
