"""Dask collections as estimator input: data that live on the cluster.

``fit`` on a ``dask.array.Array`` (dense or sparse blocks) or a ``dask.dataframe``
validates the data where they live (one pass of small per-block summaries: finiteness,
row counts, labels and their counts, sample-weight signs and sums) with the messages
numpy input gets, and hands the estimator dask arrays whose row blocks become the fit's
partitions on the workers (:class:`skgc.backends._dask_data.ClusterPartitions`).
``predict``, ``decision_function``, ``predict_proba`` and ``predict_log_proba`` on a dask
collection return a dask array computed block by block on the workers (as dask-ml's
``ParallelPostFit``); ``score`` reduces on the workers and returns a float. Nothing of
the size of the data passes through the client.
"""

import functools
import sys

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier
from sklearn.utils import check_array
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (_assert_all_finite, _check_sample_weight, check_is_fitted,
                                      column_or_1d, validate_data)

__all__ = ["is_dask_collection", "dask_client", "check_collections", "cluster_targets",
           "blockwise", "cluster_score"]


def is_dask_collection(obj):
    """Whether ``obj`` is a dask collection (without importing dask when it is absent)."""
    if "dask" not in sys.modules:
        return False
    import dask

    return dask.is_dask_collection(obj)


def dask_client(backend):
    """The client of a fit whose data are dask collections: the ``DaskBackend``'s own,
    else the current one. Other backends run their workers in this process, where the
    data would have to be gathered: they are refused."""
    from .backends import DaskBackend
    from .backends._dask_data import current_client

    if not (backend == "dask" if isinstance(backend, str) else isinstance(backend,
                                                                          DaskBackend)):
        name = backend if isinstance(backend, str) else type(backend).__name__
        raise ValueError(
            f"X is a dask collection, which backend={name!r} cannot fit: its workers run in "
            "this process, so the data would have to be gathered here. Use "
            "backend='dask' (the data stay on the cluster), or pass X.compute() to fit "
            "in this process."
        )
    own = backend.client if isinstance(backend, DaskBackend) else None
    return own if own is not None else current_client()


# -- validation ------------------------------------------------------------------------

def check_collections(estimator, X, y, sample_weight, *, reset, classification):
    """Validate dask ``X``, ``y``, ``sample_weight`` on the cluster.

    Returns
    -------
    X : dask.array.Array of shape (n_samples, n_features)
        Float64 or float32, known row chunks, persisted on the workers.
    y : dask.array.Array of shape (n_samples,)
        Aligned with X's row blocks (float64 for regression).
    sample_weight : dask.array.Array of shape (n_samples,)
    labels : tuple ``(classes, counts)`` or None
        The distinct labels of ``y`` and their counts (classification), computed on the
        workers.
    """
    if estimator.early_stopping or estimator.gradient_aware:
        option = "early_stopping" if estimator.early_stopping else "gradient_aware"
        raise ValueError(
            f"{option}=True needs the data in this process; it is not available for dask "
            "collections. Set it to False, or pass X.compute()."
        )
    client = dask_client(estimator.backend)
    validate_data(estimator, _schema(X), y, reset=reset, skip_check_array=True)
    with client.as_current():  # in a Dask task, no client is the default
        return _checked_on_cluster(estimator, client, X, y, sample_weight, classification)


def _checked_on_cluster(estimator, client, X, y, sample_weight, classification):
    """:func:`check_collections` once the names and number of features are checked."""
    X = _rows_array(X, client)
    _check_matrix(estimator, X)
    y = _aligned(_column(y, X), X, "y", client)
    weight = _weights(sample_weight, X, client)
    summaries = client.gather(client.compute(_summaries(X, y, weight, classification)))
    _raise_on_bad_values(estimator, summaries, X.dtype)
    labels = None
    if classification:
        labels = _labels(summaries)
    elif y.dtype != np.float64:
        y = y.astype(np.float64)
    if X.dtype.kind != "f" or X.dtype.itemsize < 4:
        X = X.astype(np.float64)
    return X, y, weight, labels


def _schema(X):
    """What scikit-learn checks the number of features and their names on: a dask
    DataFrame's empty pandas frame (scikit-learn reads names from pandas only)."""
    return X._meta if hasattr(X, "map_partitions") else X


def _rows_array(data, client=None):
    """A dask collection as a dask array with known row chunks (persisted on the
    workers of ``client`` if given)."""
    if client is not None:
        data = client.persist(data)
    if hasattr(data, "to_dask_array"):  # dask DataFrame or Series
        return data.to_dask_array(lengths=True)
    if any(np.isnan(size) for size in data.chunks[0]):
        data.compute_chunk_sizes()
    return data


