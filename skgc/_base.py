"""What the two estimators share: parameters, validation and the fit driver.

The estimators are thin: they validate the input, resolve the fit's plan
(:func:`skgc.plan.make_plan`: stragglers, deadline, code, partitions), run the chosen solver
on the plan's master and set the fitted attributes.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.linear_model._base import SparseCoefMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._callbacks import CallbackSupportMixin, IterationCallbacks, with_callbacks
from .backends import BACKENDS, Backend
from .coding import CODE_NAMES, GradientCode
from .master import CompleteGradientOracle, CurvatureOracle, uses_control_variate
from .objective import Datafit, Penalty, get_loss
from .plan import make_plan
from .solver import (SCHEDULES, SOLVERS, NewtonSettings, StepSchedule, coded_gradient_descent,
                     lbfgs_solver, newton_solver)
from .stragglers import StragglerModel

__all__ = ["BaseCodedGradient"]

# Attributes a fit sets; a failed fit leaves none of them behind.
_FITTED = ("coef_", "intercept_", "n_iter_", "t_", "history_", "code_", "stragglers_",
           "straggler_probs_", "deadline_", "solver_")


def _initial_smoothing(loss):
    """Smoothing width a non-smooth loss starts from, relative to its mean value at the
    start (2: a hinge's margins at zero all fall in the rounded band); None for a smooth
    loss."""
    return None if loss.smoothness is not None else 2.0


# SGD's message when the data make the computation overflow.
_OVERFLOW = ("Floating-point under-/overflow occurred at epoch #1. Scaling input data with "
             "StandardScaler or MinMaxScaler might help.")


class BaseCodedGradient(CallbackSupportMixin, SparseCoefMixin, BaseEstimator):
    """Parameters and fit driver shared by the regressor and the classifier."""

    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "shuffle": ["boolean"],
        "verbose": ["verbose"],
        "epsilon": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "learning_rate": [StrOptions(set(SCHEDULES))],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, None, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "average": [Interval(Integral, 0, None, closed="neither"), "boolean"],
        "n_workers": [Interval(Integral, 1, None, closed="left")],
        "n_partitions": [Interval(Integral, 1, None, closed="left"), None],
        "load": [Interval(Integral, 1, None, closed="left"), "array-like", None],
        "code": [StrOptions(CODE_NAMES), GradientCode],
        "stragglers": [None, Interval(Real, 0, 1, closed="both"), "array-like", StragglerModel],
        "backend": [StrOptions(set(BACKENDS)), Backend],
        "deadline": [Interval(Real, 0, None, closed="neither"),
                     StrOptions({"auto", "optimal"}), None],
        "variance_reduction": ["boolean"],
        "estimate_stragglers": ["boolean", StrOptions({"auto"})],
        "gradient_aware": ["boolean"],
        "solver": [StrOptions(set(SOLVERS))],
        "max_newton_features": [Interval(Integral, 1, None, closed="left")],
    }

    def _set_parameters(self, values):
        """Store the constructor's arguments (``locals()`` of a preset's ``__init__``) as
        attributes of the same names, as scikit-learn's parameters must be."""
        for name in self._get_param_names():
            setattr(self, name, values[name])

    # -- the scikit-learn methods shared by the presets --------------------------------

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask collection} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        coef_init : ndarray of shape (n_features,) or (n_classes, n_features), default=None
            Initial coefficients (the shape of ``coef_``).
        intercept_init : ndarray of shape (1,) or (n_classes,), default=None
            Initial intercept (the shape of ``intercept_``).
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        self._check_sgd_params()
        self._guarded(True, self._fit, X, y, sample_weight, coef_init, intercept_init, None,
                      incremental=False)
        self._warn_negative_power_t()
        return self

    def _partial_fit(self, X, y, sample_weight, classes=None):
        """One iteration on the batch ``X, y``, from the current model."""
        first = not hasattr(self, "coef_")
        if first:
            self._check_sgd_params(for_partial_fit=True)
        return self._guarded(first, self._fit, X, y, sample_weight, None, None, classes,
                             incremental=True)

    def _fit(self, X, y, sample_weight, coef_init, intercept_init, classes, incremental):
        X, Y, sample_weight = self._training_data(X, y, sample_weight, classes, incremental)
        return self._fit_arrays(X, Y, sample_weight, coef_init, intercept_init,
                                incremental=incremental)

    def _resets_features(self, incremental):
        """Whether validation records ``n_features_in_`` anew (not on a fitted
        ``partial_fit``, which checks it)."""
        return not (incremental and hasattr(self, "coef_"))

    # -- building blocks -------------------------------------------------------------

    def _check_learning_rate(self):
        if self.learning_rate == "optimal" and self.alpha == 0:
            raise ValueError(
                "alpha must be > 0 since learning_rate is 'optimal'. alpha is used to "
                "compute the optimal learning rate."
            )

    def _check_sgd_params(self, for_partial_fit=False):
        """SGD's checks of parameter combinations (``BaseSGD._more_validate_params``).

        ``fit`` runs them on every call, ``partial_fit`` on its first call, as SGD does.
        """
        if self.early_stopping and for_partial_fit:
            raise ValueError("early_stopping should be False with partial_fit")
        self._check_learning_rate()
        if self.penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError("l1_ratio must be set when penalty is 'elasticnet'")

    def _warn_negative_power_t(self):
        """SGD's deprecation warning for ``power_t < 0``, given at the end of ``fit``."""
        if self.power_t < 0:
            warnings.warn(
                "Negative values for `power_t` are deprecated in version 1.8 and will raise "
                "an error in 1.10. Use values in the range [0.0, inf) instead.",
                FutureWarning,
            )

    def _validate_X(self, X, reset):
        return validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32],
                             order="C", reset=reset)

    def _sample_weight(self, sample_weight, X):
        weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                      ensure_non_negative=True)
        if not weight.sum() > 0:
            raise ValueError("sample_weight sums to zero: at least one sample needs weight.")
        return weight

    def _schedule(self, plan, penalty):
        """The step-size schedule, from the objective's smoothness and the code's noise."""
        loss, code = plan.datafit.loss, plan.code
        smoothness = plan.datafit.smoothness(plan.data, random_state=plan.solver_seed) \
            + penalty.l2
        if self.learning_rate == "auto" and not np.isfinite(smoothness):
            raise ValueError(_OVERFLOW + " (learning_rate='auto' needs the smoothness "
                             "constant of the objective, which overflows.)")
        typw = np.sqrt(1.0 / np.sqrt(self.alpha)) if self.alpha > 0 else 1.0
        initial_eta0 = typw / max(1.0, abs(float(loss.derivative(1.0, -typw))))
        return StepSchedule(
            self.learning_rate, self.eta0, self.power_t, smoothness, penalty.l2,
            smooth=loss.smoothness is not None, noise=code.relative_variance,
            optimal_init=1.0 / (initial_eta0 * max(self.alpha, 1e-300)), alpha=self.alpha,
        )

    def _initial_params(self, n_features, n_outputs, coef_init, intercept_init):
        """Starting point: ``coef_init``/``intercept_init``, warm start or zeros."""
        coef = np.zeros((n_features, n_outputs))
        intercept = np.zeros(n_outputs)
        if self.warm_start and hasattr(self, "coef_"):
            coef_init = self.coef_ if coef_init is None else coef_init
            intercept_init = self.intercept_ if intercept_init is None else intercept_init
        if coef_init is not None:
            coef = self._coef_from_public(_finite(_dense(coef_init), "coef_init"),
                                          n_features, n_outputs)
        if intercept_init is not None:
            intercept = _finite(intercept_init, "intercept_init").reshape(-1)
            if intercept.shape != (n_outputs,):
                raise ValueError(
                    "Provided intercept_init does not match dataset. intercept_init has "
                    f"shape {np.shape(intercept_init)}; expected ({n_outputs},)."
                )
        return coef, intercept

    # -- the fit driver ------------------------------------------------------------

    def _run(self, X, Y, sample_weight, coef, intercept, *, max_iter, validation, t_start,
             tol, seed_offset=0, callbacks_on=False, incremental=False):
        """Resolve the plan and run the solver on its master.

        Returns the solver's result, the plan, the master and the solver's name; sets
        nothing on self.
        """
        plan = make_plan(
            X, Y, sample_weight, loss=self.loss, epsilon=self.epsilon,
            fit_intercept=self.fit_intercept, n_workers=self.n_workers,
            n_partitions=self.n_partitions, load=self.load, code=self.code,
            stragglers=self.stragglers, deadline=self.deadline, backend=self.backend,
            shuffle=self._shuffle_rule(X.shape[1], incremental),
            random_state=self._fit_seed(seed_offset))
        penalty = Penalty.from_sgd_params(self.penalty, self.alpha, self.l1_ratio)
        learn = self._learns_stragglers(plan.backend)
        with plan.run(variance_reduction=self.variance_reduction, estimate_stragglers=learn,
                      gradient_aware=self.gradient_aware,
                      delay_variance_reduction=True) as master:
            solver = self._resolve_solver(X.shape[1], plan.code, incremental)
            if solver != "gd":
                master.refine()  # gradient descent switches it on at its first stall
            callbacks = (IterationCallbacks(self, X, max_iter, self._public_coef)
                         if callbacks_on else None)
            on_iteration = callbacks and callbacks.on_iteration
            if solver == "newton":
                oracle = CurvatureOracle(master, self._holds_objective(plan),
                                         kinked=plan.datafit.loss.smoothness is None,
                                         partition_models=self._partition_models(plan))
                result = newton_solver(
                    oracle, coef, intercept, penalty,
                    self._newton_settings(plan, max_iter, tol),
                    validation_score=validation, n_iter_no_change=self.n_iter_no_change,
                    verbose=self.verbose, callback=on_iteration)
            elif solver == "lbfgs":
                result = lbfgs_solver(self._exact_gradients(master, plan.code), coef,
                                      intercept, penalty,
                                      max_iter=max_iter, tol=tol,
                                      smoothing=_initial_smoothing(plan.datafit.loss),
                                      diagonal=master.curvature_diagonal(),
                                      callback=on_iteration)
            else:
                result = self._gradient_descent(
                    master, plan, coef, intercept, penalty, max_iter=max_iter, tol=tol,
                    validation=validation, t_start=t_start, callback=on_iteration)
            if callbacks is not None:
                callbacks.close(result.coef, result.intercept)
        return result, plan, master, solver

    def _fit_seed(self, offset):
        """The seed of this fit's plan: ``random_state`` itself, or, for the
        ``offset``-th call of ``partial_fit``, a seed of its own."""
        if not offset:
            return self.random_state
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        return (seed + offset) % np.iinfo(np.int32).max

    def _resolve_solver(self, n_features, code, incremental):
        """The solver that ``solver="auto"`` means for this fit.

        Newton-type steps when the curvature model is small enough
        (``n_features < max_newton_features``), L-BFGS beyond (on exact values and
        gradients, under stragglers too: see :meth:`_exact_gradients`); coded gradient
        descent for ``partial_fit`` (one step on the batch, as SGD does), for an explicit
        learning-rate schedule or averaging (SGD's options that only gradient descent has),
        for the perceptron (its objective's minimiser is zero, a constant prediction: its
        own steps leave zero, since a sample on the boundary counts as misclassified),
        and, below ``max_newton_features``, when the decoded gradient keeps a noise floor
        (an inexact code without the control variate: gradient descent then averages its
        iterates, which Newton steps do not).
        """
        if self.solver != "auto":
            return self.solver
        if incremental or self.learning_rate != "auto" or self.average or (
                self.loss == "perceptron"):
            return "gd"
        if n_features >= self.max_newton_features:
            return "lbfgs"
        noisy = not code.waits_for_all and code.expected_residual_error > 1e-12
        if noisy and not uses_control_variate(code, self.variance_reduction):
            return "gd"
        return "newton"

    def _shuffle_rule(self, n_features, incremental):
        """``make_plan``'s ``shuffle``: False, or a function of the code that says whether
        the solver needs the samples shuffled into iid partitions.

        Newton and L-BFGS steps ask for every partition at every iterate (topped up under
        stragglers, :class:`skgc.master.CurvatureOracle`): which samples a partition
        holds cannot change what they see, and the shuffle's copy of the data (and its
        time: a random gather of every row) is skipped. Gradient descent decodes from
        whoever answered: it shuffles.
        """
        if not self.shuffle:
            return False
        return lambda code: self._resolve_solver(n_features, code, incremental) == "gd"

    def _exact_gradients(self, master, code):
        """What L-BFGS asks for values and gradients: the master's decoded ones when every
        worker answers every round; under stragglers, every partition's sums topped up
        at every iterate (:class:`skgc.master.CompleteGradientOracle`: exact, at the cost
        of the rounds that ask again for the partitions whose holders all straggled)."""
        if self._patience(code)[0]:
            return CompleteGradientOracle(master).gradient
        return master.gradient

    def _holds_objective(self, plan):
        """Whether the master answers gradients from the partitions' exact quadratic models
        once every partition has been delivered (squared loss: no more rounds, so no more
        waiting under stragglers, and no more passes over the data without)."""
        return plan.datafit.loss.constant_curvature

    def _partition_models(self, plan):
        """Whether the master answers Newton's requests from per-partition models that it
        completes at every iterate (a curvature that changes with the iterate, under
        stragglers: see :class:`skgc.master.CurvatureOracle`)."""
        return self._patience(plan.code)[0] and not plan.datafit.loss.constant_curvature

    def _newton_settings(self, plan, max_iter, tol):
        """Line search on exact values (no stragglers, or partition models completed at
        every iterate); with decoded estimates, half steps until every worker has
        answered once (unit steps from then on) and a stop that needs the decrement small
        for ``patience`` iterations."""
        loss = plan.datafit.loss
        stochastic, patience = self._patience(plan.code)
        stochastic = stochastic and not self._partition_models(plan)
        damping = 0.5 if stochastic else 1.0
        return NewtonSettings(max_iter=max_iter, tol=tol, stochastic=stochastic,
                              damping=damping, patience=patience if stochastic else 1,
                              constant_curvature=loss.constant_curvature,
                              smoothing=_initial_smoothing(loss))

    def _gradient_descent(self, master, plan, coef, intercept, penalty, *, max_iter, tol,
                          validation, t_start, callback):
        """The paper's algorithm: (proximal) coded gradient descent with SGD's schedules."""
        code = plan.code
        schedule = self._schedule(plan, penalty)
        noisy = (not code.waits_for_all) and code.expected_residual_error > 1e-12
        stochastic, patience = self._patience(code)
        refine = master.refine if master.variance_reduced else None
        return coded_gradient_descent(
            master.gradient, coef, intercept, penalty, schedule, max_iter=max_iter,
            tol=tol, n_iter_no_change=patience, average=self.average, noisy=noisy,
            stochastic=stochastic, refine=refine, validation_score=validation,
            t_start=t_start, verbose=self.verbose, callback=callback,
        )

    def _patience(self, code):
        """Whether answers are random, and the iterations without improvement that stop.

        Under stragglers the objective estimate fluctuates, and a control-variate decoder
        refreshes a worker's message only when it answers: a stall must then last
        ``n_iter_no_change`` times the mean staleness ``1 / (1 - mean p)`` to count.
        """
        if not code.expects_stragglers:
            return False, self.n_iter_no_change
        staleness = 1.0 / max(1.0 - float(np.mean(code.straggler_probs)), 1e-3)
        return True, int(np.ceil(self.n_iter_no_change * staleness))

    def _learns_stragglers(self, backend):
        """``estimate_stragglers="auto"``: learn them on real backends given no model."""
        if self.estimate_stragglers != "auto":
            return bool(self.estimate_stragglers)
        return self.stragglers is None and not backend.virtual_clock

    def _fit_arrays(self, X, Y, sample_weight, coef_init, intercept_init, *, incremental):
        """Fit on validated arrays and set the fitted attributes all at once."""
        self._check_learning_rate()
        coef, intercept = self._initial_params(X.shape[1], Y.shape[1], coef_init,
                                               intercept_init)
        if incremental and hasattr(self, "coef_"):
            coef, intercept = self._coef_from_public(_dense(self.coef_), X.shape[1], Y.shape[1]), \
                np.asarray(self.intercept_, dtype=np.float64).copy()
        previous_t = getattr(self, "t_", 1) if incremental else 1
        previous_iter = (previous_t - 1) // max(X.shape[0], 1) if incremental else 0
        validation = None
        if self.early_stopping and not incremental:
            X, Y, sample_weight, validation = self._split_validation(X, Y, sample_weight)
        result, plan, master, solver = self._run(
            X, Y, sample_weight, coef, intercept,
            max_iter=1 if incremental else self.max_iter, validation=validation,
            t_start=previous_iter, tol=None if incremental else self.tol,
            seed_offset=previous_iter, callbacks_on=not incremental, incremental=incremental,
        )
        for name in _FITTED:
            if hasattr(self, name):
                delattr(self, name)
        self.coef_, self.intercept_ = self._public_coef(result.coef, result.intercept)
        self._cast_to_input_dtype(X.dtype)
        self.n_iter_ = result.n_iter
        self.t_ = (previous_t - 1 if incremental else 0) + result.n_iter * X.shape[0] + 1
        self.history_ = result.history
        self.code_, self.stragglers_ = master.code, plan.stragglers
        self.straggler_probs_ = np.array(master.straggler_probs, dtype=float)
        self.deadline_ = plan.deadline
        self.solver_ = solver
        return self

    def _cast_to_input_dtype(self, dtype):
        """SGD's dtypes: ``coef_`` in X's dtype, and ``intercept_`` too when there are
        several outputs (SGD keeps a single intercept as a Python float: float64)."""
        self.coef_ = self.coef_.astype(dtype, copy=False)
        if np.size(self.intercept_) > 1:
            self.intercept_ = self.intercept_.astype(dtype, copy=False)

    def _split_validation(self, X, Y, sample_weight):
        """Hold out ``validation_fraction`` of the samples for early stopping."""
        train, test = self._validation_split(Y, sample_weight)
        X_val, Y_val, w_val = X[test], Y[test], sample_weight[test]
        datafit = Datafit(get_loss(self.loss, self.epsilon), self.fit_intercept)

        def score(coef, intercept):
            return self._validation_score(datafit.predict(X_val, coef, intercept), Y_val,
                                          w_val)

        return X[train], Y[train], sample_weight[train], score

    def _guarded(self, fresh, fit, *args, **kwargs):
        """Run ``fit(*args, **kwargs)``; if it fails, leave no half-fitted state.

        Floating-point errors are not signalled by numpy (whatever ``np.errstate`` says):
        the solver checks the objective and raises SGD's ValueError when it is not finite.
        A fresh fit that fails removes every fitted attribute; a failed ``partial_fit`` on a
        fitted estimator leaves the previous model untouched (attributes are only set once
        the solver has succeeded).
        """
        try:
            with np.errstate(all="ignore"):  # as SGD: non-finite results raise ValueError
                return fit(*args, **kwargs)
        except BaseException:
            if fresh:
                for name in _FITTED + ("classes_", "n_features_in_", "feature_names_in_"):
                    if hasattr(self, name):
                        delattr(self, name)
            raise

    def _decision(self, X):
        check_is_fitted(self, "coef_")
        X = self._validate_X(X, reset=False)
        coef = self._coef_from_public(_dense(self.coef_), X.shape[1], np.size(self.intercept_))
        scores = Datafit(None).predict(X, coef, np.asarray(self.intercept_, dtype=np.float64))
        # computed in float64, returned in the dtype SGD's X @ coef_.T + intercept_ has
        dtype = np.result_type(X.dtype, self.coef_.dtype, np.asarray(self.intercept_).dtype)
        return scores.astype(dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _dense(coef):
    """``coef`` as a float64 array (``coef_`` may be sparse after ``sparsify``)."""
    return np.asarray(coef.toarray() if sp.issparse(coef) else coef, dtype=np.float64)


def _check_validation_weights(weight):
    """SGD's error when no validation sample has weight (early stopping cannot score)."""
    if not np.any(weight > 0):
        raise ValueError(
            "The sample weights for validation set are all zero, consider using a "
            "different random state."
        )


def _finite(values, name):
    """``values`` as a float array, refused when it holds NaN or infinity."""
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"{name} must be finite; it contains NaN or infinity.")
    return values
