"""CodedGradientClassifier: a drop-in for SGDClassifier trained by coded gradient descent."""

from numbers import Integral

import numpy as np
from scipy.special import expit
from sklearn.base import _fit_context
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, check_classification_targets
from sklearn.utils.validation import validate_data

from ._base import BaseCodedGradient, _check_validation_weights
from ._collections import blockwise, check_collections, cluster_score, cluster_targets, \
    is_dask_collection
from ._docstrings import CODING_PARAMETERS, FITTED_ATTRIBUTES, SGD_PARAMETERS
from .objective import LOSSES

__all__ = ["CodedGradientClassifier"]

_PROBABILISTIC = ("log_loss", "modified_huber")

# SGDClassifier's message, word for word.
_BALANCED_PARTIAL_FIT = (
    "class_weight 'balanced' is not supported for partial_fit. In order to use 'balanced' "
    "weights, use compute_class_weight('balanced', classes=classes, y=y). In place of y "
    "you can use a large enough sample of the full training set target to properly "
    "estimate the class frequency distributions. Pass the resulting weights as the "
    "class_weight parameter."
)


class CodedGradientClassifier(LinearClassifierMixin, BaseCodedGradient):
    __doc__ = f"""Linear classification by gradient descent over a cluster with stragglers.

    A drop-in for :class:`sklearn.linear_model.SGDClassifier`: the same parameters with the
    same meaning, the same fitted attributes and methods. Multiclass problems are one-
    versus-all as in SGD, but all classes are trained in one coded run: the gradient is a
    matrix with one column per class. Each class's model minimises SGD's objective

    ``(1/n) sum_i s_i loss(y_i, x_i w + b) + penalty(w)``

    (``s`` the sample weights times the class weights, ``n`` the number of samples, targets
    coded -1 / +1): the weights are not normalised, as in SGD and LogisticRegression.

    Parameters
    ----------
    loss : {{"hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron", \
"squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive"}}, \
default="hinge"
        The loss, as in ``SGDClassifier``; targets are coded as -1 / +1 per class.
{SGD_PARAMETERS}
    n_jobs : int or None, default=None
        Accepted for compatibility with ``SGDClassifier``; the parallelism of training is
        set by ``n_workers`` and ``backend``.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into the sample weights.
{CODING_PARAMETERS}

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    classes_ : ndarray of shape (n_classes,)
{FITTED_ATTRIBUTES}

    See Also
    --------
    CodedGradientRegressor : the regressor.
    sklearn.linear_model.SGDClassifier : the estimator this one replaces.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skgc import CodedGradientClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = CodedGradientClassifier(loss="log_loss", random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **BaseCodedGradient._parameter_constraints,
        "loss": [StrOptions(set(LOSSES))],
        "n_jobs": [Integral, None],
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def __init__(self, loss="hinge", *, penalty="l2", alpha=0.0001, l1_ratio=0.15,
                 fit_intercept=True, max_iter=1000, tol=1e-6, shuffle=True, verbose=0,
                 epsilon=0.1, n_jobs=None, random_state=None, learning_rate="auto",
                 eta0=0.01, power_t=0.5, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, class_weight=None, warm_start=False, average=False,
                 n_workers=8, n_partitions=None, load=None, code="optimal", stragglers=None,
                 backend="simulated", deadline=None, variance_reduction=True,
                 estimate_stragglers="auto", gradient_aware=False, solver="auto",
                 max_newton_features=1000):
        self._set_parameters(locals())

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one iteration of coded gradient descent on the given samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            All the classes; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        if not hasattr(self, "coef_") and self.class_weight == "balanced":
            raise ValueError(_BALANCED_PARTIAL_FIT)
        return self._partial_fit(X, y, sample_weight, classes)

    def _training_data(self, X, y, sample_weight, classes, incremental):
        """Validated ``X``, -1 / +1 targets (one column per class, one-versus-all) and the
        sample weights times the class weights; sets ``classes_`` (from ``y`` in ``fit``,
        from ``classes`` on the first ``partial_fit``)."""
        on_cluster = is_dask_collection(X)
        if on_cluster:  # validated on the cluster; labels from a distributed unique
            X, y, sample_weight, (labels, counts) = check_collections(
                self, X, y, sample_weight, reset=self._resets_features(incremental),
                classification=True)
        else:
            X, y = validate_data(self, X, y, accept_sparse="csr",
                                 dtype=[np.float64, np.float32], order="C",
                                 reset=self._resets_features(incremental))
            check_classification_targets(y)
            labels = np.unique(y)
            sample_weight = self._sample_weight(sample_weight, X)
        if incremental:
            _check_partial_fit_first_call(self, classes)
        else:
            self.classes_ = labels
        if len(self.classes_) < 2:
            raise ValueError(
                "The number of classes has to be greater than one; got 1 class."
            )
        unknown = np.setdiff1d(labels, self.classes_)
        if len(unknown):
            raise ValueError(f"y has classes {unknown} that are not in classes={self.classes_}.")
        if on_cluster:
            Y, sample_weight = cluster_targets(self.classes_, counts, self.class_weight, y,
                                               sample_weight)
            return X, Y, sample_weight
        return X, self._targets(y), sample_weight * self._class_weights(y)

    def _class_weights(self, y):
        weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y) \
            if self.class_weight is not None else np.ones(len(self.classes_))
        return weights[np.searchsorted(self.classes_, y)]

    def _targets(self, y):
        """-1/+1 targets: one column (binary) or one per class (one-versus-all)."""
        classes = self.classes_ if len(self.classes_) > 2 else self.classes_[1:]
        return np.where(y[:, None] == classes[None, :], 1.0, -1.0)

    def _validation_split(self, Y, sample_weight):
        from sklearn.model_selection import StratifiedShuffleSplit

        labels = Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0]
        split = StratifiedShuffleSplit(test_size=self.validation_fraction,
                                       random_state=self.random_state)
        train, test = next(split.split(np.zeros((len(Y), 1)), labels))
        _check_validation_weights(sample_weight[test])
        return train, test

    @staticmethod
    def _validation_score(pred, Y, weight):
        if Y.shape[1] == 1:
            hit = (pred[:, 0] > 0) == (Y[:, 0] > 0)
        else:
            hit = pred.argmax(axis=1) == Y.argmax(axis=1)
        return float(np.average(hit, weights=weight))

    def _coef_from_public(self, coef, n_features, n_outputs):
        coef = np.asarray(coef, dtype=np.float64)
        if n_outputs == 1 and coef.size == n_features:
            coef = coef.reshape(1, n_features)  # SGD ravels a binary coef_init
        if coef.shape != (n_outputs, n_features):
            # SGDClassifier's words: they differ between binary and multiclass.
            provided = "coef_init" if n_outputs == 1 else "``coef_``"
            raise ValueError(
                f"Provided {provided} does not match dataset. coef_init has shape "
                f"{coef.shape}; expected ({n_outputs}, {n_features})."
            )
        return coef.T.copy()

    @staticmethod
    def _public_coef(coef, intercept):
        return coef.T.copy(), np.atleast_1d(intercept).copy()

    predict = blockwise(LinearClassifierMixin.predict)

    @cluster_score
    def score(self, X, y, sample_weight=None):
        """The mean accuracy of the predictions, as scikit-learn's ClassifierMixin.score.

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

    @blockwise
    def decision_function(self, X):
        """Signed distance to each class's hyperplane.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask collection} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        scores = self._decision(X)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def _check_proba(self):
        if self.loss not in _PROBABILISTIC:
            raise AttributeError(
                f"probability estimates are not available for loss={self.loss!r}; use "
                f"one of {_PROBABILISTIC}."
            )
        return True

    @available_if(_check_proba)
    @blockwise
    def predict_proba(self, X):
        """Probability estimates (log_loss and modified_huber losses), as SGDClassifier's.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask collection} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        scores = self._decision(X)
        if self.loss == "log_loss":
            prob = expit(scores)
        else:
            prob = (np.clip(scores, -1.0, 1.0) + 1.0) / 2.0
        if prob.shape[1] == 1:
            return np.column_stack([1.0 - prob[:, 0], prob[:, 0]])
        total = prob.sum(axis=1, keepdims=True)
        uniform = total[:, 0] == 0
        prob[uniform] = 1.0
        total[uniform] = prob.shape[1]
        return prob / total

    @available_if(_check_proba)
    @blockwise
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask collection} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
