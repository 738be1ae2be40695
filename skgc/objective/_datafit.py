"""The data term of the objective, split into partitions."""

import numbers
import threading
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, eigsh

from .._validation import check_random_state

__all__ = ["PartitionedData", "Datafit"]


class PartitionedData:
    """Samples reordered so that each partition is a contiguous block of rows.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Targets, one column per output (per class, one-versus-all, in classification).
    sample_weight : ndarray of shape (n_samples,)
    n_partitions : int
    shuffle : bool, default=True
        Shuffle the samples before cutting them into partitions (iid partitions). With
        False, partitions are contiguous blocks of the data as given.
    random_state : int, RandomState instance or None
        Seeds the shuffle.

    Attributes
    ----------
    bounds : ndarray of shape (n_partitions + 1,)
        Partition ``k`` is rows ``bounds[k]:bounds[k + 1]`` of ``X``.
    order : ndarray of shape (n_samples,)
        Row ``i`` of ``X`` is row ``order[i]`` of the data as given.
    normaliser : float
        What the weighted loss sum is divided by: the number of samples, so that the
        objective is SGD's ``(1/n) sum_i s_i loss_i + penalty`` (as in Ridge and
        LogisticRegression: scaling every sample weight by ``c`` scales the data term).
    total_weight : float
        ``sum_i s_i``.
    """

    def __init__(self, X, Y, sample_weight, n_partitions, shuffle=True, random_state=None):
        n = X.shape[0]
        if n_partitions > n:
            raise ValueError(
                f"n_partitions={n_partitions} is more than the number of samples "
                f"({n} sample{'' if n == 1 else 's'}); use at most {n} partitions."
            )
        self.order = _permutation(random_state, n) if shuffle else None
        take = (lambda a: a[self.order]) if shuffle else (lambda a: a)
        self.X, self.Y, self.sample_weight = take(X), take(Y), take(sample_weight)
        self.bounds = np.linspace(0, n, n_partitions + 1).round().astype(int)
        self.sizes = np.diff(self.bounds)
        self.total_weight = float(self.sample_weight.sum())
        self.normaliser = float(n)

    @property
    def n_partitions(self):
        return len(self.sizes)

    @cached_property
    def partition_of_row(self):
        """Partition index of every row, shape (n_samples,)."""
        return np.repeat(np.arange(self.n_partitions), self.sizes)

    def selector(self, residual):
        """Sparse ``(n_partitions * n_outputs, n_samples)`` matrix spreading ``residual``.

        Row ``k * n_outputs + c`` holds ``residual[:, c]`` on partition ``k``'s rows, so that
        ``selector(residual) @ X`` stacks every partition's gradient in one pass over ``X``.
        Its sparsity structure is computed once per fit.
        """
        n_samples, n_outputs = residual.shape
        if getattr(self, "_layout", (None,))[0] != n_outputs:
            rows = np.arange(n_samples)
            starts = np.repeat(self.bounds[:-1], self.sizes)
            # entry order: by partition, then output, then row within the partition
            order = (starts[:, None] * n_outputs + np.arange(n_outputs) * self.sizes[
                self.partition_of_row][:, None] + (rows - starts)[:, None])
            gather = np.empty(n_samples * n_outputs, dtype=np.intp)
            gather[order.ravel()] = np.arange(n_samples * n_outputs)
            indices = np.concatenate([
                np.tile(np.arange(a, b), n_outputs)
                for a, b in zip(self.bounds[:-1], self.bounds[1:])])
            indptr = np.concatenate([[0], np.cumsum(np.repeat(self.sizes, n_outputs))])
            self._layout = (n_outputs, gather, indices, indptr)
        _, gather, indices, indptr = self._layout
        return sp.csr_matrix((residual.ravel()[gather], indices, indptr),
                             shape=(self.n_partitions * n_outputs, n_samples))

    def partition(self, k):
        """``(X_k, Y_k, sample_weight_k)`` of partition ``k``."""
        rows = slice(self.bounds[k], self.bounds[k + 1])
        return self.X[rows], self.Y[rows], self.sample_weight[rows]