def _check_matrix(estimator, X):
    """Shape and dtype checks of a 2-D ``X``, with scikit-learn's messages."""
    name = type(estimator).__name__
    if X.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {X.ndim}D array instead. Reshape your data either using "
            "array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) "
            "if it contains a single sample."
        )
    if X.shape[0] < 1 or X.shape[1] < 1:
        what = "sample" if X.shape[0] < 1 else "feature"
        raise ValueError(f"Found array with {min(X.shape)} {what}(s) (shape={X.shape}) while a "
                         f"minimum of 1 is required by {name}.")
    if X.dtype.kind == "c":
        raise ValueError("Complex data not supported (X has dtype "
                         f"{X.dtype}).")  # scikit-learn's words, without the array
    if X.dtype.kind not in "biufO":
        raise ValueError(f"X has dtype {X.dtype}; {name} needs numbers.")


def _column(y, X):
    """``y`` as a 1-D target (a numpy target is cut along X's row blocks)."""
    import dask.array as da

    if y is None:
        raise ValueError("requires y to be passed, but the target y is None.")
    if not is_dask_collection(y):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        _check_length(len(y), X.shape[0])
        return da.from_array(column_or_1d(y), chunks=(X.chunks[0],))
    if y.ndim == 2:
        if hasattr(y, "columns") and len(y.columns) == 1:
            y = y[y.columns[0]]
        elif y.shape[1] == 1:
            column_or_1d(np.zeros((1, 1)), warn=True)  # scikit-learn's warning
            y = y[:, 0]
        else:
            raise ValueError(f"y should be a 1d array, got an array of shape {y.shape} "
                             "instead.")
    return y


def _aligned(values, X, name, client=None):
    """A 1-D dask collection as a dask array with X's row chunks."""
    values = _rows_array(values, client)
    _check_length(values.shape[0], X.shape[0], name)
    if values.chunks[0] != X.chunks[0]:
        values = values.rechunk((X.chunks[0],))
    return values


def _check_length(n_values, n_samples, name="y"):
    if n_values != n_samples:
        if name == "sample_weight":
            raise ValueError(f"sample_weight.shape == ({n_values},), expected "
                             f"({n_samples},)!")
        raise ValueError("Found input variables with inconsistent numbers of samples: "
                         f"[{n_samples}, {n_values}]")


def _weights(sample_weight, X, client=None):
    """Sample weights as a float64 dask array along X's row blocks."""
    import dask.array as da

    if sample_weight is None or np.isscalar(sample_weight):
        value = 1.0 if sample_weight is None else float(sample_weight)
        return da.full(X.shape[0], value, chunks=(X.chunks[0],), dtype=np.float64)
    if not is_dask_collection(sample_weight):
        sample_weight = check_array(sample_weight, ensure_2d=False, dtype=np.float64,
                                    input_name="sample_weight")
        _check_length(len(sample_weight), X.shape[0], "sample_weight")
        return da.from_array(sample_weight, chunks=(X.chunks[0],))
    return _aligned(sample_weight, X, "sample_weight", client).astype(np.float64)


def _summaries(X, y, weight, classification):
    """One small delayed summary per row block."""
    from dask import delayed

    xs = X.rechunk({1: -1}).to_delayed()[:, 0]
    summary = delayed(_block_summary, pure=True)
    return [summary(x, t, w, classification)
            for x, t, w in zip(xs, y.to_delayed(), weight.to_delayed())]


def _block_summary(x, y, weight, classification):
    """Finiteness of a row block's values, its labels and its weights' sign and sum."""
    values = x.data if sp.issparse(x) else (x.tocsr().data if hasattr(x, "tocsr") else x)
    values = np.asarray(values)
    x_nan, x_inf = _nonfinite(values)
    y = np.asarray(y)
    y_nan, y_inf = _nonfinite(y)
    weight = np.asarray(weight, dtype=np.float64)
    w_nan, w_inf = _nonfinite(weight)
    labels = np.unique(y, return_counts=True) if classification and not y_nan else None
    return {"x_nan": x_nan, "x_inf": x_inf, "y_nan": y_nan, "y_inf": y_inf,
            "w_nan": w_nan, "w_inf": w_inf, "labels": labels,
            "w_min": float(weight.min()) if weight.size else 0.0,
            "w_sum": float(weight.sum())}


def _nonfinite(values):
    """``(has NaN, has infinity)`` of a numeric array (False, False for other dtypes)."""
    if values.dtype.kind not in "fc" or not values.size:
        return False, False
    return bool(np.isnan(values).any()), bool(np.isinf(values).any())


def _raise_on_bad_values(estimator, summaries, dtype):
    """scikit-learn's errors for NaN or infinite X, y or weights, and negative weights
    (raised by its own checks on one offending value, so that the words are the same)."""
    name = type(estimator).__name__
    for key, input_name, kind in (("x", "X", dtype), ("y", "y", np.float64),
                                  ("w", "sample_weight", np.float64)):
        for problem, value in (("nan", np.nan), ("inf", np.inf)):
            if any(summary[f"{key}_{problem}"] for summary in summaries):
                _assert_all_finite(np.array([value], dtype=kind), input_name=input_name,
                                   estimator_name=name if input_name == "X" else None)
    lowest = min(summary["w_min"] for summary in summaries)
    if lowest < 0 or not sum(summary["w_sum"] for summary in summaries) > 0:
        _check_sample_weight(np.array([min(lowest, 0.0)]), np.zeros((1, 1)),
                             ensure_non_negative=True)


