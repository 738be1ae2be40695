"""What the two estimators share: parameters, validation and the fit driver.

The estimators are thin: they validate the input, build the objective (data partitions,
loss, penalty), the code and the straggler model, and hand an oracle to the solver.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._callbacks import CallbackSupportMixin, IterationCallbacks
from .backends import BACKENDS, Backend, GramRefresh, Master, backend_class, make_backend
from .coding import CODE_NAMES, GradientCode, default_load, make_code
from .deadline import choose_deadline
from .objective import Datafit, PartitionedData, Penalty, get_loss
from .solver import SCHEDULES, StepSchedule, coded_gradient_descent
from .stragglers import StragglerModel, check_stragglers

__all__ = ["BaseCodedGradient"]

# Attributes a fit sets; a failed fit leaves none of them behind.
_FITTED = ("coef_", "intercept_", "n_iter_", "t_", "history_", "code_", "stragglers_",
           "straggler_probs_", "deadline_")


class BaseCodedGradient(CallbackSupportMixin, BaseEstimator):
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
        "code": [StrOptions(set(CODE_NAMES)), GradientCode],
        "stragglers": [None, Interval(Real, 0, 1, closed="both"), "array-like", StragglerModel],
        "backend": [StrOptions(set(BACKENDS)), Backend],
        "deadline": [Interval(Real, 0, None, closed="neither"),
                     StrOptions({"auto", "optimal"}), None],
        "variance_reduction": ["boolean"],
        "estimate_stragglers": ["boolean", StrOptions({"auto"})],
        "gradient_aware": ["boolean"],
    }

    # -- building blocks -------------------------------------------------------------

    def _check_learning_rate(self):
        if self.learning_rate == "optimal" and self.alpha == 0:
            raise ValueError(
                "alpha must be > 0 since learning_rate is 'optimal'. alpha is used to "
                "compute the optimal learning rate."
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

    def _build_code(self, n_samples, seed):
        """The straggler model and the code for this fit."""
        n_partitions = self.n_partitions
        if n_partitions is None:
            n_partitions = min(self.n_workers, n_samples)
        elif n_partitions > n_samples:
            raise ValueError(
                f"n_partitions={n_partitions} is more than the number of samples "
                f"({n_samples} sample{'' if n_samples == 1 else 's'}); use at most "
                f"{n_samples} partitions."
            )
        stragglers = check_stragglers(self.stragglers, self.n_workers)
        load = None if self.load is None else (
            self.load if np.isscalar(self.load) else np.asarray(self.load))
        deadline = None if self.deadline == "auto" else self.deadline
        if deadline == "optimal":
            deadline = self._optimal_deadline(stragglers, n_partitions, load, seed)
        probs = backend_class(self.backend).straggler_probs(stragglers, deadline)
        code = make_code(self.code, self.n_workers, n_partitions, load=load,
                         straggler_probs=probs, random_state=seed)
        return stragglers, code, deadline

    def _optimal_deadline(self, stragglers, n_partitions, load, seed):
        """``deadline="optimal"``: the deadline of least expected time to accuracy."""
        if not isinstance(self.code, str) or load is not None and not np.isscalar(load):
            raise ValueError(
                "deadline='optimal' needs a code given by name and a single integer load."
            )
        loads = (load if load is not None else default_load(self.n_workers, n_partitions),)
        return choose_deadline(stragglers, loads=loads, code=self.code,
                               n_partitions=n_partitions, random_state=seed).deadline

    def _schedule(self, loss, datafit, data, code, penalty, seed):
        """The step-size schedule, from the objective's smoothness and the code's noise."""
        smoothness = datafit.smoothness(data, random_state=seed) + penalty.l2
        typw = np.sqrt(1.0 / np.sqrt(self.alpha)) if self.alpha > 0 else 1.0
        initial_eta0 = typw / max(1.0, abs(float(loss.derivative(1.0, -typw))))
        return StepSchedule(
            self.learning_rate, self.eta0, self.power_t, smoothness, penalty.l2,
            smooth=loss.smoothness is not None, noise=code.relative_variance,
            optimal_init=1.0 / (initial_eta0 * max(self.alpha, 1e-300)),
        )

    def _initial_params(self, n_features, n_outputs, coef_init, intercept_init):
        """Starting point: ``coef_init``/``intercept_init``, warm start or zeros."""
        coef = np.zeros((n_features, n_outputs))
        intercept = np.zeros(n_outputs)
        if self.warm_start and hasattr(self, "coef_") and coef_init is None:
            coef_init, intercept_init = self.coef_, self.intercept_
        if coef_init is not None:
            coef = self._coef_from_public(_finite(coef_init, "coef_init"), n_features,
                                          n_outputs)
        if intercept_init is not None and self.fit_intercept:
            intercept = _finite(intercept_init, "intercept_init").reshape(-1)
            if intercept.shape != (n_outputs,):
                raise ValueError(
                    f"intercept_init has shape {intercept.shape}; expected ({n_outputs},)."
                )
        return coef, intercept

    # -- the fit driver ------------------------------------------------------------

    def _run(self, X, Y, sample_weight, coef, intercept, *, max_iter, validation, t_start,
             tol, seed_offset=0, callbacks_on=False):
        """Partition the data, build the code and run coded gradient descent.

        Returns the solver's result and the fitted building blocks; sets nothing on self.
        """
        random_state = check_random_state(self.random_state)
        seeds = random_state.randint(np.iinfo(np.int32).max, size=5) + seed_offset
        seeds %= np.iinfo(np.int32).max
        loss = get_loss(self.loss, self.epsilon)
        penalty = Penalty.from_sgd_params(self.penalty, self.alpha, self.l1_ratio)
        stragglers, code, deadline = self._build_code(X.shape[0], int(seeds[0]))
        data = PartitionedData(X, Y, sample_weight, code.n_partitions, self.shuffle,
                               int(seeds[1]))
        datafit = Datafit(loss, self.fit_intercept)
        schedule = self._schedule(loss, datafit, data, code, penalty, int(seeds[2]))
        backend = make_backend(self.backend, stragglers, deadline, int(seeds[3]))
        master = Master(code, self.variance_reduction, self._learns_stragglers(),
                        random_state=int(seeds[4]), delay_variance_reduction=True)
        noisy = (not code.waits_for_all) and code.residual_error("independent") > 1e-12
        stochastic, patience = self._patience(code)
        refine = master.decoder.activate if master.variance_reduced else None
        with backend.start(data, datafit, code, master):
            oracle = (GramRefresh(backend.gradient, master, data, datafit)
                      if self.gradient_aware else backend.gradient)
            callbacks = IterationCallbacks(self, X, max_iter) if callbacks_on else None
            result = coded_gradient_descent(
                oracle, coef, intercept, penalty, schedule, max_iter=max_iter,
                tol=tol, n_iter_no_change=patience, average=self.average, noisy=noisy,
                stochastic=stochastic, refine=refine, validation_score=validation,
                t_start=t_start,
                verbose=self.verbose, callback=callbacks and callbacks.on_iteration,
            )
            if callbacks is not None:
                callbacks.close(result.coef, result.intercept)
        return result, master, stragglers, backend.deadline

    def _patience(self, code):
        """Whether answers are random, and the iterations without improvement that stop.

        Under stragglers the objective estimate fluctuates, and a control-variate decoder
        refreshes a worker's message only when it answers: a stall must then last
        ``n_iter_no_change`` times the mean staleness ``1 / (1 - mean p)`` to count.
        """
        p = code.straggler_probs
        if code.waits_for_all or p is None or not np.any(p > 0):
            return False, self.n_iter_no_change
        staleness = 1.0 / max(1.0 - float(np.mean(p)), 1e-3)
        return True, int(np.ceil(self.n_iter_no_change * staleness))

    def _learns_stragglers(self):
        """``estimate_stragglers="auto"``: learn them on real backends given no model."""
        if self.estimate_stragglers != "auto":
            return bool(self.estimate_stragglers)
        return self.stragglers is None and backend_class(self.backend).name != "simulated"

    def _fit_arrays(self, X, Y, sample_weight, coef_init, intercept_init, *, incremental):
        """Fit on validated arrays and set the fitted attributes all at once."""
        self._check_learning_rate()
        coef, intercept = self._initial_params(X.shape[1], Y.shape[1], coef_init,
                                               intercept_init)
        if incremental and hasattr(self, "coef_"):
            coef, intercept = self._coef_from_public(self.coef_, X.shape[1], Y.shape[1]), \
                np.asarray(self.intercept_, dtype=np.float64).copy()
        previous_t = getattr(self, "t_", 1) if incremental else 1
        previous_iter = (previous_t - 1) // max(X.shape[0], 1) if incremental else 0
        validation = None
        if self.early_stopping and not incremental:
            X, Y, sample_weight, validation = self._split_validation(X, Y, sample_weight)
        result, master, stragglers, deadline = self._run(
            X, Y, sample_weight, coef, intercept,
            max_iter=1 if incremental else self.max_iter, validation=validation,
            t_start=previous_iter, tol=None if incremental else self.tol,
            seed_offset=previous_iter, callbacks_on=not incremental,
        )
        for name in _FITTED:
            if hasattr(self, name):
                delattr(self, name)
        self.coef_, self.intercept_ = self._public_coef(result.coef, result.intercept)
        self.n_iter_ = result.n_iter
        self.t_ = (previous_t - 1 if incremental else 0) + result.n_iter * X.shape[0] + 1
        self.history_ = result.history
        self.code_, self.stragglers_ = master.code, stragglers
        self.straggler_probs_ = np.array(master.straggler_probs, dtype=float)
        self.deadline_ = float(deadline)
        return self

    def _split_validation(self, X, Y, sample_weight):
        """Hold out ``validation_fraction`` of the samples for early stopping."""
        train, test = self._validation_split(Y)
        X_val, Y_val, w_val = X[test], Y[test], sample_weight[test]
        datafit = Datafit(get_loss(self.loss, self.epsilon), self.fit_intercept)

        def score(coef, intercept):
            return self._validation_score(datafit.predict(X_val, coef, intercept), Y_val,
                                          w_val)

        return X[train], Y[train], sample_weight[train], score

    def _guarded(self, fresh, fit, *args, **kwargs):
        """Run ``fit(*args, **kwargs)``; if it fails, leave no half-fitted state.

        A fresh fit that fails removes every fitted attribute; a failed ``partial_fit`` on a
        fitted estimator leaves the previous model untouched (attributes are only set once
        the solver has succeeded).
        """
        try:
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
        coef = self._coef_from_public(self.coef_, X.shape[1], np.size(self.intercept_))
        return Datafit(None).predict(X, coef, np.asarray(self.intercept_, dtype=np.float64))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _finite(values, name):
    """``values`` as a float array, refused when it holds NaN or infinity."""
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"{name} must be finite; it contains NaN or infinity.")
    return values