def _permutation(random_state, n):
    """``check_random_state(random_state).permutation(n)``. An integer seed re-seeds this
    thread's own legacy generator rather than building one: building it costs about
    0.1 ms (a tenth of a small fit), re-seeding one about 1 us, for the same draws."""
    if not isinstance(random_state, numbers.Integral) or isinstance(random_state, bool):
        return check_random_state(random_state).permutation(n)
    generator = getattr(_LEGACY, "generator", None)
    if generator is None:
        generator = _LEGACY.generator = np.random.RandomState()
    generator.seed(random_state)
    return generator.permutation(n)


#: Each thread's legacy generator, re-seeded by :func:`_permutation`.
_LEGACY = threading.local()


class Datafit:
    """Weighted sums of a point-wise loss over a linear model ``X @ coef + intercept``.

    Worker and master code only ever ask for *sums*: the value and gradient of
    ``sum_i r_i l(y_i, x_i coef + intercept)`` for per-row weights ``r`` (the sample weight
    times the coding weight of the row's partition).

    Parameters
    ----------
    loss : skgc.objective.Loss
    fit_intercept : bool
    """

    def __init__(self, loss, fit_intercept=True):
        self.loss = loss
        self.fit_intercept = fit_intercept

    def predict(self, X, coef, intercept):
        """Linear predictions, computed in ``X``'s precision."""
        out = X @ coef.astype(X.dtype, copy=False)
        return np.asarray(out, dtype=np.float64) + intercept

    def sums(self, X, Y, row_weight, coef, intercept):
        """Weighted loss sum and its gradient.

        Parameters
        ----------
        X : ndarray or CSR matrix of shape (n_rows, n_features)
        Y : ndarray of shape (n_rows, n_outputs)
        row_weight : ndarray of shape (n_rows,)
        coef : ndarray of shape (n_features, n_outputs)
        intercept : ndarray of shape (n_outputs,)

        Returns
        -------
        value : ndarray of shape (n_outputs,)
            The weighted loss sum of each output (their sum is the data term).
        grad_coef : ndarray of shape (n_features, n_outputs)
        grad_intercept : ndarray of shape (n_outputs,)
        """
        return self._sums(X, Y, row_weight, self.predict(X, coef, intercept))

    def _sums(self, X, Y, row_weight, pred):
        """:meth:`sums` given the predictions."""
        values, derivatives = self.loss.value_and_derivative(Y, pred)
        value = row_weight @ values
        residual = derivatives * row_weight[:, None]
        grad_coef = np.asarray(X.T @ residual.astype(X.dtype, copy=False), dtype=np.float64)
        grad_intercept = residual.sum(axis=0) if self.fit_intercept else np.zeros(Y.shape[1])
        return value, grad_coef, grad_intercept

    def smoothed(self, mu):
        """This data term with the loss smoothed by ``mu`` (itself for None or a smooth
        loss); see :meth:`skgc.objective.Loss.smoothed`."""
        loss = self.loss if mu is None else self.loss.smoothed(mu)
        return self if loss is self.loss else Datafit(loss, self.fit_intercept)

    def hessian_sums(self, X, Y, row_weight, coef, intercept):
        """Weighted Hessian sums ``sum_i r_i l''(y_i, p_i) z_i z_i^T``, ``z_i = [x_i, 1]``.

        Parameters
        ----------
        X, Y, row_weight, coef, intercept
            As for :meth:`sums`.

        Returns
        -------
        ndarray of shape (n_blocks, size, size)
            One block per output (``n_blocks = 1`` when the loss's curvature is constant:
            the blocks are then the same Gram matrix). ``size`` is ``n_features + 1`` with
            an intercept (its row and column last), ``n_features`` without.
        """
        pred = None if self.loss.constant_curvature else self.predict(X, coef, intercept)
        return self._hessian_sums(X, Y, row_weight, pred)

    def hessian_and_sums(self, X, Y, row_weight, coef, intercept):
        """:meth:`hessian_sums` and :meth:`sums` at one iterate, predicting once.

        Returns
        -------
        hessians : ndarray of shape (n_blocks, size, size)
        value, grad_coef, grad_intercept
            As :meth:`sums` returns them.
        """
        pred = self.predict(X, coef, intercept)
        hessians = self._hessian_sums(X, Y, row_weight,
                                      None if self.loss.constant_curvature else pred)
        return (hessians,) + self._sums(X, Y, row_weight, pred)

    def _hessian_sums(self, X, Y, row_weight, pred):
        """:meth:`hessian_sums` given the predictions (None: constant curvature)."""
        curvature = self._curvature(X.shape[0], Y, pred)
        size = X.shape[1] + int(self.fit_intercept)
        out = np.empty((curvature.shape[1], size, size))
        for block, weight in zip(out, curvature.T):
            self._weighted_gram(X, row_weight * weight, block)
        return out

    def _curvature(self, n_rows, Y, pred):
        """The loss's curvature at each row, one column per block (one for a constant
        curvature: ``pred`` None)."""
        if pred is None:
            return np.full((n_rows, 1), float(self.loss.curvature(0.0, 0.0)))
        return self.loss.curvature(Y, pred)

    def _partition_grams(self, X, weights, bounds):
        """``Z_k^T diag(weights[:, c]) Z_k`` for every partition ``k`` (rows
        ``bounds[k]:bounds[k + 1]``) and block ``c``, ``Z = [X, 1]`` (or ``X``), each written
        in place into one array of shape ``(n_partitions, n_blocks, size, size)``.

        Small dense partitions (:func:`_small_partitions`) share one scaled copy of all the
        rows per block, and each Gram matrix is one product on its slice: the calls then
        cost more than the arithmetic, and a copy per partition would double them. Larger
        ones are scaled one partition at a time (:meth:`_weighted_gram`), so that the copy
        stays the size of a partition.
        """
        size = X.shape[1] + int(self.fit_intercept)
        partitions = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
        out = np.empty((len(partitions), weights.shape[1], size, size))
        shared = _small_partitions(X, np.diff(bounds), self.fit_intercept)
        for c, weight in enumerate(weights.T):
            if shared:
                scaled = self._scaled_rows(X, np.sqrt(weight))
                for k, rows in enumerate(partitions):
                    _gram(scaled[rows], out[k, c])
            else:
                for k, rows in enumerate(partitions):
                    self._weighted_gram(X[rows], weight[rows], out[k, c])
        return out

    def _weighted_gram(self, X, weight, out=None):
        """``Z^T diag(weight) Z`` with ``Z = [X, 1]`` (or ``X``), written into ``out`` if
        given, building ``Z`` only when the weights differ (scaled by their square roots).
        Rows of negligible weight (below ``_NEGLIGIBLE`` times the largest: a finely
        smoothed kink's curvature far from the kink, a confident sample's log-loss
        curvature) are left out when they are the majority, else the gather would cost
        more than it saves; the Hessian only shapes the step, and the l2 penalty keeps it
        definite."""
        n_features = X.shape[1]
        size = n_features + int(self.fit_intercept)
        out = np.empty((size, size)) if out is None else out
        if not sp.issparse(X) and not np.all(weight == weight[0]):
            kept = np.flatnonzero(weight > _NEGLIGIBLE * weight.max())
            if len(kept) <= len(weight) // 2:
                X, weight = X[kept], weight[kept]
            return _gram(self._scaled_rows(X, np.sqrt(weight)), out)
        if sp.issparse(X):
            out[:n_features, :n_features] = (X.T @ X.multiply(weight[:, None])).toarray()
        else:
            np.multiply(_gram(X), weight[0], out=out[:n_features, :n_features])
        if self.fit_intercept:
            column = np.asarray(X.T @ weight.astype(X.dtype, copy=False), dtype=np.float64)
            out[:n_features, -1] = out[-1, :n_features] = column.ravel()
            out[-1, -1] = weight.sum()
        return out

    def _scaled_rows(self, X, scale):
        """``diag(scale) [X, 1]`` (or ``diag(scale) X``), dense, in float64."""
        out = np.empty((X.shape[0], X.shape[1] + int(self.fit_intercept)))
        np.multiply(X, scale[:, None], out=out[:, :X.shape[1]])
        if self.fit_intercept:
            out[:, -1] = scale
        return out

    def partition_hessians(self, data, coef, intercept, pred=None):
        """:meth:`hessian_sums` of every partition.

        Parameters
        ----------
        data : PartitionedData
        coef, intercept
            As for :meth:`sums`.
        pred : ndarray of shape (n_samples, n_outputs) or None, default=None
            The predictions at ``coef, intercept`` if already computed.

        Returns
        -------
        ndarray of shape (n_partitions, n_blocks, size, size)
        """
        curved = None
        if not self.loss.constant_curvature:
            curved = self.predict(data.X, coef, intercept) if pred is None else pred
        weights = data.sample_weight[:, None] * self._curvature(data.X.shape[0], data.Y,
                                                                curved)
        return self._partition_grams(data.X, weights, data.bounds)

    def partition_sums(self, data, coef, intercept, pred=None):
        """Value and gradient sums of every partition in one pass over the data (two
        without ``pred``, the predictions at ``coef, intercept`` if already computed).

        Returns
        -------
        ndarray of shape (n_partitions, n_outputs + n_features * n_outputs + n_outputs)
            Row ``k`` packs partition ``k``'s value sums (one per output), gradient with
            respect to ``coef`` (flattened) and gradient with respect to ``intercept``.

        Notes
        -----
        On dense float64 data each partition's gradient is one BLAS product on its rows.
        Otherwise the per-partition gradients are one sparse product ``S @ X`` where row
        ``(k, c)`` of ``S`` holds the weighted loss derivatives of output ``c`` on
        partition ``k``'s rows (computed in float64 whatever ``X``'s precision).
        """
        X, Y, weight = data.X, data.Y, data.sample_weight
        n_partitions, n_outputs = data.n_partitions, Y.shape[1]
        pred = self.predict(X, coef, intercept) if pred is None else pred
        starts = data.bounds[:-1]
        losses, derivatives = self.loss.value_and_derivative(Y, pred)
        values = np.add.reduceat(losses * weight[:, None], starts, axis=0)
        residual = derivatives * weight[:, None]
        if sp.issparse(X) or X.dtype != np.float64:
            grads = data.selector(residual) @ X
            grads = np.asarray(grads.toarray() if sp.issparse(grads) else grads,
                               dtype=np.float64).reshape(n_partitions, n_outputs, -1)
        else:  # one BLAS product per partition: a single pass over X all the same
            grads = np.stack([residual[a:b].T @ X[a:b]
                              for a, b in zip(starts, data.bounds[1:])])
        grads = grads.transpose(0, 2, 1)
        intercepts = np.zeros((n_partitions, n_outputs))
        if self.fit_intercept:
            intercepts = np.add.reduceat(residual, starts, axis=0)
        return np.column_stack([values, grads.reshape(n_partitions, -1), intercepts])

    def smoothness(self, data, random_state=None, n_iter=30):
        """Smoothness constant of the data term, ``sum_i s_i l_i / data.normaliser``.

        The loss's curvature times the largest eigenvalue of the weighted second-moment
        matrix of ``[X, 1]`` (power iteration). For a non-smooth loss, the curvature is
        taken as 1: the constant then scales the subgradient steps. Infinite when it
        overflows (data scaled beyond about 1e154).
        """
        curvature = self.loss.smoothness or 1.0
        if hasattr(data, "top_eigenvalue"):  # data on a cluster: computed where they live
            return curvature * data.top_eigenvalue(self.fit_intercept, random_state, n_iter)
        return curvature * _top_eigenvalue(
            data.X, data.sample_weight / data.normaliser, self.fit_intercept,
            random_state, n_iter,
        )