def _labels(summaries):
    """``(classes, counts)`` of the labels over every block."""
    values = np.concatenate([summary["labels"][0] for summary in summaries])
    counts = np.concatenate([summary["labels"][1] for summary in summaries])
    classes, where = np.unique(values, return_inverse=True)
    check_classification_targets(classes)
    return classes, np.bincount(where, weights=counts).astype(np.int64)


# -- classification targets --------------------------------------------------------------

def cluster_targets(classes, counts, class_weight, y, sample_weight):
    """-1/+1 targets (one column, or one per class) and sample weights times class weights,
    computed on the workers.

    Parameters
    ----------
    classes : ndarray of shape (n_classes,)
    counts : ndarray of shape (n_classes,) or None
        The labels' counts in ``y`` (for ``class_weight="balanced"``).
    class_weight : dict, "balanced" or None
    y, sample_weight : dask.array.Array of shape (n_samples,)

    Returns
    -------
    Y : dask.array.Array of shape (n_samples, n_outputs)
    sample_weight : dask.array.Array of shape (n_samples,)
    """
    positive = classes if len(classes) > 2 else classes[1:]
    Y = y.map_blocks(_targets, positive, new_axis=1, dtype=np.float64,
                     chunks=(y.chunks[0], (len(positive),)))
    if class_weight is None:
        return Y, sample_weight
    if isinstance(class_weight, str):  # "balanced", scikit-learn's formula from the counts
        values = counts.sum() / (len(classes) * counts.astype(np.float64))
    else:
        values = compute_class_weight(class_weight, classes=classes, y=classes)
    return Y, sample_weight * y.map_blocks(_class_weights, classes, values, dtype=np.float64)


def _targets(y, positive):
    return np.where(np.asarray(y)[:, None] == positive[None, :], 1.0, -1.0)


def _class_weights(y, classes, values):
    return values[np.searchsorted(classes, np.asarray(y))]


# -- prediction ----------------------------------------------------------------------------

def blockwise(method):
    """Decorate a prediction method: on a dask collection, a dask array computed block by
    block on the workers; on anything else, the method as it is."""

    @functools.wraps(method)
    def on_blocks(self, X, *args, **kwargs):
        if not is_dask_collection(X):
            return method(self, X, *args, **kwargs)
        return _map_row_blocks(self, method.__name__, X)

    return on_blocks


def _map_row_blocks(estimator, name, X):
    """``getattr(estimator, name)`` applied to each row block of ``X``."""
    check_is_fitted(estimator, "coef_")
    validate_data(estimator, _schema(X), reset=False, skip_check_array=True)
    if hasattr(X, "map_partitions"):  # dask DataFrame: pandas partitions keep their names
        sample = _call(X._meta_nonempty, estimator, name)
        return X.map_partitions(_call, estimator, name,
                                meta=np.empty((0,) + sample.shape[1:], sample.dtype))
    X = X.rechunk({1: -1})
    sample = _call(np.zeros((1, X.shape[1]), dtype=X.dtype), estimator, name)
    if sample.ndim == 1:
        return X.map_blocks(_call, estimator, name, dtype=sample.dtype, drop_axis=1,
                            meta=np.empty((0,), sample.dtype))
    return X.map_blocks(_call, estimator, name, dtype=sample.dtype,
                        chunks=(X.chunks[0], sample.shape[1:]),
                        meta=np.empty((0, 0), sample.dtype))


def _call(block, estimator, name):
    """``estimator.<name>(block)``: the numpy method, on one block on a worker."""
    return getattr(estimator, name)(block)


def cluster_score(method):
    """Decorate ``score``: on a dask collection, the same metric reduced on the workers
    (R^2 for a regressor, accuracy for a classifier), returned as a float."""

    @functools.wraps(method)
    def score(self, X, y, sample_weight=None):
        if not is_dask_collection(X):
            return method(self, X, y, sample_weight)
        return _reduced_score(self, X, y, sample_weight)

    return score


def _reduced_score(estimator, X, y, sample_weight):
    import dask

    pred = estimator.predict(X)
    if any(np.isnan(size) for size in pred.chunks[0]):
        pred = pred.compute_chunk_sizes()
    rows = pred[:, None]
    y = _aligned(_column(y, rows), rows, "y")
    weight = _weights(sample_weight, rows)
    if is_classifier(estimator):
        hits, total = dask.compute(((pred == y) * weight).sum(), weight.sum())
        return float(hits / total)
    total, weighted = dask.compute(weight.sum(), (weight * y).sum())
    mean = weighted / total
    residual, spread = dask.compute((weight * (y - pred) ** 2).sum(),
                                    (weight * (y - mean) ** 2).sum())
    if spread == 0:  # scikit-learn's r2_score with force_finite=True
        return 1.0 if residual == 0 else 0.0
    return float(1.0 - residual / spread)
