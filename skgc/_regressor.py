"""CodedGradientRegressor: a drop-in for SGDRegressor trained by coded gradient descent."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import column_or_1d, validate_data

from ._base import BaseCodedGradient, _check_validation_weights
from ._collections import blockwise, check_collections, cluster_score, is_dask_collection
from ._docstrings import CODING_PARAMETERS, FITTED_ATTRIBUTES, SGD_PARAMETERS
from .objective import REGRESSION_LOSSES

__all__ = ["CodedGradientRegressor"]


class CodedGradientRegressor(RegressorMixin, BaseCodedGradient):
    __doc__ = f"""Linear regression by gradient descent over a cluster with stragglers.

    A drop-in for :class:`sklearn.linear_model.SGDRegressor`: the same parameters with the
    same meaning, the same fitted attributes and methods. The gradient of each iteration is
    computed by ``n_workers`` workers, each holding ``load`` of the ``n_partitions`` data
    partitions and sending one coded combination of their gradients; the master decodes
    whatever arrived before the deadline (see ``skgc.coding``). It minimises SGD's objective

    ``(1/n) sum_i s_i loss(y_i, x_i w + b) + penalty(w)``

    with SGD's losses and penalties (``s`` the sample weights, ``n`` the number of
    samples): as in SGD, Ridge and LogisticRegression, the weights are not normalised, so
    multiplying them all by ``c`` weighs the data term ``c`` times more against the penalty.

    Parameters
    ----------
    loss : {{"squared_error", "huber", "epsilon_insensitive", \
"squared_epsilon_insensitive"}}, default="squared_error"
        The loss, as in ``SGDRegressor``.
{SGD_PARAMETERS}
{CODING_PARAMETERS}

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : ndarray of shape (1,)
{FITTED_ATTRIBUTES}

    See Also
    --------
    CodedGradientClassifier : the classifier.
    sklearn.linear_model.SGDRegressor : the estimator this one replaces.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skgc import CodedGradientRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> reg = CodedGradientRegressor(stragglers=0.2, random_state=0).fit(X, y)
    >>> round(reg.score(X, y), 3) > 0.99
    True
    """

    _parameter_constraints: dict = {
        **BaseCodedGradient._parameter_constraints,
        "loss": [StrOptions(set(REGRESSION_LOSSES))],
    }

    def __init__(self, loss="squared_error", *, penalty="l2", alpha=0.0001, l1_ratio=0.15,
                 fit_intercept=True, max_iter=1000, tol=1e-6, shuffle=True, verbose=0,
                 epsilon=0.1, random_state=None, learning_rate="auto", eta0=0.01,
                 power_t=0.25, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, warm_start=False, average=False, n_workers=8,
                 n_partitions=None, load=None, code="optimal", stragglers=None,
                 backend="simulated", deadline=None, variance_reduction=True,
                 estimate_stragglers="auto", gradient_aware=False, solver="auto",
                 max_newton_features=1000):
        self._set_parameters(locals())

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run one iteration of coded gradient descent on the given samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._partial_fit(X, y, sample_weight)

    def _training_data(self, X, y, sample_weight, classes, incremental):
        """Validated ``X``, the target as one column, and the sample weights (dask arrays,
        validated on the cluster, for a dask collection ``X``)."""
        if is_dask_collection(X):
            X, y, sample_weight, _ = check_collections(
                self, X, y, sample_weight, reset=self._resets_features(incremental),
                classification=False)
            return X, y[:, None], sample_weight
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32],
                             order="C", y_numeric=True, multi_output=True,
                             reset=self._resets_features(incremental))
        y = column_or_1d(y, warn=True).astype(np.float64)
        return X, y[:, None], self._sample_weight(sample_weight, X)

    @blockwise
    def predict(self, X):
        """Predict targets.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask collection} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            A dask array computed block by block on the workers for a dask collection.
        """
        return self._decision(X)[:, 0]

    @cluster_score
    def score(self, X, y, sample_weight=None):
        """The coefficient of determination R^2 of the predictions, as scikit-learn's RegressorMixin.score.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask collection} of shape (n_samples, n_features)
        y : array-like or dask collection of shape (n_samples,)
        sample_weight : array-like or dask collection of shape (n_samples,), default=None

        Returns
        -------
        score : float
            Reduced on the workers, block by block, for a dask collection.
        """
        return super().score(X, y, sample_weight)

    def _validation_split(self, Y, sample_weight):
        from sklearn.model_selection import ShuffleSplit

        split = ShuffleSplit(test_size=self.validation_fraction,
                             random_state=self.random_state)
        train, test = next(split.split(np.zeros((len(Y), 1))))
        _check_validation_weights(sample_weight[test])
        if len(test) < 2:
            raise ValueError(
                "early_stopping needs at least 2 validation samples; increase "
                "validation_fraction or the number of samples."
            )
        return train, test

    @staticmethod
    def _validation_score(pred, Y, weight):
        return r2_score(Y[:, 0], pred[:, 0], sample_weight=weight)

    @staticmethod
    def _coef_from_public(coef, n_features, n_outputs):
        coef = np.asarray(coef, dtype=np.float64).reshape(-1)
        if coef.shape != (n_features,):
            raise ValueError(
                f"Provided coef_init does not match dataset. coef_init has shape "
                f"{coef.shape}; expected ({n_features},)."
            )
        return coef[:, None].copy()

    @staticmethod
    def _public_coef(coef, intercept):
        return coef[:, 0].copy(), np.atleast_1d(intercept).copy()