#: Multiply-adds of one partition's Hessian block up to which
#: :meth:`Datafit.partition_hessians` scales the rows of all partitions at once (the calls
#: then cost more than the arithmetic; the shared copy of the rows is then small too).
_SHARED_ROWS_WORK = 2**18


def _small_partitions(X, sizes, fit_intercept):
    """Whether the partitions (of ``sizes`` rows of ``X``) are dense, in float64 and
    small enough to share one scaled copy of their rows."""
    size = X.shape[1] + int(fit_intercept)
    return (not sp.issparse(X) and X.dtype == np.float64
            and sizes.max() * size * size <= _SHARED_ROWS_WORK)


def _top_eigenvalue(X, weight, with_ones, random_state, n_iter):
    """Largest eigenvalue of ``Z^T diag(weight) Z`` with ``Z = [X, 1]`` (or ``X``), by Lanczos.

    Computed for ``Z / scale`` (``scale`` the largest entry of ``Z``), which cannot overflow,
    and scaled back; the result is ``inf`` when the eigenvalue itself overflows.
    """
    n_features = X.shape[1]
    size = n_features + 1
    scale = _max_abs(X, with_ones)

    def matvec(v):
        v = np.ravel(v) / scale
        z = np.asarray(X @ v[:-1].astype(X.dtype, copy=False), dtype=np.float64)
        z = (z + (v[-1] if with_ones else 0.0)) * weight / scale
        out = np.empty(size)
        out[:-1] = np.asarray(X.T @ z.astype(X.dtype, copy=False), dtype=np.float64)
        out[-1] = z.sum() if with_ones else 0.0
        return out

    if size <= 3:  # ARPACK needs k < size; tiny problems are solved densely.
        dense = np.column_stack([matvec(e) for e in np.eye(size)])
        top = float(np.linalg.eigvalsh(dense)[-1])
    else:
        operator = LinearOperator((size, size), matvec=matvec, dtype=np.float64)
        v0 = check_random_state(random_state).uniform(0.5, 1.0, size)
        top = float(eigsh(operator, k=1, which="LA", v0=v0, tol=1e-3, maxiter=n_iter * size,
                          return_eigenvectors=False)[0])
    # A small margin covers the eigensolver's tolerance: the step 1/L then stays stable.
    # Python floats overflow to inf without raising, whatever numpy's error state.
    return max(top * scale * scale, 1e-12) * 1.01


#: Curvature weights below this fraction of a block's largest are left out of its Gram
#: matrix (when most rows are).
_NEGLIGIBLE = 1e-8


def _max_abs(X, with_ones):
    """Largest absolute entry of ``[X, 1]`` (or ``X``); 1 for an all-zero matrix."""
    values = X.data if sp.issparse(X) else X
    largest = max(float(values.max()), -float(values.min())) if values.size else 0.0
    largest = max(largest, 1.0) if with_ones else largest
    return largest if largest > 0 else 1.0



def _gram(rows, out=None):
    """``rows^T rows`` (dense) in float64, into ``out`` if given. numpy computes
    ``A.T @ A`` by BLAS ``syrk`` (one triangle, half the work of a matrix product, exactly
    symmetric) without the Python cost of calling BLAS by hand, which dominates on small
    partitions."""
    rows = np.asarray(rows)
    if out is None:
        return np.asarray(rows.T @ rows, dtype=np.float64)
    return np.matmul(rows.T, rows, out=out)
